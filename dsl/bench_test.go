package dsl

import (
	"fmt"
	"strings"
	"testing"
)

// bigWorkflow generates a workflow of n steps mixing the common kinds, each
// with expressions that read earlier steps.
func bigWorkflow(n int) []byte {
	var b strings.Builder
	b.WriteString("name: big\nsteps:\n")
	for i := range n {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "  - id: s%d\n    call: http.request\n    with: {method: POST, url: \"https://x.example/${{ input.id }}/%d\", body: {n: \"${{ input.n + %d }}\"}}\n", i, i, i)
		case 1:
			fmt.Fprintf(&b, "  - id: s%d\n    if: ${{ steps.s%d.output.status == 200 }}\n    set: {v%d: \"${{ steps.s%d.output.body }}\"}\n", i, i-1, i, i-1)
		case 2:
			fmt.Fprintf(&b, "  - id: s%d\n    call: log\n    with: {message: \"step %d saw ${{ vars.v%d }}\"}\n", i, i, i-1)
		case 3:
			fmt.Fprintf(&b, "  - id: s%d\n    foreach: ${{ input.items }}\n    steps:\n      - call: noop\n        with: {x: \"${{ item }}\", i: \"${{ index }}\"}\n", i)
		}
	}
	return []byte(b.String())
}

func BenchmarkLoad500Steps(b *testing.B) {
	src := bigWorkflow(500)
	reg := TestRegistry()
	if _, err := Load("big.yaml", src, reg); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load("big.yaml", src, reg); err != nil {
			b.Fatal(err)
		}
	}
}
