package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fnchain/orchestrator/internal/config"
	"github.com/fnchain/orchestrator/internal/pools"
)

// runPools prints each worker pool's size, backlog and recent resizes, as
// the API of a running orchestrator reports them.
func runPools(args []string) error {
	fs := flag.NewFlagSet("pools", flag.ContinueOnError)
	apiURL := fs.String("api", envOr(config.EnvName("api-url"), "http://127.0.0.1:8080"), "URL of the orchestrator API (env "+config.EnvName("api-url")+")")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(strings.TrimSuffix(*apiURL, "/") + "/v1/pools")
	if err != nil {
		return fmt.Errorf("asking %s for the pools (is the orchestrator running? give --api): %w", *apiURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("reading the pools: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s/v1/pools answered %s: %s", *apiURL, resp.Status, strings.TrimSpace(string(body)))
	}
	if *asJSON {
		_, err := os.Stdout.Write(body)
		return err
	}
	var out pools.ListOutput
	if err := json.Unmarshal(body, &out.Body); err != nil {
		return fmt.Errorf("decoding the pools: %w", err)
	}
	return printPools(os.Stdout, out.Body.Pools)
}

func printPools(w io.Writer, ps []pools.PoolStatus) error {
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

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
