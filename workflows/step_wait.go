package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/fnchain/orchestrator/dsl"
)

// mailbox delivers the payloads sent to one wait name, by signal or update.
type mailbox struct {
	signals workflow.ReceiveChannel
	// updates is unbuffered: an update completes when a wait step takes it.
	updates workflow.Channel
	// carried holds payloads the previous run received but no step took.
	carried []any
	waiting int
}

type mailboxes struct {
	byName map[string]*mailbox
	names  []string
}

// listen opens a mailbox per wait name and answers the progress query. It
// runs before any step so that no signal or update is missed.
func (r *run) listen(ctx workflow.Context) error {
	r.mail = &mailboxes{byName: make(map[string]*mailbox, len(r.prog.signals)), names: r.prog.signals}
	for _, name := range r.prog.signals {
		mb := &mailbox{signals: workflow.GetSignalChannel(ctx, name), updates: workflow.NewChannel(ctx)}
		r.mail.byName[name] = mb
		err := workflow.SetUpdateHandlerWithOptions(ctx, name,
			func(ctx workflow.Context, payload any) error {
				mb.updates.Send(ctx, payload)
				return nil
			},
			workflow.UpdateHandlerOptions{
				Validator: func(_ workflow.Context, _ any) error {
					if mb.waiting == 0 {
						return fmt.Errorf("no step is waiting for %s now", name)
					}
					return nil
				},
				Description: "delivers its argument to the wait step waiting for " + name,
			})
		if err != nil {
			return fmt.Errorf("registering update %s: %w", name, err)
		}
	}
	return workflow.SetQueryHandlerWithOptions(ctx, QueryProgress, func() (Progress, error) {
		return r.progress.snapshot(), nil
	}, workflow.QueryHandlerOptions{Description: "current steps, completed steps with outputs and pending waits"})
}

// drain takes the signals nobody received yet, to carry them over
// continue-as-new.
func (m *mailboxes) drain(ctx workflow.Context) map[string][]any {
	var out map[string][]any
	for _, name := range m.names {
		mb := m.byName[name]
		pending := mb.carried
		for {
			var v any
			if ok := mb.signals.ReceiveAsync(&v); !ok {
				break
			}
			pending = append(pending, v)
		}
		if len(pending) > 0 {
			if out == nil {
				out = map[string][]any{}
			}
			out[name] = pending
		}
	}
	return out
}

func (m *mailboxes) carry(signals map[string][]any) {
	for name, payloads := range signals {
		if mb, ok := m.byName[name]; ok {
			mb.carried = append(mb.carried, payloads...)
		}
	}
}

// wait blocks until a signal or update named by the step arrives, the
// timeout passes (error type Timeout) or the step is cancelled.
func (r *run) wait(ctx workflow.Context, f *frame, s *dsl.Step) (any, error) {
	w := s.Wait
	mb := r.mail.byName[w.Signal]
	if len(mb.carried) > 0 {
		v := mb.carried[0]
		mb.carried = mb.carried[1:]
		return v, nil
	}
	id := s.ID + f.suffix
	var deadline *time.Time
	if w.Timeout > 0 {
		t := workflow.Now(ctx).Add(w.Timeout)
		deadline = &t
	}
	r.progress.wait(id, w.Signal, deadline)
	mb.waiting++
	defer func() {
		mb.waiting--
		r.progress.unwait(id)
	}()

	var payload any
	received := false
	sel := workflow.NewSelector(ctx)
	receive := func(c workflow.ReceiveChannel, _ bool) {
		c.Receive(ctx, &payload)
		received = true
	}
	sel.AddReceive(mb.signals, receive)
	sel.AddReceive(mb.updates, receive)
	sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {})
	if w.Timeout > 0 {
		tctx, cancelTimer := workflow.WithCancel(ctx)
		defer cancelTimer()
		timer := workflow.NewTimerWithOptions(tctx, w.Timeout, workflow.TimerOptions{Summary: "wait for " + w.Signal})
		sel.AddFuture(timer, func(workflow.Future) {})
	}
	sel.Select(ctx)
	if received {
		return payload, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return nil, userError(ErrTimeout, "no %s arrived within %s", w.Signal, w.Timeout)
}
