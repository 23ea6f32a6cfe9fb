package bindings

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/fnchain/orchestrator/activities"
	"github.com/fnchain/orchestrator/internal/secret"
)

// conn is one open connection of some type. close must be safe to call once;
// Pool makes it idempotent.
type conn interface {
	check(ctx context.Context) error
	close() error
}

// opener prepares a connection from its resolved URL. Openers dial lazily
// where the driver allows, so that a worker starts while a service is down
// and calls fail with a retryable ConnectionError until it is back.
type opener func(ctx context.Context, rawURL string) (conn, error)

var openers = map[string]opener{
	"postgres": openPostgres,
	"redis":    openRedis,
	"nats":     openNATS,
	"amqp":     openAMQP,
	"mqtt":     openMQTT,
	"blob":     openBlob,
	"pubsub":   openPubSub,
}

// ConnectionTypes lists the types a connection may have.
func ConnectionTypes() []string {
	types := make([]string, 0, len(openers))
	for t := range openers {
		types = append(types, t)
	}
	sort.Strings(types)
	return types
}

type connection struct {
	name string
	typ  string
	conn conn
	red  redactor
	once sync.Once
}

// fail turns a driver error into a retryable ConnectionError naming the
// connection, with secrets removed.
func (c *connection) fail(err error) error {
	return activities.NewConnectionError(c.name, c.red.err(err))
}

func (c *connection) close() error {
	var err error
	c.once.Do(func() { err = c.red.err(c.conn.close()) })
	return err
}

// Pool holds the open connections of one worker. It implements
// activities.Connections.
type Pool struct {
	conns map[string]*connection
}

var _ activities.Connections = (*Pool)(nil)

// Open resolves secrets and opens every configured connection. It reports
// every configuration problem at once; if any connection fails to open, the
// ones already open are closed.
func Open(ctx context.Context, cfg Connections) (*Pool, error) {
	var problems []error
	resolved := map[string]string{}
	for _, name := range sortedNames(cfg) {
		if err := cfg.problem(name); err != nil {
			problems = append(problems, err)
			continue
		}
		v, err := secret.Resolve(cfg[name].URL)
		if err != nil {
			problems = append(problems, fmt.Errorf("connection %q: %w", name, err))
			continue
		}
		resolved[name] = v
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	p := &Pool{conns: map[string]*connection{}}
	for _, name := range sortedNames(cfg) {
		c := cfg[name]
		red := newRedactor(c.URL, resolved[name])
		cn, err := openers[c.Type](ctx, resolved[name])
		if err != nil {
			return nil, errors.Join(fmt.Errorf("opening connection %q: %w", name, red.err(err)), p.Close())
		}
		p.conns[name] = &connection{name: name, typ: c.Type, conn: cn, red: red}
	}
	return p, nil
}

// Close closes every connection. Calling it again does nothing more.
func (p *Pool) Close() error {
	var errs []error
	for _, name := range sortedNames(p.conns) {
		if err := p.conns[name].close(); err != nil {
			errs = append(errs, fmt.Errorf("closing connection %q: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// Check reaches every connection's service, for /readyz. The error names
// each connection that failed.
func (p *Pool) Check(ctx context.Context) error {
	var errs []error
	for _, name := range sortedNames(p.conns) {
		if err := p.CheckConnection(ctx, name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// CheckConnection reaches the service of one connection.
func (p *Pool) CheckConnection(ctx context.Context, name string) error {
	c, ok := p.conns[name]
	if !ok {
		return fmt.Errorf("checking connection %q: no such connection", name)
	}
	if err := c.conn.check(ctx); err != nil {
		return fmt.Errorf("checking connection %q: %w", name, c.red.err(err))
	}
	return nil
}

// Connection returns the type of a configured connection.
func (p *Pool) Connection(name string) (string, bool) {
	c, ok := p.conns[name]
	if !ok {
		return "", false
	}
	return c.typ, true
}

// ConnectionNames returns the configured connection names, sorted.
func (p *Pool) ConnectionNames() []string {
	return sortedNames(p.conns)
}

// lookup finds the connection a binding call names, as its concrete type.
func lookup[T conn](p *Pool, name, typ string) (*connection, T, error) {
	var zero T
	c, ok := p.conns[name]
	if !ok || c.typ != typ {
		var same []string
		for _, n := range sortedNames(p.conns) {
			if p.conns[n].typ == typ {
				same = append(same, n)
			}
		}
		hint := "none is configured"
		if len(same) > 0 {
			hint = "configured: " + strings.Join(same, ", ")
		}
		return nil, zero, activities.NewValidationError("argument \"connection\": no %s connection named %q (%s)", typ, name, hint)
	}
	return c, c.conn.(T), nil
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
