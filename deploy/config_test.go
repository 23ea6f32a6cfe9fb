package deploy_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/fnchain/orchestrator/internal/config"
	"github.com/fnchain/orchestrator/internal/pools"
	"github.com/fnchain/orchestrator/metering"
)

// loadOrchestratorYAML reads an orchestrator.yaml the way the processes do,
// sections included, so a key the orchestrator does not know fails here and
// not in a container.
func loadOrchestratorYAML(path string) error {
	cfg := config.Default()
	if err := config.LoadFile(path, &cfg); err != nil {
		return err
	}
	if _, err := metering.LoadConfig(&cfg.Metering, ""); err != nil {
		return err
	}
	_, err := pools.LoadSettings(&cfg.Pools, "")
	return err
}

func TestComposeOrchestratorYAMLLoads(t *testing.T) {
	if err := loadOrchestratorYAML(filepath.Join(repoRoot(t), "deploy/compose/orchestrator.yaml")); err != nil {
		t.Fatal(err)
	}
}

func TestServeConfigMapOrchestratorYAMLLoads(t *testing.T) {
	docs := readManifests(t, "serve.yaml")
	cm := find(t, docs, "ConfigMap", "fnchain-serve")
	text, _ := cm["data"].(map[string]any)["orchestrator.yaml"].(string)
	path := filepath.Join(t.TempDir(), "orchestrator.yaml")
	writeFile(t, path, text)
	if err := loadOrchestratorYAML(path); err != nil {
		t.Fatal(err)
	}
}

func TestOrchestratorYAMLWithAnUnknownKeyIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "orchestrator.yaml")
	writeFile(t, path, "metering:\n  metricListen: \":9464\"\n")
	err := loadOrchestratorYAML(path)
	if err == nil || !strings.Contains(err.Error(), "metricListen") {
		t.Fatalf("loading metering.metricListen: got %v, want an error naming it", err)
	}
}
