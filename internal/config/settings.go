package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Group selects the settings a subcommand accepts.
type Group int

// The setting groups.
const (
	GroupTemporal Group = 1 << iota // reaching an existing Temporal service
	GroupDev                        // the embedded server
	GroupAPI
	GroupWorker
	GroupLog
	GroupWorkflows
	GroupDatabase
)

// setting is one configuration value reachable as --name and FNCHAIN_NAME.
type setting struct {
	name  string
	usage string
	group Group
	ptr   any // *string, *int, *bool or *time.Duration inside a Config
}

func settings(c *Config) []setting {
	return []setting{
		{"temporal-address", "host:port of the Temporal frontend", GroupTemporal, &c.Temporal.Address},
		{"namespace", "Temporal namespace", GroupTemporal | GroupDev, &c.Temporal.Namespace},
		{"api-key", "Temporal Cloud API key (env:NAME or file:/path)", GroupTemporal, &c.Temporal.APIKey},
		{"tls", "use TLS to reach Temporal", GroupTemporal, &c.Temporal.TLS.Enabled},
		{"tls-cert", "client certificate file (mTLS)", GroupTemporal, &c.Temporal.TLS.CertFile},
		{"tls-key", "client key file (mTLS)", GroupTemporal, &c.Temporal.TLS.KeyFile},
		{"tls-ca", "CA certificate file that signs the server's certificate", GroupTemporal, &c.Temporal.TLS.CAFile},
		{"tls-server-name", "server name to verify in the server's certificate", GroupTemporal, &c.Temporal.TLS.ServerName},
		{"connect-timeout", "how long to wait for Temporal at start", GroupTemporal, &c.Temporal.ConnectTimeout},
		{"data-dir", "directory of the embedded server's database", GroupDev, &c.Dev.DataDir},
		{"memory", "keep the embedded server's state in memory only", GroupDev, &c.Dev.Memory},
		{"ip", "address the embedded server and UI listen on", GroupDev, &c.Dev.IP},
		{"temporal-port", "embedded Temporal frontend port", GroupDev, &c.Dev.TemporalPort},
		{"ui-port", "Temporal UI port", GroupDev, &c.Dev.UIPort},
		{"headless", "do not start Temporal UI", GroupDev, &c.Dev.Headless},
		{"temporal-db", "keep the embedded server's state in Postgres: postgres://user:password@host:5432/temporal (creates temporal and temporal_visibility)", GroupDev, &c.Dev.TemporalDB},
		{"temporal-only", "run only the embedded server (and UI): no API, no worker; for a cluster of serve and worker processes", GroupDev, &c.Dev.TemporalOnly},
		{"server-log-level", "embedded server log level (debug, info, warn, error)", GroupDev, &c.Dev.ServerLog},
		{"listen", "address of the HTTP API", GroupAPI, &c.API.Listen},
		{"insecure", "serve the API without API keys where keys would be required", GroupAPI, &c.API.Insecure},
		{"ui-url", "Temporal UI's base URL, for links from runs (dev: its own UI)", GroupAPI, &c.API.UIURL},
		{"rate-limit", "API requests per second per key (0: 50)", GroupAPI, &c.API.RateLimit},
		{"task-queue", "default task queue of workflows and workers", GroupWorker | GroupAPI, &c.Worker.TaskQueue},
		{"shutdown-timeout", "how long activities in flight may finish on shutdown", GroupWorker, &c.Worker.ShutdownTimeout},
		{"workflows", "directory of workflow files to load and watch", GroupWorkflows, &c.Workflows},
		{"database", "the orchestrator's store: sqlite:///path/file.db or postgres://... (dev: a file in the data directory)", GroupDatabase, &c.Database},
		{"log-level", "log level (debug, info, warn, error)", GroupLog, &c.Log.Level},
		{"log-format", "log format (text, json)", GroupLog, &c.Log.Format},
	}
}

// EnvName is the environment variable of a setting: FNCHAIN_ and the flag
// name in upper case with underscores.
func EnvName(flagName string) string {
	return "FNCHAIN_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Loader binds a subcommand's flags and, after parsing, builds the Config in
// order of precedence: defaults, orchestrator.yaml, FNCHAIN_* variables, flags.
type Loader struct {
	fs       *flag.FlagSet
	groups   Group
	path     *string
	raw      map[string]*string
	defaults Config
}

// Bind registers --config and the flags of groups on fs.
func Bind(fs *flag.FlagSet, groups Group) *Loader {
	l := &Loader{fs: fs, groups: groups, raw: map[string]*string{}, defaults: Default()}
	l.path = fs.String("config", "", "configuration file (default ./orchestrator.yaml when present; env "+EnvName("config")+")")
	for _, s := range settings(&l.defaults) {
		if s.group&groups == 0 {
			continue
		}
		v := new(string)
		l.raw[s.name] = v
		usage := fmt.Sprintf("%s (env %s)", s.usage, EnvName(s.name))
		if _, isBool := s.ptr.(*bool); isBool {
			fs.Var(boolFlag{stringFlag{v}}, s.name, usage)
		} else {
			fs.Var(stringFlag{v}, s.name, fmt.Sprintf("%s (default %s)", usage, show(s.ptr)))
		}
	}
	return l
}

// Load builds the configuration; call it after fs.Parse.
func (l *Loader) Load() (*Config, error) {
	cfg := Default()
	path := *l.path
	if path == "" {
		path = os.Getenv(EnvName("config"))
	}
	if path == "" {
		if _, err := os.Stat("orchestrator.yaml"); err == nil {
			path = "orchestrator.yaml"
		}
	}
	if path != "" {
		if err := LoadFile(path, &cfg); err != nil {
			return nil, err
		}
	}
	setByFlag := map[string]bool{}
	l.fs.Visit(func(f *flag.Flag) { setByFlag[f.Name] = true })
	var errs []error
	for _, s := range settings(&cfg) {
		if s.group&l.groups == 0 {
			continue
		}
		env := EnvName(s.name)
		if v, ok := os.LookupEnv(env); ok {
			if err := assign(s.ptr, v); err != nil {
				errs = append(errs, fmt.Errorf("environment variable %s: %w", env, err))
			}
		}
		if setByFlag[s.name] {
			if err := assign(s.ptr, *l.raw[s.name]); err != nil {
				errs = append(errs, fmt.Errorf("flag --%s: %w", s.name, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &cfg, nil
}

func assign(ptr any, v string) error {
	switch p := ptr.(type) {
	case *string:
		*p = v
	case *int:
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", v)
		}
		*p = n
	case *bool:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		*p = b
	case *time.Duration:
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%q is not a duration such as 30s or 5m", v)
		}
		*p = d
	default:
		panic(fmt.Sprintf("config: setting of unsupported type %T", ptr))
	}
	return nil
}

func show(ptr any) string {
	switch p := ptr.(type) {
	case *string:
		if *p == "" {
			return `""`
		}
		return *p
	case *int:
		return strconv.Itoa(*p)
	case *time.Duration:
		return p.String()
	}
	return fmt.Sprint(ptr)
}

// stringFlag records the raw text so that Load can apply it after the file
// and the environment, whatever the setting's type.
type stringFlag struct{ v *string }

func (f stringFlag) String() string {
	if f.v == nil {
		return ""
	}
	return *f.v
}
func (f stringFlag) Set(s string) error { *f.v = s; return nil }

// boolFlag lets `--memory` stand for `--memory=true`.
type boolFlag struct{ stringFlag }

func (f boolFlag) IsBoolFlag() bool { return true }

func joinLines(lines []string) string {
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "yaml: ")
	}
	return strings.Join(lines, "; ")
}
