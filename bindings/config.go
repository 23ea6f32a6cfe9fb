// Package bindings opens the connections configured in orchestrator.yaml and
// registers the binding functions (postgres.query, redis.set, nats.publish...)
// that call services through them.
package bindings

import (
	"fmt"
	"net/url"
	"strings"
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
	if isSecretRef(raw) {
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
