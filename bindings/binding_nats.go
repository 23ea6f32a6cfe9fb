package bindings

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/fnchain/orchestrator/activities"
)

// TypeNoResponders is the error type of a nats.request nobody answered.
const TypeNoResponders = "NoResponders"

const (
	dialTimeout           = 5 * time.Second
	defaultRequestTimeout = 5 * time.Second
)

var errClosed = errors.New("connection is closed")

// natsConn dials on first use and again after the client gave up, so that a
// worker outlives a NATS restart.
type natsConn struct {
	url    string
	mu     sync.Mutex
	nc     *nats.Conn
	closed bool
}

func openNATS(_ context.Context, rawURL string) (conn, error) {
	for _, u := range strings.Split(rawURL, ",") {
		if !strings.Contains(u, "://") {
			return nil, fmt.Errorf("url %q: want nats://host:port", u)
		}
	}
	return &natsConn{url: rawURL}, nil
}

func (c *natsConn) client() (*nats.Conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errClosed
	}
	if c.nc != nil && !c.nc.IsClosed() {
		return c.nc, nil
	}
	// No reconnect buffer: a publish while disconnected fails (and the
	// activity retries) instead of being held in memory and maybe lost.
	nc, err := nats.Connect(c.url, nats.Name("fnchain"), nats.Timeout(dialTimeout), nats.ReconnectBufSize(-1), nats.MaxReconnects(-1))
	if err != nil {
		return nil, err
	}
	c.nc = nc
	return nc, nil
}

func (c *natsConn) check(ctx context.Context) error {
	nc, err := c.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	return nc.FlushWithContext(ctx)
}

func (c *natsConn) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.nc != nil {
		c.nc.Close()
	}
	return nil
}

// NATSPublishInput is the `with` of nats.publish.
type NATSPublishInput struct {
	Connection string            `json:"connection" minLength:"1" doc:"name of a nats connection"`
	Subject    string            `json:"subject" minLength:"1" doc:"subject to publish on (no wildcards)"`
	Data       any               `json:"data,omitempty" doc:"a string is sent as is, any other value as JSON"`
	Headers    map[string]string `json:"headers,omitempty" doc:"message headers"`
	MsgID      string            `json:"msgId,omitempty" doc:"JetStream de-duplication id; default: the run and step, so a retried step is stored once"`
}

// NATSPublishOutput is the result of nats.publish.
type NATSPublishOutput struct {
	Stream    string `json:"stream" doc:"the stream that stored the message; empty for a core NATS publish"`
	Sequence  uint64 `json:"sequence" doc:"the message's sequence in the stream"`
	Duplicate bool   `json:"duplicate" doc:"true when the stream already had this msgId"`
}

// NATSRequestInput is the `with` of nats.request.
type NATSRequestInput struct {
	Connection string            `json:"connection" minLength:"1" doc:"name of a nats connection"`
	Subject    string            `json:"subject" minLength:"1" doc:"subject to send the request on"`
	Data       any               `json:"data,omitempty" doc:"a string is sent as is, any other value as JSON"`
	Headers    map[string]string `json:"headers,omitempty" doc:"message headers"`
	Timeout    string            `json:"timeout,omitempty" default:"5s" doc:"Go duration to wait for the reply"`
}

// NATSReply is the result of nats.request.
type NATSReply struct {
	Data    any               `json:"data" doc:"the reply: decoded when it is JSON, text otherwise"`
	Headers map[string]string `json:"headers" doc:"reply headers"`
}

func natsMsg(subject string, data any, headers map[string]string) (*nats.Msg, error) {
	if strings.ContainsAny(subject, " \t\r\n*>") {
		return nil, activities.NewValidationError("argument \"subject\": %q must not contain spaces or wildcards", subject)
	}
	body, contentType, err := encodePayload("data", data)
	if err != nil {
		return nil, err
	}
	msg := nats.NewMsg(subject)
	msg.Data = body
	if contentType != "" {
		msg.Header.Set("Content-Type", contentType)
	}
	for k, v := range headers {
		msg.Header.Set(k, v)
	}
	return msg, nil
}

func (b binder) natsPublish(ctx context.Context, in NATSPublishInput) (NATSPublishOutput, error) {
	c, n, err := lookup[*natsConn](b.pool, in.Connection, "nats")
	if err != nil {
		return NATSPublishOutput{}, err
	}
	msg, err := natsMsg(in.Subject, in.Data, in.Headers)
	if err != nil {
		return NATSPublishOutput{}, err
	}
	nc, err := n.client()
	if err != nil {
		return NATSPublishOutput{}, c.fail(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return NATSPublishOutput{}, c.fail(err)
	}
	_, err = js.StreamNameBySubject(ctx, in.Subject)
	switch {
	case err == nil:
		ack, err := js.PublishMsg(ctx, msg, jetstream.WithMsgID(msgID(ctx, in.MsgID)))
		if err != nil {
			return NATSPublishOutput{}, natsError(ctx, c, err)
		}
		return NATSPublishOutput{Stream: ack.Stream, Sequence: ack.Sequence, Duplicate: ack.Duplicate}, nil
	case errors.Is(err, jetstream.ErrStreamNotFound), errors.Is(err, jetstream.ErrJetStreamNotEnabled), errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount):
		if err := nc.PublishMsg(msg); err != nil {
			return NATSPublishOutput{}, natsError(ctx, c, err)
		}
		// Flushing confirms the server has the message before the step succeeds.
		if err := nc.FlushWithContext(ctx); err != nil {
			return NATSPublishOutput{}, natsError(ctx, c, err)
		}
		return NATSPublishOutput{}, nil
	default:
		return NATSPublishOutput{}, natsError(ctx, c, err)
	}
}

// msgID defaults to an id stable across retries of the same step, so that
// JetStream drops the copy a retried attempt publishes again.
func msgID(ctx context.Context, given string) string {
	if given != "" || !activity.IsActivity(ctx) {
		return given
	}
	info := activity.GetInfo(ctx)
	return info.WorkflowExecution.ID + "/" + info.WorkflowExecution.RunID + "/" + info.ActivityID
}

func (b binder) natsRequest(ctx context.Context, in NATSRequestInput) (NATSReply, error) {
	c, n, err := lookup[*natsConn](b.pool, in.Connection, "nats")
	if err != nil {
		return NATSReply{}, err
	}
	timeout := defaultRequestTimeout
	if in.Timeout != "" {
		if timeout, err = time.ParseDuration(in.Timeout); err != nil || timeout <= 0 {
			return NATSReply{}, activities.NewValidationError("argument \"timeout\": %q is not a positive Go duration such as 5s", in.Timeout)
		}
	}
	msg, err := natsMsg(in.Subject, in.Data, in.Headers)
	if err != nil {
		return NATSReply{}, err
	}
	nc, err := n.client()
	if err != nil {
		return NATSReply{}, c.fail(err)
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	reply, err := nc.RequestMsgWithContext(rctx, msg)
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return NATSReply{}, temporal.NewApplicationError(fmt.Sprintf("connection %q: no service listens on subject %q", c.name, in.Subject), TypeNoResponders)
	case err != nil && ctx.Err() == nil && errors.Is(rctx.Err(), context.DeadlineExceeded):
		return NATSReply{}, temporal.NewApplicationError(fmt.Sprintf("connection %q: no reply on %q within %s; raise timeout if the service is slow", c.name, in.Subject, timeout), activities.TypeTimeout)
	case err != nil:
		return NATSReply{}, natsError(ctx, c, err)
	}
	out := NATSReply{Data: decodePayload(reply.Data), Headers: map[string]string{}}
	for k, v := range reply.Header {
		out.Headers[k] = strings.Join(v, ", ")
	}
	return out, nil
}

func natsError(ctx context.Context, c *connection, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return c.fail(err)
}
