package devserver

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"
)

const adminURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// An older schema is brought to this server's version by the schema tool's
// versioned steps, and a current one is left as it is.
func TestPreparePostgresUpgradesAnOlderSchema(t *testing.T) {
	name := fmt.Sprintf("fnchain_upgrade_%d", time.Now().UnixNano())
	admin, err := sql.Open("postgres", adminURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, db := range []string{name, name + visibilitySuffix} {
			if _, err := admin.Exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)"); err != nil {
				t.Errorf("dropping %s: %v", db, err)
			}
		}
		admin.Close()
	})
	url := "postgres://postgres@127.0.0.1:5432/" + name + "?sslmode=disable"
	cfg, err := parsePostgresURL(url)
	if err != nil {
		t.Fatal(err)
	}
	logger := log.NewNoopLogger()
	if err := ensureDatabase(cfg, logger); err != nil {
		t.Fatal(err)
	}
	conn, err := sqltool.NewConnection(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.NewSetupSchemaTask(conn, &schema.SetupConfig{InitialVersion: "0.0"}, logger).Run(); err != nil {
		t.Fatal(err)
	}
	if err := schema.NewUpdateSchemaTask(conn, &schema.UpdateConfig{SchemaName: postgresSchema, TargetVersion: "1.10"}, logger).Run(); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if got := schemaVersion(t, url); got != "1.10" {
		t.Fatalf("set-up version %s, want 1.10", got)
	}
	for range 2 {
		if _, _, err := preparePostgres(url, logger); err != nil {
			t.Fatal(err)
		}
		if got := schemaVersion(t, url); got != "1.19" {
			t.Fatalf("version after start %s, want 1.19", got)
		}
	}
}

func schemaVersion(t *testing.T, url string) string {
	t.Helper()
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	if err := db.QueryRow("SELECT curr_version FROM schema_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestParsePostgresURL(t *testing.T) {
	cfg, err := parsePostgresURL("postgresql://alice:s3cret@db.example:6432/temporal?sslmode=require")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PluginName != "postgres12" || cfg.User != "alice" || cfg.Password != "s3cret" || cfg.ConnectAddr != "db.example:6432" ||
		cfg.DatabaseName != "temporal" || cfg.ConnectAttributes["sslmode"] != "require" {
		t.Fatalf("parsed %+v", cfg)
	}
	bad := map[string]string{
		"postgres://a:s3cret@h:5432":      "names no database",
		"postgres:///temporal":            "names no host",
		"mysql://h/temporal":              "is not a postgres:// URL",
		"postgres://h/temp;drop":          "quotes, spaces or semicolons",
		"postgres://a:s3cret@h/x/y":       "names no database",
		"postgres://a:s3cret@h:port/temp": "is not a URL",
	}
	for in, want := range bad {
		_, err := parsePostgresURL(in)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: %v, want an error with %q and no password", in, err, want)
		}
	}
}
