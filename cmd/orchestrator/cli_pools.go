package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/fnchain/orchestrator/internal/pools"
)

// runPools prints each worker pool's size, backlog and recent resizes, as
// the API of a running orchestrator reports them.
func runPools(args []string) error {
	fs := flag.NewFlagSet("pools", flag.ContinueOnError)
	c := bindAPI(fs)
	asJSON := fs.Bool("json", false, "print the API's JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	var out pools.ListOutput
	_, body, err := c.call("GET", "/v1/pools", "", nil, &out.Body)
	if err != nil {
		return err
	}
	if *asJSON {
		_, err := os.Stdout.Write(body)
		return err
	}
	return printPools(os.Stdout, out.Body.Pools)
}

func printPools(w io.Writer, ps []pools.Status) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "QUEUE\tSIZE\tMIN\tMAX\tBUSY\tBACKLOG\tAGE\tREPLICAS\tLOCAL")
	for _, p := range ps {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%d\t%v\n", p.Queue, p.Size, p.Min, p.Max, p.Busy, p.Stats.Backlog,
			p.Stats.BacklogAge.Round(time.Millisecond), p.DesiredReplicas, p.Local)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, p := range ps {
		if len(p.Decisions) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s: recent resizes\n", p.Queue)
		for _, d := range p.Decisions {
			fmt.Fprintf(w, "  %s  %d -> %d  %s (backlog %d, age %s, busy %d)\n", d.At.Local().Format(time.TimeOnly), d.From, d.To, d.Reason,
				d.Backlog, d.BacklogAge.Round(time.Millisecond), d.Busy)
		}
	}
	return nil
}
