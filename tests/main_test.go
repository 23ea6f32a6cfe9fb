// Package tests holds the end-to-end tests: each drives the real
// `orchestrator` binary, built once per run, on free ports.
package tests

import (
	"fmt"
	"os"
	"testing"

	"github.com/fnchain/orchestrator/tests/harness"
)

// shared is one `orchestrator dev --memory` for the tests that only need a
// working stack; tests about the process itself start their own.
var shared *harness.Stack

func TestMain(m *testing.M) {
	s, err := harness.StartE(harness.Options{Memory: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the shared orchestrator:", err)
		os.Exit(1)
	}
	shared = s
	code := m.Run()
	if err := s.Stop(harness.StopTimeout); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the shared orchestrator:", err)
		code = 1
	}
	os.Exit(code)
}
