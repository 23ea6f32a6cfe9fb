package deploy_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// expectedService is what a service of docker-compose.yml must have for the
// stack to work: images the docs name, the ports the README promises, the
// files it mounts from the repository and the settings each process needs.
type expectedService struct {
	image     string   // prefix of the image reference
	ports     []string // "published:target"
	volumes   []string // "source:target"; a source with a slash is a path under the repository
	env       []string // variables that must be set (to anything)
	command   []string // the leading words of the command
	dependsOn map[string]string
	profile   string
}

var orchestratorEnv = []string{"FNCHAIN_CONFIG", "FNCHAIN_DATABASE", "FNCHAIN_TEMPORAL_ADDRESS", "FNCHAIN_NAMESPACE"}

var orchestratorDeps = map[string]string{
	"temporal-namespace": types.ServiceConditionCompletedSuccessfully,
	"postgres":           types.ServiceConditionHealthy,
	"nats":               types.ServiceConditionStarted,
}

var orchestratorConfig = []string{"deploy/compose/orchestrator.yaml:/etc/fnchain/orchestrator.yaml"}

func expectedServices() map[string]expectedService {
	worker := expectedService{
		image: "ghcr.io/fnchain/orchestrator", volumes: orchestratorConfig, env: orchestratorEnv,
		command: []string{"worker", "--task-queue", "fnchain"}, dependsOn: orchestratorDeps,
	}
	return map[string]expectedService{
		"postgres": {
			image:   "postgres:",
			volumes: []string{"postgres-data:/var/lib/postgresql/data", "deploy/compose/init-fnchain.sql:/docker-entrypoint-initdb.d/init-fnchain.sql"},
			env:     []string{"POSTGRES_USER", "POSTGRES_PASSWORD"},
		},
		"temporal-schema": {
			image:     "temporalio/admin-tools:",
			volumes:   []string{"deploy/compose/temporal-schema.sh:/scripts/temporal-schema.sh"},
			env:       []string{"DB", "DB_PORT", "POSTGRES_SEEDS", "POSTGRES_USER", "POSTGRES_PWD", "SQL_PASSWORD"},
			dependsOn: map[string]string{"postgres": types.ServiceConditionHealthy},
		},
		"temporal": {
			image:     "temporalio/server:",
			ports:     []string{"7233:7233"},
			env:       []string{"DB", "DB_PORT", "POSTGRES_SEEDS", "POSTGRES_USER", "POSTGRES_PWD", "BIND_ON_IP"},
			dependsOn: map[string]string{"temporal-schema": types.ServiceConditionCompletedSuccessfully},
		},
		"temporal-namespace": {
			image:     "temporalio/admin-tools:",
			env:       []string{"TEMPORAL_ADDRESS"},
			dependsOn: map[string]string{"temporal": types.ServiceConditionHealthy},
		},
		"temporal-ui": {
			image:     "temporalio/ui:",
			ports:     []string{"8233:8233"},
			env:       []string{"TEMPORAL_ADDRESS", "TEMPORAL_UI_PORT"},
			dependsOn: map[string]string{"temporal": types.ServiceConditionHealthy},
		},
		"nats": {
			image:   "nats:",
			ports:   []string{"4222:4222"},
			volumes: []string{"nats-data:/data"},
			command: []string{"-js"},
		},
		"orchestrator-serve": {
			image: "ghcr.io/fnchain/orchestrator", ports: []string{"8080:8080"}, volumes: orchestratorConfig, env: orchestratorEnv,
			command: []string{"serve", "--listen", "0.0.0.0:8080"}, dependsOn: orchestratorDeps,
		},
		"orchestrator-worker-1": worker,
		"orchestrator-worker-2": worker,
		"prometheus": {
			image: "prom/prometheus:", ports: []string{"9090:9090"}, profile: "observability",
			volumes: []string{"deploy/compose/prometheus.yml:/etc/prometheus/prometheus.yml", "prometheus-data:/prometheus"},
		},
		"grafana": {
			image: "grafana/grafana:", ports: []string{"3000:3000"}, profile: "observability",
			volumes: []string{
				"deploy/compose/grafana/provisioning:/etc/grafana/provisioning",
				"deploy/compose/grafana/dashboards:/etc/grafana/dashboards",
				"grafana-data:/var/lib/grafana",
			},
			env: []string{"GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"},
		},
	}
}

// loadCompose loads a compose file with every profile enabled and no
// variables from this machine, as `docker compose --profile '*' config`
// would on a clean one.
func loadCompose(t *testing.T, path string) (*types.Project, error) {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{path},
		cli.WithWorkingDirectory(filepath.Dir(path)),
		cli.WithProfiles([]string{"*"}),
		cli.WithEnv(nil),
	)
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(context.Background())
}

// composeProblems lists everything in p that differs from expectedServices;
// repo is the directory bind mounts are relative to.
func composeProblems(p *types.Project, repo string) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	want := expectedServices()
	for name := range p.Services {
		if _, ok := want[name]; !ok {
			bad("service %s is not expected: add it to expectedServices", name)
		}
	}
	for name, w := range want {
		s, ok := p.Services[name]
		if !ok {
			bad("service %s is missing", name)
			continue
		}
		if !strings.HasPrefix(s.Image, w.image) {
			bad("service %s: image %q, want %s...", name, s.Image, w.image)
		}
		for _, port := range w.ports {
			if !slices.ContainsFunc(s.Ports, func(c types.ServicePortConfig) bool { return fmt.Sprintf("%s:%d", c.Published, c.Target) == port }) {
				bad("service %s: port %s is not published", name, port)
			}
		}
		for _, v := range w.volumes {
			source, target, _ := strings.Cut(v, ":")
			if strings.Contains(source, "/") {
				source = filepath.Join(repo, source)
				if _, err := os.Stat(source); err != nil {
					bad("service %s: mounts %s, which is not in the repository: %v", name, source, err)
				}
			} else if _, ok := p.Volumes[source]; !ok {
				bad("service %s: volume %s is not declared under volumes:", name, source)
			}
			if !slices.ContainsFunc(s.Volumes, func(m types.ServiceVolumeConfig) bool { return m.Source == source && m.Target == target }) {
				bad("service %s: %s is not mounted at %s", name, source, target)
			}
		}
		for _, e := range w.env {
			if v, ok := s.Environment[e]; !ok || v == nil || *v == "" {
				bad("service %s: environment variable %s is not set", name, e)
			}
		}
		if len(s.Command) < len(w.command) || !slices.Equal(s.Command[:len(w.command)], w.command) {
			bad("service %s: command %q, want it to start with %q", name, s.Command, w.command)
		}
		for dep, cond := range w.dependsOn {
			if d, ok := s.DependsOn[dep]; !ok || d.Condition != cond {
				bad("service %s: must depend on %s with condition %s", name, dep, cond)
			}
		}
		if w.profile == "" && len(s.Profiles) > 0 {
			bad("service %s: in profiles %q, want it always on", name, s.Profiles)
		}
		if w.profile != "" && !slices.Contains(s.Profiles, w.profile) {
			bad("service %s: not in profile %s", name, w.profile)
		}
	}
	return problems
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestComposeFileHasTheStack(t *testing.T) {
	repo := repoRoot(t)
	p, err := loadCompose(t, filepath.Join(repo, "docker-compose.yml"))
	if err != nil {
		t.Fatalf("loading docker-compose.yml: %v", err)
	}
	for _, problem := range composeProblems(p, repo) {
		t.Error(problem)
	}
	serve := p.Services["orchestrator-serve"]
	if db := serve.Environment["FNCHAIN_DATABASE"]; db == nil || !strings.HasPrefix(*db, "postgres://") {
		t.Errorf("orchestrator-serve: FNCHAIN_DATABASE is not a postgres:// URL")
	}
	if a := serve.Environment["FNCHAIN_TEMPORAL_ADDRESS"]; a == nil || *a != "temporal:7233" {
		t.Errorf("orchestrator-serve: FNCHAIN_TEMPORAL_ADDRESS is not temporal:7233")
	}
	// Without keys or --insecure, serve refuses to listen beyond loopback.
	if !slices.Contains(serve.Command, "--insecure") {
		t.Errorf("orchestrator-serve: no --insecure and no way to create a key first: serve would refuse to start")
	}
}

// A compose file that lost pieces must be reported piece by piece, or the
// test above could not fail.
func TestComposeProblemsReportsWhatIsMissing(t *testing.T) {
	repo := repoRoot(t)
	src, err := os.ReadFile(filepath.Join(repo, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.NewReplacer(
		`"8233:8233"`, `"18233:8233"`,
		"    volumes:\n      - nats-data:/data\n", "",
		"    profiles: [observability]\n    depends_on: [prometheus]", "    depends_on: [prometheus]",
		"  orchestrator-worker-2: *worker\n", "",
		"./deploy/compose/prometheus.yml:", "./deploy/compose/no-such-prometheus.yml:",
		"FNCHAIN_NAMESPACE: default", "FNCHAIN_NAMESPACE: \"\"",
	).Replace(string(src))
	if broken == string(src) {
		t.Fatal("the replacements changed nothing: update them to the compose file")
	}
	// The copy sees the repository's deploy/compose files, but for one.
	dir := t.TempDir()
	files, err := os.ReadDir(filepath.Join(repo, "deploy/compose"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "deploy/compose"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Name() != "init-fnchain.sql" {
			if err := os.Symlink(filepath.Join(repo, "deploy/compose", f.Name()), filepath.Join(dir, "deploy/compose", f.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	path := filepath.Join(dir, "docker-compose.yml")
	if err := os.WriteFile(path, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := loadCompose(t, path)
	if err != nil {
		t.Fatalf("loading the broken copy: %v", err)
	}
	got := strings.Join(composeProblems(p, dir), "\n")
	for _, want := range []string{
		"service temporal-ui: port 8233:8233 is not published",
		"service nats: nats-data is not mounted at /data",
		"service grafana: not in profile observability",
		"service orchestrator-worker-2 is missing",
		"service prometheus: " + filepath.Join(dir, "deploy/compose/prometheus.yml") + " is not mounted at /etc/prometheus/prometheus.yml",
		"service postgres: mounts " + filepath.Join(dir, "deploy/compose/init-fnchain.sql") + ", which is not in the repository",
		"service orchestrator-serve: environment variable FNCHAIN_NAMESPACE is not set",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems do not report %q; they are:\n%s", want, got)
		}
	}
}

func TestComposeFileWithAnUnknownKeyIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "docker-compose.yml")
	if err := os.WriteFile(path, []byte("services:\n  a:\n    image: x\n    portz: [\"1:1\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := loadCompose(t, path)
	if err == nil || !strings.Contains(err.Error(), "portz") {
		t.Fatalf("loading a service with the key portz: got %v, want an error naming it", err)
	}
}
