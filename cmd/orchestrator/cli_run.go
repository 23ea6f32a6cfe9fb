package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/fnchain/orchestrator/api"
)

// runRun starts a run through the API and, with --follow, shows its steps
// as they start and finish until it ends.
func runRun(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	c := bindAPI(fs)
	input := fs.String("input", "", "the run input: JSON, or @file.json")
	follow := fs.Bool("follow", false, "show steps as they start and finish, then the result")
	wait := fs.Duration("wait", 0, "wait this long (at most 60s) for the result instead of following")
	key := fs.String("idempotency-key", "", "the same key never starts two runs")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: orchestrator run [flags] NAME")
		fs.PrintDefaults()
	}
	if err := parse(fs, reorder(args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	body, err := readValue("input", *input)
	if err != nil {
		return err
	}
	path := "/v1/workflows/" + url.PathEscape(fs.Arg(0)) + "/runs"
	if *wait > 0 {
		path += "?wait=" + wait.String()
	}
	if *key != "" {
		c = c.with("Idempotency-Key", *key)
	}
	var run api.Run
	if _, _, err := c.call("POST", path, "application/json", body, &run); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "started %s run %s\n", run.Workflow, run.ID)
	if run.UIURL != "" {
		fmt.Fprintf(os.Stderr, "  %s\n", run.UIURL)
	}
	if *follow {
		v := &followView{out: os.Stderr}
		for run.Status == "running" {
			time.Sleep(500 * time.Millisecond)
			if _, _, err := c.call("GET", "/v1/runs/"+url.PathEscape(run.ID), "", nil, &run); err != nil {
				return err
			}
			v.show(run)
		}
	}
	if run.Status == "running" {
		fmt.Println(run.ID)
		return nil
	}
	return printOutcome(run)
}

// printOutcome prints the result, or the error with a failing status.
func printOutcome(run api.Run) error {
	if run.Status == "completed" {
		return printJSON(run.Result)
	}
	fmt.Fprintf(os.Stderr, "run %s %s", run.ID, run.Status)
	if run.Error != nil {
		fmt.Fprintf(os.Stderr, ": %s %s", run.Error.Type, run.Error.Message)
	}
	fmt.Fprintln(os.Stderr)
	return errSilentFailure
}

// followView prints what changed between two looks at a run.
type followView struct {
	out       io.Writer
	running   map[string]bool
	waiting   map[string]bool
	completed int
	items     string
}

func (v *followView) show(run api.Run) {
	if v.running == nil {
		v.running, v.waiting = map[string]bool{}, map[string]bool{}
	}
	// Completed holds the latest steps; the count says how many are new.
	fresh := min(run.CompletedCount-v.completed, len(run.Completed))
	for _, s := range run.Completed[len(run.Completed)-fresh:] {
		if !isItem(s.ID) {
			out, _ := json.Marshal(s.Output)
			fmt.Fprintf(v.out, "  done     %s  %s\n", s.ID, clip(string(out), 100))
		}
	}
	v.completed = run.CompletedCount
	now := map[string]bool{}
	for _, s := range run.Current {
		now[s.ID] = true
		if !v.running[s.ID] && !isItem(s.ID) {
			fmt.Fprintf(v.out, "  start    %s %s\n", s.ID, s.Name)
		}
	}
	v.running = now
	waits := map[string]bool{}
	for _, w := range run.Waiting {
		waits[w.Step] = true
		if !v.waiting[w.Step] {
			fmt.Fprintf(v.out, "  waiting  %s for signal %s (orchestrator runs signal %s %s --payload JSON)\n", w.Step, w.Signal, run.ID, w.Signal)
		}
	}
	v.waiting = waits
	v.showItems(run)
}

// showItems draws a bar of the foreach elements finished and running;
// the run does not report how many elements there are in all.
func (v *followView) showItems(run api.Run) {
	done, running := 0, 0
	for _, s := range run.Completed {
		if isItem(s.ID) {
			done++
		}
	}
	for _, s := range run.Current {
		if isItem(s.ID) {
			running++
		}
	}
	if done+running == 0 {
		return
	}
	const width = 30
	filled := width * done / (done + running)
	line := fmt.Sprintf("  foreach  [%s%s] %d done, %d running", strings.Repeat("#", filled), strings.Repeat(".", width-filled), done, running)
	if line != v.items {
		fmt.Fprintln(v.out, line)
		v.items = line
	}
}

// isItem reports a step id of a foreach element ("fetch[3]").
func isItem(id string) bool { return strings.Contains(id, "[") }

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// reorder moves flags before the positional arguments, so that
// `run NAME --input x` works as users type it.
func reorder(args []string) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(append(flags, args[i:]...), rest...)
		case strings.HasPrefix(a, "-"):
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) && !boolFlagName(a) {
				flags = append(flags, args[i+1])
				i++
			}
		default:
			rest = append(rest, a)
		}
	}
	return append(flags, rest...)
}

func boolFlagName(a string) bool {
	name := strings.TrimLeft(a, "-")
	return name == "follow" || name == "h" || name == "help"
}
