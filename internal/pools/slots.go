package pools

import (
	"context"
	"sync"

	"go.temporal.io/sdk/worker"
)

// Slots is an activity slot supplier whose limit changes at run time.
// Shrinking never takes a slot back: activities in flight finish, and new
// reservations wait until the number issued falls under the limit.
type Slots struct {
	mu      sync.Mutex
	limit   int
	max     int
	issued  int // reserved by pollers or running a task
	used    int // running a task
	changed chan struct{}
}

var _ worker.SlotSupplier = (*Slots)(nil)

// NewSlots starts with limit slots; max is the ceiling the SDK reports.
func NewSlots(limit, max int) *Slots {
	return &Slots{limit: limit, max: max, changed: make(chan struct{})}
}

// slotState is a permit's UserData: whether the slot ran a task.
type slotState struct{ used bool }

// ReserveSlot waits for a free slot under the limit.
func (s *Slots) ReserveSlot(ctx context.Context, _ worker.SlotReservationInfo) (*worker.SlotPermit, error) {
	for {
		s.mu.Lock()
		if s.issued < s.limit {
			s.issued++
			s.mu.Unlock()
			return &worker.SlotPermit{UserData: &slotState{}}, nil
		}
		wait := s.changed
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-wait:
		}
	}
}

// TryReserveSlot takes a slot if one is free (eager tasks).
func (s *Slots) TryReserveSlot(worker.SlotReservationInfo) *worker.SlotPermit {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.issued >= s.limit {
		return nil
	}
	s.issued++
	return &worker.SlotPermit{UserData: &slotState{}}
}

// MarkSlotUsed counts a slot that runs a task.
func (s *Slots) MarkSlotUsed(info worker.SlotMarkUsedInfo) {
	st, _ := info.Permit().UserData.(*slotState)
	s.mu.Lock()
	defer s.mu.Unlock()
	if st != nil && !st.used {
		st.used = true
		s.used++
	}
}

// ReleaseSlot returns a slot.
func (s *Slots) ReleaseSlot(info worker.SlotReleaseInfo) {
	st, _ := info.Permit().UserData.(*slotState)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issued--
	if st != nil && st.used {
		st.used = false
		s.used--
	}
	s.notify()
}

// MaxSlots is the pool's maximum.
func (s *Slots) MaxSlots() int { return s.max }

// Resize sets the limit.
func (s *Slots) Resize(limit int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit = limit
	s.notify()
}

// Usage returns the limit, the slots issued and the slots running tasks.
func (s *Slots) Usage() (limit, issued, used int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limit, s.issued, s.used
}

// notify wakes every waiting reservation; call with mu held.
func (s *Slots) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}
