// Command orchestrator runs fnchain: the embedded development stack (dev),
// the API and triggers (serve), workers (worker), and tools around workflow
// files.
package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/fnchain/orchestrator/internal/config"
)

type command struct {
	name    string
	summary string
	run     func(args []string) error
}

func commands() []command {
	return []command{
		{"dev", "run Temporal, Temporal UI, the API and a worker in one process", runDev},
		{"serve", "run the API and triggers against a Temporal cluster", runServe},
		{"worker", "run a worker against a Temporal cluster", runWorker},
		{"validate", "check workflow files and print every problem", runValidate},
		{"schema", "print the JSON Schema of workflow files, for editors", runSchema},
		{"functions", "list the functions workflows can call, with their schemas", runFunctions},
		{"deploy", "deploy workflow files through the API", runDeploy},
		{"run", "start a run through the API (--follow shows its steps)", runRun},
		{"runs", "list, get, cancel and signal runs through the API", runRuns},
		{"openapi", "print the API's OpenAPI document", runOpenAPI},
		{"keys", "create, list and revoke API keys", runKeys},
		{"pools", "show the worker pools: size, backlog and recent resizes", runPools},
		{"version", "print the build", runVersion},
	}
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	for _, c := range commands() {
		if c.name == os.Args[1] {
			err := c.run(os.Args[2:])
			switch {
			case err == nil:
				return
			case errors.Is(err, flag.ErrHelp):
				return
			case errors.Is(err, errUsage):
				os.Exit(2)
			case errors.Is(err, errSilentFailure):
				os.Exit(1)
			}
			fmt.Fprintf(os.Stderr, "orchestrator %s: %v\n", c.name, err)
			os.Exit(1)
		}
	}
	if os.Args[1] == "help" || os.Args[1] == "-h" || os.Args[1] == "--help" {
		usage()
		return
	}
	fmt.Fprintf(os.Stderr, "orchestrator: unknown command %q\n", os.Args[1])
	usage()
	os.Exit(2)
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: orchestrator <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(os.Stderr, "\nrun 'orchestrator <command> -h' for a command's flags")
}

var (
	// errUsage: the flag package already printed what was wrong.
	errUsage = errors.New("usage")
	// errSilentFailure: the command already printed its report (validate).
	errSilentFailure = errors.New("failed")
)

// configure binds the settings of groups to fs, parses args, and loads the
// configuration and the logger: the start of every command that runs.
func configure(fs *flag.FlagSet, groups config.Group, args []string) (*config.Config, *slog.Logger, error) {
	loader := config.Bind(fs, groups)
	if err := parse(fs, args); err != nil {
		return nil, nil, err
	}
	cfg, err := loader.Load()
	if err != nil {
		return nil, nil, err
	}
	logger, err := newLogger(cfg.Log)
	if err != nil {
		return nil, nil, err
	}
	return cfg, logger, nil
}

// parse parses a command's flags, reporting misuse once and by exit status.
func parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(os.Stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}
