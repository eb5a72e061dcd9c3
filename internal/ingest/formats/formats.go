// Package formats lists every import format by the name the CLI and the API
// use for it.
package formats

import (
	"sort"

	"github.com/coteriehq/coterie/internal/ingest"
	"github.com/coteriehq/coterie/internal/ingest/csv"
	"github.com/coteriehq/coterie/internal/ingest/discord"
	"github.com/coteriehq/coterie/internal/ingest/discourse"
	"github.com/coteriehq/coterie/internal/ingest/reddit"
	"github.com/coteriehq/coterie/internal/ingest/slack"
	"github.com/coteriehq/coterie/internal/ingest/telegram"
	"github.com/coteriehq/coterie/internal/ingest/whatsapp"
)

func all() []ingest.Format {
	return []ingest.Format{
		slack.New(), discord.New(), telegram.New(), whatsapp.New(),
		reddit.New(), discourse.New(), csv.New(), csv.NewJSONL(),
	}
}

// Lookup returns the format with this name.
func Lookup(name string) (ingest.Format, bool) {
	for _, f := range all() {
		if f.Name() == name {
			return f, true
		}
	}
	return nil, false
}

// Names lists the format names, sorted.
func Names() []string {
	var out []string
	for _, f := range all() {
		out = append(out, f.Name())
	}
	sort.Strings(out)
	return out
}
