package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/fnchain/orchestrator/internal/sqldb"
)

// The scopes of API keys; each includes the ones before it.
const (
	ScopeRead  = "read"  // list and get workflows and runs
	ScopeRun   = "run"   // start, signal, update, cancel and terminate runs
	ScopeAdmin = "admin" // deploy and delete workflows
)

var scopes = []string{ScopeRead, ScopeRun, ScopeAdmin}

// ErrKeyNotFound is returned for a key id that does not exist.
var ErrKeyNotFound = errors.New("no such api key")

// Key is a stored API key, without its secret.
type Key struct {
	ID        string
	Name      string
	Scope     string
	CreatedAt time.Time
}

// Keys stores API keys hashed with sha256: the database never holds a key
// that works.
type Keys struct {
	db *sqldb.DB

	mu sync.Mutex
	// cache holds keys found recently so that a request costs no query; a
	// revoked key stops working within cacheFor on other processes. Misses
	// are not cached, so unknown secrets cannot grow it.
	cache map[string]cachedKey
}

type cachedKey struct {
	key *Key
	at  time.Time
}

const cacheFor = 10 * time.Second

var keyMigrations = []string{
	`CREATE TABLE fnchain_api_keys (
		id         TEXT   PRIMARY KEY,
		hash       TEXT   NOT NULL UNIQUE,
		name       TEXT   NOT NULL,
		scope      TEXT   NOT NULL,
		created_at BIGINT NOT NULL)`,
}

// NewKeys migrates the key table and returns the store.
func NewKeys(ctx context.Context, db *sqldb.DB) (*Keys, error) {
	if err := db.Migrate(ctx, "apikeys", keyMigrations); err != nil {
		return nil, err
	}
	return &Keys{db: db, cache: map[string]cachedKey{}}, nil
}

// Create stores a new key and returns it with its secret, which is shown
// once: only its hash is kept.
func (k *Keys) Create(ctx context.Context, name, scope string) (Key, string, error) {
	if !slices.Contains(scopes, scope) {
		return Key{}, "", fmt.Errorf("scope %q: use read, run or admin", scope)
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return Key{}, "", err
	}
	id := hex.EncodeToString(raw[:6])
	secret := "fnc_" + id + "_" + base64.RawURLEncoding.EncodeToString(raw[6:])
	key := Key{ID: id, Name: name, Scope: scope, CreatedAt: time.Now().UTC().Truncate(time.Second)}
	if _, err := k.db.Exec(ctx, `INSERT INTO fnchain_api_keys (id, hash, name, scope, created_at) VALUES (?, ?, ?, ?, ?)`,
		key.ID, hashKey(secret), name, scope, key.CreatedAt.Unix()); err != nil {
		return Key{}, "", fmt.Errorf("storing the api key: %w", err)
	}
	return key, secret, nil
}

// List returns every key, oldest first.
func (k *Keys) List(ctx context.Context) ([]Key, error) {
	rows, err := k.db.Query(ctx, `SELECT id, name, scope, created_at FROM fnchain_api_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("listing api keys: %w", err)
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		var key Key
		var at int64
		if err := rows.Scan(&key.ID, &key.Name, &key.Scope, &at); err != nil {
			return nil, err
		}
		key.CreatedAt = time.Unix(at, 0).UTC()
		out = append(out, key)
	}
	return out, rows.Err()
}

// Revoke deletes a key by id.
func (k *Keys) Revoke(ctx context.Context, id string) error {
	res, err := k.db.Exec(ctx, `DELETE FROM fnchain_api_keys WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("revoking api key %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("api key %s: %w", id, ErrKeyNotFound)
	}
	k.mu.Lock()
	clear(k.cache)
	k.mu.Unlock()
	return nil
}

// Lookup finds the key a secret belongs to; nil when none does.
func (k *Keys) Lookup(ctx context.Context, secret string) (*Key, error) {
	h := hashKey(secret)
	k.mu.Lock()
	c, ok := k.cache[h]
	k.mu.Unlock()
	if ok && time.Since(c.at) < cacheFor {
		return c.key, nil
	}
	var key Key
	var at int64
	err := k.db.QueryRow(ctx, `SELECT id, name, scope, created_at FROM fnchain_api_keys WHERE hash = ?`, h).Scan(&key.ID, &key.Name, &key.Scope, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("looking up the api key: %w", err)
	}
	key.CreatedAt = time.Unix(at, 0).UTC()
	k.mu.Lock()
	k.cache[h] = cachedKey{key: &key, at: time.Now()}
	k.mu.Unlock()
	return &key, nil
}

// Any reports whether any key exists.
func (k *Keys) Any(ctx context.Context) (bool, error) {
	var n int
	if err := k.db.QueryRow(ctx, `SELECT COUNT(*) FROM fnchain_api_keys`).Scan(&n); err != nil {
		return false, fmt.Errorf("counting api keys: %w", err)
	}
	return n > 0, nil
}

func hashKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// allows reports whether a key of scope may do what needs requires.
func allows(scope, needs string) bool {
	return slices.Index(scopes, scope) >= slices.Index(scopes, needs)
}
