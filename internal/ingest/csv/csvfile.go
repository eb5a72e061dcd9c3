package csv

import (
	"bufio"
	"context"
	encsv "encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/coteriehq/coterie/internal/ingest"
)

// ParseCSV reads one CSV file from r and reports its channels, people and
// activities to sink (the caller brackets it with BeginFile and EndFile).
// The first record is the header row. It returns a *ingest.FileError
// naming the line when the file is damaged or a row is invalid, and the
// sink's or ctx's error otherwise.
func ParseCSV(ctx context.Context, r io.Reader, file string, opts Options, sink ingest.Sink) error {
	m, err := opts.mapping()
	if err != nil {
		return err
	}
	br := bufio.NewReaderSize(r, 64<<10)
	// Excel writes "UTF-8 CSV" with a byte-order mark.
	if bom, _ := br.Peek(3); string(bom) == "\xef\xbb\xbf" {
		br.Discard(3)
	}
	cr := encsv.NewReader(br)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = 0 // every record must have as many fields as the header

	header, err := cr.Read()
	if err == io.EOF {
		return ingest.AtLine(file, 1, "empty file: a header row naming the columns is required")
	}
	if err != nil {
		return csvError(file, err)
	}
	names := fieldNames
	var has [numFields]bool
	cols := make([]field, len(header)) // what each column is
	extraNames := make([]string, len(header))
	const extra field = -2
	seen := map[field]string{}
	for i, h := range header {
		f, ok := resolve(m, h)
		switch {
		case !ok:
			cols[i] = extra
			extraNames[i] = strings.TrimSpace(h)
			if extraNames[i] == "" {
				extraNames[i] = "column_" + strconv.Itoa(i+1)
			}
		case f == ignored:
			cols[i] = ignored
		default:
			if prev, dup := seen[f]; dup {
				return ingest.AtLine(file, 1, "columns %q and %q are both %q", prev, h, fieldNames[f])
			}
			seen[f] = h
			has[f] = true
			cols[i] = f
			names[f] = h
		}
	}
	if _, ok := seen[fTime]; !ok {
		return ingest.AtLine(file, 1, "no %q column in the header row %q (a header row is required; map other names with a column mapping)", "time", ingest.Excerpt(strings.Join(header, ","), 200))
	}
	_, hasID := seen[fAuthorID]
	_, hasEmail := seen[fAuthorEmail]
	_, hasName := seen[fAuthorName]
	if !hasID && !hasEmail && !hasName {
		return ingest.AtLine(file, 1, "no author column: the header needs author_id, author_email or author_name")
	}

	b := newBuilder(file, sink)
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		var pe *encsv.ParseError
		if errors.As(err, &pe) && errors.Is(pe.Err, encsv.ErrFieldCount) {
			return ingest.AtLine(file, pe.StartLine, "the row has %d fields, the header row has %d (%s)",
				len(rec), len(header), ingest.Excerpt(strings.Join(header, ","), 200))
		}
		if err != nil {
			return csvError(file, err)
		}
		line, _ := cr.FieldPos(0)
		r := row{line: line, names: &names, has: &has}
		for i, v := range rec {
			switch f := cols[i]; f {
			case ignored:
			case extra:
				if v = strings.TrimSpace(v); v != "" {
					if r.extra == nil {
						r.extra = map[string]any{}
					}
					r.extra[extraNames[i]] = v
				}
			default:
				r.values[f] = v
			}
		}
		if err := b.add(&r); err != nil {
			return err
		}
	}
}

// csvError places an encoding/csv error at its line.
func csvError(file string, err error) error {
	var pe *encsv.ParseError
	if !errors.As(err, &pe) {
		return &ingest.FileError{File: file, Message: err.Error()}
	}
	return ingest.AtLine(file, pe.Line, "column %d: %v", pe.Column, pe.Err)
}
