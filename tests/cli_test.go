package tests

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnchain/orchestrator/tests/harness"
)

// cli runs the orchestrator binary against the shared API.
func cli(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	bin, err := harness.Binary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "FNCHAIN_API_URL="+shared.APIURL)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	return stdout.String(), stderr.String(), err
}

func TestCLIDeployRunFollowAndSignal(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "cli-approval.yaml")
	src := strings.ReplaceAll(apiApprovalYAML, "api-approval", "cli-approval")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := cli(t, "deploy", file)
	if err != nil || !strings.Contains(out, "deployed cli-approval version") {
		t.Fatalf("deploy: %v\n%s%s", err, out, errOut)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("name: cli-bad\nsteps:\n  - call: nope\n"), 0o644)
	if _, errOut, err := cli(t, "deploy", bad); err == nil || !strings.Contains(errOut, `bad.yaml:3:11: step "call-1": unknown function "nope"`) {
		t.Fatalf("bad deploy: %v\n%s", err, errOut)
	}

	// Approve the run when run --follow shows it waiting.
	bin, _ := harness.Binary()
	follow := exec.Command(bin, "run", "cli-approval", "--input", `{"order": "C-1"}`, "--follow")
	follow.Env = append(os.Environ(), "FNCHAIN_API_URL="+shared.APIURL)
	var stdout strings.Builder
	follow.Stdout = &stdout
	pipe, err := follow.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	var shown []string
	var id string
	lines := bufio.NewScanner(pipe)
	for lines.Scan() {
		line := lines.Text()
		shown = append(shown, line)
		if f := strings.Fields(line); len(f) == 4 && f[0] == "started" {
			id = f[3]
		}
		if strings.Contains(line, "waiting  approve for signal approve") {
			if out, errOut, err := cli(t, "runs", "signal", id, "approve", "--payload", `"dave"`); err != nil {
				t.Fatalf("signal: %v %s%s", err, out, errOut)
			}
		}
	}
	if err := follow.Wait(); err != nil || !strings.Contains(stdout.String(), `"by": "dave"`) || !strings.Contains(strings.Join(shown, "\n"), "done     check") {
		t.Fatalf("run --follow: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), strings.Join(shown, "\n"))
	}

	if _, errOut, err := cli(t, "run", "cli-approval", "--input", `{"order": 5}`); err == nil || !strings.Contains(errOut, "body.order: got number, want string") {
		t.Fatalf("bad input: %v\n%s", err, errOut)
	}
	if _, errOut, err := cli(t, "run", "cli-approval", "--input", `{"order"`); err == nil || !strings.Contains(errOut, "--input is not JSON") {
		t.Fatalf("malformed input: %v\n%s", err, errOut)
	}
	if out, _, err := cli(t, "openapi"); err != nil || !strings.Contains(out, `"operationId":"startCliApproval"`) {
		t.Fatalf("openapi: %v\n%.300s", err, out)
	}
}
