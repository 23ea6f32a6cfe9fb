package main

import (
	"testing"

	"go.temporal.io/sdk/testsuite"

	"github.com/fnchain/orchestrator/activities"
)

func TestPriceRunsAsActivity(t *testing.T) {
	reg := activities.NewRegistry()
	activities.MustRegister(reg, "shop.price", "", price)
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	reg.Register(env)
	val, err := env.ExecuteActivity("shop.price", map[string]any{"amount": 100, "country": "DE", "discount": 0.5})
	if err != nil {
		t.Fatal(err)
	}
	var out PriceOutput
	if err := val.Get(&out); err != nil || out.Gross != 59.5 {
		t.Fatalf("got %+v, %v", out, err)
	}
	if _, err := env.ExecuteActivity("shop.price", map[string]any{"amount": 100, "country": "XX"}); err == nil {
		t.Fatal("accepted an unknown country")
	}
}
