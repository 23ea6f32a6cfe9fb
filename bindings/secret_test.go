package bindings_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/fnchain/orchestrator/activities"
	"github.com/fnchain/orchestrator/bindings"
)

func TestSecretsNeverAppear(t *testing.T) {
	const password = "Sup3r-Secret-Pa55"
	port := closedPort(t)
	t.Setenv("FNCHAIN_TEST_PG_URL", "postgres://postgres:"+password+"@127.0.0.1:5432/test?sslmode=disable")
	t.Setenv("FNCHAIN_TEST_PG_DOWN_URL", fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/test?sslmode=disable", password, port))
	t.Setenv("FNCHAIN_TEST_REDIS_DOWN_URL", fmt.Sprintf("redis://:%s@127.0.0.1:%d/0", password, port))
	secretFile := filepath.Join(t.TempDir(), "amqp-url")
	if err := os.WriteFile(secretFile, []byte(fmt.Sprintf("amqp://guest:%s@127.0.0.1:%d/\n", password, port)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := bindings.Connections{
		"db":     {Type: "postgres", URL: "env:FNCHAIN_TEST_PG_URL"},
		"dbdown": {Type: "postgres", URL: "env:FNCHAIN_TEST_PG_DOWN_URL"},
		"cache":  {Type: "redis", URL: "env:FNCHAIN_TEST_REDIS_DOWN_URL"},
		"broker": {Type: "amqp", URL: "file:" + secretFile},
		"inline": {Type: "redis", URL: fmt.Sprintf("redis://:%s@127.0.0.1:%d/0", password, port)},
	}
	var logs bytes.Buffer
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	pool, env := openEnv(t, &suite, cfg)

	var seen []string
	seen = append(seen, fmt.Sprint(cfg), fmt.Sprintf("%v %+v %#v", cfg["db"], cfg["inline"], cfg["inline"].String()))
	out := mustCall(t, env, "postgres.query", map[string]any{"connection": "db", "sql": "SELECT $1::text AS v", "args": []any{"ok"}})
	if rows := out["rows"].([]any); rows[0].(map[string]any)["v"] != "ok" {
		t.Fatalf("query through the env: secret connection returned %v", out)
	}
	calls := []struct{ fn, conn string }{
		{"postgres.query", "dbdown"},
		{"redis.get", "cache"},
		{"redis.get", "inline"},
		{"amqp.publish", "broker"},
	}
	for _, c := range calls {
		with := map[string]any{"connection": c.conn, "sql": "SELECT 1", "key": "k", "routingKey": "q"}
		switch c.fn {
		case "postgres.query":
			delete(with, "key")
			delete(with, "routingKey")
		case "redis.get":
			delete(with, "sql")
			delete(with, "routingKey")
		case "amqp.publish":
			delete(with, "sql")
			delete(with, "key")
		}
		_, err := callActivity(t, env, c.fn, with)
		wantAppError(t, err, activities.TypeConnection, true, fmt.Sprintf("%q", c.conn))
		seen = append(seen, err.Error())
	}
	if err := pool.Check(context.Background()); err == nil {
		t.Fatal("check passed with services down")
	} else {
		seen = append(seen, err.Error())
	}
	seen = append(seen, logs.String())
	for _, s := range seen {
		if strings.Contains(s, password) {
			t.Fatalf("secret leaked in:\n%s", s)
		}
	}
	if !strings.Contains(logs.String(), `dbdown`) {
		t.Fatalf("the logs did not record the failures at all, so the check proves nothing:\n%s", logs.String())
	}
}

func TestOpenReportsEveryConfigProblem(t *testing.T) {
	_, err := bindings.Open(context.Background(), bindings.Connections{
		"a": {Type: "postgress", URL: "postgres://x"},
		"b": {Type: "redis", URL: "env:FNCHAIN_TEST_SURELY_UNSET"},
		"c": {Type: "nats"},
		"d": {Type: "redis", URL: "file:/nonexistent/secret"},
	})
	if err == nil {
		t.Fatal("Open accepted a bad configuration")
	}
	for _, want := range []string{
		`connection "a": unknown type "postgress"`,
		`connection "b": resolving env:FNCHAIN_TEST_SURELY_UNSET: environment variable FNCHAIN_TEST_SURELY_UNSET is not set`,
		`connection "c": url is empty`,
		`connection "d": resolving file:/nonexistent/secret`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
