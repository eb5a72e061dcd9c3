// Package csv reads Coterie's generic activity formats, for platforms with
// no importer of their own (Facebook groups, Instagram comments, Nextdoor,
// Circle): CSV with a header row ("csv") and JSON Lines ("jsonl"), one
// activity per row with the same field names in both.
//
// Columns (names are case-insensitive; Options.Columns maps other names):
//
//	id               optional; without it the key is a hash (see key)
//	time             RFC 3339, "2006-01-02 15:04:05" (UTC), or Unix s / ms
//	author_id        the author's id on the platform (else author_email,
//	                 else author_name is the id)
//	author_name, author_email, email_verified, author_username, author_url
//	platform         free text kept in Attributes["platform"]
//	channel          where it happened
//	kind             default "message" ("reply"/"comment" with a parent)
//	text, parent_id, url, is_bot
//
// Any other column is kept in the activity's Attributes.
package csv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/ingest"
)

// Options configures the reader.
type Options struct {
	// Columns maps a file's column (or JSON key) names, compared without
	// case, to Coterie's column names, e.g. {"Posted At": "time",
	// "Member": "author_name"}. A column mapped to "" is ignored.
	Columns map[string]string
}

// New returns the "csv" format.
func New() ingest.Format { return NewWithOptions(Options{}) }

// NewWithOptions returns the "csv" format with a column mapping.
func NewWithOptions(opts Options) ingest.Format { return format{jsonl: false, opts: opts} }

// NewJSONL returns the "jsonl" format: one JSON object per line.
func NewJSONL() ingest.Format { return NewJSONLWithOptions(Options{}) }

// NewJSONLWithOptions returns the "jsonl" format with a key mapping.
func NewJSONLWithOptions(opts Options) ingest.Format { return format{jsonl: true, opts: opts} }

type format struct {
	jsonl bool
	opts  Options
}

func (f format) Name() string {
	if f.jsonl {
		return "jsonl"
	}
	return "csv"
}

func (format) Platform() coterie.Platform { return coterie.PlatformCSV }

// Read reads one file, or every *.csv (for "csv") or *.jsonl / *.ndjson
// (for "jsonl") file under a folder; each file is one file unit.
func (f format) Read(ctx context.Context, path string, sink ingest.Sink) error {
	if _, err := f.opts.mapping(); err != nil {
		return err
	}
	exts := []string{".csv"}
	if f.jsonl {
		exts = []string{".jsonl", ".ndjson"}
	}
	files, err := ingest.Files(path, exts...)
	if err != nil {
		return err
	}
	for _, p := range files {
		if err := f.readFile(ctx, p, sink); err != nil {
			return err
		}
	}
	return nil
}

func (f format) readFile(ctx context.Context, p string, sink ingest.Sink) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := sink.BeginFile(p); err != nil {
		return err
	}
	r, err := os.Open(p)
	if err != nil {
		return sink.EndFile(&ingest.FileError{File: p, Message: err.Error()})
	}
	defer r.Close()
	var perr error
	if f.jsonl {
		perr = ParseJSONL(ctx, r, p, f.opts, sink)
	} else {
		perr = ParseCSV(ctx, r, p, f.opts, sink)
	}
	var fe *ingest.FileError
	switch {
	case perr == nil:
		return sink.EndFile(nil)
	case errors.As(perr, &fe):
		return sink.EndFile(fe)
	default:
		return perr
	}
}

// field is one of Coterie's columns.
type field int

const (
	fID field = iota
	fTime
	fAuthorID
	fAuthorName
	fAuthorEmail
	fEmailVerified
	fAuthorUsername
	fAuthorURL
	fPlatform
	fChannel
	fKind
	fText
	fParentID
	fURL
	fIsBot
	numFields
)

var fieldNames = [numFields]string{
	"id", "time", "author_id", "author_name", "author_email", "email_verified",
	"author_username", "author_url", "platform", "channel", "kind", "text",
	"parent_id", "url", "is_bot",
}

// ignored marks a column the mapping drops.
const ignored field = -1

func fieldByName(name string) (field, bool) {
	for i, n := range fieldNames {
		if n == name {
			return field(i), true
		}
	}
	return 0, false
}

// mapping returns the column mapping with lower-case keys, checking that
// every target is one of Coterie's columns.
func (o Options) mapping() (map[string]field, error) {
	m := make(map[string]field, len(o.Columns))
	keys := make([]string, 0, len(o.Columns))
	for k := range o.Columns {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		target := strings.ToLower(strings.TrimSpace(o.Columns[k]))
		if target == "" {
			m[strings.ToLower(strings.TrimSpace(k))] = ignored
			continue
		}
		f, ok := fieldByName(target)
		if !ok {
			return nil, fmt.Errorf("column mapping %q -> %q: %q is not a column Coterie reads (%s)",
				k, o.Columns[k], o.Columns[k], strings.Join(fieldNames[:], ", "))
		}
		m[strings.ToLower(strings.TrimSpace(k))] = f
	}
	return m, nil
}

// resolve names what a column (or key) of the file is: one of Coterie's
// fields, ignored, or (ok false) an extra attribute.
func resolve(m map[string]field, name string) (f field, ok bool) {
	key := strings.ToLower(strings.TrimSpace(name))
	if f, ok := m[key]; ok {
		return f, true
	}
	return fieldByName(key)
}

// Validate reports a column mapping whose target is not a column Coterie
// reads, so a command line can refuse it before reading anything.
func (o Options) Validate() error {
	_, err := o.mapping()
	return err
}
