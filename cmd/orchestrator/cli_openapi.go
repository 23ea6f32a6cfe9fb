package main

import (
	"flag"
	"fmt"
	"os"
)

// runOpenAPI prints the API's OpenAPI document, with an operation per
// deployed workflow, for client generators.
func runOpenAPI(args []string) error {
	fs := flag.NewFlagSet("openapi", flag.ContinueOnError)
	c := bindAPI(fs)
	format := fs.String("format", "json", "json or yaml")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *format != "json" && *format != "yaml" {
		return fmt.Errorf("--format %q: use json or yaml", *format)
	}
	_, doc, err := c.call("GET", "/openapi."+*format, "", nil, nil)
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(doc)
	return err
}
