package bindings

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"go.temporal.io/sdk/temporal"

	"github.com/fnchain/orchestrator/activities"
)

// TypeAMQPNack is the error type of a message the broker refused.
const TypeAMQPNack = "AMQPNack"

// amqpConn keeps one connection and one channel in confirm mode, dialled on
// first use and again after the broker closed either. Publishes share the
// channel under a lock because a channel is not safe for concurrent use.
type amqpConn struct {
	url    string
	mu     sync.Mutex
	conn   *amqp.Connection
	ch     *amqp.Channel
	closes chan *amqp.Error
	closed bool
}

func openAMQP(_ context.Context, rawURL string) (conn, error) {
	if _, err := amqp.ParseURI(rawURL); err != nil {
		return nil, fmt.Errorf("parsing url: %w", err)
	}
	return &amqpConn{url: rawURL}, nil
}

// channel returns the confirm-mode channel; the caller holds c.mu.
func (c *amqpConn) channel() (*amqp.Channel, error) {
	if c.closed {
		return nil, errClosed
	}
	if c.ch != nil && !c.ch.IsClosed() {
		return c.ch, nil
	}
	if c.conn == nil || c.conn.IsClosed() {
		conn, err := amqp.DialConfig(c.url, amqp.Config{Dial: amqp.DefaultDial(dialTimeout), Properties: amqp.Table{"connection_name": "fnchain"}})
		if err != nil {
			return nil, err
		}
		c.conn = conn
	}
	ch, err := c.conn.Channel()
	if err != nil {
		return nil, err
	}
	if err := ch.Confirm(false); err != nil {
		_ = ch.Close()
		return nil, err
	}
	c.ch = ch
	c.closes = ch.NotifyClose(make(chan *amqp.Error, 1))
	return ch, nil
}

func (c *amqpConn) check(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := c.channel()
	return err
}

func (c *amqpConn) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.conn == nil || c.conn.IsClosed() {
		return nil
	}
	return c.conn.Close()
}

// AMQPPublishInput is the `with` of amqp.publish.
type AMQPPublishInput struct {
	Connection  string         `json:"connection" minLength:"1" doc:"name of an amqp connection"`
	Exchange    string         `json:"exchange,omitempty" doc:"exchange to publish to; empty is the default exchange, which routes by queue name"`
	RoutingKey  string         `json:"routingKey" doc:"routing key (the queue name with the default exchange)"`
	Body        any            `json:"body,omitempty" doc:"a string is sent as is, any other value as JSON"`
	ContentType string         `json:"contentType,omitempty" doc:"default: text/plain for a string body, application/json otherwise"`
	Headers     map[string]any `json:"headers,omitempty" doc:"message headers"`
	Transient   bool           `json:"transient,omitempty" doc:"true sends a non-persistent message"`
}

// AMQPPublishOutput is the result of amqp.publish.
type AMQPPublishOutput struct {
	Confirmed bool `json:"confirmed" doc:"the broker confirmed the message"`
}

func (b binder) amqpPublish(ctx context.Context, in AMQPPublishInput) (AMQPPublishOutput, error) {
	c, ac, err := lookup[*amqpConn](b.pool, in.Connection, "amqp")
	if err != nil {
		return AMQPPublishOutput{}, err
	}
	body, contentType, err := encodePayload("body", in.Body)
	if err != nil {
		return AMQPPublishOutput{}, err
	}
	if in.ContentType != "" {
		contentType = in.ContentType
	}
	msg := amqp.Publishing{Body: body, ContentType: contentType, DeliveryMode: amqp.Persistent, Timestamp: time.Now(), Headers: amqp.Table{}}
	if in.Transient {
		msg.DeliveryMode = amqp.Transient
	}
	for k, v := range in.Headers {
		msg.Headers[k] = argValue(v)
	}

	ac.mu.Lock()
	defer ac.mu.Unlock()
	ch, err := ac.channel()
	if err != nil {
		return AMQPPublishOutput{}, c.fail(err)
	}
	confirm, err := ch.PublishWithDeferredConfirmWithContext(ctx, in.Exchange, in.RoutingKey, false, false, msg)
	if err != nil {
		return AMQPPublishOutput{}, ac.publishError(ctx, c, in, err)
	}
	acked, err := confirm.WaitContext(ctx)
	if err == nil && acked {
		return AMQPPublishOutput{Confirmed: true}, nil
	}
	if reason := ac.closeReason(); reason != nil {
		err = reason
	}
	if err != nil {
		return AMQPPublishOutput{}, ac.publishError(ctx, c, in, err)
	}
	return AMQPPublishOutput{}, temporal.NewApplicationError(fmt.Sprintf("connection %q: the broker refused the message (nack)", c.name), TypeAMQPNack)
}

// closeReason waits briefly for the reason the broker closed the channel,
// which arrives after the confirm that the closing cut short.
func (c *amqpConn) closeReason() error {
	select {
	case e, ok := <-c.closes:
		if ok && e != nil {
			return e
		}
	case <-time.After(time.Second):
	}
	return nil
}

func (c *amqpConn) publishError(ctx context.Context, conn *connection, in AMQPPublishInput, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var amqpErr *amqp.Error
	if errors.As(err, &amqpErr) && amqpErr.Code == amqp.NotFound {
		return activities.NewValidationError("argument \"exchange\": connection %q has no exchange %q: %s", conn.name, in.Exchange, amqpErr.Reason)
	}
	return conn.fail(err)
}
