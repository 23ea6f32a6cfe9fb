package config

import "testing"

// The cluster settings of dev come from the file, the environment and flags
// like every other setting.
func TestTemporalDBAndTemporalOnly(t *testing.T) {
	cfg, err := load(t, "dev: {temporalDB: postgres://file/temporal, temporalOnly: true}\n")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Dev.TemporalDB != "postgres://file/temporal" || !cfg.Dev.TemporalOnly {
		t.Fatalf("from the file: %+v", cfg.Dev)
	}
	t.Setenv("FNCHAIN_TEMPORAL_DB", "postgres://env/temporal")
	cfg, err = load(t, "", "--temporal-only=false")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Dev.TemporalDB != "postgres://env/temporal" || cfg.Dev.TemporalOnly {
		t.Fatalf("from the environment and flags: %+v", cfg.Dev)
	}
	if _, err := load(t, "", "--temporal-only=maybe"); err == nil {
		t.Fatal("--temporal-only=maybe accepted")
	}
}
