package csv

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/ingest"
)

// row is one activity as read from a CSV record or a JSON line.
type row struct {
	line   int
	values [numFields]string
	// names are the file's own names of the fields, for error messages.
	names *[numFields]string
	// has says which fields the file has (as a column or a key).
	has   *[numFields]bool
	extra map[string]any
}

// builder turns rows into records for one file.
type builder struct {
	file     string
	sink     ingest.Sink
	people   map[string]bool
	channels map[string]bool
	ordinals map[[32]byte]int
	known    map[string]parent
}

// parent is what a later row replying to this one needs.
type parent struct {
	author, root string
	kind         coterie.ActivityKind
}

// maxKnown bounds the memory spent remembering rows that later rows may
// reply to: parents usually come shortly before their replies.
const maxKnown = 1 << 20

func newBuilder(file string, sink ingest.Sink) *builder {
	return &builder{
		file:     file,
		sink:     sink,
		people:   map[string]bool{},
		channels: map[string]bool{},
		ordinals: map[[32]byte]int{},
		known:    map[string]parent{},
	}
}

// kindPattern is what a custom kind must look like.
var kindPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

func (b *builder) fail(r *row, f field, format string, args ...any) error {
	return ingest.AtLine(b.file, r.line, "field %q: %s", r.names[f], ingest.Excerpt(fmt.Sprintf(format, args...), 200))
}

func (b *builder) add(r *row) error {
	v := func(f field) string { return strings.TrimSpace(r.values[f]) }

	at, err := parseTime(v(fTime))
	if err != nil {
		if v(fTime) == "" {
			return b.fail(r, fTime, "missing time")
		}
		return b.fail(r, fTime, "%v", err)
	}

	who := ingest.Person{
		ID:          v(fAuthorID),
		DisplayName: v(fAuthorName),
		Email:       v(fAuthorEmail),
		Username:    v(fAuthorUsername),
		ProfileURL:  v(fAuthorURL),
	}
	if who.ID == "" {
		// Without an id, the e-mail address, then the name, stands in.
		who.ID = strings.ToLower(who.Email)
		if who.ID == "" {
			who.ID = who.DisplayName
		}
	}
	if who.ID == "" {
		return ingest.AtLine(b.file, r.line, "no author: %s are all empty", b.authorNames(r))
	}
	if who.EmailVerified, err = parseBool(v(fEmailVerified)); err != nil {
		return b.fail(r, fEmailVerified, "%v", err)
	}
	if who.IsBot, err = parseBool(v(fIsBot)); err != nil {
		return b.fail(r, fIsBot, "%v", err)
	}

	a := ingest.Activity{
		ExternalID: v(fID),
		Kind:       coterie.ActivityKind(strings.ToLower(v(fKind))),
		ChannelID:  v(fChannel),
		OccurredAt: at,
		Author:     who,
		ParentID:   v(fParentID),
		Body:       r.values[fText],
		URL:        v(fURL),
		Attributes: r.extra,
	}
	p, parentKnown := b.known[a.ParentID]
	if a.ParentID != "" && parentKnown {
		a.ObjectAuthorID = p.author
		a.ThreadRootID = p.root
		if a.ThreadRootID == "" {
			a.ThreadRootID = a.ParentID
		}
	}
	switch {
	case a.Kind != "":
		if !kindPattern.MatchString(string(a.Kind)) {
			return b.fail(r, fKind, "kind %q is not a known kind nor a custom one (lower-case letters, digits and _, 32 at most, starting with a letter)", a.Kind)
		}
	case a.ParentID == "":
		a.Kind = coterie.KindMessage
	case parentKnown && (p.kind == coterie.KindPost || p.kind == coterie.KindComment):
		a.Kind = coterie.KindComment
	default:
		a.Kind = coterie.KindReply
	}
	if pl := strings.ToLower(v(fPlatform)); pl != "" {
		if a.Attributes == nil {
			a.Attributes = map[string]any{}
		}
		a.Attributes["platform"] = pl
	}
	if a.ExternalID == "" {
		a.ExternalID = b.key(&a)
	} else if len(b.known) < maxKnown {
		b.known[a.ExternalID] = parent{author: who.ID, root: a.ThreadRootID, kind: a.Kind}
	}

	if a.ChannelID != "" && !b.channels[a.ChannelID] {
		b.channels[a.ChannelID] = true
		if err := b.sink.Channel(ingest.Channel{ExternalID: a.ChannelID, Name: a.ChannelID, Kind: "channel"}); err != nil {
			return err
		}
	}
	if !b.people[who.ID] {
		b.people[who.ID] = true
		if err := b.sink.Person(who); err != nil {
			return err
		}
	}
	return b.sink.Activity(a)
}

func (b *builder) authorNames(r *row) string {
	var names []string
	for _, f := range []field{fAuthorID, fAuthorEmail, fAuthorName} {
		if r.has[f] {
			names = append(names, strconv.Quote(r.names[f]))
		}
	}
	if len(names) == 0 {
		return `"author_id", "author_email" and "author_name"`
	}
	return strings.Join(names, ", ")
}

// key is the external id of a row without one: a hash of its channel, time,
// author, kind, parent and text, and an ordinal counting identical rows
// earlier in the file, so that two identical rows stay two and re-reading
// the file gives the same keys.
func (b *builder) key(a *ingest.Activity) string {
	h := sha256.New()
	for _, s := range []string{a.ChannelID, a.OccurredAt.Format(time.RFC3339Nano), a.Author.ID, string(a.Kind), a.ParentID, a.Body} {
		var n [binary.MaxVarintLen64]byte
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		h.Write([]byte(s))
	}
	var base [32]byte
	h.Sum(base[:0])
	ord := b.ordinals[base]
	b.ordinals[base] = ord + 1
	h.Write([]byte(strconv.Itoa(ord)))
	return "h/" + hex.EncodeToString(h.Sum(nil)[:16])
}

// timeLayouts are the textual times accepted besides Unix numbers; a time
// without a zone is UTC.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
}

// unixMillisFrom is where a Unix number is taken as milliseconds rather
// than seconds: 1e11 seconds is the year 5138, 1e11 ms is 1973.
const unixMillisFrom = 1e11

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errString("missing time")
	}
	if c := s[0]; c >= '0' && c <= '9' || c == '-' {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			if n >= unixMillisFrom || n <= -unixMillisFrom {
				return time.UnixMilli(n).UTC(), nil
			}
			return time.Unix(n, 0).UTC(), nil
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) && math.Abs(f) < 1e15 {
			if math.Abs(f) >= unixMillisFrom {
				f /= 1000
			}
			sec, frac := math.Modf(f)
			return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
		}
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errString(`cannot read ` + strconv.Quote(ingest.Excerpt(s, 60)) + ` as a time (use RFC 3339 such as 2024-03-01T09:30:00Z, "2024-03-01 09:30:00" for UTC, or Unix seconds or milliseconds)`)
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "", "false", "0", "no", "n", "f":
		return false, nil
	case "true", "1", "yes", "y", "t":
		return true, nil
	}
	return false, errString(`cannot read ` + strconv.Quote(ingest.Excerpt(s, 60)) + ` as true or false (use true/false, 1/0 or yes/no)`)
}

type errString string

func (e errString) Error() string { return string(e) }
