package devserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// markerName is the file recording which build created a data directory.
const markerName = "fnchain-data.json"

type marker struct {
	Format         int    `json:"format"`
	TemporalServer string `json:"temporalServer"`
	// HistoryShards is fixed when the database is created: Temporal cannot
	// open a store with another count. Absent in the first data directories,
	// which have one.
	HistoryShards int32 `json:"historyShards,omitempty"`
}

func writeMarker(path string, shards int32) error {
	data, err := json.MarshalIndent(marker{Format: dataFormat, TemporalServer: ServerVersion, HistoryShards: shards}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// checkCompatible refuses a database that is not SQLite, or that a different
// data format or Temporal server version wrote: the embedded server has no
// migrations for SQLite, so opening such a file would fail later and worse.
// It returns the database's history shard count.
func checkCompatible(dir, db string) (int32, error) {
	f, err := os.Open(db)
	if err != nil {
		return 0, fmt.Errorf("opening %s: %w", db, err)
	}
	header := make([]byte, 16)
	_, err = io.ReadFull(f, header)
	f.Close()
	if err != nil || !bytes.Equal(header, []byte("SQLite format 3\x00")) {
		return 0, fmt.Errorf("%w: %s is not a SQLite database: move it away or choose another --data-dir", errIncompatible, db)
	}

	path := filepath.Join(dir, markerName)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("%w: %s has no %s, so the build that wrote it is unknown: move it away or choose another --data-dir", errIncompatible, dir, markerName)
	}
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", path, err)
	}
	var m marker
	if err := json.Unmarshal(data, &m); err != nil {
		return 0, fmt.Errorf("%w: %s is corrupt (%v): move the data directory away or choose another --data-dir", errIncompatible, path, err)
	}
	if m.Format != dataFormat || m.TemporalServer != ServerVersion {
		return 0, fmt.Errorf("%w: %s was written by temporal server %s (data format %d) and this build embeds %s (data format %d): run the matching orchestrator version or choose another --data-dir",
			errIncompatible, dir, m.TemporalServer, m.Format, ServerVersion, dataFormat)
	}
	if m.HistoryShards == 0 {
		return 1, nil
	}
	return m.HistoryShards, nil
}
