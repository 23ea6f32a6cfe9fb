package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/fnchain/orchestrator/api"
	"github.com/fnchain/orchestrator/internal/config"
	"github.com/fnchain/orchestrator/internal/sqldb"
)

// runKeys manages API keys in the orchestrator database directly, so that
// the first key exists before any API answers.
func runKeys(args []string) error {
	usage := "usage: orchestrator keys create --scope read|run|admin [--name NAME] | list | revoke ID  [--database URL]"
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, usage)
		return errUsage
	}
	fs := flag.NewFlagSet("keys "+args[0], flag.ContinueOnError)
	loader := config.Bind(fs, config.GroupDatabase)
	scope := fs.String("scope", "", "what the key may do: read, run (read and manage runs) or admin (everything)")
	name := fs.String("name", "", "a note on who uses the key")
	if err := parse(fs, reorder(args[1:])); err != nil {
		return err
	}
	cfg, err := loader.Load()
	if err != nil {
		return err
	}
	if cfg.Database == "" {
		// The database orchestrator dev uses by default.
		cfg.Database = "sqlite://" + filepath.Join(config.Default().Dev.DataDir, "fnchain.db")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sqldb.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer db.Close()
	keys, err := api.NewKeys(ctx, db)
	if err != nil {
		return err
	}
	switch args[0] {
	case "create":
		if *scope == "" {
			return fmt.Errorf("--scope is required: read, run or admin")
		}
		k, secret, err := keys.Create(ctx, *name, *scope)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "created api key %s with scope %s; it is shown once, keep it now:\n", k.ID, k.Scope)
		fmt.Println(secret)
		return nil
	case "list":
		list, err := keys.List(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSCOPE\tNAME\tCREATED")
		for _, k := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.ID, k.Scope, k.Name, k.CreatedAt.Local().Format(time.DateTime))
		}
		return tw.Flush()
	case "revoke":
		if fs.NArg() != 1 {
			fmt.Fprintln(os.Stderr, usage)
			return errUsage
		}
		if err := keys.Revoke(ctx, fs.Arg(0)); err != nil {
			return err
		}
		fmt.Printf("revoked api key %s\n", fs.Arg(0))
		return nil
	}
	fmt.Fprintln(os.Stderr, usage)
	return errUsage
}
