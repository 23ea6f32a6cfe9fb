package harness

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Process is one running orchestrator subcommand: the dev stack of Start,
// or a serve, a worker, or a dev --temporal-only of a cluster.
type Process struct {
	Args   []string
	cmd    *exec.Cmd
	out    *syncBuffer
	exited chan struct{}
}

// Run starts `orchestrator args...`; the process is killed when the test
// ends, and its output logged if the test failed.
func Run(t testing.TB, args ...string) *Process {
	t.Helper()
	p, err := start(args, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("orchestrator %s output:\n%s", strings.Join(args, " "), p.Output())
		}
	})
	return p
}

// start runs `orchestrator args...` with env added to this process's.
func start(args, env []string) (*Process, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	p := &Process{Args: args, out: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	// A config file in the test's working directory must not leak in.
	p.cmd.Dir = os.TempDir()
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting orchestrator %v: %w", args, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	return p, nil
}

// WaitOutput waits until the process has printed want.
func (p *Process) WaitOutput(want string, timeout time.Duration) error {
	return p.wait(timeout, func() bool { return strings.Contains(p.Output(), want) })
}

// WaitReady waits until url (a /readyz) answers 200.
func (p *Process) WaitReady(url string, timeout time.Duration) error {
	return p.wait(timeout, func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

func (p *Process) wait(timeout time.Duration, ok func() bool) error {
	deadline := time.Now().Add(timeout)
	for !ok() {
		select {
		case <-p.exited:
			return fmt.Errorf("orchestrator %s exited before it was ready", p.Args[0])
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("orchestrator %s not ready after %s", p.Args[0], timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

// Kill ends the process with SIGKILL, as a crash would.
func (p *Process) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// Stop sends SIGTERM and waits for a clean exit.
func (p *Process) Stop(timeout time.Duration) error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		if code := p.cmd.ProcessState.ExitCode(); code != 0 {
			return fmt.Errorf("orchestrator %s exited with status %d", p.Args[0], code)
		}
		return nil
	case <-time.After(timeout):
		p.Kill()
		return errors.New("orchestrator " + p.Args[0] + " did not stop within " + timeout.String())
	}
}

// Output is everything the process printed so far.
func (p *Process) Output() string { return p.out.String() }
