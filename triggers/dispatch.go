package triggers

import (
	"context"
	"sync"
)

// dispatcher runs deliveries concurrently, at most consumerConcurrency at a
// time, so a burst of events starts runs in parallel while the source keeps
// its own ack order rules.
type dispatcher struct {
	slots    chan struct{}
	inflight sync.WaitGroup
}

func newDispatcher() *dispatcher {
	return &dispatcher{slots: make(chan struct{}, consumerConcurrency)}
}

// Go runs fn once a slot is free. It returns false, without running fn, when
// ctx ends first.
func (d *dispatcher) Go(ctx context.Context, fn func()) bool {
	select {
	case d.slots <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	d.inflight.Add(1)
	go func() {
		defer d.inflight.Done()
		defer func() { <-d.slots }()
		fn()
	}()
	return true
}

// Wait waits for every delivery started with Go.
func (d *dispatcher) Wait() { d.inflight.Wait() }
