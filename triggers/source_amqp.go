package triggers

import (
	"context"
	"errors"
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/fnchain/orchestrator/dsl"
)

func init() {
	sources[dsl.TriggerAMQP] = sourceOpener{open: openAMQP, cleanup: func(context.Context, ConsumerInput, string, *Manager) error {
		// The queue belongs to its publishers; closing the consumer was all.
		return nil
	}}
}

type amqpSource struct {
	conn  *amqp.Connection
	ch    *amqp.Channel
	queue string
	tag   string
}

// openAMQP consumes the trigger's queue with manual acks, declaring it
// (durable) when it does not exist yet.
func openAMQP(_ context.Context, d declared, rawURL string, _ *Manager) (source, error) {
	conn, err := amqp.Dial(rawURL)
	if err != nil {
		return nil, fmt.Errorf("connecting to amqp: %w", err)
	}
	queue := d.trigger.AMQP.Queue
	ch, err := conn.Channel()
	if err == nil {
		_, err = ch.QueueDeclarePassive(queue, true, false, false, false, nil)
		var ae *amqp.Error
		if errors.As(err, &ae) && ae.Code == amqp.NotFound {
			// A failed passive declare closes the channel.
			if ch, err = conn.Channel(); err == nil {
				_, err = ch.QueueDeclare(queue, true, false, false, false, nil)
			}
		}
	}
	if err == nil {
		err = ch.Qos(2*consumerConcurrency, 0, false)
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("opening queue %s: %w", queue, err)
	}
	return &amqpSource{conn: conn, ch: ch, queue: queue, tag: resourceName(d.plan.Name, d.key)}, nil
}

func (s *amqpSource) run(ctx context.Context, deliver func(context.Context, Event) error) error {
	defer s.conn.Close()
	deliveries, err := s.ch.Consume(s.queue, s.tag, false, false, false, false, nil)
	if err != nil {
		return fmt.Errorf("consuming queue %s: %w", s.queue, err)
	}
	d := newDispatcher()
	defer d.Wait()
	for {
		var m amqp.Delivery
		var ok bool
		select {
		case <-ctx.Done():
			return nil
		case m, ok = <-deliveries:
		}
		if !ok {
			return fmt.Errorf("consuming queue %s: the channel closed: %w", s.queue, s.conn.Close())
		}
		// Unacked deliveries go back to the queue when the channel closes,
		// and come again.
		if !d.Go(ctx, func() {
			if deliver(ctx, amqpEvent(m)) == nil {
				_ = m.Ack(false)
			}
		}) {
			return nil
		}
	}
}

// amqpEvent is `event` of an amqp trigger. A message-id set by the
// publisher is the dedupe key; without one, and without `id:`, a message
// redelivered after a crash starts a second run.
func amqpEvent(m amqp.Delivery) Event {
	headers := map[string]any{}
	for k, v := range m.Headers {
		headers[k] = fmt.Sprint(v)
	}
	data := map[string]any{
		"body":          payload(m.Body),
		"headers":       headers,
		"messageId":     m.MessageId,
		"correlationId": m.CorrelationId,
		"contentType":   m.ContentType,
		"exchange":      m.Exchange,
		"routingKey":    m.RoutingKey,
		"redelivered":   m.Redelivered,
	}
	if !m.Timestamp.IsZero() {
		data["timestamp"] = m.Timestamp.UTC().Format(time.RFC3339Nano)
	}
	return Event{Data: data, ID: m.MessageId, At: m.Timestamp}
}
