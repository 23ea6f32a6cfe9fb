package dsl

import (
	"path/filepath"
	"testing"
)

func TestExamplesLoad(t *testing.T) {
	files, err := filepath.Glob("../examples/*.yaml")
	if err != nil || len(files) < 5 {
		t.Fatalf("want at least 5 examples, got %d (%v)", len(files), err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			if _, err := LoadFile(path, TestRegistry()); err != nil {
				t.Fatalf("example does not load:\n%v", err)
			}
		})
	}
}
