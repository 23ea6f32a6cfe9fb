package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/fnchain/orchestrator/dsl"
	"github.com/fnchain/orchestrator/internal/catalog"
)

// The workflow-directory part deploys the files of --workflows and keeps
// the catalog in step with them: an edit redeploys, a deleted file undeploys,
// and a bad edit is logged while the last good version stays deployed.
func init() {
	parts = append(parts, part{name: "workflow directory", roles: roleAPI, setup: setupWorkflowDir})
}

func setupWorkflowDir(ctx context.Context, s *stack) error {
	dir := s.cfg.Workflows
	if dir == "" {
		return nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	s.runners = append(s.runners, func(ctx context.Context) error {
		return dsl.Watch(ctx, abs, s.functions, func(u dsl.Update) { syncDir(ctx, s, abs, u) })
	})
	return nil
}

func syncDir(ctx context.Context, s *stack, dir string, u dsl.Update) {
	if u.Err != nil {
		s.logger.Error("workflow file not deployed; the last good version stays", "file", u.File, "problems", u.Err.Error())
	}
	deployed, err := s.catalog.List(ctx)
	if err != nil {
		s.logger.Error("reading the catalog", "error", err)
		return
	}
	current := map[string]*catalog.Definition{}
	for _, d := range deployed {
		current[d.Name] = d
	}
	wanted := map[string]bool{}
	stale := map[string]bool{}
	for _, plan := range u.All {
		wanted[plan.Name] = true
		if d := current[plan.Name]; d == nil || d.Hash != plan.Hash {
			stale[plan.File] = true
		}
	}
	for file := range stale {
		src, err := os.ReadFile(file)
		if err == nil {
			_, err = s.catalog.Deploy(ctx, file, src)
		}
		if err != nil {
			s.logger.Error("deploying workflow file", "file", file, "error", err)
			continue
		}
		s.logger.Info("deployed workflow file", "file", file)
	}
	for name, d := range current {
		if !wanted[name] && strings.HasPrefix(d.File, dir+string(filepath.Separator)) {
			if err := s.catalog.Delete(ctx, name); err != nil {
				s.logger.Error("undeploying workflow", "workflow", name, "error", err)
				continue
			}
			s.logger.Info("undeployed workflow: its file is gone", "workflow", name, "file", d.File)
		}
	}
}
