package dsl

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Update reports a change in a watched directory.
type Update struct {
	// File is the file that changed; empty for the first report, which
	// covers every file.
	File string
	// Err holds the problems (Errors) of a file that does not load. Its last
	// good definitions stay in All.
	Err error
	// Removed is true when File was deleted; its definitions left All.
	Removed bool
	// All is the current set of good definitions of the directory, sorted by
	// name: what a worker should serve after this update.
	All []*Workflow
}

// quietPeriod lets an editor finish its burst of writes (truncate, write,
// rename) before a file is read.
const quietPeriod = 100 * time.Millisecond

// Watch loads every workflow file in dir, reports the result, then reloads
// each file that changes and reports again, until ctx ends. A file that
// stops loading keeps its last good definitions: a bad edit is reported in
// Update.Err and never replaces a working workflow. The first report holds
// the errors of all files that did not load. fn runs on Watch's goroutine.
func Watch(ctx context.Context, dir string, reg Registry, fn func(Update)) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("starting watcher: %w", err)
	}
	defer w.Close()
	if err := w.Add(dir); err != nil {
		return fmt.Errorf("watching %s: %w", dir, err)
	}
	files, err := workflowFiles(dir)
	if err != nil {
		return err
	}
	good := map[string][]*Workflow{}
	var errs Errors
	for _, f := range files {
		wfs, err := LoadFile(f, reg)
		var le Errors
		switch {
		case errors.As(err, &le):
			errs = append(errs, le...)
		case err != nil:
			return err
		default:
			good[f] = wfs
		}
	}
	first := Update{All: flatten(good)}
	if len(errs) > 0 {
		first.Err = errs
	}
	fn(first)

	pending := map[string]bool{}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-w.Errors:
			return fmt.Errorf("watching %s: %w", dir, err)
		case ev := <-w.Events:
			if isWorkflowFile(filepath.Base(ev.Name)) {
				pending[ev.Name] = true
				timer.Reset(quietPeriod)
			}
		case <-timer.C:
			changed := slices.Sorted(func(yield func(string) bool) {
				for f := range pending {
					if !yield(f) {
						return
					}
				}
			})
			clear(pending)
			for _, f := range changed {
				fn(reload(f, reg, good))
			}
		}
	}
}

func reload(file string, reg Registry, good map[string][]*Workflow) Update {
	u := Update{File: file}
	wfs, err := LoadFile(file, reg)
	switch {
	case errors.Is(err, os.ErrNotExist):
		delete(good, file)
		u.Removed = true
	case err != nil:
		u.Err = err
	default:
		good[file] = wfs
	}
	if u.Err == nil {
		u.Err = duplicateAcrossFiles(good)
	}
	u.All = flatten(good)
	return u
}

// duplicateAcrossFiles reports a name defined in two files; both stay
// loaded, and which one All holds first is by file name.
func duplicateAcrossFiles(good map[string][]*Workflow) error {
	errs := &errList{}
	checkUniqueNames(flatten(good), errs)
	return errs.err()
}

func flatten(good map[string][]*Workflow) []*Workflow {
	var out []*Workflow
	for _, f := range sortedKeys(good) {
		out = append(out, good[f]...)
	}
	slices.SortStableFunc(out, func(a, b *Workflow) int { return strings.Compare(a.Name, b.Name) })
	return out
}
