package metering

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Price is what an attempt costs. Every field is optional: a function's
// price overrides its pool's, which overrides the default.
type Price struct {
	PerInvocation *float64 `yaml:"perInvocation" json:"perInvocation,omitempty"`
	PerMs         *float64 `yaml:"perMs" json:"perMs,omitempty"`
	PerGBSecond   *float64 `yaml:"perGBSecond" json:"perGBSecond,omitempty"`
	// MemoryMB is the memory a function is billed for in GB-seconds.
	MemoryMB *int `yaml:"memoryMB" json:"memoryMB,omitempty"`
}

// Prices configure the cost of usage.
type Prices struct {
	Currency string `yaml:"currency"`
	// Default applies to every function.
	Default Price `yaml:"default"`
	// Pools override Default per task queue.
	Pools map[string]Price `yaml:"pools"`
	// Functions override the pool per function (activity type).
	Functions map[string]Price `yaml:"functions"`
}

// DefaultPrices are those of a common serverless price list: per request,
// per GB-second at 128 MB, nothing per millisecond.
func DefaultPrices() Prices {
	return Prices{
		Currency: "USD",
		Default:  Price{PerInvocation: ptr(0.0000002), PerMs: ptr(0.0), PerGBSecond: ptr(0.0000166667), MemoryMB: ptr(128)},
	}
}

func ptr[T any](v T) *T { return &v }

// rate is a resolved Price.
type rate struct {
	perInvocation, perMs, perGBSecond float64
	memoryMB                          int
}

func (p Prices) rate(function, taskQueue string) rate {
	merged := p.Default
	merged.overlay(p.Pools[taskQueue])
	merged.overlay(p.Functions[function])
	return rate{deref(merged.PerInvocation), deref(merged.PerMs), deref(merged.PerGBSecond), deref(merged.MemoryMB)}
}

func (p *Price) overlay(o Price) {
	if o.PerInvocation != nil {
		p.PerInvocation = o.PerInvocation
	}
	if o.PerMs != nil {
		p.PerMs = o.PerMs
	}
	if o.PerGBSecond != nil {
		p.PerGBSecond = o.PerGBSecond
	}
	if o.MemoryMB != nil {
		p.MemoryMB = o.MemoryMB
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// gbSeconds is the memory-time of billedMs at r's memory size.
func (r rate) gbSeconds(billedMs int64) float64 {
	return float64(billedMs) / 1000 * float64(r.memoryMB) / 1024
}

func (r rate) cost(invocations, billedMs int64) float64 {
	return float64(invocations)*r.perInvocation + float64(billedMs)*r.perMs + r.gbSeconds(billedMs)*r.perGBSecond
}

// validate names every negative price and memory size.
func (p Prices) validate() error {
	var problems []string
	check := func(where string, pr Price) {
		for name, v := range map[string]*float64{"perInvocation": pr.PerInvocation, "perMs": pr.PerMs, "perGBSecond": pr.PerGBSecond} {
			if v != nil && *v < 0 {
				problems = append(problems, fmt.Sprintf("%s.%s is %v: prices cannot be negative", where, name, *v))
			}
		}
		if pr.MemoryMB != nil && *pr.MemoryMB <= 0 {
			problems = append(problems, fmt.Sprintf("%s.memoryMB is %d: give the memory size in megabytes, e.g. 128", where, *pr.MemoryMB))
		}
	}
	check("metering.prices.default", p.Default)
	for name, pr := range p.Pools {
		check("metering.prices.pools."+name, pr)
	}
	for name, pr := range p.Functions {
		check("metering.prices.functions."+name, pr)
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	return errors.New(strings.Join(problems, "; "))
}
