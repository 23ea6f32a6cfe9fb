package bindings

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/temporal"

	"github.com/fnchain/orchestrator/activities"
)

// TypeRedis is the error type of an error the Redis server reported.
const TypeRedis = "RedisError"

type redisConn struct {
	client *redis.Client
}

func openRedis(_ context.Context, rawURL string) (conn, error) {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parsing url: %w", err)
	}
	// Fail fast instead of queueing calls while the server is unreachable.
	opts.MaxRetries = 1
	opts.DialTimeout = 5 * time.Second
	return &redisConn{client: redis.NewClient(opts)}, nil
}

func (c *redisConn) check(ctx context.Context) error { return c.client.Ping(ctx).Err() }
func (c *redisConn) close() error                    { return c.client.Close() }

// RedisGetInput is the `with` of redis.get.
type RedisGetInput struct {
	Connection string `json:"connection" minLength:"1" doc:"name of a redis connection"`
	Key        string `json:"key" minLength:"1" doc:"key to read"`
}

// RedisGetOutput is the result of redis.get.
type RedisGetOutput struct {
	Found bool `json:"found" doc:"false when the key does not exist"`
	Value any  `json:"value" doc:"the stored value: decoded when it is JSON, text otherwise; null when not found"`
}

// RedisSetInput is the `with` of redis.set.
type RedisSetInput struct {
	Connection string `json:"connection" minLength:"1" doc:"name of a redis connection"`
	Key        string `json:"key" minLength:"1" doc:"key to write"`
	Value      any    `json:"value" doc:"a string is stored as is, any other value as JSON"`
	TTL        string `json:"ttl,omitempty" doc:"Go duration after which the key expires; empty keeps it forever"`
}

// RedisSetOutput is the result of redis.set.
type RedisSetOutput struct {
	Key string `json:"key" doc:"the key written"`
}

// RedisPublishInput is the `with` of redis.publish.
type RedisPublishInput struct {
	Connection string `json:"connection" minLength:"1" doc:"name of a redis connection"`
	Channel    string `json:"channel" minLength:"1" doc:"channel to publish on"`
	Message    any    `json:"message" doc:"a string is sent as is, any other value as JSON"`
}

// RedisPublishOutput is the result of redis.publish.
type RedisPublishOutput struct {
	Receivers int64 `json:"receivers" doc:"subscribers that received the message"`
}

func (b binder) redisGet(ctx context.Context, in RedisGetInput) (RedisGetOutput, error) {
	c, rc, err := lookup[*redisConn](b.pool, in.Connection, "redis")
	if err != nil {
		return RedisGetOutput{}, err
	}
	v, err := rc.client.Get(ctx, in.Key).Bytes()
	if errors.Is(err, redis.Nil) {
		return RedisGetOutput{}, nil
	}
	if err != nil {
		return RedisGetOutput{}, redisError(ctx, c, err)
	}
	return RedisGetOutput{Found: true, Value: decodePayload(v)}, nil
}

func (b binder) redisSet(ctx context.Context, in RedisSetInput) (RedisSetOutput, error) {
	c, rc, err := lookup[*redisConn](b.pool, in.Connection, "redis")
	if err != nil {
		return RedisSetOutput{}, err
	}
	var ttl time.Duration
	if in.TTL != "" {
		if ttl, err = time.ParseDuration(in.TTL); err != nil || ttl <= 0 {
			return RedisSetOutput{}, activities.NewValidationError("argument \"ttl\": %q is not a positive Go duration such as 10m", in.TTL)
		}
	}
	data, _, err := encodePayload("value", in.Value)
	if err != nil {
		return RedisSetOutput{}, err
	}
	if err := rc.client.Set(ctx, in.Key, data, ttl).Err(); err != nil {
		return RedisSetOutput{}, redisError(ctx, c, err)
	}
	return RedisSetOutput{Key: in.Key}, nil
}

func (b binder) redisPublish(ctx context.Context, in RedisPublishInput) (RedisPublishOutput, error) {
	c, rc, err := lookup[*redisConn](b.pool, in.Connection, "redis")
	if err != nil {
		return RedisPublishOutput{}, err
	}
	data, _, err := encodePayload("message", in.Message)
	if err != nil {
		return RedisPublishOutput{}, err
	}
	n, err := rc.client.Publish(ctx, in.Channel, data).Result()
	if err != nil {
		return RedisPublishOutput{}, redisError(ctx, c, err)
	}
	return RedisPublishOutput{Receivers: n}, nil
}

// redisError keeps the server's replies (WRONGTYPE...) apart from transport
// failures: a reply will not change on retry, the network may.
func redisError(ctx context.Context, c *connection, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var reply redis.Error
	if errors.As(err, &reply) {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("connection %q: %s", c.name, c.red.text(reply.Error())), TypeRedis, nil)
	}
	return c.fail(err)
}
