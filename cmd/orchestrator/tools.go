package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/fnchain/orchestrator/activities"
	"github.com/fnchain/orchestrator/bindings"
	"github.com/fnchain/orchestrator/dsl"
	"github.com/fnchain/orchestrator/internal/config"
)

// offlineFunctions is the function registry as a worker with this
// configuration would have it, built without opening any connection: what
// `validate` and `functions` check against and print.
func offlineFunctions(cfg *config.Config) (*activities.Registry, error) {
	conns, err := connections(cfg)
	if err != nil {
		return nil, err
	}
	if err := conns.Validate(); err != nil {
		return nil, err
	}
	reg, err := bindings.NewRegistry(&bindings.Pool{})
	if err != nil {
		return nil, err
	}
	reg.SetConnections(conns)
	return reg, nil
}

// connections decodes the `connections:` section of the configuration.
func connections(cfg *config.Config) (bindings.Connections, error) {
	var conns bindings.Connections
	if !cfg.Connections.IsZero() {
		if err := cfg.Connections.Decode(&conns); err != nil {
			return nil, fmt.Errorf("connections in the configuration: %w", err)
		}
	}
	return conns, nil
}

// runValidate checks workflow files and directories and reports every
// problem; the exit status is 1 when there is any.
func runValidate(args []string) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	format := fs.String("format", "text", "output format: text (file:line:col: message) or json")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: orchestrator validate [--format text|json] FILE|DIR...")
		fs.PrintDefaults()
	}
	cfg, _, err := configure(fs, 0, args)
	if err != nil {
		return err
	}
	if fs.NArg() == 0 || (*format != "text" && *format != "json") {
		fs.Usage()
		return errUsage
	}
	reg, err := offlineFunctions(cfg)
	if err != nil {
		return err
	}

	var problems dsl.Errors
	var workflows []*dsl.Workflow
	for _, path := range fs.Args() {
		plans, err := loadPath(path, reg)
		var errs dsl.Errors
		switch {
		case errors.As(err, &errs):
			problems = append(problems, errs...)
		case err != nil:
			problems = append(problems, &dsl.Error{File: path, Message: err.Error()})
		}
		workflows = append(workflows, plans...)
	}
	if *format == "json" {
		out := struct {
			Valid    []validWorkflow `json:"valid"`
			Problems dsl.Errors      `json:"problems"`
		}{Problems: problems}
		if out.Problems == nil {
			out.Problems = dsl.Errors{}
		}
		for _, w := range workflows {
			out.Valid = append(out.Valid, validWorkflow{Name: w.Name, File: w.File, Hash: w.Hash})
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		for _, p := range problems {
			fmt.Println(p.Error())
		}
		if len(problems) == 0 {
			fmt.Fprintf(os.Stderr, "%d workflow(s) valid\n", len(workflows))
		} else {
			fmt.Fprintf(os.Stderr, "%d problem(s)\n", len(problems))
		}
	}
	if len(problems) > 0 {
		return errSilentFailure
	}
	return nil
}

type validWorkflow struct {
	Name string `json:"name"`
	File string `json:"file"`
	Hash string `json:"hash"`
}

func loadPath(path string, reg dsl.Registry) ([]*dsl.Workflow, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %w", errors.Unwrap(err))
	}
	if info.IsDir() {
		return dsl.LoadDir(path, reg)
	}
	return dsl.LoadFile(path, reg)
}

// runSchema prints the JSON Schema of the workflow language, for editors.
func runSchema(args []string) error {
	fs := flag.NewFlagSet("schema", flag.ContinueOnError)
	if err := parse(fs, args); err != nil {
		return err
	}
	_, err := os.Stdout.Write(dsl.JSONSchema())
	return err
}

// runFunctions lists the functions a worker with this configuration serves,
// with their argument and output schemas.
func runFunctions(args []string) error {
	cfg, _, err := configure(flag.NewFlagSet("functions", flag.ContinueOnError), 0, args)
	if err != nil {
		return err
	}
	reg, err := offlineFunctions(cfg)
	if err != nil {
		return err
	}
	return reg.Describe(os.Stdout)
}
