package deploy_test

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// instrumentNames are the OpenTelemetry instrument names the orchestrator
// defines, read from the packages that define them.
func instrumentNames(t *testing.T) []string {
	t.Helper()
	names := regexp.MustCompile(`"(fnchain\.[a-z_.]+)"`)
	var out []string
	for _, dir := range []string{"metering", "internal/pools"} {
		files, err := filepath.Glob(filepath.Join(repoRoot(t), dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range names.FindAllStringSubmatch(string(src), -1) {
				out = append(out, m[1])
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("found no fnchain.* instrument names in metering/ and internal/pools/")
	}
	return out
}

// exported reports whether the Prometheus series name comes from one of the
// instruments, as the OpenTelemetry Prometheus exporter names them (dots to
// underscores, a unit suffix, _total for counters, _bucket/_sum/_count for
// histograms).
func exported(series string, instruments []string) bool {
	suffixes := []string{"", "_total", "_bucket", "_sum", "_count", "_seconds", "_seconds_bucket", "_seconds_sum", "_seconds_count"}
	for _, in := range instruments {
		base := strings.ReplaceAll(in, ".", "_")
		for _, s := range suffixes {
			if series == base+s {
				return true
			}
		}
	}
	return false
}

func TestGrafanaDashboardQueriesExistingMetrics(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy/compose/grafana/dashboards/fnchain.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("decoding the dashboard: %v", err)
	}
	instruments := instrumentNames(t)
	series := regexp.MustCompile(`fnchain_[a-z_]+`)
	var titles []string
	for _, p := range dash.Panels {
		titles = append(titles, p.Title)
		if len(p.Targets) == 0 {
			t.Errorf("panel %q queries nothing", p.Title)
		}
		for _, target := range p.Targets {
			for _, s := range series.FindAllString(target.Expr, -1) {
				if !exported(s, instruments) {
					t.Errorf("panel %q queries %s, which no instrument in metering/ or internal/pools/ exports", p.Title, s)
				}
			}
		}
	}
	for _, want := range []string{"Runs", "Step duration", "Backlog", "Pool size", "Billed time"} {
		if !slices.ContainsFunc(titles, func(title string) bool { return strings.HasPrefix(title, want) }) {
			t.Errorf("no panel titled %s...; panels: %q", want, titles)
		}
	}
}

func TestExportedRejectsUnknownSeries(t *testing.T) {
	in := []string{"fnchain.runs.started", "fnchain.activity.duration"}
	for s, want := range map[string]bool{
		"fnchain_runs_started_total":                true,
		"fnchain_activity_duration_seconds_bucket":  true,
		"fnchain_runs_startd_total":                 false,
		"fnchain_activity_duration_seconds_average": false,
	} {
		if got := exported(s, in); got != want {
			t.Errorf("exported(%s) = %v, want %v", s, got, want)
		}
	}
}

// Prometheus scrapes each orchestrator process where it serves /metrics: the
// API process on its API port, workers on metering.metricsListen.
func TestPrometheusScrapesEveryOrchestrator(t *testing.T) {
	repo := repoRoot(t)
	var prom struct {
		ScrapeConfigs []struct {
			StaticConfigs []struct{ Targets []string } `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	readYAML(t, filepath.Join(repo, "deploy/compose/prometheus.yml"), &prom)
	var orch struct {
		Metering struct {
			MetricsListen string `yaml:"metricsListen"`
		}
	}
	readYAML(t, filepath.Join(repo, "deploy/compose/orchestrator.yaml"), &orch)
	_, workerPort, err := net.SplitHostPort(orch.Metering.MetricsListen)
	if err != nil {
		t.Fatalf("orchestrator.yaml metering.metricsListen %q: %v", orch.Metering.MetricsListen, err)
	}
	var targets []string
	for _, sc := range prom.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			targets = append(targets, st.Targets...)
		}
	}
	p, err := loadCompose(t, filepath.Join(repo, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range p.Services {
		if !strings.HasPrefix(name, "orchestrator-") {
			continue
		}
		port := workerPort
		if s.Command[0] == "serve" {
			port = "8080"
		}
		if !slices.Contains(targets, net.JoinHostPort(name, port)) {
			t.Errorf("prometheus.yml does not scrape %s:%s; targets %q", name, port, targets)
		}
	}
	for _, target := range targets {
		host, _, _ := net.SplitHostPort(target)
		if _, ok := p.Services[host]; !ok {
			t.Errorf("prometheus.yml scrapes %s, which is no compose service", target)
		}
	}
}

func readYAML(t *testing.T, path string, out any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, out); err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
}
