package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/fnchain/orchestrator/dsl"
)

// MemoPlan is the memo key that holds the plan JSON a run executes.
const MemoPlan = "fnchain.plan"

// The project's own search attributes.
const (
	// SearchWorkflow holds the DSL workflow name.
	SearchWorkflow = "FnchainWorkflow"
	// SearchDefinition holds the short definition hash (dsl.Workflow.ShortHash).
	SearchDefinition = "FnchainDefinition"
)

var (
	keyWorkflow   = temporal.NewSearchAttributeKeyKeyword(SearchWorkflow)
	keyDefinition = temporal.NewSearchAttributeKeyKeyword(SearchDefinition)
)

// SearchAttributes lists the search attributes every run sets; the server
// must know them before the first run starts.
func SearchAttributes() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{
		SearchWorkflow:   enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SearchDefinition: enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	}
}

// PlanSearchAttributes lists the custom search attributes of a plan (its
// `search:` section), which must be registered on the server as well.
func PlanSearchAttributes(plan *dsl.Workflow) map[string]enumspb.IndexedValueType {
	out := make(map[string]enumspb.IndexedValueType, len(plan.Search))
	for _, sa := range plan.Search {
		out[sa.Name] = indexedTypes[sa.Type]
	}
	return out
}

var indexedTypes = map[string]enumspb.IndexedValueType{
	"keyword":  enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	"text":     enumspb.INDEXED_VALUE_TYPE_TEXT,
	"int":      enumspb.INDEXED_VALUE_TYPE_INT,
	"double":   enumspb.INDEXED_VALUE_TYPE_DOUBLE,
	"bool":     enumspb.INDEXED_VALUE_TYPE_BOOL,
	"datetime": enumspb.INDEXED_VALUE_TYPE_DATETIME,
}

// StartOptions say how Start starts a run.
type StartOptions struct {
	// ID is the workflow id; empty picks a random one.
	ID string
	// TaskQueue is used when the plan does not name one.
	TaskQueue string
	// IDReusePolicy decides whether a closed run with the same ID blocks a
	// new one; the zero value is the server's default (allow duplicate).
	IDReusePolicy enumspb.WorkflowIdReusePolicy
	// IDConflictPolicy decides what happens when a run with the same ID is
	// running; the zero value is the server's default (fail).
	IDConflictPolicy enumspb.WorkflowIdConflictPolicy
}

// Start starts a run of plan with input. The run carries the plan in its
// memo, so a later deployment of the same workflow name does not change it.
func Start(ctx context.Context, c client.Client, plan *dsl.Workflow, input any, opts StartOptions) (client.WorkflowRun, error) {
	input, err := jsonValue(input)
	if err != nil {
		return nil, fmt.Errorf("starting %s: encoding input: %w", plan.Name, err)
	}
	so, err := WorkflowOptions(plan, input, opts)
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", plan.Name, err)
	}
	run, err := c.ExecuteWorkflow(ctx, so, plan.Name, input)
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", plan.Name, err)
	}
	return run, nil
}

// WorkflowOptions builds the start options of a run of plan: memo, search
// attributes, task queue and timeout. Start uses it; schedule actions that
// start runs themselves copy its fields.
func WorkflowOptions(plan *dsl.Workflow, input any, opts StartOptions) (client.StartWorkflowOptions, error) {
	queue := plan.TaskQueue
	if queue == "" {
		queue = opts.TaskQueue
	}
	if queue == "" {
		return client.StartWorkflowOptions{}, errors.New("no task queue: the workflow sets no taskQueue and StartOptions.TaskQueue is empty")
	}
	raw, err := json.Marshal(plan)
	if err != nil {
		return client.StartWorkflowOptions{}, fmt.Errorf("encoding plan: %w", err)
	}
	sa, err := runSearchAttributes(plan, input, time.Now)
	if err != nil {
		return client.StartWorkflowOptions{}, err
	}
	return client.StartWorkflowOptions{
		ID:                       opts.ID,
		TaskQueue:                queue,
		WorkflowExecutionTimeout: plan.Timeout,
		WorkflowIDReusePolicy:    opts.IDReusePolicy,
		WorkflowIDConflictPolicy: opts.IDConflictPolicy,
		Memo:                     map[string]any{MemoPlan: json.RawMessage(raw)},
		TypedSearchAttributes:    sa,
		StaticSummary:            plan.Description,
	}, nil
}

// runSearchAttributes evaluates the search attributes of a run of plan.
// A custom attribute whose value is null is left unset.
func runSearchAttributes(plan *dsl.Workflow, input any, now func() time.Time) (temporal.SearchAttributes, error) {
	updates := []temporal.SearchAttributeUpdate{
		keyWorkflow.ValueSet(plan.Name),
		keyDefinition.ValueSet(plan.ShortHash()),
	}
	scope := dsl.Scope{Input: input, Now: now}
	for _, sa := range plan.Search {
		v, err := sa.Value.Eval(scope)
		if err != nil {
			return temporal.SearchAttributes{}, fmt.Errorf("evaluating search attribute %s: %w", sa.Name, err)
		}
		if v == nil {
			continue
		}
		u, err := searchAttributeUpdate(sa, v)
		if err != nil {
			return temporal.SearchAttributes{}, fmt.Errorf("search attribute %s: %w", sa.Name, err)
		}
		updates = append(updates, u)
	}
	return temporal.NewSearchAttributes(updates...), nil
}

func searchAttributeUpdate(sa *dsl.SearchAttribute, v any) (temporal.SearchAttributeUpdate, error) {
	switch sa.Type {
	case "keyword", "text":
		s, ok := v.(string)
		if !ok {
			s = fmt.Sprint(v)
		}
		if sa.Type == "text" {
			return temporal.NewSearchAttributeKeyString(sa.Name).ValueSet(s), nil
		}
		return temporal.NewSearchAttributeKeyKeyword(sa.Name).ValueSet(s), nil
	case "int":
		if n, ok := asInt(v); ok {
			return temporal.NewSearchAttributeKeyInt64(sa.Name).ValueSet(n), nil
		}
	case "double":
		if f, ok := asFloat(v); ok {
			return temporal.NewSearchAttributeKeyFloat64(sa.Name).ValueSet(f), nil
		}
	case "bool":
		if b, ok := v.(bool); ok {
			return temporal.NewSearchAttributeKeyBool(sa.Name).ValueSet(b), nil
		}
	case "datetime":
		if t, err := asTime(v); err == nil {
			return temporal.NewSearchAttributeKeyTime(sa.Name).ValueSet(t), nil
		}
	default:
		return nil, fmt.Errorf("unknown type %q (want keyword, text, int, double, bool or datetime)", sa.Type)
	}
	return nil, fmt.Errorf("want %s, got %s (%v)", sa.Type, dsl.TypeName(v), v)
}
