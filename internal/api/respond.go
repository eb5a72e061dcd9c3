package api

import (
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coteriehq/coterie/internal/auth"
	"github.com/coteriehq/coterie/internal/coterie"
)

// maxBody bounds a request body: API requests are small commands.
const maxBody = 1 << 20

// Page sizes of lists.
const (
	defaultLimit = 50
	maxLimit     = 500
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	// The status is sent; an encoding failure can only be a broken
	// connection, which there is nobody left to tell.
	_ = json.NewEncoder(w).Encode(v)
}

// list is the JSON shape of every list: its items and, for paginated lists,
// the cursor of the next page ("" after the last).
type list[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor,omitempty"`
}

// wantsCSV reports whether the client asked for CSV, by ?format=csv or by
// an Accept header that names text/csv.
func wantsCSV(r *http.Request) (bool, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "csv":
		return true, nil
	case "json":
		return false, nil
	case "":
	default:
		return false, errInvalid("format must be json or csv, not %q", f)
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/csv" {
			return true, nil
		}
	}
	return false, nil
}

// respondList answers a list as JSON, or as CSV with a header row when the
// client asked for it. CSV is an export, so it needs the export permission.
// next is the next page's cursor for paginated lists (nil otherwise); CSV
// carries it in the X-Next-Cursor header.
func respondList[T any](s *server, w http.ResponseWriter, r *http.Request, name string, items []T, next *string, header []string, row func(T) []string) {
	asCSV, err := wantsCSV(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if !asCSV {
		if items == nil {
			items = []T{} // an empty list is [], never null
		}
		writeJSON(w, http.StatusOK, list[T]{Items: items, NextCursor: next})
		return
	}
	if !tokenFrom(r).Can(auth.ActExport) {
		s.error(w, r, coterie.Errorf(coterie.EFORBIDDEN, "this token may not export"))
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	if next != nil && *next != "" {
		w.Header().Set("X-Next-Cursor", *next)
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(header)
	for _, it := range items {
		_ = cw.Write(row(it))
	}
	cw.Flush()
}

// decodeJSON reads a JSON request body into v, refusing unknown fields so a
// misspelt field is an error rather than silently ignored.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errInvalid("the request body is empty: a JSON object is expected")
		}
		return errInvalid("the request body is not valid JSON: %v", err)
	}
	if dec.More() {
		return errInvalid("the request body holds more than one JSON value")
	}
	return nil
}

// pathID parses the path parameter name as a positive id. A malformed id
// names nothing, so it is not found rather than invalid.
func pathID(r *http.Request, name string) (coterie.ID, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound("%s %q not found", name, r.PathValue(name))
	}
	return id, nil
}

// queryLimit returns ?limit, defaultLimit when absent, between 1 and
// maxLimit.
func queryLimit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxLimit {
		return 0, errInvalid("limit must be a whole number from 1 to %d", maxLimit)
	}
	return n, nil
}

// Cursors are opaque to clients (base64url of the last id seen), so that
// the ordering behind them may change without breaking anyone.

func encodeCursor(id coterie.ID) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (coterie.ID, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if id, err := strconv.ParseInt(string(b), 10, 64); err == nil && id > 0 {
			return id, nil
		}
	}
	return 0, errInvalid("cursor %q is not one this API returned", c)
}

// timePtr returns nil for the zero time, so JSON shows null rather than
// year 1.
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// csvTime formats a time for CSV: RFC 3339 in UTC, or empty.
func csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339)
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
