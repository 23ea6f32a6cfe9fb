package tests

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fnchain/orchestrator/tests/harness"
)

func getJSON(t *testing.T, url string, into any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if into != nil {
		if err := json.Unmarshal(body, into); err != nil {
			t.Fatalf("GET %s: decoding %q: %v", url, body, err)
		}
	}
	return resp.StatusCode
}

func TestHealthReadyAndOpenAPI(t *testing.T) {
	var health struct{ Status string }
	if code := getJSON(t, shared.APIURL+"/healthz", &health); code != 200 || health.Status != "ok" {
		t.Fatalf("/healthz = %d %+v", code, health)
	}
	var ready struct {
		Status string
		Checks map[string]string
	}
	if code := getJSON(t, shared.APIURL+"/readyz", &ready); code != 200 || ready.Checks["temporal"] != "ok" {
		t.Fatalf("/readyz = %d %+v", code, ready)
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]any
	}
	getJSON(t, shared.APIURL+"/openapi.json", &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.1") || doc.Paths["/readyz"] == nil {
		t.Fatalf("/openapi.json: openapi %q, paths %v", doc.OpenAPI, doc.Paths)
	}
}

// Temporal UI must serve its app and, through its own API, list the default
// namespace: that is what a user sees first.
func TestTemporalUIShowsDefaultNamespace(t *testing.T) {
	resp, err := http.Get(shared.UIURL + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(strings.ToLower(string(page)), "<html") {
		t.Fatalf("UI / = %d, %.200q", resp.StatusCode, page)
	}
	var list struct {
		Namespaces []struct {
			NamespaceInfo struct{ Name string } `json:"namespaceInfo"`
		} `json:"namespaces"`
	}
	if code := getJSON(t, shared.UIURL+"/api/v1/namespaces", &list); code != 200 {
		t.Fatalf("UI /api/v1/namespaces = %d", code)
	}
	var names []string
	for _, ns := range list.Namespaces {
		names = append(names, ns.NamespaceInfo.Name)
	}
	if !strings.Contains(strings.Join(names, ","), "default") {
		t.Fatalf("UI lists namespaces %v, want default among them", names)
	}
}

// runDev runs `orchestrator dev` expecting it to fail at start, and returns
// its output.
func runDevFailing(t *testing.T, args ...string) string {
	t.Helper()
	bin, err := harness.Binary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"dev"}, args...)...)
	cmd.Dir = t.TempDir()
	done := make(chan struct{})
	var out []byte
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("orchestrator dev %v kept running; want a start-up error", args)
	}
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("exit status %d, want 1; output:\n%s", code, out)
	}
	return strings.TrimSpace(string(out))
}

func freePorts(t *testing.T) (temporal, ui, api string) {
	t.Helper()
	var ports [3]string
	for i := range ports {
		p, err := harness.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = strconv.Itoa(p)
	}
	return ports[0], ports[1], ports[2]
}

func TestStartupErrorsAreOneClearLine(t *testing.T) {
	temporalPort, uiPort, apiPort := freePorts(t)
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	heldPort := strconv.Itoa(held.Addr().(*net.TCPAddr).Port)

	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	garbage := t.TempDir()
	if err := os.WriteFile(filepath.Join(garbage, "temporal.db"), []byte("not a database at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	older := t.TempDir()
	if err := os.WriteFile(filepath.Join(older, "temporal.db"), []byte("SQLite format 3\x00rest"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(older, "fnchain-data.json"), []byte(`{"format":1,"temporalServer":"1.20.0"}`), 0o644); err != nil {
		t.Fatal(err)
	}

	ports := func(temporal, ui, api string) []string {
		return []string{"--temporal-port", temporal, "--ui-port", ui, "--listen", "127.0.0.1:" + api}
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"temporal port in use", append(ports(heldPort, uiPort, apiPort), "--memory"),
			"port " + heldPort + " for the Temporal frontend is in use on 127.0.0.1: stop the process holding it or choose another with --temporal-port"},
		{"ui port in use", append(ports(temporalPort, heldPort, apiPort), "--memory"),
			"port " + heldPort + " for Temporal UI is in use"},
		{"api port in use", append(ports(temporalPort, uiPort, heldPort), "--memory"),
			"address 127.0.0.1:" + heldPort + " for the HTTP API is unavailable"},
		{"data dir under a file", append(ports(temporalPort, uiPort, apiPort), "--data-dir", filepath.Join(notADir, "data")),
			"data directory " + filepath.Join(notADir, "data") + " cannot be created: not a directory: choose another with --data-dir"},
		{"not a sqlite file", append(ports(temporalPort, uiPort, apiPort), "--data-dir", garbage),
			"is not a SQLite database: move it away or choose another --data-dir"},
		{"older server version", append(ports(temporalPort, uiPort, apiPort), "--data-dir", older),
			"was written by temporal server 1.20.0 (data format 1) and this build embeds"},
		{"bad flag value", append(ports(temporalPort, uiPort, apiPort), "--shutdown-timeout", "soon"),
			`flag --shutdown-timeout: "soon" is not a duration such as 30s or 5m`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := runDevFailing(t, c.args...)
			lines := strings.Split(out, "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "orchestrator dev: ") || !strings.Contains(last, c.want) {
				t.Fatalf("last line:\n%s\nwant it to contain:\n%s\nfull output:\n%s", last, c.want, out)
			}
		})
	}
}

// SIGTERM stops everything cleanly, and the data directory opens again.
func TestSIGTERMShutsDownCleanly(t *testing.T) {
	dir := t.TempDir()
	s := harness.Start(t, harness.Options{DataDir: dir})
	if err := s.Stop(harness.StopTimeout); err != nil {
		t.Fatalf("%v\n%s", err, s.Output())
	}
	if !strings.Contains(s.Output(), "temporal server stopped") {
		t.Fatalf("no clean server stop in output:\n%s", s.Output())
	}
	again := harness.Start(t, harness.Options{DataDir: dir})
	var ready struct{ Status string }
	if code := getJSON(t, again.APIURL+"/readyz", &ready); code != 200 {
		t.Fatalf("restart on the same data dir: /readyz = %d", code)
	}
}

// serve and worker need a reachable Temporal and a database; without them
// they stop at once with one line that says what to give.
func TestClusterCommandsRefuseToStartAlone(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"worker", "--temporal-address", "127.0.0.1:1", "--connect-timeout", "300ms", "--database", "sqlite::memory:"},
			"orchestrator worker: cannot reach Temporal at 127.0.0.1:1 (namespace default) within 300ms"},
		{[]string{"serve", "--temporal-address", shared.TemporalAddress, "--listen", "127.0.0.1:0"},
			"orchestrator serve: no database: give --database postgres://... (a cluster) or sqlite:///path/fnchain.db (one machine)"},
	}
	for _, c := range cases {
		_, errOut, code := orchestrator(t, t.TempDir(), c.args...)
		if code != 1 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr:\n%s\nwant: %s", c.args, code, errOut, c.want)
		}
	}
}

func TestVersion(t *testing.T) {
	out, _, code := orchestrator(t, t.TempDir(), "version")
	if code != 0 || !strings.HasPrefix(out, "orchestrator ") || !strings.Contains(out, "temporal-server 1.32.1") {
		t.Fatalf("version: exit %d, %q", code, out)
	}
}
