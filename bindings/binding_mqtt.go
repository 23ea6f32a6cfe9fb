package bindings

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/fnchain/orchestrator/activities"
)

// mqttConn connects on first use; paho reconnects by itself afterwards.
type mqttConn struct {
	mu     sync.Mutex
	opts   *mqtt.ClientOptions
	client mqtt.Client
	closed bool
}

func openMQTT(_ context.Context, rawURL string) (conn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parsing url: %w", err)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("url %q: want mqtt://host:port", u.Redacted())
	}
	id := make([]byte, 6)
	_, _ = rand.Read(id)
	opts := mqtt.NewClientOptions().
		SetClientID("fnchain-" + hex.EncodeToString(id)).
		SetConnectTimeout(dialTimeout).
		SetAutoReconnect(true).
		SetConnectRetry(false).
		SetCleanSession(true)
	if u.User != nil {
		opts.SetUsername(u.User.Username())
		if p, ok := u.User.Password(); ok {
			opts.SetPassword(p)
		}
		u.User = nil
	}
	opts.AddBroker(u.String())
	return &mqttConn{opts: opts}, nil
}

func (c *mqttConn) connected(ctx context.Context) (mqtt.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errClosed
	}
	if c.client != nil && c.client.IsConnectionOpen() {
		return c.client, nil
	}
	if c.client == nil {
		c.client = mqtt.NewClient(c.opts)
	}
	if err := wait(ctx, c.client.Connect()); err != nil {
		return nil, err
	}
	return c.client, nil
}

// wait waits for a paho token within the context's deadline.
func wait(ctx context.Context, tok mqtt.Token) error {
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(dialTimeout):
		return errors.New("no answer from the broker within " + dialTimeout.String())
	}
}

func (c *mqttConn) check(ctx context.Context) error {
	_, err := c.connected(ctx)
	return err
}

func (c *mqttConn) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.client != nil && c.client.IsConnected() {
		c.client.Disconnect(250)
	}
	return nil
}

// MQTTPublishInput is the `with` of mqtt.publish.
type MQTTPublishInput struct {
	Connection string `json:"connection" minLength:"1" doc:"name of an mqtt connection"`
	Topic      string `json:"topic" minLength:"1" doc:"topic to publish to (no wildcards)"`
	Payload    any    `json:"payload,omitempty" doc:"a string is sent as is, any other value as JSON"`
	QoS        *int   `json:"qos,omitempty" enum:"0,1,2" default:"1" doc:"quality of service; 1 waits for the broker's PUBACK"`
	Retain     bool   `json:"retain,omitempty" doc:"the broker keeps the message for later subscribers"`
}

// MQTTPublishOutput is the result of mqtt.publish.
type MQTTPublishOutput struct {
	Topic string `json:"topic" doc:"the topic published to"`
}

func (b binder) mqttPublish(ctx context.Context, in MQTTPublishInput) (MQTTPublishOutput, error) {
	c, mc, err := lookup[*mqttConn](b.pool, in.Connection, "mqtt")
	if err != nil {
		return MQTTPublishOutput{}, err
	}
	for _, r := range in.Topic {
		if r == '+' || r == '#' {
			return MQTTPublishOutput{}, activities.NewValidationError("argument \"topic\": %q must not contain wildcards", in.Topic)
		}
	}
	payload, _, err := encodePayload("payload", in.Payload)
	if err != nil {
		return MQTTPublishOutput{}, err
	}
	qos := byte(1)
	if in.QoS != nil {
		qos = byte(*in.QoS)
	}
	client, err := mc.connected(ctx)
	if err != nil {
		return MQTTPublishOutput{}, mqttError(ctx, c, err)
	}
	if err := wait(ctx, client.Publish(in.Topic, qos, in.Retain, payload)); err != nil {
		return MQTTPublishOutput{}, mqttError(ctx, c, err)
	}
	return MQTTPublishOutput{Topic: in.Topic}, nil
}

func mqttError(ctx context.Context, c *connection, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return c.fail(err)
}
