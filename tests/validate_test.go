package tests

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnchain/orchestrator/tests/harness"
)

// orchestrator runs the binary with args in dir and returns stdout, stderr
// and the exit status.
func orchestrator(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	bin, err := harness.Binary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if err != nil && cmd.ProcessState == nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
}

func repoPath(t *testing.T, rel string) string {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// Every example validates against the connections its config declares.
func TestValidateExamples(t *testing.T) {
	out, errOut, code := orchestrator(t, t.TempDir(), "validate", "--config", repoPath(t, "examples/config/orchestrator.yaml"), repoPath(t, "examples"))
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	bad := `name: Bad
steps:
  - cal: noop
  - call: http.requst
    with: {url: "${{ inptu.x }}"}
  - sleep: 5 min
`
	if err := os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code := orchestrator(t, dir, "validate", "bad.yaml")
	want := `bad.yaml:1:7: workflow name "Bad" must match [a-z0-9][a-z0-9._-]* (lowercase letters, digits, . _ -)
bad.yaml:3:5: unknown step kind "cal" (did you mean "call"?)
bad.yaml:4:11: step "call-2": unknown function "http.requst" (did you mean "http.request"?)
bad.yaml:5:22: step "call-2": with: expression: unknown name inptu (did you mean "input"?) (1:1)
 | inptu.x
 | ^
bad.yaml:6:12: step "sleep-3": sleep: invalid duration "5 min": use a Go duration such as 90s, 5m, 2h30m, or d for days (7d) (did you mean "5m"?)
`
	if code != 1 || out != want {
		t.Fatalf("exit %d, output:\n%s\nwant:\n%s", code, out, want)
	}

	out, _, code = orchestrator(t, dir, "validate", "--format", "json", "bad.yaml")
	var report struct {
		Problems []struct {
			File      string
			Line, Col int
			Message   string
		}
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil || code != 1 || len(report.Problems) != 5 {
		t.Fatalf("json report (exit %d): %v\n%s", code, err, out)
	}
	if p := report.Problems[2]; p.File != "bad.yaml" || p.Line != 4 || p.Col != 11 {
		t.Fatalf("third problem %+v", p)
	}

	_, errOut, code := orchestrator(t, dir, "validate", "missing.yaml")
	if code != 1 || !strings.Contains(errOut, "1 problem") {
		t.Fatalf("missing file: exit %d, %s", code, errOut)
	}
	_, _, code = orchestrator(t, dir, "validate")
	if code != 2 {
		t.Fatalf("no arguments: exit %d, want 2 (usage)", code)
	}
}

// The committed editor schema is what `orchestrator schema` prints: the
// schema is generated, and this test keeps the copy in docs/ honest.
func TestSchemaFileIsCurrent(t *testing.T) {
	out, _, code := orchestrator(t, t.TempDir(), "schema")
	committed, err := os.ReadFile(repoPath(t, "docs/fnchain.schema.json"))
	if err != nil || code != 0 {
		t.Fatal(code, err)
	}
	if out != string(committed) {
		t.Fatal("docs/fnchain.schema.json is stale: run `go run ./cmd/orchestrator schema > docs/fnchain.schema.json`")
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
}
