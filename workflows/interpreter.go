package workflows

import (
	"context"
	"encoding/json"
	"fmt"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/fnchain/orchestrator/dsl"
)

// Options configure an Interpreter. The zero value works for plans without
// workflow steps.
type Options struct {
	// Resolve returns the deployed plan of a workflow name, for `workflow`
	// steps. It runs in a local activity, so a replay uses the plan the
	// original run got. Nil makes workflow steps fail.
	Resolve func(name string) (*dsl.Workflow, error)
	// CacheSize bounds the compiled plans kept in the worker (default 256).
	CacheSize int
	// ForeachBatchSize is the largest list a foreach runs inline; longer
	// lists run in child runs of that many elements each (default 500).
	ForeachBatchSize int
	// LoopIterationsPerRun makes a top-level loop continue as new after that
	// many iterations even when Temporal does not suggest it yet (default
	// 500).
	LoopIterationsPerRun int
}

// Interpreter runs plans as Temporal workflows.
type Interpreter struct {
	opts  Options
	cache *planCache
}

// New returns an Interpreter with opts, defaults filled in.
func New(opts Options) *Interpreter {
	if opts.CacheSize <= 0 {
		opts.CacheSize = 256
	}
	if opts.ForeachBatchSize <= 0 {
		opts.ForeachBatchSize = 500
	}
	if opts.LoopIterationsPerRun <= 0 {
		opts.LoopIterationsPerRun = 500
	}
	return &Interpreter{opts: opts, cache: newPlanCache(opts.CacheSize)}
}

// Register registers the interpreter as the worker's dynamic workflow: every
// workflow type without a registered Go workflow runs the plan in its memo.
func (i *Interpreter) Register(r worker.WorkflowRegistry) {
	r.RegisterDynamicWorkflow(i.execute, workflow.DynamicRegisterOptions{})
}

// resume is the optional second workflow argument: set only on runs the
// interpreter starts itself (continue-as-new, foreach batches), never on a
// run a user starts.
type resume struct {
	Continue *continuation `json:"continue,omitempty"`
	Batch    *batch        `json:"batch,omitempty"`
}

func (i *Interpreter) execute(ctx workflow.Context, args converter.EncodedValues) (any, error) {
	prog, err := i.program(ctx)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrPlan, nil)
	}
	var input any
	var res resume
	if args.HasValues() {
		if err := args.Get(&input, &res); err != nil {
			return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("decoding run input: %v", err), ErrValidation, nil)
		}
	}
	r := newRun(ctx, i, prog, input)
	if err := r.listen(ctx); err != nil {
		return nil, err
	}
	if res.Batch != nil {
		return r.runBatch(ctx, res.Batch)
	}
	return r.main(ctx, res.Continue)
}

// program returns the run's plan: from the cache by the definition hash the
// run's search attributes name, else decoded from the memo and cached.
func (i *Interpreter) program(ctx workflow.Context) (*program, error) {
	hash, _ := workflow.GetTypedSearchAttributes(ctx).GetKeyword(keyDefinition)
	if p, ok := i.cache.get(hash); ok {
		return p, nil
	}
	payload := workflow.GetInfo(ctx).Memo.GetFields()[MemoPlan]
	if payload == nil {
		return nil, fmt.Errorf("run has no plan: memo %s is missing (start runs with workflows.Start)", MemoPlan)
	}
	var raw json.RawMessage
	if err := converter.GetDefaultDataConverter().FromPayload(payload, &raw); err != nil {
		return nil, fmt.Errorf("reading memo %s: %w", MemoPlan, err)
	}
	return i.compile(raw)
}

// compile decodes plan JSON, or returns the cached program of its hash.
func (i *Interpreter) compile(raw json.RawMessage) (*program, error) {
	var head struct {
		Hash string `json:"hash"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("decoding plan: %w", err)
	}
	key := (&dsl.Workflow{Hash: head.Hash}).ShortHash()
	if p, ok := i.cache.get(key); ok {
		return p, nil
	}
	plan, err := dsl.DecodePlan(raw)
	if err != nil {
		return nil, err
	}
	p := newProgram(plan, raw)
	i.cache.add(plan.ShortHash(), p)
	return p, nil
}

// resolvePlan is the local activity behind workflow steps: its result, the
// child's plan JSON, is recorded in history.
func (i *Interpreter) resolvePlan(_ context.Context, name string) (json.RawMessage, error) {
	if i.opts.Resolve == nil {
		return nil, temporal.NewNonRetryableApplicationError("workflow steps need a resolver: set workflows.Options.Resolve", ErrPlan, nil)
	}
	plan, err := i.opts.Resolve(name)
	if err != nil {
		return nil, fmt.Errorf("resolving workflow %s: %w", name, err)
	}
	if plan == nil {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("workflow %s is not deployed", name), ErrNotFound, nil)
	}
	if plan.Name != name {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("resolving workflow %s returned workflow %s", name, plan.Name), ErrPlan, nil)
	}
	return json.Marshal(plan)
}
