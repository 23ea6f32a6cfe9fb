package metering

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func node(t *testing.T, text string) *yaml.Node {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(text), &n); err != nil {
		t.Fatal(err)
	}
	return &n
}

func TestLoadConfig(t *testing.T) {
	cfg, err := LoadConfig(node(t, `
prices:
  currency: EUR
  functions:
    http.request: {perMs: 0.5, memoryMB: 512}
reconcile: {every: 2s}
`), "reconcile: {grace: 1s}")
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Prices.rate("http.request", "fnchain")
	if cfg.Prices.Currency != "EUR" || r.perMs != 0.5 || r.memoryMB != 512 || r.perInvocation != 0.0000002 {
		t.Fatalf("prices: %+v rate %+v", cfg.Prices, r)
	}
	if cfg.Reconcile.Every.Seconds() != 2 || cfg.Reconcile.Grace.Seconds() != 1 || cfg.Reconcile.Lookback.Hours() != 24 {
		t.Fatalf("reconcile: %+v", cfg.Reconcile)
	}
	if !cfg.excluded(ActivityBilledMs) || cfg.excluded("http.request") {
		t.Fatal("the default exclusion must cover fnchain.* and nothing else")
	}
}

func TestLoadConfigRejectsBadInput(t *testing.T) {
	for text, want := range map[string]string{
		"prices: {functions: {noop: {perMS: 1}}}": `line 1 column 29: unknown key "perMS" in metering.prices.functions.noop: use one of memoryMB, perGBSecond, perInvocation, perMs`,
		"pricing: {}":                            `line 1 column 1: unknown key "pricing" in metering`,
		"prices: {default: {perInvocation: -1}}": "metering.prices.default.perInvocation is -1: prices cannot be negative",
		"prices: {pools: {q: {memoryMB: 0}}}":    "metering.prices.pools.q.memoryMB is 0: give the memory size in megabytes",
		"exclude: ['[']":                         `metering.exclude: pattern "[" is malformed`,
		"reconcile: {every: 0s}":                 "metering.reconcile.every is 0s: give a positive duration",
		"reconcile: {every: soon}":               "metering: line 1: cannot unmarshal !!str `soon` into time.Duration",
	} {
		_, err := LoadConfig(node(t, text), "")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s:\n got %v\nwant %s", text, err, want)
		}
	}
	if _, err := LoadConfig(nil, "prices: ["); err == nil || !strings.Contains(err.Error(), "metering: ") {
		t.Errorf("bad YAML text: %v", err)
	}
}
