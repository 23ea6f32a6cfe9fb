package pools

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/worker"
	"gopkg.in/yaml.v3"
)

// The controller grows at once to fit the backlog, holds while the backlog
// shrinks, and shrinks only after the queue stayed empty for the cooldown.
func TestPoolGrowsAndShrinksAfterCooldown(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Max, cfg.Cooldown, cfg.SlotsPerReplica = 8, 10*time.Second, 4
	p := newPool("q", cfg, true)
	t0 := time.Now()
	steps := []struct {
		at      int // seconds
		backlog int64
		age     time.Duration
		size    int
	}{
		{0, 0, 0, 1},
		{1, 3, 0, 3},               // growing: 0 busy + 3 waiting
		{2, 2, 0, 3},               // shrinking and young: hold
		{3, 2, 2 * time.Second, 4}, // aging: one more at least
		{4, 100, 0, 8},             // capped at max
		{5, 0, 0, 8},               // empty: the cooldown starts
		{14, 0, 0, 8},              // not yet
		{15, 0, 0, 1},              // cooled down to min
	}
	for _, s := range steps {
		p.observe(t0.Add(time.Duration(s.at)*time.Second), Stats{Backlog: s.backlog, BacklogAge: s.age})
		if got := p.Status().Size; got != s.size {
			t.Fatalf("at %ds with backlog %d: size %d, want %d", s.at, s.backlog, got, s.size)
		}
		if limit, _, _ := p.slots.Usage(); limit != s.size {
			t.Fatalf("at %ds: slots limit %d, want %d", s.at, limit, s.size)
		}
	}
	st := p.Status()
	if len(st.Decisions) != 4 || st.Decisions[3].Reason != "queue empty for the cooldown" || st.Decisions[2].Backlog != 100 {
		t.Fatalf("decisions: %+v", st.Decisions)
	}
}

// permitInfo carries a permit to MarkSlotUsed and ReleaseSlot, which read
// nothing else (the SDK's reason type is not exported).
type permitInfo struct {
	worker.SlotReleaseInfo
	permit *worker.SlotPermit
}

func (p permitInfo) Permit() *worker.SlotPermit { return p.permit }

// Shrinking leaves running slots alone and holds new reservations back.
func TestSlotsShrinkWithoutTakingSlotsBack(t *testing.T) {
	s := NewSlots(2, 4)
	ctx := context.Background()
	a, _ := s.ReserveSlot(ctx, nil)
	b, _ := s.ReserveSlot(ctx, nil)
	s.MarkSlotUsed(permitInfo{permit: a})
	s.MarkSlotUsed(permitInfo{permit: b})
	s.Resize(1)
	if s.TryReserveSlot(nil) != nil {
		t.Fatal("a slot over the limit was issued")
	}
	got := make(chan *worker.SlotPermit)
	go func() { p, _ := s.ReserveSlot(ctx, nil); got <- p }()
	s.ReleaseSlot(permitInfo{permit: a})
	select {
	case <-got:
		t.Fatal("reserved while 1 of 1 slots is still in use")
	case <-time.After(50 * time.Millisecond):
	}
	s.ReleaseSlot(permitInfo{permit: b})
	select {
	case <-got:
	case <-time.After(time.Second):
		t.Fatal("the reservation never got the freed slot")
	}
	if limit, issued, used := s.Usage(); limit != 1 || issued != 1 || used != 0 {
		t.Fatalf("usage %d %d %d", limit, issued, used)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.ReserveSlot(cctx, nil); err == nil {
		t.Fatal("a cancelled reservation returned a slot")
	}
}

func TestSettings(t *testing.T) {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("defaults: {max: 16}\nqueues: {a: {}, b: {min: 2, interval: 500ms}}"), &n); err != nil {
		t.Fatal(err)
	}
	s, err := LoadSettings(&n, "")
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(s, "fnchain", Options{Local: true})
	if err != nil {
		t.Fatal(err)
	}
	if q := m.Queues(); len(q) != 2 || q[0] != "a" {
		t.Fatalf("queues %v", q)
	}
	b, _ := m.Pool("b")
	if b.cfg.Min != 2 || b.cfg.Max != 16 || b.cfg.Interval != 500*time.Millisecond || b.cfg.SlotsPerReplica != 16 || b.Status().Size != 2 {
		t.Fatalf("pool b: %+v", b.cfg)
	}
	if _, err := m.WorkerOptions("a", worker.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.WorkerOptions("zzz", worker.Options{}); err == nil {
		t.Fatal("options for a queue without a pool")
	}
	def, _ := New(Settings{}, "fnchain", Options{})
	if q := def.Queues(); len(q) != 1 || q[0] != "fnchain" {
		t.Fatalf("default queues %v", q)
	}
}

func TestSettingsRejectBadInput(t *testing.T) {
	for text, want := range map[string]string{
		"queues: {a: {mx: 3}}":          `line 1 column 14: unknown key "mx" in pools.queues.a: use one of cooldown, interval, max, maxBacklogAge, min, slotsPerReplica`,
		"queues: {a: {min: 4, max: 2}}": "pools.queues.a.max is 2, under min 4: give max >= min",
		"defaults: {min: -1}":           "pools.queues.fnchain.min is -1: a pool keeps at least 1 slot",
		"queues: {a: {interval: 1ms}}":  "pools.queues.a.interval is 1ms: read the backlog at most every 100ms",
		"queues: {a: {cooldown: -1s}}":  "pools.queues.a: cooldown and maxBacklogAge cannot be negative",
		"queues: [a]":                   "pools: line 1: cannot unmarshal !!seq into map[string]pools.Config",
	} {
		s, err := LoadSettings(nil, text)
		if err == nil {
			_, err = New(s, "fnchain", Options{})
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s:\n got %v\nwant %s", text, err, want)
		}
	}
}
