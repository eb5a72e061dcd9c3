package cli

import (
	"fmt"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/coteriehq/coterie/internal/ingest"
	"github.com/coteriehq/coterie/internal/ingest/formats"
)

// importSummary is the one JSON object `coterie import --json` prints.
type importSummary struct {
	Format                    string             `json:"format"`
	Files                     int                `json:"files"`
	ActivitiesAdded           int                `json:"activities_added"`
	ActivitiesSkippedExisting int                `json:"activities_skipped_existing"`
	ActivitiesSkippedErased   int                `json:"activities_skipped_erased"`
	MembersAdded              int                `json:"members_added"`
	IdentitiesAdded           int                `json:"identities_added"`
	ChannelsAdded             int                `json:"channels_added"`
	Seconds                   float64            `json:"seconds"`
	Errors                    []ingest.FileError `json:"errors"`
}

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
			opts := formats.Options{}
			if timezone != "" {
				loc, err := time.LoadLocation(timezone)
				if err != nil {
					return usageError{fmt.Errorf("--timezone %q is not a known time zone (use an IANA name such as Europe/London)", timezone)}
				}
				opts.Location = loc
			}
			if columns != "" {
				m, err := parseColumns(columns)
				if err != nil {
					return usageError{err}
				}
				opts.Columns = m
			}
			if err := opts.Validate(); err != nil {
				return usageError{err}
			}
			f, ok := formats.Lookup(args[0], opts)
			if !ok {
				return usageError{fmt.Errorf("unknown format %q (known: %s)", args[0], strings.Join(formats.Names(), ", "))}
			}
			if communityName == "" {
				return usageError{fmt.Errorf("--community is required")}
			}
			if _, err := os.Stat(args[1]); err != nil {
				return usageError{fmt.Errorf("cannot read %s: %w", args[1], err)}
			}
			st, done, err := a.store(ctx)
			if err != nil {
				return err
			}
			defer done()
			ws, err := st.EnsureWorkspace(ctx, workspace)
			if err != nil {
				return err
			}
			comm, err := st.EnsureCommunity(ctx, ws.ID, communityName)
			if err != nil {
				return err
			}
			if source == "" {
				source = string(f.Platform())
			}
			src, err := st.EnsureSource(ctx, comm, f.Platform(), source)
			if err != nil {
				return err
			}
			// The import's garbage is short-lived records; collecting less
			// often buys throughput for a few MiB of heap. The memory limit
			// keeps the heap bounded whatever the export's size.
			defer debug.SetGCPercent(debug.SetGCPercent(200))
			defer debug.SetMemoryLimit(debug.SetMemoryLimit(160 << 20))
			w, err := st.NewWriter(ctx, comm, src)
			if err != nil {
				return err
			}
			defer w.Close()
			start := time.Now()
			var progress func(ingest.Progress)
			tty := false
			if fd, ok := a.stderr.(*os.File); ok && term.IsTerminal(int(fd.Fd())) {
				tty = true
				last := time.Time{}
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
			res, runErr := ingest.Run(ctx, f, args[1], w, progress)
			if tty {
				fmt.Fprint(a.stderr, "\r\033[K")
			}
			if runErr != nil {
				return runErr
			}
			counts, err := w.Finish(ctx)
			if err != nil {
				return err
			}
			sum := importSummary{
				Format: f.Name(), Files: res.Files + len(res.Errors),
				ActivitiesAdded: counts.ActivitiesAdded, ActivitiesSkippedExisting: counts.ActivitiesSkippedExisting,
				ActivitiesSkippedErased: counts.ActivitiesSkippedErased,
				MembersAdded:            counts.MembersAdded, IdentitiesAdded: counts.IdentitiesAdded,
				ChannelsAdded: counts.ChannelsAdded, Seconds: time.Since(start).Seconds(),
				Errors: res.Errors,
			}
			if sum.Errors == nil {
				sum.Errors = []ingest.FileError{}
			}
			sort.SliceStable(sum.Errors, func(i, j int) bool { return sum.Errors[i].File < sum.Errors[j].File })
			if asJSON {
				enc := jsonLine(a.stdout)
				if err := enc.Encode(sum); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(a.stdout, "imported %s into %s / %s in %.1fs: %d files, %d activities added, %d already there, %d members and %d identities added\n",
					args[1], ws.Name, comm.Name, sum.Seconds, sum.Files, sum.ActivitiesAdded,
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
