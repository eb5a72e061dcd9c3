// Package formats lists every import format by the name the CLI and the API
// use for it.
package formats

import (
	"sort"
	"time"

	"github.com/coteriehq/coterie/internal/ingest"
	"github.com/coteriehq/coterie/internal/ingest/csv"
	"github.com/coteriehq/coterie/internal/ingest/discord"
	"github.com/coteriehq/coterie/internal/ingest/discourse"
	"github.com/coteriehq/coterie/internal/ingest/reddit"
	"github.com/coteriehq/coterie/internal/ingest/slack"
	"github.com/coteriehq/coterie/internal/ingest/telegram"
	"github.com/coteriehq/coterie/internal/ingest/whatsapp"
)

// Options are the settings some formats take.
type Options struct {
	// Location is the time zone of exports that write local times with no
	// zone (WhatsApp). Nil means UTC.
	Location *time.Location
	// Columns maps a generic CSV or JSON Lines file's column names to
	// Coterie's (see csv.Options).
	Columns map[string]string
}

// Validate reports settings that no import could use.
func (o Options) Validate() error {
	return csv.Options{Columns: o.Columns}.Validate()
}

func all(o Options) []ingest.Format {
	cols := csv.Options{Columns: o.Columns}
	return []ingest.Format{
		slack.New(), discord.New(), telegram.New(), whatsapp.NewWithOptions(whatsapp.Options{Location: o.Location}),
		reddit.New(), discourse.New(), csv.NewWithOptions(cols), csv.NewJSONLWithOptions(cols),
	}
}

// Lookup returns the format with this name, configured by o.
func Lookup(name string, o Options) (ingest.Format, bool) {
	for _, f := range all(o) {
		if f.Name() == name {
			return f, true
		}
	}
	return nil, false
}

// Names lists the format names, sorted.
func Names() []string {
	var out []string
	for _, f := range all(Options{}) {
		out = append(out, f.Name())
	}
	sort.Strings(out)
	return out
}
