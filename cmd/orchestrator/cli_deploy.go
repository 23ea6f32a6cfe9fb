package main

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
)

// runDeploy sends workflow files to the API; each file is deployed whole
// or not at all, and every problem is printed.
func runDeploy(args []string) error {
	fs := flag.NewFlagSet("deploy", flag.ContinueOnError)
	c := bindAPI(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: orchestrator deploy [--api URL] [--api-key KEY] FILE...")
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	failed := false
	for _, file := range fs.Args() {
		src, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("reading workflow file: %w", err)
		}
		var out struct {
			Workflows []struct {
				Name    string `json:"name"`
				Version int    `json:"version"`
				Changed bool   `json:"changed"`
			} `json:"workflows"`
		}
		if _, _, err := c.call("POST", "/v1/workflows?file="+url.QueryEscape(filepath.Base(file)), "application/yaml", src, &out); err != nil {
			fmt.Fprintf(os.Stderr, "%s: not deployed: %v\n", file, err)
			failed = true
			continue
		}
		for _, w := range out.Workflows {
			note := ""
			if !w.Changed {
				note = " (unchanged)"
			}
			fmt.Printf("deployed %s version %d%s\n", w.Name, w.Version, note)
		}
	}
	if failed {
		return errSilentFailure
	}
	return nil
}
