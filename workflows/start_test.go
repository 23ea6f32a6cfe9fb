package workflows

import (
	"encoding/json"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

const searchPlan = `
name: searchable
taskQueue: orders
timeout: 2h
search:
  OrderId: "${{ input.orderId }}"
  Amount: {type: int, value: "${{ input.amount }}"}
steps:
  - id: only
    call: echo
`

func TestWorkflowOptionsCarryPlanAndSearchAttributes(t *testing.T) {
	plan := loadPlan(t, searchPlan)
	so, err := WorkflowOptions(plan, map[string]any{"orderId": "o-1", "amount": 12.0}, StartOptions{ID: "run-1", TaskQueue: "ignored"})
	if err != nil {
		t.Fatal(err)
	}
	if so.ID != "run-1" || so.TaskQueue != "orders" || so.WorkflowExecutionTimeout != plan.Timeout {
		t.Fatalf("options %+v", so)
	}
	var carried struct {
		Hash string `json:"hash"`
	}
	if err := json.Unmarshal(so.Memo[MemoPlan].(json.RawMessage), &carried); err != nil || carried.Hash != plan.Hash {
		t.Fatalf("memo carries hash %q (%v), want %s", carried.Hash, err, plan.Hash)
	}
	sa := so.TypedSearchAttributes
	if v, _ := sa.GetKeyword(keyWorkflow); v != "searchable" {
		t.Fatalf("FnchainWorkflow %q", v)
	}
	if v, _ := sa.GetKeyword(keyDefinition); v != plan.ShortHash() {
		t.Fatalf("FnchainDefinition %q", v)
	}
	if v, _ := sa.GetKeyword(temporal.NewSearchAttributeKeyKeyword("OrderId")); v != "o-1" {
		t.Fatalf("OrderId %q", v)
	}
	if v, _ := sa.GetInt64(temporal.NewSearchAttributeKeyInt64("Amount")); v != 12 {
		t.Fatalf("Amount %d", v)
	}
	if got := PlanSearchAttributes(plan); got["Amount"] != enumspb.INDEXED_VALUE_TYPE_INT || got["OrderId"] != enumspb.INDEXED_VALUE_TYPE_KEYWORD {
		t.Fatalf("plan search attributes %v", got)
	}
}

func TestWorkflowOptionsRejectBadInput(t *testing.T) {
	plan := loadPlan(t, searchPlan)
	_, err := WorkflowOptions(plan, map[string]any{"orderId": "o-1", "amount": "twelve"}, StartOptions{})
	if err == nil || err.Error() != "search attribute Amount: want int, got string (twelve)" {
		t.Fatalf("got %v", err)
	}
	noQueue := loadPlan(t, "name: noqueue\nsteps: [{id: only, call: echo}]\n")
	_, err = WorkflowOptions(noQueue, nil, StartOptions{})
	if err == nil || err.Error() != "no task queue: the workflow sets no taskQueue and StartOptions.TaskQueue is empty" {
		t.Fatalf("got %v", err)
	}
}

func TestSearchAttributesListsProjectAttributes(t *testing.T) {
	got := SearchAttributes()
	if len(got) != 2 || got[SearchWorkflow] != enumspb.INDEXED_VALUE_TYPE_KEYWORD || got[SearchDefinition] != enumspb.INDEXED_VALUE_TYPE_KEYWORD {
		t.Fatalf("got %v", got)
	}
}

func TestPlanCacheCompilesOncePerDefinition(t *testing.T) {
	plan := loadPlan(t, "name: cached\nsteps: [{id: only, call: echo}]\n")
	interp := New(Options{})
	for range 3 {
		h := interpreterHarness(t, interp)
		h.echo("echo")
		h.run(plan, nil)
		h.output()
	}
	if n := interp.cache.len(); n != 1 {
		t.Fatalf("%d cached programs, want 1", n)
	}
	raw, _ := json.Marshal(plan)
	a, err := interp.compile(raw)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := interp.compile(raw)
	if a != b {
		t.Fatal("the same definition compiled twice")
	}
}

func TestPlanCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := newPlanCache(2)
	a, b, d := &program{}, &program{}, &program{}
	c.add("a", a)
	c.add("b", b)
	c.get("a")
	c.add("d", d)
	if _, ok := c.get("b"); ok {
		t.Fatal("b should have been evicted")
	}
	if got, ok := c.get("a"); !ok || got != a {
		t.Fatal("a was evicted although recently used")
	}
	if c.len() != 2 {
		t.Fatalf("len %d", c.len())
	}
}
