package dsl

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// hashPlan hashes the plan's JSON form. encoding/json writes struct fields in
// a fixed order and map keys sorted, and the plan holds no positions, so the
// form is canonical: YAML layout, comments and key order do not reach it.
func hashPlan(w *Workflow) string {
	c := *w
	c.File, c.Hash = "", ""
	data, err := json.Marshal(&c)
	if err != nil {
		// Plans hold only JSON values; failing here is a bug in this package.
		panic(fmt.Sprintf("dsl: marshalling plan: %v", err))
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// DecodePlan reads a plan written by json.Marshal(*Workflow), compiles its
// expressions again and checks its hash, so a run gets exactly the
// definition it started with.
func DecodePlan(data []byte) (out *Workflow, err error) {
	var w Workflow
	defer func() {
		// A hand-made plan can hold nulls where steps belong; report it
		// rather than crash the worker that decodes it.
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("decoding plan: malformed plan: %v", r)
		}
	}()
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("decoding plan: %w", err)
	}
	if err := validatePlanShape(&w); err != nil {
		return nil, fmt.Errorf("decoding plan: %w", err)
	}
	errs := &errList{}
	compileWorkflow(&w, errs)
	if err := errs.err(); err != nil {
		return nil, fmt.Errorf("compiling plan: %w", err)
	}
	if got := hashPlan(&w); got != w.Hash {
		return nil, fmt.Errorf("decoding plan: hash %s does not match the content (%s)", w.Hash, got)
	}
	return &w, nil
}

// validatePlanShape rejects plans whose step groups do not match their kind,
// which the compiler would otherwise dereference.
func validatePlanShape(w *Workflow) error {
	var bad error
	walkSteps(w.Steps, func(s *Step) {
		groups := map[Kind]bool{
			KindCall: s.Call != nil, KindSet: s.Set != nil, KindSwitch: s.Switch != nil,
			KindParallel: s.Parallel != nil, KindForeach: s.Foreach != nil, KindLoop: s.Loop != nil,
			KindSleep: s.Sleep != nil, KindWait: s.Wait != nil, KindWorkflow: s.Workflow != nil,
			KindTry: s.Try != nil, KindFail: s.Fail != nil, KindReturn: s.Return != nil,
		}
		n := 0
		for _, set := range groups {
			if set {
				n++
			}
		}
		if bad == nil && (n != 1 || !groups[s.Kind]) {
			bad = fmt.Errorf("step %q of kind %q does not hold exactly its own group", s.ID, s.Kind)
		}
	})
	for _, a := range w.Search {
		if bad == nil && a.Value == nil {
			bad = fmt.Errorf("search attribute %q has no value", a.Name)
		}
	}
	return bad
}
