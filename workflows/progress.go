package workflows

import (
	"slices"
	"strings"
	"time"

	"github.com/fnchain/orchestrator/dsl"
)

// QueryProgress is the query that returns a run's Progress.
const QueryProgress = "progress"

// keepCompleted bounds the completed steps a progress query returns, so a
// long loop does not grow the run's memory without end.
const keepCompleted = 100

// Progress is what the progress query returns.
type Progress struct {
	Workflow   string `json:"workflow"`
	Definition string `json:"definition"`
	// Current are the steps running now, sorted by id.
	Current []RunningStep `json:"current"`
	// Completed are the most recently finished steps, oldest first (at most
	// 100); CompletedCount counts all of them in this run.
	Completed      []CompletedStep `json:"completed"`
	CompletedCount int             `json:"completedCount"`
	// Waiting are the wait steps waiting for a signal or update, sorted by
	// step id.
	Waiting []PendingWait `json:"waiting"`
}

// RunningStep is a step that has started and not finished.
type RunningStep struct {
	ID   string   `json:"id"`
	Name string   `json:"name,omitempty"`
	Kind dsl.Kind `json:"kind"`
}

// CompletedStep is a finished step and its output; Skipped is true when its
// `if` was false.
type CompletedStep struct {
	ID      string `json:"id"`
	Output  any    `json:"output"`
	Skipped bool   `json:"skipped,omitempty"`
}

// PendingWait is a wait step waiting for Signal until Deadline (nil: no
// timeout).
type PendingWait struct {
	Step     string     `json:"step"`
	Signal   string     `json:"signal"`
	Deadline *time.Time `json:"deadline,omitempty"`
}

// tracker keeps what the progress query reports. Ids carry their repeat
// suffixes.
type tracker struct {
	workflow, definition string
	current              map[string]RunningStep
	completed            []CompletedStep
	count                int
	waiting              map[string]PendingWait
}

func newTracker(plan *dsl.Workflow) *tracker {
	return &tracker{
		workflow:   plan.Name,
		definition: plan.ShortHash(),
		current:    map[string]RunningStep{},
		waiting:    map[string]PendingWait{},
	}
}

func (t *tracker) start(id string, s *dsl.Step) {
	t.current[id] = RunningStep{ID: id, Name: s.Name, Kind: s.Kind}
}

func (t *tracker) stop(id string) { delete(t.current, id) }

func (t *tracker) done(id string, out any) { t.complete(CompletedStep{ID: id, Output: out}) }

func (t *tracker) skip(id string) { t.complete(CompletedStep{ID: id, Skipped: true}) }

func (t *tracker) complete(c CompletedStep) {
	t.count++
	if len(t.completed) == keepCompleted {
		t.completed = slices.Delete(t.completed, 0, 1)
	}
	t.completed = append(t.completed, c)
}

func (t *tracker) wait(id, signal string, deadline *time.Time) {
	t.waiting[id] = PendingWait{Step: id, Signal: signal, Deadline: deadline}
}

func (t *tracker) unwait(id string) { delete(t.waiting, id) }

func (t *tracker) snapshot() Progress {
	p := Progress{
		Workflow:       t.workflow,
		Definition:     t.definition,
		Current:        make([]RunningStep, 0, len(t.current)),
		Completed:      slices.Clone(t.completed),
		CompletedCount: t.count,
		Waiting:        make([]PendingWait, 0, len(t.waiting)),
	}
	for _, s := range t.current {
		p.Current = append(p.Current, s)
	}
	slices.SortFunc(p.Current, func(a, b RunningStep) int { return strings.Compare(a.ID, b.ID) })
	for _, w := range t.waiting {
		p.Waiting = append(p.Waiting, w)
	}
	slices.SortFunc(p.Waiting, func(a, b PendingWait) int { return strings.Compare(a.Step, b.Step) })
	return p
}
