package bindings_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"testing"

	"github.com/fnchain/orchestrator/bindings"
)

var update = flag.Bool("update", false, "rewrite docs/functions.md from the registry")

const functionsDoc = "../docs/functions.md"

// TestFunctionsDoc fails when docs/functions.md no longer matches the
// registry; `go test ./bindings -run TestFunctionsDoc -update` rewrites it.
func TestFunctionsDoc(t *testing.T) {
	pool, err := bindings.Open(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := bindings.NewRegistry(pool)
	if err != nil {
		t.Fatal(err)
	}
	want := reg.Markdown()
	if *update {
		if err := os.WriteFile(functionsDoc, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(functionsDoc)
	if err != nil {
		t.Fatalf("reading %s: %v (run go test ./bindings -run TestFunctionsDoc -update)", functionsDoc, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run go test ./bindings -run TestFunctionsDoc -update", functionsDoc)
	}
}
