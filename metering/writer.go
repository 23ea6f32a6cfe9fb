package metering

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Writer writes readings to a Ledger with group commit: every reading that
// arrives while a transaction is in flight goes into the next one, so a
// busy worker pays one commit for many attempts and an idle one waits for
// no timer.
type Writer struct {
	ledger  *Ledger
	logger  *slog.Logger
	queue   chan pending
	stop    chan struct{}
	done    chan struct{}
	closing sync.Once
}

type pending struct {
	reading Reading
	done    chan error // buffered: the writer never blocks on a caller that left
}

// maxBatch bounds one transaction.
const maxBatch = 512

// NewWriter starts a Writer on l; Close stops it after writing what it holds.
func NewWriter(l *Ledger, logger *slog.Logger) *Writer {
	w := &Writer{ledger: l, logger: logger, queue: make(chan pending, 4*maxBatch), stop: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	return w
}

// errClosed: the writer no longer accepts readings.
var errClosed = errors.New("the meter writer is closed")

// Record writes r and returns once it is committed, or when ctx ends; the
// reading stays queued then and is written later.
func (w *Writer) Record(ctx context.Context, r Reading) error {
	if err := r.validate(); err != nil {
		return err
	}
	p := pending{reading: r, done: make(chan error, 1)}
	select {
	case w.queue <- p:
	case <-w.stop:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close writes the queued readings and stops the writer.
func (w *Writer) Close() error {
	w.closing.Do(func() { close(w.stop) })
	<-w.done
	return nil
}

func (w *Writer) loop() {
	defer close(w.done)
	batch := make([]pending, 0, maxBatch)
	for {
		select {
		case p := <-w.queue:
			batch = append(batch[:0], p)
		case <-w.stop:
			w.drain(batch[:0])
			return
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case p := <-w.queue:
				batch = append(batch, p)
			default:
				break fill
			}
		}
		w.commit(batch)
	}
}

// drain writes whatever is queued at Close.
func (w *Writer) drain(batch []pending) {
	for {
		select {
		case p := <-w.queue:
			batch = append(batch, p)
			if len(batch) == maxBatch {
				w.commit(batch)
				batch = batch[:0]
			}
		default:
			if len(batch) > 0 {
				w.commit(batch)
			}
			return
		}
	}
}

// commit retries a failed transaction with backoff until it succeeds or the
// writer closes: a reading that never gets in is recovered from the run's
// history by the reconciler, minus its worker-side timing.
func (w *Writer) commit(batch []pending) {
	readings := make([]Reading, len(batch))
	for i, p := range batch {
		readings[i] = p.reading
	}
	backoff := 50 * time.Millisecond
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := w.ledger.Write(ctx, readings...)
		cancel()
		if err == nil {
			for _, p := range batch {
				p.done <- nil
			}
			return
		}
		w.logger.Warn("writing meter readings; retrying", "readings", len(readings), "error", err)
		select {
		case <-w.stop:
			w.logger.Error("meter readings not written; the reconciler will recover them from history", "readings", len(readings), "error", err)
			for _, p := range batch {
				p.done <- err
			}
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}
