package pools

import (
	"cmp"
	"fmt"
	"sort"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/fnchain/orchestrator/internal/yamlsection"
)

// Config sizes one pool: the activity slots of the workers on a task queue.
type Config struct {
	Min int `yaml:"min"`
	Max int `yaml:"max"`
	// Interval is how often the backlog is read.
	Interval time.Duration `yaml:"interval"`
	// Cooldown is how long the queue must stay empty before the pool shrinks.
	Cooldown time.Duration `yaml:"cooldown"`
	// MaxBacklogAge grows the pool when the oldest waiting task is older,
	// even if the backlog is not growing.
	MaxBacklogAge time.Duration `yaml:"maxBacklogAge"`
	// SlotsPerReplica turns desired slots into desired worker replicas for
	// HPA and KEDA (default Max).
	SlotsPerReplica int `yaml:"slotsPerReplica"`
}

// Settings is the `pools` section of orchestrator.yaml.
type Settings struct {
	// Defaults apply to every queue and are overridden field by field.
	Defaults Config `yaml:"defaults"`
	// Queues are the task queues that get a pool; none means the worker's
	// task queue only.
	Queues map[string]Config `yaml:"queues"`
}

// DefaultConfig is a pool without settings.
func DefaultConfig() Config {
	return Config{Min: 1, Max: 32, Interval: 2 * time.Second, Cooldown: 30 * time.Second, MaxBacklogAge: time.Second}
}

// LoadSettings decodes the pools section; text, when not empty, is YAML
// that overrides it (FNCHAIN_POOLS).
func LoadSettings(node *yaml.Node, text string) (Settings, error) {
	var s Settings
	if err := yamlsection.Decode(node, "pools", &s); err != nil {
		return s, err
	}
	if text != "" {
		if err := yamlsection.Parse(text, "pools", &s); err != nil {
			return s, err
		}
	}
	return s, nil
}

// resolve returns each queue's complete config; defaultQueue gets a pool
// when no queue is named.
func (s Settings) resolve(defaultQueue string) (map[string]Config, error) {
	queues := s.Queues
	if len(queues) == 0 {
		queues = map[string]Config{defaultQueue: {}}
	}
	out := map[string]Config{}
	names := make([]string, 0, len(queues))
	for q := range queues {
		names = append(names, q)
	}
	sort.Strings(names)
	for _, q := range names {
		c := DefaultConfig()
		c.overlay(s.Defaults)
		c.overlay(queues[q])
		if c.SlotsPerReplica == 0 {
			c.SlotsPerReplica = c.Max
		}
		if err := c.validate("pools.queues." + q); err != nil {
			return nil, err
		}
		out[q] = c
	}
	return out, nil
}

func (c *Config) overlay(o Config) {
	c.Min = cmp.Or(o.Min, c.Min)
	c.Max = cmp.Or(o.Max, c.Max)
	c.Interval = cmp.Or(o.Interval, c.Interval)
	c.Cooldown = cmp.Or(o.Cooldown, c.Cooldown)
	c.MaxBacklogAge = cmp.Or(o.MaxBacklogAge, c.MaxBacklogAge)
	c.SlotsPerReplica = cmp.Or(o.SlotsPerReplica, c.SlotsPerReplica)
}

func (c Config) validate(where string) error {
	switch {
	case c.Min < 1:
		return fmt.Errorf("%s.min is %d: a pool keeps at least 1 slot", where, c.Min)
	case c.Max < c.Min:
		return fmt.Errorf("%s.max is %d, under min %d: give max >= min", where, c.Max, c.Min)
	case c.Interval < 100*time.Millisecond:
		return fmt.Errorf("%s.interval is %s: read the backlog at most every 100ms, e.g. interval: 2s", where, c.Interval)
	case c.Cooldown < 0 || c.MaxBacklogAge < 0:
		return fmt.Errorf("%s: cooldown and maxBacklogAge cannot be negative", where)
	case c.SlotsPerReplica < 1:
		return fmt.Errorf("%s.slotsPerReplica is %d: give the slots one worker replica runs, e.g. 32", where, c.SlotsPerReplica)
	}
	return nil
}
