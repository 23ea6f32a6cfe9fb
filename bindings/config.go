// Package bindings opens the connections configured in orchestrator.yaml and
// registers the binding functions (postgres.query, redis.set, nats.publish...)
// that call services through them.
package bindings

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/fnchain/orchestrator/activities"
	"github.com/fnchain/orchestrator/internal/secret"
)

// ConnectionConfig is one entry under `connections:` in orchestrator.yaml.
// URL may be a literal or a secret reference (`env:NAME`, `file:/path`),
// resolved only when the worker opens the connection.
type ConnectionConfig struct {
	Type string `yaml:"type" json:"type"`
	URL  string `yaml:"url" json:"url"`
}

// Connections maps connection names to their configuration.
type Connections map[string]ConnectionConfig

// String shows the configuration with any password in a literal URL hidden;
// a secret reference shows only the reference.
func (c ConnectionConfig) String() string {
	return fmt.Sprintf("{type: %s, url: %s}", c.Type, redactURL(c.URL))
}

// redactURL hides the password of a URL that is not a secret reference.
func redactURL(raw string) string {
	if secret.IsRef(raw) {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		// An unparsable URL may still hold a password: show only its scheme.
		scheme, _, found := strings.Cut(raw, ":")
		if !found {
			return "[redacted]"
		}
		return scheme + ":[redacted]"
	}
	return u.Redacted()
}

// Validate reports every problem of the configuration that can be seen
// without resolving secrets or reaching a service.
func (c Connections) Validate() error {
	var problems []error
	for _, name := range sortedNames(c) {
		if err := c.problem(name); err != nil {
			problems = append(problems, err)
		}
	}
	return errors.Join(problems...)
}

// problem is what is wrong with one entry, seen without opening it.
func (c Connections) problem(name string) error {
	cc := c[name]
	switch {
	case name == "":
		return errors.New("connections: a connection has an empty name")
	case openers[cc.Type] == nil:
		return fmt.Errorf("connection %q: unknown type %q (known: %s)", name, cc.Type, strings.Join(ConnectionTypes(), ", "))
	case cc.URL == "":
		return fmt.Errorf("connection %q: url is empty", name)
	}
	return nil
}

// Connection and ConnectionNames let a configuration stand in for an open
// Pool where only names and types matter, as when validating workflow files.
func (c Connections) Connection(name string) (string, bool) {
	cc, ok := c[name]
	return cc.Type, ok
}

// ConnectionNames returns the configured names, sorted.
func (c Connections) ConnectionNames() []string { return sortedNames(c) }

var _ activities.Connections = Connections(nil)
