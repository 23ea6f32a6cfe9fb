// Package harness builds the real orchestrator binary and runs it as a
// subprocess on free ports, so end-to-end tests exercise exactly what users
// run.
package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/fnchain/orchestrator/internal/connect"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds cmd/orchestrator once per test process and returns its path.
func Binary() (string, error) {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fnchain-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "orchestrator")
		cmd := exec.Command("go", "build", "-o", binPath, "github.com/fnchain/orchestrator/cmd/orchestrator")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("building orchestrator: %v\n%s", err, out)
		}
	})
	return binPath, buildErr
}

// Options start a stack. Empty DataDir with Memory false uses a temporary
// directory removed with the test.
type Options struct {
	DataDir string
	Memory  bool
	// Ports; zero picks free ones.
	TemporalPort, UIPort, APIPort int
	Args                          []string
	Env                           []string
}

// Stack is one running `orchestrator dev`.
type Stack struct {
	Options
	TemporalAddress string
	UIURL           string
	APIURL          string
	cmd             *exec.Cmd
	out             *syncBuffer
	exited          chan struct{}
}

// Start runs `orchestrator dev` and waits until /readyz answers 200.
func Start(t testing.TB, opts Options) *Stack {
	t.Helper()
	s, err := StartE(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Kill()
		if t.Failed() {
			t.Logf("orchestrator output:\n%s", s.Output())
		}
	})
	return s
}

// StartE is Start for callers without a testing.TB (TestMain).
func StartE(opts Options) (*Stack, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	if opts.DataDir == "" && !opts.Memory {
		if opts.DataDir, err = os.MkdirTemp("", "fnchain-data-"); err != nil {
			return nil, err
		}
	}
	for _, p := range []*int{&opts.TemporalPort, &opts.UIPort, &opts.APIPort} {
		if *p == 0 {
			if *p, err = FreePort(); err != nil {
				return nil, err
			}
		}
	}
	s := &Stack{
		Options:         opts,
		TemporalAddress: "127.0.0.1:" + strconv.Itoa(opts.TemporalPort),
		UIURL:           "http://127.0.0.1:" + strconv.Itoa(opts.UIPort),
		APIURL:          "http://127.0.0.1:" + strconv.Itoa(opts.APIPort),
		out:             &syncBuffer{},
		exited:          make(chan struct{}),
	}
	args := []string{"dev",
		"--temporal-port", strconv.Itoa(opts.TemporalPort),
		"--ui-port", strconv.Itoa(opts.UIPort),
		"--listen", "127.0.0.1:" + strconv.Itoa(opts.APIPort),
	}
	if opts.Memory {
		args = append(args, "--memory")
	} else {
		args = append(args, "--data-dir", opts.DataDir)
	}
	args = append(args, opts.Args...)
	s.cmd = exec.Command(bin, args...)
	// A config file in the test's working directory must not leak in.
	s.cmd.Dir = os.TempDir()
	s.cmd.Env = append(os.Environ(), opts.Env...)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	if err := s.waitReady(2 * time.Minute); err != nil {
		s.Kill()
		return nil, fmt.Errorf("%w\noutput:\n%s", err, s.Output())
	}
	return s, nil
}

func (s *Stack) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return errors.New("orchestrator exited before it was ready")
		default:
		}
		resp, err := http.Get(s.APIURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("orchestrator not ready after %s", timeout)
}

// Client dials the stack's Temporal frontend; the client closes with the test.
func (s *Stack) Client(t testing.TB) client.Client {
	t.Helper()
	c, err := client.DialContext(context.Background(), client.Options{
		HostPort: s.TemporalAddress, Namespace: "default",
		PayloadLimits: client.PayloadLimitOptions{MemoSizeWarning: connect.MemoSizeWarning},
	})
	if err != nil {
		t.Fatalf("dialing temporal at %s: %v", s.TemporalAddress, err)
	}
	t.Cleanup(c.Close)
	return c
}

// Kill ends the process with SIGKILL, as a crash would.
func (s *Stack) Kill() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
	}
	<-s.exited
}

// StopTimeout is how long a clean shutdown may take.
const StopTimeout = time.Minute

// Stop sends SIGTERM and waits for a clean exit; it returns the exit error.
func (s *Stack) Stop(timeout time.Duration) error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		if code := s.cmd.ProcessState.ExitCode(); code != 0 {
			return fmt.Errorf("orchestrator exited with status %d", code)
		}
		return nil
	case <-time.After(timeout):
		s.Kill()
		return fmt.Errorf("orchestrator did not stop within %s", timeout)
	}
}

// Output is everything the process printed so far.
func (s *Stack) Output() string { return s.out.String() }

// FreePort asks the kernel for a port nobody listens on.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
