package main

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"text/tabwriter"
	"time"

	"github.com/fnchain/orchestrator/api"
)

// runRuns lists and manages runs through the API.
func runRuns(args []string) error {
	usage := "usage: orchestrator runs list|get|cancel|signal [flags] ..."
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, usage)
		return errUsage
	}
	fs := flag.NewFlagSet("runs "+args[0], flag.ContinueOnError)
	c := bindAPI(fs)
	switch args[0] {
	case "list":
		workflow := fs.String("workflow", "", "only runs of this workflow")
		status := fs.String("status", "", "only runs in this status (running, completed, failed, canceled, terminated, timedOut)")
		since := fs.Duration("since", 0, "only runs started within this long, such as 1h")
		limit := fs.Int("limit", 50, "at most this many runs")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		q := url.Values{"pageSize": {fmt.Sprint(*limit)}}
		for k, v := range map[string]string{"workflow": *workflow, "status": *status} {
			if v != "" {
				q.Set(k, v)
			}
		}
		if *since > 0 {
			q.Set("startedAfter", time.Now().Add(-*since).UTC().Format(time.RFC3339))
		}
		var out struct {
			Runs []api.RunSummary `json:"runs"`
		}
		if _, _, err := c.call("GET", "/v1/runs?"+q.Encode(), "", nil, &out); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tWORKFLOW\tSTATUS\tSTARTED")
		for _, r := range out.Runs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Workflow, r.Status, r.StartedAt.Local().Format(time.DateTime))
		}
		return tw.Flush()
	case "get", "cancel":
		if err := parse(fs, reorder(args[1:])); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			fmt.Fprintf(os.Stderr, "usage: orchestrator runs %s [flags] RUN-ID\n", args[0])
			return errUsage
		}
		path := "/v1/runs/" + url.PathEscape(fs.Arg(0))
		if args[0] == "cancel" {
			_, _, err := c.call("POST", path+"/cancel", "", nil, nil)
			if err == nil {
				fmt.Printf("asked run %s to cancel\n", fs.Arg(0))
			}
			return err
		}
		var run api.Run
		if _, _, err := c.call("GET", path, "", nil, &run); err != nil {
			return err
		}
		return printJSON(run)
	case "signal":
		payload := fs.String("payload", "", "the signal's payload: JSON, or @file.json")
		if err := parse(fs, reorder(args[1:])); err != nil {
			return err
		}
		if fs.NArg() != 2 {
			fmt.Fprintln(os.Stderr, "usage: orchestrator runs signal [flags] RUN-ID SIGNAL")
			return errUsage
		}
		body, err := readValue("payload", *payload)
		if err != nil {
			return err
		}
		if _, _, err := c.call("POST", "/v1/runs/"+url.PathEscape(fs.Arg(0))+"/signals/"+url.PathEscape(fs.Arg(1)), "application/json", body, nil); err != nil {
			return err
		}
		fmt.Printf("sent %s to run %s\n", fs.Arg(1), fs.Arg(0))
		return nil
	}
	fmt.Fprintln(os.Stderr, usage)
	return errUsage
}
