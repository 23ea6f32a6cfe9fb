// Package config holds the orchestrator's deployment configuration and loads
// it from an orchestrator.yaml file, FNCHAIN_* environment variables and
// command-line flags, each overriding the one before.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the whole deployment configuration.
type Config struct {
	Temporal Temporal `yaml:"temporal"`
	Dev      Dev      `yaml:"dev"`
	API      API      `yaml:"api"`
	Worker   Worker   `yaml:"worker"`
	Log      Log      `yaml:"log"`
	// Workflows is a directory of workflow files loaded at start and watched.
	Workflows string `yaml:"workflows"`
	// Database is the orchestrator's own store (deployed definitions, API
	// keys, the metering ledger): sqlite:///path/file.db or postgres://...
	// Empty in dev means a file in the data directory.
	Database string `yaml:"database"`
	// Connections are decoded by the bindings package, which owns their shape.
	Connections yaml.Node `yaml:"connections"`
	// Metering (prices, exclusions) is decoded by package metering.
	Metering yaml.Node `yaml:"metering"`
	// Pools (per task queue sizes and scaling) is decoded by internal/pools.
	Pools yaml.Node `yaml:"pools"`
}

// Temporal says how to reach the Temporal service.
type Temporal struct {
	Address   string `yaml:"address"`
	Namespace string `yaml:"namespace"`
	// APIKey is a secret reference (env:NAME or file:/path) or a literal key,
	// sent as a bearer token (Temporal Cloud).
	APIKey string `yaml:"apiKey"`
	TLS    TLS    `yaml:"tls"`
	// ConnectTimeout bounds how long a process waits for Temporal at start.
	ConnectTimeout time.Duration `yaml:"connectTimeout"`
}

// TLS configures the client side of the Temporal connection. TLS is used
// when Enabled is set or any file is given.
type TLS struct {
	Enabled    bool   `yaml:"enabled"`
	CertFile   string `yaml:"certFile"`
	KeyFile    string `yaml:"keyFile"`
	CAFile     string `yaml:"caFile"`
	ServerName string `yaml:"serverName"`
}

// Dev configures the embedded Temporal server of `orchestrator dev`.
type Dev struct {
	DataDir      string `yaml:"dataDir"`
	Memory       bool   `yaml:"memory"`
	IP           string `yaml:"ip"`
	TemporalPort int    `yaml:"temporalPort"`
	UIPort       int    `yaml:"uiPort"`
	Headless     bool   `yaml:"headless"`
	ServerLog    string `yaml:"serverLogLevel"`
	// TemporalDB is a postgres:// URL that replaces SQLite as the embedded
	// server's store.
	TemporalDB string `yaml:"temporalDB"`
	// TemporalOnly runs the embedded server without the API and worker.
	TemporalOnly bool `yaml:"temporalOnly"`
}

// API configures the HTTP API.
type API struct {
	Listen string `yaml:"listen"`
	// Insecure serves without API keys where keys would be required.
	Insecure bool `yaml:"insecure"`
	// UIURL is Temporal UI's base URL, for links from runs to the UI.
	UIURL string `yaml:"uiURL"`
	// RateLimit is the requests per second each API key may make.
	RateLimit int `yaml:"rateLimit"`
}

// Worker configures the worker pools.
type Worker struct {
	TaskQueue string `yaml:"taskQueue"`
	// ShutdownTimeout is how long activities in flight may run on shutdown.
	ShutdownTimeout time.Duration `yaml:"shutdownTimeout"`
}

// Log configures the orchestrator's own log.
type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Default is the configuration before any file, variable or flag.
func Default() Config {
	return Config{
		Temporal: Temporal{Address: "127.0.0.1:7233", Namespace: "default", ConnectTimeout: 30 * time.Second},
		Dev: Dev{
			DataDir:      ".fnchain",
			IP:           "127.0.0.1",
			TemporalPort: 7233,
			UIPort:       8233,
			ServerLog:    "warn",
		},
		API:    API{Listen: "127.0.0.1:8080"},
		Worker: Worker{TaskQueue: "fnchain", ShutdownTimeout: 30 * time.Second},
		Log:    Log{Level: "info", Format: "text"},
	}
}

// LoadFile decodes an orchestrator.yaml over cfg. Unknown keys are errors
// that name the line, so a typo never silently falls back to a default.
func LoadFile(path string, cfg *Config) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: %w", path, cleanYAMLError(err))
	}
	return nil
}

// cleanYAMLError drops yaml.v3's "yaml: " prefixes, which say nothing to a
// user who already sees the file name.
func cleanYAMLError(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return errors.New(joinLines(te.Errors))
	}
	return errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
}
