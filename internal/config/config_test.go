package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, file string, args ...string) (*Config, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "orchestrator.yaml")
	if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	l := Bind(fs, GroupTemporal|GroupDev|GroupAPI|GroupWorker|GroupLog)
	if err := fs.Parse(append([]string{"--config", path}, args...)); err != nil {
		t.Fatal(err)
	}
	return l.Load()
}

// Flags beat FNCHAIN_* variables, which beat the file, which beats defaults.
func TestPrecedence(t *testing.T) {
	t.Setenv("FNCHAIN_NAMESPACE", "from-env")
	t.Setenv("FNCHAIN_LISTEN", "127.0.0.1:9000")
	t.Setenv("FNCHAIN_SHUTDOWN_TIMEOUT", "45s")
	cfg, err := load(t, `
temporal: {address: file:7233, namespace: from-file}
api: {listen: 127.0.0.1:7000}
dev: {memory: true}
`, "--listen", "127.0.0.1:9999", "--memory=false")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"address (file only)", cfg.Temporal.Address, "file:7233"},
		{"namespace (env over file)", cfg.Temporal.Namespace, "from-env"},
		{"listen (flag over env and file)", cfg.API.Listen, "127.0.0.1:9999"},
		{"task queue (default)", cfg.Worker.TaskQueue, "fnchain"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if cfg.Dev.Memory {
		t.Error("--memory=false did not override the file's memory: true")
	}
	if cfg.Worker.ShutdownTimeout != 45*time.Second {
		t.Errorf("shutdown timeout = %s, want 45s from the environment", cfg.Worker.ShutdownTimeout)
	}
}

func TestBadInputNamesThePlace(t *testing.T) {
	cases := []struct {
		name, file string
		args       []string
		env        map[string]string
		want       string
	}{
		{"unknown key", "temporal:\n  adress: x\n", nil, nil, "line 2: field adress not found"},
		{"wrong type", "dev:\n  uiPort: lots\n", nil, nil, "line 2: cannot unmarshal"},
		{"bad env", "", nil, map[string]string{"FNCHAIN_UI_PORT": "eighty"}, `environment variable FNCHAIN_UI_PORT: "eighty" is not a whole number`},
		{"bad flag", "", []string{"--memory=maybe"}, nil, `flag --memory: "maybe" is not true or false`},
		{"bad duration", "", []string{"--connect-timeout", "10"}, nil, `flag --connect-timeout: "10" is not a duration`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			_, err := load(t, c.file, c.args...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
}
