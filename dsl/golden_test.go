package dsl

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// planJSON is the golden form of plans: indented, and without HTML escaping
// so expressions stay readable.
func planJSON(t testing.TB, wfs []*Workflow) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(wfs); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test ./dsl -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test ./dsl -update and review the diff)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func yamlFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no yaml files in %s: %v", dir, err)
	}
	return files
}

func TestGoldenValid(t *testing.T) {
	for _, path := range yamlFiles(t, "testdata/valid") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			wfs, err := LoadFile(path, TestRegistry())
			if err != nil {
				t.Fatalf("want no error, got:\n%v", err)
			}
			checkGolden(t, strings.TrimSuffix(path, ".yaml")+".plan.json", planJSON(t, wfs))
			for _, w := range wfs {
				data, err := json.Marshal(w)
				if err != nil {
					t.Fatal(err)
				}
				back, err := DecodePlan(data)
				if err != nil {
					t.Fatalf("decoding %s: %v", w.Name, err)
				}
				again, _ := json.Marshal(back)
				if !bytes.Equal(data, again) {
					t.Errorf("plan %s changes through DecodePlan:\n%s\n%s", w.Name, data, again)
				}
			}
		})
	}
}

func TestGoldenInvalid(t *testing.T) {
	for _, path := range yamlFiles(t, "testdata/invalid") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			_, err := LoadFile(path, TestRegistry())
			if err == nil {
				t.Fatal("want errors, got none")
			}
			errs, ok := err.(Errors)
			if !ok {
				t.Fatalf("want Errors, got %T: %v", err, err)
			}
			for _, e := range errs {
				if e.Line == 0 || e.Col == 0 || e.File != path {
					t.Errorf("error without position: %#v", e)
				}
			}
			checkGolden(t, strings.TrimSuffix(path, ".yaml")+".err", []byte(err.Error()+"\n"))
		})
	}
}
