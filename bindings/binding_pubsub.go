package bindings

import (
	"context"
	"fmt"
	"time"

	"gocloud.dev/pubsub"
	// Only the in-process driver is linked; see binding_blob.go for why.
	_ "gocloud.dev/pubsub/mempubsub"
)

type pubsubConn struct {
	topic *pubsub.Topic
}

func openPubSub(ctx context.Context, rawURL string) (conn, error) {
	t, err := pubsub.OpenTopic(ctx, rawURL)
	if err != nil {
		return nil, fmt.Errorf("opening topic: %w", err)
	}
	return &pubsubConn{topic: t}, nil
}

// check has nothing to dial for the linked drivers: an open topic is ready.
func (c *pubsubConn) check(context.Context) error { return nil }

func (c *pubsubConn) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.topic.Shutdown(ctx)
}

// PubSubSendInput is the `with` of pubsub.send.
type PubSubSendInput struct {
	Connection string            `json:"connection" minLength:"1" doc:"name of a pubsub connection"`
	Body       any               `json:"body" doc:"a string is sent as is, any other value as JSON"`
	Metadata   map[string]string `json:"metadata,omitempty" doc:"message attributes"`
}

// PubSubSendOutput is the result of pubsub.send.
type PubSubSendOutput struct {
	Sent bool `json:"sent" doc:"the topic accepted the message"`
}

func (b binder) pubsubSend(ctx context.Context, in PubSubSendInput) (PubSubSendOutput, error) {
	c, pc, err := lookup[*pubsubConn](b.pool, in.Connection, "pubsub")
	if err != nil {
		return PubSubSendOutput{}, err
	}
	body, _, err := encodePayload("body", in.Body)
	if err != nil {
		return PubSubSendOutput{}, err
	}
	if err := pc.topic.Send(ctx, &pubsub.Message{Body: body, Metadata: in.Metadata}); err != nil {
		if ctx.Err() != nil {
			return PubSubSendOutput{}, ctx.Err()
		}
		return PubSubSendOutput{}, c.fail(err)
	}
	return PubSubSendOutput{Sent: true}, nil
}
