// Package harness builds the real orchestrator binary and runs it as a
// subprocess on free ports, so end-to-end tests exercise exactly what users
// run.
package harness

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
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

// Stack is one running `orchestrator dev`; Kill, Stop and Output come from
// its Process.
type Stack struct {
	Options
	*Process
	TemporalAddress string
	UIURL           string
	APIURL          string
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
	var err error
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
	if s.Process, err = start(append(args, opts.Args...), opts.Env); err != nil {
		return nil, err
	}
	if err := s.WaitReady(s.APIURL+"/readyz", 2*time.Minute); err != nil {
		s.Kill()
		return nil, fmt.Errorf("%w\noutput:\n%s", err, s.Output())
	}
	return s, nil
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

// StopTimeout is how long a clean shutdown may take.
const StopTimeout = time.Minute

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
