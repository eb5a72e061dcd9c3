package cli

import (
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/coteriehq/coterie/internal/importer"
	"github.com/coteriehq/coterie/internal/ingest"
	"github.com/coteriehq/coterie/internal/ingest/formats"
)

func (a *app) importCmd() *cobra.Command {
	var workspace, communityName, source, timezone, columns string
	var asJSON bool
	c := &cobra.Command{
		Use:   "import FORMAT PATH",
		Short: "Import a platform export into a community (formats: " + strings.Join(formats.Names(), ", ") + ")",
		Long: `Import a platform export into a community, creating the workspace and the community if needed.
Importing the same export again adds nothing. A damaged file is reported with its position and
skipped whole; the other files still go in, and the command exits with status 1.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			req := importer.Request{Format: args[0], Path: args[1], Workspace: workspace, Community: communityName,
				Source: source, Timezone: timezone}
			if columns != "" {
				m, err := parseColumns(columns)
				if err != nil {
					return usageError{err}
				}
				req.Columns = m
			}
			if _, err := importer.Prepare(req); err != nil {
				return usageError{err}
			}
			st, done, err := a.store(ctx)
			if err != nil {
				return err
			}
			defer done()
			// The import's garbage is short-lived records: collecting less
			// often buys throughput for little heap (the import keeps its
			// member and identity indexes live, tens of MiB). The limit
			// bounds the heap whatever the export's size.
			defer debug.SetGCPercent(debug.SetGCPercent(200))
			defer debug.SetMemoryLimit(debug.SetMemoryLimit(300 << 20))
			var progress func(ingest.Progress)
			tty := false
			if fd, ok := a.stderr.(*os.File); ok && term.IsTerminal(int(fd.Fd())) {
				tty = true
				start, last := time.Now(), time.Time{}
				progress = func(p ingest.Progress) {
					if time.Since(last) < 100*time.Millisecond {
						return
					}
					last = time.Now()
					rate := float64(p.Activities) / time.Since(start).Seconds()
					fmt.Fprintf(a.stderr, "\r\033[Kimporting %s: %d files, %d activities (%.0f/s)  %s",
						args[0], p.Files, p.Activities, rate, p.File)
				}
			}
			sum, err := importer.Run(ctx, st, req, importer.Options{}, progress)
			if tty {
				fmt.Fprint(a.stderr, "\r\033[K")
			}
			if err != nil {
				return err
			}
			if asJSON {
				if err := jsonLine(a.stdout).Encode(sum); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(a.stdout, "imported %s into %s / %s in %.1fs: %d files, %d activities added, %d already there, %d members and %d identities added\n",
					args[1], req.Workspace, communityName, sum.Seconds, sum.Files, sum.ActivitiesAdded,
					sum.ActivitiesSkippedExisting, sum.MembersAdded, sum.IdentitiesAdded)
				if sum.ActivitiesSkippedErased > 0 {
					fmt.Fprintf(a.stdout, "%d activities of erased people were not imported\n", sum.ActivitiesSkippedErased)
				}
				for _, e := range sum.Errors {
					fmt.Fprintf(a.stderr, "error: %s\n", e.Error())
				}
			}
			if len(sum.Errors) > 0 {
				return &exitError{code: ExitFailure, err: fmt.Errorf("%d file(s) could not be imported", len(sum.Errors))}
			}
			return nil
		},
	}
	c.Flags().StringVar(&workspace, "workspace", "default", "workspace name")
	c.Flags().StringVar(&communityName, "community", "", "community name (required)")
	c.Flags().StringVar(&source, "source", "", "source name, to keep two exports of one platform apart (default: the platform)")
	c.Flags().BoolVar(&asJSON, "json", false, "print exactly one JSON object")
	c.Flags().StringVar(&timezone, "timezone", "", "whatsapp: the time zone of the phone that made the export (IANA name; default UTC)")
	c.Flags().StringVar(&columns, "columns", "", `csv, jsonl: map the file's column names to Coterie's, "Theirs=ours,Other=text" ("Notes=" ignores a column)`)
	return c
}

// parseColumns reads "Theirs=ours,Other=text". Coterie's names never hold
// "=", so the last "=" of each pair splits it.
func parseColumns(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, pair := range strings.Split(s, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		i := strings.LastIndexByte(pair, '=')
		if i <= 0 {
			return nil, fmt.Errorf("--columns: %q is not THEIRS=OURS", pair)
		}
		m[strings.TrimSpace(pair[:i])] = strings.TrimSpace(pair[i+1:])
	}
	return m, nil
}
