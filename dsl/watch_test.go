package dsl

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWatchKeepsLastGoodDefinition(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "flow.yaml")
	write := func(src string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("name: flow\nsteps: [{call: noop}]\n")
	updates := make(chan Update, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Watch(ctx, dir, TestRegistry(), func(u Update) { updates <- u }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	next := func() Update {
		t.Helper()
		select {
		case u := <-updates:
			return u
		case <-time.After(10 * time.Second):
			t.Fatal("no update from Watch")
			return Update{}
		}
	}

	first := next()
	if first.Err != nil || len(first.All) != 1 {
		t.Fatalf("first update: %+v", first)
	}
	goodHash := first.All[0].Hash

	write("name: flow\nsteps: [{call: nope}]\n")
	bad := next()
	if bad.Err == nil || bad.File != path {
		t.Fatalf("bad edit: want an error for %s, got %+v", path, bad)
	}
	if len(bad.All) != 1 || bad.All[0].Hash != goodHash {
		t.Fatalf("bad edit replaced the good definition: %+v", bad.All)
	}

	write("name: flow\nsteps: [{call: log, with: {message: hi}}]\n")
	fixed := next()
	if fixed.Err != nil || len(fixed.All) != 1 || fixed.All[0].Hash == goodHash {
		t.Fatalf("good edit not taken: %+v", fixed)
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	removed := next()
	if !removed.Removed || len(removed.All) != 0 {
		t.Fatalf("removal: %+v", removed)
	}
}

func TestWatchMissingDir(t *testing.T) {
	err := Watch(context.Background(), filepath.Join(t.TempDir(), "nope"), TestRegistry(), func(Update) {})
	if err == nil {
		t.Fatal("want an error for a missing directory")
	}
}
