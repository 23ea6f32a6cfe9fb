package triggers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/fnchain/orchestrator/dsl"
)

func init() {
	sources[dsl.TriggerNATS] = sourceOpener{open: openNATS, cleanup: cleanupNATS}
}

// natsAckWait is how long JetStream waits for an ack before it redelivers;
// a start slower than that is deduped by the stream sequence.
const natsAckWait = 30 * time.Second

type natsSource struct {
	nc       *nats.Conn
	consumer jetstream.Consumer
}

// openNATS binds a durable pull consumer to the stream that captures the
// trigger's subject. Without such a stream it creates one, and then reads
// it from the start; on a stream that existed, a new consumer reads only
// what is published from now on.
func openNATS(ctx context.Context, d declared, rawURL string, _ *Manager) (source, error) {
	nc, err := nats.Connect(rawURL, nats.Name("fnchain trigger "+d.plan.Name+"/"+d.key))
	if err != nil {
		return nil, fmt.Errorf("connecting to nats: %w", err)
	}
	cons, err := natsConsumer(ctx, nc, d.trigger.NATS.Subject, resourceName(d.plan.Name, d.key))
	if err != nil {
		nc.Close()
		return nil, err
	}
	return &natsSource{nc: nc, consumer: cons}, nil
}

func natsConsumer(ctx context.Context, nc *nats.Conn, subject, durable string) (jetstream.Consumer, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("opening jetstream: %w", err)
	}
	policy := jetstream.DeliverNewPolicy
	stream, err := js.StreamNameBySubject(ctx, subject)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		stream, policy = durable, jetstream.DeliverAllPolicy
		_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: stream, Subjects: []string{subject}, Storage: jetstream.FileStorage})
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			err = nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("finding the jetstream stream of subject %s: %w", subject, err)
	}
	if strings.HasPrefix(stream, "fnchain_") {
		policy = jetstream.DeliverAllPolicy
	}
	cons, err := js.Consumer(ctx, stream, durable)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		cons, err = js.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{
			Durable:       durable,
			FilterSubject: subject,
			AckPolicy:     jetstream.AckExplicitPolicy,
			AckWait:       natsAckWait,
			DeliverPolicy: policy,
			MaxAckPending: 4 * consumerConcurrency,
		})
	}
	if err != nil {
		return nil, fmt.Errorf("binding durable consumer %s on stream %s: %w", durable, stream, err)
	}
	return cons, nil
}

func (s *natsSource) run(ctx context.Context, deliver func(context.Context, Event) error) error {
	defer s.nc.Close()
	d := newDispatcher()
	defer d.Wait()
	for ctx.Err() == nil {
		batch, err := s.consumer.Fetch(consumerConcurrency, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			return fmt.Errorf("fetching from jetstream: %w", err)
		}
		for msg := range batch.Messages() {
			ev, err := natsEvent(msg)
			if err != nil {
				return err
			}
			// Without an ack JetStream redelivers after natsAckWait.
			if !d.Go(ctx, func() {
				if deliver(ctx, ev) == nil {
					_ = msg.Ack()
				}
			}) {
				return nil
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && ctx.Err() == nil {
			return fmt.Errorf("fetching from jetstream: %w", err)
		}
	}
	return nil
}

// natsEvent is `event` of a nats trigger; data is decoded when it is JSON.
func natsEvent(msg jetstream.Msg) (Event, error) {
	meta, err := msg.Metadata()
	if err != nil {
		return Event{}, fmt.Errorf("reading jetstream metadata: %w", err)
	}
	headers := map[string]any{}
	for k, v := range msg.Headers() {
		headers[k] = strings.Join(v, ", ")
	}
	return Event{
		Data: map[string]any{
			"subject":  msg.Subject(),
			"data":     payload(msg.Data()),
			"headers":  headers,
			"stream":   meta.Stream,
			"sequence": meta.Sequence.Stream,
			"time":     meta.Timestamp.UTC().Format(time.RFC3339Nano),
		},
		ID: fmt.Sprintf("%s-%d", meta.Stream, meta.Sequence.Stream),
		At: meta.Timestamp,
	}, nil
}

// payload is a message body as JSON when it is JSON, else as text.
func payload(b []byte) any {
	var v any
	if json.Unmarshal(b, &v) == nil {
		return v
	}
	return string(b)
}

// cleanupNATS deletes the durable consumer; the stream and its messages
// stay, since other consumers may read them.
func cleanupNATS(ctx context.Context, in ConsumerInput, rawURL string, _ *Manager) error {
	nc, err := nats.Connect(rawURL)
	if err != nil {
		return fmt.Errorf("connecting to nats: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("opening jetstream: %w", err)
	}
	stream, err := js.StreamNameBySubject(ctx, in.Subject)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("finding the stream of subject %s: %w", in.Subject, err)
	}
	err = js.DeleteConsumer(ctx, stream, resourceName(in.Workflow, in.Key))
	if err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("deleting the durable consumer: %w", err)
	}
	return nil
}
