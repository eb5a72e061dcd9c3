package csv

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/coteriehq/coterie/internal/ingest"
)

// maxJSONLine is the longest JSON line accepted.
const maxJSONLine = 64 << 20

// ParseJSONL reads one JSON Lines file from r: one JSON object per line
// with the CSV format's field names ("time" may be a number or a string).
// Blank lines are skipped. It reports to sink like ParseCSV and returns a
// *ingest.FileError naming the line when a line is damaged or invalid.
func ParseJSONL(ctx context.Context, r io.Reader, file string, opts Options, sink ingest.Sink) error {
	m, err := opts.mapping()
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxJSONLine)
	b := newBuilder(file, sink)
	n := 0
	for sc.Scan() {
		n++
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line := sc.Bytes()
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		r, err := decodeLine(line, n, m)
		if err != nil {
			return ingest.AtLine(file, n, "%v", err)
		}
		if err := b.add(r); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return ingest.AtLine(file, n+1, "line longer than %d bytes", maxJSONLine)
		}
		return ingest.AtLine(file, n+1, "%v", err)
	}
	return nil
}

// decodeLine decodes one JSON object into a row.
func decodeLine(line []byte, n int, m map[string]field) (*row, error) {
	if !utf8.Valid(line) {
		return nil, errString("not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return nil, errString("column " + strconv.Itoa(int(syn.Offset)) + ": invalid JSON: " + err.Error())
		case errors.As(err, &typ):
			return nil, errString("each line must be a JSON object, not " + typ.Value)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, errString("truncated JSON object")
		}
		return nil, err
	}
	if obj == nil {
		return nil, errString("each line must be a JSON object, not null")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errString("column " + strconv.Itoa(int(dec.InputOffset())+1) + ": more than one JSON value on the line")
	}

	names := fieldNames
	var has [numFields]bool
	r := &row{line: n, names: &names, has: &has}
	var set [numFields]string // the key that set each field, to catch two keys for one field
	for k, v := range obj {
		f, ok := resolve(m, k)
		if ok && f == ignored {
			continue
		}
		if !ok {
			if v == nil {
				continue
			}
			if r.extra == nil {
				r.extra = map[string]any{}
			}
			r.extra[strings.TrimSpace(k)] = plain(v)
			continue
		}
		if set[f] != "" {
			a, b := set[f], k
			if a > b {
				a, b = b, a
			}
			return nil, errString(`keys "` + a + `" and "` + b + `" are both "` + fieldNames[f] + `"`)
		}
		set[f] = k
		names[f] = k
		has[f] = true
		switch v := v.(type) {
		case nil:
		case string:
			r.values[f] = v
		case json.Number:
			r.values[f] = v.String()
		case bool:
			if v {
				r.values[f] = "true"
			} else {
				r.values[f] = "false"
			}
		default:
			return nil, errString(`field "` + k + `": expected a string, number or boolean`)
		}
	}
	return r, nil
}

// plain turns decoded JSON numbers into int64 or float64 for attributes.
func plain(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		if f, err := v.Float64(); err == nil {
			return f
		}
		return v.String()
	case []any:
		for i := range v {
			v[i] = plain(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = plain(v[k])
		}
	}
	return v
}
