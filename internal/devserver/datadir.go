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
}

func writeMarker(path string) error {
	data, err := json.MarshalIndent(marker{Format: dataFormat, TemporalServer: ServerVersion}, "", "  ")
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
func checkCompatible(dir, db string) error {
	f, err := os.Open(db)
	if err != nil {
		return fmt.Errorf("opening %s: %w", db, err)
	}
	header := make([]byte, 16)
	_, err = io.ReadFull(f, header)
	f.Close()
	if err != nil || !bytes.Equal(header, []byte("SQLite format 3\x00")) {
		return fmt.Errorf("%w: %s is not a SQLite database: move it away or choose another --data-dir", errIncompatible, db)
	}

	path := filepath.Join(dir, markerName)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %s has no %s, so the build that wrote it is unknown: move it away or choose another --data-dir", errIncompatible, dir, markerName)
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	var m marker
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("%w: %s is corrupt (%v): move the data directory away or choose another --data-dir", errIncompatible, path, err)
	}
	if m.Format != dataFormat || m.TemporalServer != ServerVersion {
		return fmt.Errorf("%w: %s was written by temporal server %s (data format %d) and this build embeds %s (data format %d): run the matching orchestrator version or choose another --data-dir",
			errIncompatible, dir, m.TemporalServer, m.Format, ServerVersion, dataFormat)
	}
	return nil
}
