package pools

import (
	"sync"
	"time"
)

// Stats is what Temporal reports about a queue's backlog.
type Stats struct {
	Backlog      int64         `json:"backlog" doc:"approximate number of tasks waiting"`
	BacklogAge   time.Duration `json:"backlogAgeNs" doc:"age of the oldest waiting task, in nanoseconds"`
	AddRate      float64       `json:"addRate" doc:"tasks added per second"`
	DispatchRate float64       `json:"dispatchRate" doc:"tasks dispatched per second"`
}

// Decision is one resize and the backlog that caused it.
type Decision struct {
	At     time.Time `json:"at"`
	From   int       `json:"from"`
	To     int       `json:"to"`
	Reason string    `json:"reason"`
	Busy   int       `json:"busy" doc:"slots running an activity then"`
	Stats
}

// Status is a pool as the controller sees it.
type Status struct {
	Queue string `json:"queue"`
	Min   int    `json:"min"`
	Max   int    `json:"max"`
	Size  int    `json:"size" doc:"activity slots now"`
	Busy  int    `json:"busy" doc:"slots running an activity (this process)"`
	// Local is false in a process that runs no worker for the queue: it
	// only recommends a size.
	Local           bool       `json:"local"`
	DesiredReplicas int        `json:"desiredReplicas" doc:"worker replicas the backlog asks for, for HPA and KEDA"`
	ObservedAt      time.Time  `json:"observedAt"`
	Stats           Stats      `json:"stats"`
	Decisions       []Decision `json:"decisions" nullable:"false" doc:"recent resizes, newest last"`
}

// keptDecisions bounds the decisions a pool remembers.
const keptDecisions = 20

// Pool is the controller state of one task queue.
type Pool struct {
	queue string
	cfg   Config
	slots *Slots // nil when the process runs no worker for the queue

	mu          sync.Mutex
	size        int
	stats       Stats
	observedAt  time.Time
	lastBacklog int64
	quietSince  time.Time // zero while tasks wait
	quietPeak   int       // most slots busy since quietSince
	desired     int       // replicas
	decisions   []Decision
}

func newPool(queue string, cfg Config, local bool) *Pool {
	p := &Pool{queue: queue, cfg: cfg, size: cfg.Min, desired: 1}
	if local {
		p.slots = NewSlots(cfg.Min, cfg.Max)
	}
	return p
}

// observe applies one backlog reading and returns the resize it caused, if
// any. The pool grows at once to fit every waiting task (up to Max) while
// the backlog grows or ages; it shrinks to the most slots used in the
// quiet spell (at least Min) once the queue has been empty for Cooldown.
func (p *Pool) observe(now time.Time, s Stats) (Decision, bool) {
	busy := 0
	if p.slots != nil {
		_, _, busy = p.slots.Usage()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	prev := p.lastBacklog
	p.stats, p.observedAt, p.lastBacklog = s, now, s.Backlog
	to, reason := p.size, ""
	if s.Backlog > 0 {
		p.quietSince = time.Time{}
		want := int64(busy) + s.Backlog
		p.desired = int(max(1, (want+int64(p.cfg.SlotsPerReplica)-1)/int64(p.cfg.SlotsPerReplica)))
		switch {
		case p.size >= p.cfg.Max:
		case s.Backlog > prev:
			to, reason = fit(want, p.size, p.cfg.Max), "backlog growing"
		case s.BacklogAge >= p.cfg.MaxBacklogAge:
			to, reason = fit(want, p.size, p.cfg.Max), "backlog aging"
		}
	} else {
		if p.quietSince.IsZero() {
			p.quietSince, p.quietPeak = now, busy
		}
		p.quietPeak = max(p.quietPeak, busy)
		p.desired = max(1, (p.quietPeak+p.cfg.SlotsPerReplica-1)/p.cfg.SlotsPerReplica)
		if now.Sub(p.quietSince) >= p.cfg.Cooldown && p.size > max(p.cfg.Min, p.quietPeak) {
			to, reason = max(p.cfg.Min, p.quietPeak), "queue empty for the cooldown"
			p.quietSince, p.quietPeak = now, busy
		}
	}
	if to == p.size {
		return Decision{}, false
	}
	d := Decision{At: now, From: p.size, To: to, Reason: reason, Busy: busy, Stats: s}
	p.size = to
	if p.slots != nil {
		p.slots.Resize(to)
	}
	p.decisions = append(p.decisions, d)
	if len(p.decisions) > keptDecisions {
		p.decisions = p.decisions[len(p.decisions)-keptDecisions:]
	}
	return d, true
}

// fit is the size that starts every waiting task: at least one more slot
// than now, at most ceiling.
func fit(want int64, size, ceiling int) int {
	return int(min(int64(ceiling), max(int64(size+1), want)))
}

// Status reports the pool.
func (p *Pool) Status() Status {
	busy := 0
	if p.slots != nil {
		_, _, busy = p.slots.Usage()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return Status{Queue: p.queue, Min: p.cfg.Min, Max: p.cfg.Max, Size: p.size, Busy: busy, Local: p.slots != nil,
		DesiredReplicas: p.desired, ObservedAt: p.observedAt, Stats: p.stats, Decisions: append([]Decision{}, p.decisions...)}
}
