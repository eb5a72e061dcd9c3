// Package importer runs one import end to end: it finds or creates the
// workspace, community and source, reads the export with its format and
// writes it through the community store. The CLI and the background import
// job both call it, so an import means the same wherever it starts.
package importer

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/coteriehq/coterie/internal/community"
	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/ingest"
	"github.com/coteriehq/coterie/internal/ingest/formats"
)

// Request says what to import where.
type Request struct {
	Format    string            `json:"format"`
	Path      string            `json:"path"`
	Workspace string            `json:"workspace"`
	Community string            `json:"community"`
	Source    string            `json:"source,omitempty"`
	Timezone  string            `json:"timezone,omitempty"`
	Columns   map[string]string `json:"columns,omitempty"`
}

// Summary is what an import did: the object `coterie import --json` prints.
type Summary struct {
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

// Prepare checks a request and returns the format it names, configured.
// Every problem it finds is EINVALID: the request cannot work as given.
func Prepare(r Request) (ingest.Format, error) {
	opts := formats.Options{Columns: r.Columns}
	if r.Timezone != "" {
		loc, err := time.LoadLocation(r.Timezone)
		if err != nil {
			return nil, coterie.Errorf(coterie.EINVALID, "--timezone %q is not a known time zone (use an IANA name such as Europe/London)", r.Timezone)
		}
		opts.Location = loc
	}
	if err := opts.Validate(); err != nil {
		return nil, coterie.Errorf(coterie.EINVALID, "%v", err)
	}
	f, ok := formats.Lookup(r.Format, opts)
	if !ok {
		return nil, coterie.Errorf(coterie.EINVALID, "unknown format %q (known: %s)", r.Format, strings.Join(formats.Names(), ", "))
	}
	if strings.TrimSpace(r.Community) == "" {
		return nil, coterie.Errorf(coterie.EINVALID, "--community is required")
	}
	if _, err := os.Stat(r.Path); err != nil {
		return nil, coterie.Errorf(coterie.EINVALID, "cannot read %s: %v", r.Path, err)
	}
	return f, nil
}

// Options tune how an import writes.
type Options struct {
	// CommitEvery bounds how long one transaction stays open (0: the
	// writer's default, for an import that has the database to itself).
	CommitEvery time.Duration
}

// Run imports r into st. progress, when not nil, is called after every
// file. Damaged files are listed in the summary, not returned as an error.
func Run(ctx context.Context, st *community.Store, r Request, o Options, progress func(ingest.Progress)) (*Summary, error) {
	f, err := Prepare(r)
	if err != nil {
		return nil, err
	}
	if r.Workspace == "" {
		r.Workspace = "default"
	}
	ws, err := st.EnsureWorkspace(ctx, r.Workspace)
	if err != nil {
		return nil, err
	}
	comm, err := st.EnsureCommunity(ctx, ws.ID, r.Community)
	if err != nil {
		return nil, err
	}
	source := r.Source
	if source == "" {
		source = string(f.Platform())
	}
	src, err := st.EnsureSource(ctx, comm, f.Platform(), source)
	if err != nil {
		return nil, err
	}
	w, err := st.NewWriter(ctx, comm, src)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	if o.CommitEvery > 0 {
		w.SetCommitInterval(o.CommitEvery)
	}
	start := time.Now()
	res, err := ingest.Run(ctx, f, r.Path, w, progress)
	if err != nil {
		return nil, err
	}
	counts, err := w.Finish(ctx)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", r.Path, err)
	}
	sum := &Summary{
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
	return sum, nil
}
