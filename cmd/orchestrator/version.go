package main

import (
	"flag"
	"fmt"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = "dev"

func runVersion(args []string) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Println(buildVersion())
	return nil
}

// buildVersion names the release, the commit when the build recorded one, the
// Go toolchain and the embedded Temporal server.
func buildVersion() string {
	s := "orchestrator " + version
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, kv := range info.Settings {
			if kv.Key == "vcs.revision" && len(kv.Value) >= 12 {
				s += " (" + kv.Value[:12] + ")"
			}
		}
		s += " " + info.GoVersion
	}
	return s + " temporal-server " + temporalServerVersion
}
