package whatsapp

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/ingest"
)

// maxLine is the longest line accepted. WhatsApp writes a message's text on
// one line per paragraph, so a line is at most one long paragraph.
const maxLine = 16 << 20

// Parse reads one exported chat from r and reports its channel, people and
// activities to sink (the caller brackets it with BeginFile and EndFile).
// file names the file in errors; chat is the chat's name (see ChatKey).
//
// It returns a *ingest.FileError when the file is damaged, and any other
// error when the sink failed or ctx was cancelled.
//
// External ids: an export has no message ids, so an activity's id is a hash
// of the chat, the local time as written, the author, the text and an
// ordinal counting identical (time, author, text) earlier in the file: two
// identical messages in the same minute stay two, and a re-export of the
// same chat gives the same ids.
func Parse(ctx context.Context, r io.Reader, file, chat string, opts Options, sink ingest.Sink) error {
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	p := &parser{
		ctx:      ctx,
		sink:     sink,
		file:     file,
		chatName: chat,
		chatID:   ChatKey(chat),
		loc:      loc,
		ordinals: map[[32]byte]int{},
		people:   map[string]bool{},
	}
	if p.chatID == "" {
		p.chatID = "chat"
	}
	if err := sink.Channel(ingest.Channel{ExternalID: p.chatID, Name: chat, Kind: "group"}); err != nil {
		return err
	}
	return p.run(r)
}

type parser struct {
	ctx      context.Context
	sink     ingest.Sink
	file     string
	chatName string
	chatID   string
	loc      *time.Location

	// order is the file's date order once known; until then messages with
	// an ambiguous date wait in pending.
	order   dateOrder
	pending []*rawMessage
	cur     *rawMessage

	ordinals map[[32]byte]int
	people   map[string]bool
}

// rawMessage is one entry of the chat as written: its timestamp and the
// text after it, continuation lines included.
type rawMessage struct {
	st   stamp
	line int
	rest strings.Builder
}

func (p *parser) run(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	n := 0
	for sc.Scan() {
		n++
		if n&4095 == 0 {
			if err := p.ctx.Err(); err != nil {
				return err
			}
		}
		b := sc.Bytes()
		if !utf8.Valid(b) {
			return fileErrorf(p.file, n, "not valid UTF-8 text")
		}
		line := strings.TrimSuffix(string(b), "\r")
		if n == 1 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		st, rest, ok := parseStamp(line)
		if !ok {
			if p.cur == nil {
				if strings.TrimSpace(line) == "" {
					continue
				}
				return fileErrorf(p.file, n, "not a WhatsApp chat line (expected a date and time, as in \"31/12/20, 22:05 - Name: text\"): %q", ingest.Excerpt(line, 60))
			}
			p.cur.rest.WriteByte('\n')
			p.cur.rest.WriteString(line)
			continue
		}
		if err := p.finish(); err != nil {
			return err
		}
		st.line = n
		if p.order == orderUnknown && st.order == orderUnknown {
			// The first date that cannot be read both ways fixes the order
			// for the whole file.
			switch {
			case st.f1 > 12 && st.f2 <= 12:
				p.order = orderDMY
			case st.f2 > 12 && st.f1 <= 12:
				p.order = orderMDY
			}
		}
		p.cur = &rawMessage{st: st, line: n}
		p.cur.rest.WriteString(rest)
		if p.order != orderUnknown && len(p.pending) > 0 {
			if err := p.flush(); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fileErrorf(p.file, n+1, "line longer than %d bytes", maxLine)
		}
		return &ingest.FileError{File: p.file, Position: fmt.Sprintf("line %d", n+1), Message: err.Error()}
	}
	if err := p.finish(); err != nil {
		return err
	}
	if p.order == orderUnknown {
		// Every day of the month was 12 or less: nothing tells D/M from
		// M/D, and D/M is what most of the world writes.
		p.order = orderDMY
	}
	return p.flush()
}

// finish completes the current message: emitted now, or queued while the
// date order is unknown and the date could be read both ways.
func (p *parser) finish() error {
	m := p.cur
	if m == nil {
		return nil
	}
	p.cur = nil
	if m.st.order == orderUnknown && p.order == orderUnknown || len(p.pending) > 0 {
		p.pending = append(p.pending, m)
		return nil
	}
	return p.emit(m)
}

func (p *parser) flush() error {
	for i, m := range p.pending {
		if err := p.emit(m); err != nil {
			return err
		}
		p.pending[i] = nil
	}
	p.pending = p.pending[:0]
	return nil
}

// emit turns one raw entry into activities.
func (p *parser) emit(m *rawMessage) error {
	local, err := m.st.wallClock(p.order)
	if err != nil {
		return fileErrorf(p.file, m.line, "%v", err)
	}
	at := time.Date(local.Year(), local.Month(), local.Day(), local.Hour(), local.Minute(), local.Second(), 0, p.loc).UTC()
	wall := local.Format("2006-01-02T15:04:05")
	rest := m.rest.String()

	author, text, isMessage := splitAuthor(rest, p.chatName)
	if !isMessage {
		return p.emitSystem(at, wall, text)
	}
	who := person(author)
	if who.ID == "" {
		return fileErrorf(p.file, m.line, "message without an author name")
	}

	body := text
	plain := stripMarks(strings.TrimSpace(body))
	if isDeletedNotice(plain) || isCallNotice(body, plain) {
		return nil
	}
	a := ingest.Activity{
		Kind:       coterie.KindMessage,
		ChannelID:  p.chatID,
		OccurredAt: at,
		Author:     who,
	}
	body, a.IsEdited = cutEdited(body)
	body, a.Attachments, a.Attributes = cutMedia(body)
	if mentions := findMentions(body); len(mentions) > 0 {
		if a.Attributes == nil {
			a.Attributes = map[string]any{}
		}
		a.Attributes["mentions"] = mentions
	}
	a.Body = cleanBody(body)
	a.ExternalID = p.key(wall, who.ID, text)
	if err := p.person(who); err != nil {
		return err
	}
	return p.sink.Activity(a)
}

// emitSystem reports the joins and leaves a system line records; other
// system lines (encryption notice, subject changes, ...) are not activities.
func (p *parser) emitSystem(at time.Time, wall, text string) error {
	kind, subjects := classifySystem(text)
	if kind == "" {
		return nil
	}
	for _, s := range subjects {
		who := person(s)
		if who.ID == "" {
			continue
		}
		if err := p.person(who); err != nil {
			return err
		}
		err := p.sink.Activity(ingest.Activity{
			ExternalID: p.key(wall, who.ID, string(kind)+"\x00"+text),
			Kind:       kind,
			ChannelID:  p.chatID,
			OccurredAt: at,
			Author:     who,
			Body:       cleanBody(text),
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) person(who ingest.Person) error {
	if p.people[who.ID] {
		return nil
	}
	p.people[who.ID] = true
	return p.sink.Person(who)
}

// key is the natural key of an entry (see Parse).
func (p *parser) key(wall, author, text string) string {
	h := sha256.New()
	for _, s := range []string{p.chatID, wall, author, text} {
		var n [binary.MaxVarintLen64]byte
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		h.Write([]byte(s))
	}
	var base [32]byte
	h.Sum(base[:0])
	ord := p.ordinals[base]
	p.ordinals[base] = ord + 1
	h.Write([]byte(strconv.Itoa(ord)))
	sum := h.Sum(nil)
	return hex.EncodeToString(sum[:16])
}

// dateOrder is the order of day, month and year in a date.
type dateOrder uint8

const (
	orderUnknown dateOrder = iota // D/M/Y or M/D/Y, decided per file
	orderDMY
	orderMDY
	orderYMD
)

// stamp is a line's timestamp as written.
type stamp struct {
	f1, f2, f3     int       // date fields in the written order
	order          dateOrder // set when the format fixes it
	sep            byte      // the date separator, for messages
	hour, min, sec int
	line           int
}

// wallClock returns the stamp as a UTC-less wall-clock time in order o.
func (s stamp) wallClock(o dateOrder) (time.Time, error) {
	if s.order != orderUnknown {
		o = s.order
	}
	var y, m, d int
	switch o {
	case orderYMD:
		y, m, d = s.f1, s.f2, s.f3
	case orderMDY:
		m, d, y = s.f1, s.f2, s.f3
	default:
		d, m, y = s.f1, s.f2, s.f3
	}
	if y < 100 {
		y += 2000 // WhatsApp dates from 2009: a two-digit year is 20YY
	}
	if m < 1 || m > 12 || d < 1 || d > daysIn(time.Month(m), y) {
		name := map[dateOrder]string{orderYMD: "year-month-day", orderMDY: "month/day/year", orderDMY: "day/month/year"}[o]
		why := ""
		if s.order == orderUnknown {
			why = ", the order of this file's other dates"
		}
		sep := string(rune(s.sep))
		return time.Time{}, fmt.Errorf("date %02d%s%02d%s%02d is not a valid %s date%s", s.f1, sep, s.f2, sep, s.f3, name, why)
	}
	return time.Date(y, time.Month(m), d, s.hour, s.min, s.sec, 0, time.UTC), nil
}

func daysIn(m time.Month, y int) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// parseStamp reads the timestamp that starts a new entry, in any of the
// layouts WhatsApp uses:
//
//	31/12/20, 22:05 - Name: text          Android, most locales
//	12/31/20, 10:05 PM - Name: text       Android, US (U+202F may precede PM)
//	31.12.20, 22:05 - Name: text          Android, German and others
//	2020-12-31, 22:05 - Name: text        Android, ISO-like locales
//	[31.12.20, 22:05:09] Name: text       iOS
//	[12/31/20, 10:05:09 PM] Name: text    iOS, US
//
// It returns the text after the timestamp.
func parseStamp(line string) (st stamp, rest string, ok bool) {
	s := trimLeftMarks(line)
	bracket := strings.HasPrefix(s, "[")
	if bracket {
		s = s[1:]
	}
	var n1, n2, n3, d1, d2, d3 int
	n1, d1, s = number(s)
	if d1 == 0 || d1 == 3 || d1 > 4 || s == "" {
		return st, "", false
	}
	sep := s[0]
	if sep != '/' && sep != '.' && sep != '-' {
		return st, "", false
	}
	n2, d2, s = number(s[1:])
	if d2 == 0 || d2 > 2 || s == "" || s[0] != sep {
		return st, "", false
	}
	n3, d3, s = number(s[1:])
	switch {
	case d1 == 4 && (d3 == 1 || d3 == 2):
		st.order = orderYMD
	case d1 <= 2 && (d3 == 2 || d3 == 4):
		if sep == '.' {
			st.order = orderDMY // dotted dates are always day first
		} else if n1 > 12 && n2 > 12 {
			return st, "", false
		}
	default:
		return st, "", false
	}
	st.f1, st.f2, st.f3, st.sep = n1, n2, n3, sep

	s = strings.TrimPrefix(s, ".") // "31.12.20." in a few locales
	comma := strings.HasPrefix(s, ",")
	if comma {
		s = s[1:]
	}
	t := trimLeftSpaces(s)
	if len(t) == len(s) && !comma {
		return st, "", false
	}
	s = t

	var dh, dm, ds int
	st.hour, dh, s = number(s)
	if dh == 0 || dh > 2 || !strings.HasPrefix(s, ":") {
		return st, "", false
	}
	st.min, dm, s = number(s[1:])
	if dm != 2 || st.min > 59 {
		return st, "", false
	}
	if strings.HasPrefix(s, ":") {
		st.sec, ds, s = number(s[1:])
		if ds != 2 || st.sec > 59 {
			return st, "", false
		}
	}
	if pm, n := meridiem(trimLeftSpaces(s)); n > 0 {
		if st.hour < 1 || st.hour > 12 {
			return st, "", false
		}
		st.hour %= 12
		if pm {
			st.hour += 12
		}
		s = trimLeftSpaces(s)[n:]
	} else if st.hour > 23 {
		return st, "", false
	}

	if bracket {
		if !strings.HasPrefix(s, "]") {
			return st, "", false
		}
		return st, strings.TrimPrefix(s[1:], " "), true
	}
	s = trimLeftSpaces(s)
	switch {
	case strings.HasPrefix(s, "-"):
		s = s[1:]
	case strings.HasPrefix(s, "–"):
		s = s[len("–"):]
	default:
		return st, "", false
	}
	return st, trimLeftSpaces(s), true
}

// number reads up to 5 leading ASCII digits.
func number(s string) (n, digits int, rest string) {
	for digits < len(s) && digits < 5 && s[digits] >= '0' && s[digits] <= '9' {
		n = n*10 + int(s[digits]-'0')
		digits++
	}
	return n, digits, s[digits:]
}

// meridiem reads "AM"/"PM" in the spellings locales use ("am", "a.m.",
// "a. m."), returning whether it is PM and its length, 0 when absent.
func meridiem(s string) (pm bool, n int) {
	if s == "" {
		return false, 0
	}
	switch s[0] {
	case 'a', 'A':
	case 'p', 'P':
		pm = true
	default:
		return false, 0
	}
	for _, form := range []string{"m.", "m", ". m.", ".m."} {
		if len(s) >= 1+len(form) && strings.EqualFold(s[1:1+len(form)], form) {
			n = 1 + len(form)
		}
	}
	if n == 0 {
		return false, 0
	}
	if n < len(s) {
		if c := s[n]; c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			return false, 0
		}
	}
	return pm, n
}

// trimLeftSpaces drops spaces, including the no-break and narrow no-break
// spaces (U+00A0, U+202F) some locales put before AM/PM.
func trimLeftSpaces(s string) string {
	return strings.TrimLeft(s, " \t\u00a0\u202f")
}

// isMark reports whether r is an invisible direction or formatting mark that
// WhatsApp sprinkles around names, numbers and notices (LRM, RLM, embedding
// and isolate controls, BOM).
func isMark(r rune) bool {
	switch r {
	case '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e',
		'\u2066', '\u2067', '\u2068', '\u2069', '\ufeff':
		return true
	}
	return false
}

func trimLeftMarks(s string) string { return strings.TrimLeftFunc(s, isMark) }

func stripMarks(s string) string {
	if !strings.ContainsFunc(s, isMark) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isMark(r) {
			return -1
		}
		return r
	}, s)
}

// splitAuthor splits "Name: text". System lines have no name on Android;
// on iOS they are written under the chat's name, or start with an LRM and
// read as a notice. isMessage is false for system lines, whose text is then
// returned.
func splitAuthor(rest, chat string) (author, text string, isMessage bool) {
	first, _, _ := strings.Cut(rest, "\n")
	i := strings.Index(first, ": ")
	if i < 0 {
		if !strings.HasSuffix(first, ":") {
			return "", rest, false
		}
		i = len(first) - 1 // "Name:" with the text on the next line
	}
	author = rest[:i]
	text = rest[min(i+2, len(rest)):]
	if !plausibleName(author) {
		return "", rest, false
	}
	if strings.HasPrefix(text, "\u200e") {
		if kind, _ := classifySystem(text); kind != "" || stripMarks(author) == chat || isSystemNotice(stripMarks(text)) {
			return "", text, false
		}
	}
	return author, text, true
}

// plausibleName rejects "names" that are really the start of a system line
// quoting text, as in `Ann changed the subject from "Tips: 1" to "Tips"`.
func plausibleName(s string) bool {
	return s != "" && !strings.ContainsAny(s, "\"“”\n") && utf8.RuneCountInString(s) <= 100
}

// isSystemNotice recognises the iOS notices written under a member's name
// that are not messages.
func isSystemNotice(s string) bool {
	for _, p := range []string{
		"Messages and calls are end-to-end encrypted", "Your security code with ", "created group ",
		"changed the subject", "changed this group's", "changed the group", "deleted this group's",
		"You were added", "You joined", "pinned a message", "changed their phone number",
		"disappearing messages", "Disappearing messages", "now an admin", "reset this group's invite link",
	} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// classifySystem reads a system line: joins ("X joined using this group's
// invite link", "X added Y and Z") and leaves ("X left", "X removed Y").
// It returns the kind and the people it applies to, or "" for a line that
// is not an activity. Lines about the exporting account itself ("You
// joined", "X added you") are not imported: the export does not say who
// "you" is.
func classifySystem(text string) (coterie.ActivityKind, []string) {
	s := strings.TrimSpace(stripMarks(text))
	s = strings.TrimSuffix(s, ".")
	if strings.Contains(s, "\n") {
		return "", nil
	}
	if x, ok := strings.CutSuffix(s, " left"); ok {
		return people(coterie.KindLeave, x)
	}
	if x, _, ok := strings.Cut(s, " joined"); ok {
		return people(coterie.KindJoin, x)
	}
	for _, w := range []string{" was added", " were added"} {
		if x, ok := strings.CutSuffix(s, w); ok {
			return people(coterie.KindJoin, x)
		}
	}
	for _, w := range []string{" was removed", " were removed"} {
		if x, ok := strings.CutSuffix(s, w); ok {
			return people(coterie.KindLeave, x)
		}
	}
	if actor, y, ok := strings.Cut(s, " added "); ok && plausibleName(actor) {
		return people(coterie.KindJoin, y)
	}
	if actor, y, ok := strings.Cut(s, " removed "); ok && plausibleName(actor) {
		return people(coterie.KindLeave, y)
	}
	return "", nil
}

// people splits "Ann, Bob and Cy" and drops "you".
func people(kind coterie.ActivityKind, list string) (coterie.ActivityKind, []string) {
	if !plausibleName(list) {
		return "", nil
	}
	lower := strings.ToLower(list)
	if strings.HasPrefix(lower, "this group") || strings.HasPrefix(lower, "the group") {
		return "", nil
	}
	var out []string
	for _, part := range strings.Split(list, ", ") {
		for _, name := range splitAnd(part) {
			name = strings.TrimSpace(name)
			if name == "" || strings.EqualFold(name, "you") {
				continue
			}
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return "", nil
	}
	return kind, out
}

func splitAnd(s string) []string {
	for _, sep := range []string{" and ", " & "} {
		if a, b, ok := strings.Cut(s, sep); ok {
			return append([]string{a}, splitAnd(b)...)
		}
	}
	return []string{s}
}

// person builds the Person for a name as the export shows it. Numbers of
// people not in the exporter's contacts ("+44 7700 900123") become an id of
// digits with a leading +, which also goes in Phone.
func person(shown string) ingest.Person {
	name := strings.TrimSpace(strings.Trim(stripMarks(shown), " \u00a0\u202f~"))
	if phone, ok := phoneNumber(name); ok {
		return ingest.Person{ID: phone, DisplayName: name, Phone: phone}
	}
	return ingest.Person{ID: name, DisplayName: name}
}

func phoneNumber(s string) (string, bool) {
	if !strings.HasPrefix(s, "+") {
		return "", false
	}
	var b strings.Builder
	b.WriteByte('+')
	for _, r := range s[1:] {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '\u00a0' || r == '\u2011' || r == '.':
		default:
			return "", false
		}
	}
	if n := b.Len() - 1; n < 7 || n > 15 {
		return "", false
	}
	return b.String(), true
}

// isDeletedNotice recognises the placeholder of a deleted message, which is
// not an activity.
func isDeletedNotice(s string) bool {
	s = strings.TrimSuffix(s, ".")
	return s == "This message was deleted" || s == "You deleted this message"
}

// isCallNotice recognises the iOS call notices ("‎Missed voice call")
// written under a member's name: a call is not a message.
func isCallNotice(raw, s string) bool {
	if !strings.HasPrefix(raw, "\u200e") {
		return false
	}
	switch strings.ToLower(s) {
	case "missed voice call", "missed video call", "voice call", "video call",
		"missed group voice call", "missed group video call":
		return true
	}
	return false
}

// editedMarker ends the text of an edited message.
const editedMarker = "<This message was edited>"

func cutEdited(body string) (string, bool) {
	t := strings.TrimRightFunc(body, func(r rune) bool { return r == ' ' || isMark(r) })
	if t, ok := strings.CutSuffix(t, editedMarker); ok {
		return strings.TrimRightFunc(t, func(r rune) bool { return r == ' ' || isMark(r) }), true
	}
	return body, false
}

// omittedMedia are the iOS "<kind> omitted" placeholders of media left out
// of an export.
var omittedMedia = map[string]string{
	"image": "image", "video": "video", "audio": "audio", "sticker": "sticker",
	"gif": "gif", "document": "document", "contact card": "contact",
}

// cutMedia recognises the media placeholders on the first line of a
// message: "<Media omitted>" (Android), "image omitted" and friends (iOS),
// "<attached: NAME>" (iOS with media) and "NAME (file attached)" (Android
// with media). The media itself is not imported: the activity gets an
// attachment without a URL and Attributes["media_omitted"] = true.
func cutMedia(body string) (string, []ingest.Attachment, map[string]any) {
	first, more, _ := strings.Cut(body, "\n")
	plain := strings.TrimSpace(stripMarks(first))
	var att ingest.Attachment
	attrs := map[string]any{"media_omitted": true}
	switch {
	case plain == "<Media omitted>":
	case strings.HasPrefix(plain, "<attached: ") && strings.HasSuffix(plain, ">"):
		att.Name = strings.TrimSpace(plain[len("<attached: ") : len(plain)-1])
	case strings.HasSuffix(plain, " (file attached)"):
		att.Name = strings.TrimSuffix(plain, " (file attached)")
	case strings.HasSuffix(plain, " omitted"):
		what := strings.TrimSuffix(plain, " omitted")
		name := ""
		if i := strings.LastIndex(what, " • "); i >= 0 { // "report.pdf • 3 pages document omitted"
			name, what = what[:strings.Index(what, " • ")], what[i+len(" • "):]
			if j := strings.LastIndex(what, " "); j >= 0 {
				what = what[j+1:]
			}
		}
		mt, ok := omittedMedia[strings.ToLower(what)]
		if !ok {
			return body, nil, nil
		}
		att.Name = name
		attrs["media_type"] = mt
	default:
		return body, nil, nil
	}
	return more, []ingest.Attachment{att}, attrs
}

// findMentions finds "@⁨Name⁩" (a name between isolate marks) and
// "@447700900123" mentions, returning the mentioned people's ids.
func findMentions(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		if s[i] != '@' {
			continue
		}
		t := s[i+1:]
		if strings.HasPrefix(t, "\u2068") {
			if end := strings.Index(t, "\u2069"); end > 0 {
				if p := person(t[len("\u2068"):end]); p.ID != "" {
					out = append(out, p.ID)
				}
				continue
			}
		}
		_, d, _ := number(t)
		if d == 5 {
			j := 0
			for j < len(t) && t[j] >= '0' && t[j] <= '9' {
				j++
			}
			if j >= 7 && j <= 15 {
				out = append(out, "+"+t[:j])
			}
		}
	}
	return out
}

// cleanBody drops the direction marks around names and numbers.
func cleanBody(s string) string { return strings.TrimSpace(stripMarks(s)) }
