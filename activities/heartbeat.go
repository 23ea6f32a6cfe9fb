package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
)

const defaultHeartbeatInterval = 5 * time.Second

// KeepAlive heartbeats in the background until stop is called. A function
// that waits on a slow service calls it so that a cancelled run reaches the
// activity (cancellation is delivered through heartbeats) and a lost worker
// is noticed before the start-to-close timeout. Outside an activity it does
// nothing.
func KeepAlive(ctx context.Context) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	interval := defaultHeartbeatInterval
	if hb := activity.GetInfo(ctx).HeartbeatTimeout; hb > 0 && hb/2 < interval {
		interval = hb / 2
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
