package secret

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	t.Setenv("FNCHAIN_TEST_SECRET", "s3cr3t")
	file := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	good := map[string]string{
		"env:FNCHAIN_TEST_SECRET": "s3cr3t",
		"file:" + file:            "from-file",
		"literal":                 "literal",
		"file:///var/data":        "file:///var/data", // a bucket URL, not a reference
	}
	for ref, want := range good {
		got, err := Resolve(ref)
		if err != nil || got != want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", ref, got, err, want)
		}
	}
	bad := map[string]string{
		"env:FNCHAIN_TEST_UNSET": "resolving env:FNCHAIN_TEST_UNSET: environment variable FNCHAIN_TEST_UNSET is not set",
		"file:/nonexistent/key":  "resolving file:/nonexistent/key: reading file: no such file or directory",
		"file:" + empty:          "file is empty",
	}
	for ref, want := range bad {
		_, err := Resolve(ref)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Resolve(%q) error %v, want %q", ref, err, want)
		}
	}
	if !IsRef("env:X") || !IsRef("file:/x") || IsRef("file:///x") || IsRef("postgres://x") {
		t.Error("IsRef misclassifies")
	}
}
