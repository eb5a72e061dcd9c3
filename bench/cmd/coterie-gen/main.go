// Command coterie-gen writes a deterministic synthetic export (Slack,
// Discord or Reddit) of any size and prints, as one JSON object on stdout,
// the counts an import of it should find.
//
//	go run ./bench/cmd/coterie-gen -format slack -messages 100000 -seed 1 -out /tmp/slack [-zip]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/coteriehq/coterie/bench/gen"
)

func main() {
	var o gen.Options
	flag.StringVar(&o.Format, "format", "slack", "export to write: slack, discord or reddit")
	flag.IntVar(&o.Messages, "messages", 10000, "message records to write (human messages, replies and bot messages)")
	flag.Uint64Var(&o.Seed, "seed", 1, "random seed; the same seed and size give byte-identical output")
	flag.StringVar(&o.Out, "out", "", "output folder (slack, discord), zip file (slack -zip) or NDJSON file (reddit)")
	flag.BoolVar(&o.Zip, "zip", false, "slack: write one zip archive instead of a folder")
	flag.BoolVar(&o.Zstd, "zst", false, "reddit: compress the NDJSON file with zstd")
	flag.Parse()
	if o.Out == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if o.Zip && o.Format != gen.FormatSlack {
		fmt.Fprintln(os.Stderr, "coterie-gen: -zip is for -format slack only")
		os.Exit(2)
	}
	if o.Zstd && o.Format != gen.FormatReddit {
		fmt.Fprintln(os.Stderr, "coterie-gen: -zst is for -format reddit only")
		os.Exit(2)
	}
	c, err := gen.Generate(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "coterie-gen:", err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(c); err != nil {
		fmt.Fprintln(os.Stderr, "coterie-gen:", err)
		os.Exit(1)
	}
}
