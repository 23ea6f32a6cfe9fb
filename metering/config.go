package metering

import (
	"fmt"
	"path"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/fnchain/orchestrator/internal/yamlsection"
)

// Config is the `metering` section of orchestrator.yaml.
type Config struct {
	Prices Prices `yaml:"prices"`
	// Exclude lists activity types (path.Match patterns) that are never
	// metered: the platform's own activities, not users' functions.
	Exclude []string `yaml:"exclude"`
	// Reconcile configures the reconciler of readings from histories.
	Reconcile ReconcileConfig `yaml:"reconcile"`
	// MetricsListen, when set, serves /metrics on its own address, for
	// worker processes that serve no API.
	MetricsListen string `yaml:"metricsListen"`
}

// ReconcileConfig configures the Reconciler.
type ReconcileConfig struct {
	// Every is how often closed runs are looked for (default 30s).
	Every time.Duration `yaml:"every"`
	// Grace is how long after a run closed it is reconciled, so that the
	// readings its workers are committing land first (default 10s).
	Grace time.Duration `yaml:"grace"`
	// Lookback bounds how far back the first pass looks (default 24h).
	Lookback time.Duration `yaml:"lookback"`
}

// DefaultConfig is the configuration without a metering section.
func DefaultConfig() Config {
	return Config{
		Prices:    DefaultPrices(),
		Exclude:   []string{"fnchain.*"},
		Reconcile: ReconcileConfig{Every: 30 * time.Second, Grace: 10 * time.Second, Lookback: 24 * time.Hour},
	}
}

// LoadConfig decodes the metering section over the defaults; text, when
// not empty, is YAML that overrides the section (FNCHAIN_METERING).
func LoadConfig(node *yaml.Node, text string) (Config, error) {
	cfg := DefaultConfig()
	if err := yamlsection.Decode(node, "metering", &cfg); err != nil {
		return cfg, err
	}
	if text != "" {
		if err := yamlsection.Parse(text, "metering", &cfg); err != nil {
			return cfg, err
		}
	}
	return cfg, cfg.validate()
}

func (c Config) validate() error {
	if err := c.Prices.validate(); err != nil {
		return err
	}
	for _, p := range c.Exclude {
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("metering.exclude: pattern %q is malformed: use * and ? wildcards, e.g. fnchain.*", p)
		}
	}
	for name, d := range map[string]time.Duration{"every": c.Reconcile.Every, "grace": c.Reconcile.Grace, "lookback": c.Reconcile.Lookback} {
		if d <= 0 {
			return fmt.Errorf("metering.reconcile.%s is %s: give a positive duration such as 30s", name, d)
		}
	}
	return nil
}

// excluded reports whether activity type fn is not metered.
func (c Config) excluded(fn string) bool {
	for _, p := range c.Exclude {
		if ok, _ := path.Match(p, fn); ok {
			return true
		}
	}
	return false
}
