// Command coterie is the Coterie binary: the dashboard server, importers,
// reports and administration, on embedded SQLite or PostgreSQL.
package main

import (
	"context"
	"os"

	"github.com/coteriehq/coterie/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	cli.Version = version
	os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
