package dsl

import (
	"errors"
	"maps"
	"time"
)

// Scope is what an expression can read during a run. The interpreter builds
// one per evaluation from the run's state; the zero value is valid and holds
// nothing.
type Scope struct {
	// Input is the run input.
	Input any
	// Steps maps a step id to its (reshaped) output: steps.<id>.output.
	Steps map[string]any
	// Vars holds what set steps assigned: vars.<name>.
	Vars map[string]any
	// Locals holds the names bound by the enclosing foreach steps (item and
	// index, or their `as` names). Use WithItem to bind them.
	Locals map[string]any
	// Error is the error being handled; in scope as `error` inside catch.
	Error *ErrorInfo
	// Run describes the run; in scope as `run`.
	Run RunInfo
	// Event is the trigger event; in scope only in trigger mappings.
	Event any
	// Result is a step's raw output; in scope only in the step's `output`.
	Result any
	// Now is the workflow clock behind now(); the interpreter sets it to
	// workflow.Now so expressions stay deterministic. Nil makes now() fail.
	Now func() time.Time
}

// RunInfo is `run` in expressions.
type RunInfo struct {
	ID         string    `json:"id"`
	WorkflowID string    `json:"workflowId"`
	StartedAt  time.Time `json:"startedAt"`
	Attempt    int       `json:"attempt"`
}

// ErrorInfo is `error` inside a catch.
type ErrorInfo struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	// Step is the id of the step that failed.
	Step string `json:"step"`
}

// WithItem returns a copy of s with a foreach element and its index bound to
// the step's names (ForeachStep.As and IndexAs). Outer bindings stay visible
// unless shadowed.
func (s Scope) WithItem(f *ForeachStep, item any, index int) Scope {
	locals := make(map[string]any, len(s.Locals)+2)
	maps.Copy(locals, s.Locals)
	locals[f.As] = item
	locals[f.IndexAs] = index
	s.Locals = locals
	return s
}

var errNoClock = errors.New("now() is not available here")

// env is the expression environment of s. Names the program was not compiled
// with are never read, so binding every field is safe.
func (s *Scope) env() map[string]any {
	env := make(map[string]any, 9+len(s.Locals))
	for k, v := range s.Locals {
		env[k] = v
	}
	env[nameInput] = s.Input
	env[nameSteps] = s.Steps
	env[nameVars] = s.Vars
	env[nameRun] = map[string]any{
		"id": s.Run.ID, "workflowId": s.Run.WorkflowID,
		"startedAt": s.Run.StartedAt, "attempt": s.Run.Attempt,
	}
	env[nameEvent] = s.Event
	env[nameResult] = s.Result
	if s.Error != nil {
		env[nameError] = map[string]any{"type": s.Error.Type, "message": s.Error.Message, "step": s.Error.Step}
	}
	now := s.Now
	env[nameNow] = func() (time.Time, error) {
		if now == nil {
			return time.Time{}, errNoClock
		}
		return now(), nil
	}
	return env
}
