// Package telegram reads Telegram Desktop's JSON export ("Export chat
// history" of one chat, or "Export Telegram data" of the whole account):
// a result.json that is either one chat or a full export with chats.list[]
// and left_chats.list[].
//
// A full export can be gigabytes in one JSON document, so it is streamed:
// each chat's messages are decoded one at a time, and each chat is one file
// unit ("result.json#chat 123"), so that a chat with a bad message does not
// lose the others. A syntax error or truncation cannot be skipped over,
// though: the chat where it happens ends with the error and nothing after it
// can be read.
package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/ingest"
)

// Format is the Telegram Desktop JSON export format.
type Format struct{}

// New returns the "telegram" format.
func New() ingest.Format { return Format{} }

// Name implements ingest.Format.
func (Format) Name() string { return "telegram" }

// Platform implements ingest.Format.
func (Format) Platform() coterie.Platform { return coterie.PlatformTelegram }

// Read implements ingest.Format. path is a result.json, a folder holding
// one (the export folder), or a folder of single-chat export folders
// ("ChatExport_2024-01-31/result.json", one per exported chat).
func (Format) Read(ctx context.Context, path string, sink ingest.Sink) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("telegram: %w", err)
	}
	type unit struct{ path, name string }
	var units []unit
	if !info.IsDir() {
		units = append(units, unit{path, path})
	} else if _, err := os.Stat(filepath.Join(path, "result.json")); err == nil {
		units = append(units, unit{filepath.Join(path, "result.json"), "result.json"})
	} else {
		matches, _ := filepath.Glob(filepath.Join(path, "*", "result.json"))
		for _, m := range matches {
			rel, _ := filepath.Rel(path, m)
			units = append(units, unit{m, filepath.ToSlash(rel)})
		}
		if len(units) == 0 {
			return fmt.Errorf("telegram: %s: no result.json in this folder (export as \"Machine-readable JSON\")", path)
		}
	}
	for _, u := range units {
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := os.Open(u.path)
		if err != nil {
			if err := sink.BeginFile(u.name); err != nil {
				return err
			}
			if err := sink.EndFile(&ingest.FileError{File: u.name, Message: err.Error()}); err != nil {
				return err
			}
			continue
		}
		err = Parse(ctx, u.name, f, sink)
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// Parse reads one result.json from r and reports each chat in it to sink as
// a file unit: name itself for a single-chat export, name + "#chat <id>"
// for each chat of a full export. It returns an error only when the sink
// fails or ctx is cancelled; a damaged chat ends with sink.EndFile(err).
func Parse(ctx context.Context, name string, r io.Reader, sink ingest.Sink) error {
	p := &parser{ctx: ctx, name: name, sink: sink, cr: &countingReader{r: r}}
	p.dec = json.NewDecoder(p.cr)
	p.dec.UseNumber()
	err := p.document()
	var s stop
	if errors.As(err, &s) {
		return s.err
	}
	if err == nil {
		return nil
	}
	// The document cannot be read past a syntax error or its end.
	ferr := p.decodeError(err)
	if !p.open {
		if err := sink.BeginFile(p.unitName()); err != nil {
			return err
		}
	}
	if p.full {
		ferr.Message += "; the chats after this point could not be read"
	}
	return sink.EndFile(ferr)
}

// stop wraps an error that ends the whole read: the sink failed or ctx was
// cancelled. Every other error from the document walk is a decoding error.
type stop struct{ err error }

func (s stop) Error() string { return s.err.Error() }

// countingReader counts the bytes read, so that a truncated file is
// reported at the offset where its data ends.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// fatal reports whether a decoding error leaves the decoder unable to go
// on: a syntax error or the end of the data. An error from unmarshalling a
// complete value of the wrong shape is not. (A read error is sticky in the
// decoder: the next token fails with it and ends the read.)
func fatal(err error) bool {
	var syn *json.SyntaxError
	return errors.As(err, &syn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// errShape marks a value of an unexpected shape found by a custom decoder.
var errShape = errors.New("unexpected JSON shape")

// skip swallows a JSON value without building it.
type skip struct{}

func (*skip) UnmarshalJSON([]byte) error { return nil }

type parser struct {
	ctx  context.Context
	name string
	sink ingest.Sink
	cr   *countingReader
	dec  *json.Decoder

	single bool // a single-chat export: the unit is the file itself
	full   bool // a full export, with chats.list
	chats  int  // chats begun, for the error message
	open   bool // a file unit is open
	chat   *chat
	start  int64 // offset of the value being decoded
}

func (p *parser) unitName() string {
	if p.single || p.chat == nil {
		return p.name
	}
	return p.name + "#chat " + p.chat.id
}

// decodeError places a decoding error: at the end of the data when the file
// is truncated, otherwise at the start of the value that failed (offsets
// the standard decoder reports inside a value are not stream offsets).
func (p *parser) decodeError(err error) *ingest.FileError {
	name := p.unitName()
	var syn *json.SyntaxError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		if p.cr.n == 0 {
			return ingest.AtOffset(name, 0, "empty file")
		}
		return ingest.AtOffset(name, p.cr.n, "unexpected end of file: the export is truncated")
	case errors.As(err, &syn):
		return ingest.AtOffset(name, p.start, "invalid JSON: %s", syn.Error())
	}
	var ferr *ingest.FileError
	if errors.As(err, &ferr) {
		return ferr
	}
	return ingest.AtOffset(name, p.start, "%v", err)
}

func (p *parser) token() (json.Token, error) {
	p.start = p.dec.InputOffset()
	return p.dec.Token()
}

func (p *parser) decode(v any) error {
	p.start = p.dec.InputOffset()
	return p.dec.Decode(v)
}

func (p *parser) expect(d json.Delim) error {
	tok, err := p.token()
	if err != nil {
		return err
	}
	if tok != d {
		return ingest.AtOffset(p.unitName(), p.start, "not a Telegram Desktop export: expected %q, found %v", d, tok)
	}
	return nil
}

// document walks the top-level object.
func (p *parser) document() error {
	if err := p.expect('{'); err != nil {
		return err
	}
	var hdr chatHeader
	found := false
	for p.dec.More() {
		tok, err := p.token()
		if err != nil {
			return err
		}
		switch key, _ := tok.(string); key {
		case "chats", "left_chats":
			found, p.full = true, true
			if err := p.chatList(key); err != nil {
				return err
			}
		case "name", "type", "id":
			if err := hdr.field(p, key); err != nil {
				return err
			}
		case "messages":
			found = true
			p.single = true
			if err := p.messages(&hdr, "messages"); err != nil {
				return err
			}
		default:
			if err := p.decode(&skip{}); err != nil {
				return err
			}
		}
	}
	if _, err := p.token(); err != nil {
		return err
	}
	if !found {
		return ingest.AtOffset(p.name, 0, "not a Telegram Desktop export: no \"chats\" or \"messages\" (export as \"Machine-readable JSON\")")
	}
	return nil
}

// chatList walks {"about": ..., "list": [chat, ...]}.
func (p *parser) chatList(key string) error {
	if err := p.expect('{'); err != nil {
		return err
	}
	for p.dec.More() {
		tok, err := p.token()
		if err != nil {
			return err
		}
		if tok != "list" {
			if err := p.decode(&skip{}); err != nil {
				return err
			}
			continue
		}
		if err := p.expect('['); err != nil {
			return err
		}
		for i := 0; p.dec.More(); i++ {
			if err := p.chatObject(fmt.Sprintf("%s.list[%d]", key, i)); err != nil {
				return err
			}
		}
		if _, err := p.token(); err != nil {
			return err
		}
	}
	_, err := p.token()
	return err
}

// chatHeader holds the fields Telegram Desktop writes before a chat's
// messages.
type chatHeader struct {
	name string
	typ  string
	id   string
}

func (h *chatHeader) field(p *parser, key string) error {
	switch key {
	case "name", "type":
		var s *string
		if err := p.decode(&s); err != nil {
			return err
		}
		if s != nil {
			if key == "name" {
				h.name = *s
			} else {
				h.typ = *s
			}
		}
	case "id":
		var n json.Number
		if err := p.decode(&n); err != nil {
			return err
		}
		h.id = n.String()
	}
	return nil
}

func (p *parser) chatObject(where string) error {
	if err := p.expect('{'); err != nil {
		return err
	}
	var hdr chatHeader
	for p.dec.More() {
		tok, err := p.token()
		if err != nil {
			return err
		}
		switch key, _ := tok.(string); key {
		case "name", "type", "id":
			if err := hdr.field(p, key); err != nil {
				return err
			}
		case "messages":
			if err := p.messages(&hdr, where); err != nil {
				return err
			}
		default:
			if err := p.decode(&skip{}); err != nil {
				return err
			}
		}
	}
	_, err := p.token()
	return err
}

// chatKind maps Telegram Desktop's chat type; "" means the chat is not a
// community place and is skipped (the user's own Saved Messages, the
// Replies service chat).
func chatKind(typ string) string {
	switch typ {
	case "saved_messages", "replies":
		return ""
	case "personal_chat", "bot_chat":
		return "dm"
	case "private_group", "private_supergroup", "public_supergroup":
		return "group"
	case "private_channel", "public_channel":
		return "channel"
	}
	return "chat"
}

// messages streams a chat's messages array as one file unit.
func (p *parser) messages(hdr *chatHeader, where string) error {
	kind := chatKind(hdr.typ)
	c := newChat(hdr)
	p.chat = c
	p.chats++
	if hdr.id == "" {
		c.id = where // only for the unit's name
		c.err = ingest.AtOffset(p.unitName(), p.dec.InputOffset(), "chat without an \"id\" before its messages")
	}
	if kind != "" || c.err != nil {
		if err := p.sink.BeginFile(p.unitName()); err != nil {
			return stop{err}
		}
		p.open = true
		if c.err == nil {
			if err := p.sink.Channel(ingest.Channel{ExternalID: c.id, Name: hdr.name, Kind: kind}); err != nil {
				return stop{err}
			}
		}
	}
	if err := p.expect('['); err != nil {
		return err
	}
	for i := 0; p.dec.More(); i++ {
		if i%1024 == 0 {
			if err := p.ctx.Err(); err != nil {
				return stop{err}
			}
		}
		if !p.open || c.err != nil {
			// A skipped chat, or one already damaged: keep reading to
			// stay in step with the document, keep nothing.
			if err := p.decode(&skip{}); err != nil {
				return err
			}
			continue
		}
		var m message
		if err := p.decode(&m); err != nil {
			if fatal(err) {
				return err
			}
			// The message was well-formed JSON of the wrong shape: the
			// decoder consumed all of it, so the rest of the chat and the
			// chats after it are still readable.
			c.err = ingest.AtOffset(p.unitName(), p.start, "unreadable message: %v", err)
			continue
		}
		if err := p.message(c, &m); err != nil {
			var ferr *ingest.FileError
			if errors.As(err, &ferr) {
				c.err = ferr
				continue
			}
			return stop{err}
		}
	}
	if _, err := p.token(); err != nil {
		return err
	}
	if !p.open {
		p.chat = nil
		return nil
	}
	if c.err == nil {
		if err := p.flushMembers(c); err != nil {
			return stop{err}
		}
	}
	p.open, p.chat = false, nil
	if err := p.sink.EndFile(c.err); err != nil {
		return stop{err}
	}
	return nil
}

// JSON shapes written by Telegram Desktop (export_output_json.cpp).

type message struct {
	ID            int64           `json:"id"`
	Type          string          `json:"type"`
	Date          string          `json:"date"`
	DateUnix      unixString      `json:"date_unixtime"`
	Edited        string          `json:"edited"`
	EditedUnix    unixString      `json:"edited_unixtime"`
	From          *string         `json:"from"`
	FromID        string          `json:"from_id"`
	Signature     string          `json:"author"`
	Actor         *string         `json:"actor"`
	ActorID       string          `json:"actor_id"`
	Action        string          `json:"action"`
	Title         string          `json:"title"`
	Members       []*string       `json:"members"`
	Text          text            `json:"text"`
	TextEntities  []entity        `json:"text_entities"`
	ReplyTo       int64           `json:"reply_to_message_id"`
	ReplyToPeer   string          `json:"reply_to_peer_id"`
	ForwardedFrom *string         `json:"forwarded_from"`
	ViaBot        string          `json:"via_bot"`
	Buttons       json.RawMessage `json:"inline_bot_buttons"`
	Photo         string          `json:"photo"`
	File          string          `json:"file"`
	FileName      string          `json:"file_name"`
	FileSize      int64           `json:"file_size"`
	MediaType     string          `json:"media_type"`
	MimeType      string          `json:"mime_type"`
	Reactions     []reaction      `json:"reactions"`
}

type reaction struct {
	Type       string `json:"type"`
	Count      int    `json:"count"`
	Emoji      string `json:"emoji"`
	DocumentID string `json:"document_id"`
	Recent     []struct {
		From   *string `json:"from"`
		FromID string  `json:"from_id"`
		Date   string  `json:"date"`
	} `json:"recent"`
}

type entity struct {
	Type   string      `json:"type"`
	Text   string      `json:"text"`
	Href   string      `json:"href"`
	UserID json.Number `json:"user_id"`
}

// text is a message's "text": a plain string, or an array of strings and
// entity objects whose texts concatenate to the message.
type text struct {
	plain    string
	entities []entity
}

func (t *text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || b[0] == 'n':
		return nil
	case b[0] == '"':
		return json.Unmarshal(b, &t.plain)
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil {
		return fmt.Errorf("%w: text is neither a string nor an array", errShape)
	}
	var sb strings.Builder
	for _, part := range parts {
		part = bytes.TrimSpace(part)
		if len(part) > 0 && part[0] == '"' {
			var s string
			if err := json.Unmarshal(part, &s); err != nil {
				return err
			}
			sb.WriteString(s)
			continue
		}
		var e entity
		if err := json.Unmarshal(part, &e); err != nil {
			return fmt.Errorf("%w: text part %s", errShape, ingest.Excerpt(string(part), 40))
		}
		sb.WriteString(e.Text)
		t.entities = append(t.entities, e)
	}
	t.plain = sb.String()
	return nil
}

// unixString is Unix seconds written as a string ("1672668245"); a bare
// number is accepted too.
type unixString string

func (u *unixString) UnmarshalJSON(b []byte) error {
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	} else if string(b) != "null" {
		s = string(b)
	}
	*u = unixString(s)
	return nil
}

// msgInfo is what a chat remembers of each message, to answer replies.
type msgInfo struct {
	author    string
	root      int64 // first message of the reply chain
	topic     int64 // forum topic, 0 outside forums
	topicRoot bool  // a "topic_created" service message
}

// pendingMember is a join or leave that names its member only by display
// name; it is resolved against the chat's authors when the chat ends.
type pendingMember struct {
	a    ingest.Activity
	name string
}

// chat is the state of the chat being read.
type chat struct {
	id, typ string

	msgs    map[int64]*msgInfo
	names   map[string]string // display name -> from_id, "" when ambiguous
	people  map[string]bool
	bots    map[string]bool
	pending []pendingMember
	err     *ingest.FileError
}

func newChat(h *chatHeader) *chat {
	return &chat{id: h.id, typ: h.typ,
		msgs: map[int64]*msgInfo{}, names: map[string]string{}, people: map[string]bool{}, bots: map[string]bool{}}
}

func (c *chat) extID(msgID int64) string { return c.id + "/" + strconv.FormatInt(msgID, 10) }

// learn remembers which account a display name belongs to in this chat.
func (c *chat) learn(name *string, id string) {
	if name == nil || *name == "" || id == "" {
		return
	}
	if old, ok := c.names[*name]; ok && old != id {
		c.names[*name] = "" // two accounts share the name: never guess
		return
	}
	c.names[*name] = id
}

func (p *parser) person(c *chat, id string, name *string) (ingest.Person, error) {
	per := ingest.Person{ID: id, IsBot: c.bots[id]}
	if name != nil {
		per.DisplayName = *name
	}
	// Telegram Desktop writes a deleted account's name as null ("Deleted
	// Account" in the app).
	if strings.HasPrefix(id, "user") && (name == nil || *name == "Deleted Account") {
		per.IsDeleted = true
	}
	if id != "" && !c.people[id] {
		c.people[id] = true
		if err := p.sink.Person(per); err != nil {
			return per, err
		}
	}
	return per, nil
}

// messageTime returns the time of a message from date_unixtime. Exports
// made before Telegram Desktop 3.x have only "date", the exporting
// computer's local time without a zone: it is then read as UTC and flagged.
func (p *parser) messageTime(c *chat, m *message) (time.Time, bool, error) {
	if m.DateUnix != "" {
		sec, err := strconv.ParseInt(string(m.DateUnix), 10, 64)
		if err != nil {
			return time.Time{}, false, ingest.AtOffset(p.unitName(), p.start, "message %d: invalid date_unixtime %q", m.ID, ingest.Excerpt(string(m.DateUnix), 30))
		}
		return time.Unix(sec, 0).UTC(), false, nil
	}
	t, err := time.Parse("2006-01-02T15:04:05", m.Date)
	if err != nil {
		return time.Time{}, false, ingest.AtOffset(p.unitName(), p.start, "message %d: no date_unixtime and invalid date %q", m.ID, ingest.Excerpt(m.Date, 30))
	}
	return t, true, nil
}

// message handles one element of a chat's messages.
func (p *parser) message(c *chat, m *message) error {
	if m.ID == 0 {
		return ingest.AtOffset(p.unitName(), p.start, "message without an id")
	}
	if m.Type != "message" && m.Type != "service" {
		// "unsupported" (media this version cannot export) and types of
		// future versions: remembered so that replies to them resolve.
		c.msgs[m.ID] = &msgInfo{author: m.FromID, root: m.ID}
		return nil
	}
	at, zoneUnknown, err := p.messageTime(c, m)
	if err != nil {
		return err
	}
	info := &msgInfo{author: m.FromID, root: m.ID}
	if m.Type == "service" {
		info.author = m.ActorID
		info.topicRoot = m.Action == "topic_created"
	}
	c.msgs[m.ID] = info
	c.learn(m.From, m.FromID)
	c.learn(m.Actor, m.ActorID)
	if m.Type == "service" {
		return p.service(c, m, at)
	}
	return p.post(c, m, info, at, zoneUnknown)
}

func (p *parser) post(c *chat, m *message, info *msgInfo, at time.Time, zoneUnknown bool) error {
	// Only bots can send inline keyboards themselves; a message sent "via"
	// an inline bot carries the bot's buttons but is the human's.
	if len(m.Buttons) > 0 && m.ViaBot == "" && strings.HasPrefix(m.FromID, "user") {
		c.bots[m.FromID] = true
	}
	// In a chat with a bot, the other party is the bot.
	if c.typ == "bot_chat" && m.FromID == "user"+c.id {
		c.bots[m.FromID] = true
	}
	author, err := p.person(c, m.FromID, m.From)
	if err != nil {
		return stop{err}
	}
	a := ingest.Activity{
		ExternalID: c.extID(m.ID),
		Kind:       coterie.KindMessage,
		ChannelID:  c.id,
		OccurredAt: at,
		Author:     author,
		Body:       m.Text.plain,
		URL:        p.url(c, m.ID),
		IsEdited:   m.Edited != "" || m.EditedUnix != "",
	}
	attrs := map[string]any{}
	if m.ReplyTo != 0 {
		p.reply(c, m, info, &a, attrs)
	}
	entities := m.TextEntities
	if len(entities) == 0 {
		entities = m.Text.entities
	}
	var mentions, links []string
	for _, e := range entities {
		switch e.Type {
		case "mention":
			mentions = append(mentions, e.Text)
		case "mention_name":
			if e.UserID != "" {
				mentions = append(mentions, "user"+e.UserID.String())
			} else {
				mentions = append(mentions, e.Text)
			}
		case "link":
			links = append(links, e.Text)
		case "text_link":
			links = append(links, e.Href)
		}
	}
	if len(mentions) > 0 {
		attrs["mentions"] = mentions
	}
	if len(links) > 0 {
		attrs["links"] = links
	}
	if strings.HasPrefix(m.FromID, "channel") {
		// A channel posting (or an anonymous group admin posting as the
		// group): the author is the chat itself, not a bot.
		attrs["channel_post"] = true
	}
	if m.Signature != "" {
		attrs["signature"] = m.Signature
	}
	if m.ViaBot != "" {
		attrs["via_bot"] = m.ViaBot
	}
	if m.ForwardedFrom != nil {
		attrs["forwarded_from"] = *m.ForwardedFrom
	}
	if m.MediaType != "" {
		attrs["media_type"] = m.MediaType
	}
	if zoneUnknown {
		attrs["time_zone_unknown"] = true
	}
	if m.Photo != "" {
		a.Attachments = append(a.Attachments, attachment(m.Photo, "", "image/jpeg", 0))
	}
	if m.File != "" {
		a.Attachments = append(a.Attachments, attachment(m.File, m.FileName, m.MimeType, m.FileSize))
	}
	reactions, counts, err := p.reactions(c, m, &a)
	if err != nil {
		return stop{err}
	}
	if len(counts) > 0 {
		attrs["reaction_counts"] = counts
	}
	if len(attrs) > 0 {
		a.Attributes = attrs
	}
	if err := p.sink.Activity(a); err != nil {
		return stop{err}
	}
	for _, r := range reactions {
		if err := p.sink.Activity(r); err != nil {
			return stop{err}
		}
	}
	return nil
}

// attachment describes an exported file. path is relative to the export
// folder, or a note such as "(File not included. Change data exporting
// settings to download.)" when the file was left out.
func attachment(path, name, mime string, size int64) ingest.Attachment {
	att := ingest.Attachment{Name: name, MimeType: mime, Size: size}
	if !strings.HasPrefix(path, "(") {
		att.URL = path
		if att.Name == "" {
			att.Name = filepath.Base(path)
		}
	}
	return att
}

// url links to a message in a supergroup or channel (t.me/c/ links work for
// members; basic groups and private chats have no message links).
func (p *parser) url(c *chat, msgID int64) string {
	switch c.typ {
	case "private_supergroup", "public_supergroup", "private_channel", "public_channel":
		return "https://t.me/c/" + c.id + "/" + strconv.FormatInt(msgID, 10)
	}
	return ""
}

// reply fills in the parent of a message that answers another.
func (p *parser) reply(c *chat, m *message, info *msgInfo, a *ingest.Activity, attrs map[string]any) {
	if m.ReplyToPeer != "" {
		// An answer to a message of another chat (a channel post from its
		// discussion group): that chat's id is the bare peer id.
		peer := bareID(m.ReplyToPeer)
		a.Kind = coterie.KindReply
		a.ParentID = peer + "/" + strconv.FormatInt(m.ReplyTo, 10)
		a.ThreadRootID = a.ParentID
		return
	}
	parent := c.msgs[m.ReplyTo]
	switch {
	case parent == nil:
		// The parent is older than the export or was deleted.
		a.Kind = coterie.KindReply
		a.ParentID = c.extID(m.ReplyTo)
		a.ThreadRootID = a.ParentID
		info.root = m.ReplyTo
	case parent.topicRoot:
		// In a forum every message of a topic "replies" to the topic's
		// creation notice: it is a top-level message of that topic.
		info.topic = m.ReplyTo
		attrs["topic_id"] = m.ReplyTo
	default:
		a.Kind = coterie.KindReply
		a.ParentID = c.extID(m.ReplyTo)
		a.ObjectAuthorID = parent.author
		info.root, info.topic = parent.root, parent.topic
		a.ThreadRootID = c.extID(parent.root)
		if parent.topic != 0 {
			attrs["topic_id"] = parent.topic
		}
	}
}

// bareID strips the kind from a peer id ("channel123" -> "123"), which is
// how chats are identified.
func bareID(peer string) string {
	for _, prefix := range []string{"user", "channel", "chat"} {
		if rest, ok := strings.CutPrefix(peer, prefix); ok {
			return rest
		}
	}
	return peer
}

// reactionKey names a reaction: the (skin-tone folded) emoji, a premium
// custom emoji by its document id, or a paid (Telegram Stars) reaction.
func reactionKey(r reaction) string {
	switch r.Type {
	case "emoji", "":
		return ingest.BaseEmoji(r.Emoji)
	case "custom_emoji":
		if r.DocumentID != "" {
			return "custom_emoji:" + r.DocumentID
		}
	case "paid":
		return "paid"
	}
	return ""
}

// reactions returns one reaction per (reactor, base emoji) named in the
// "recent" lists, and the totals of the emojis whose reactors are not all
// named: Telegram lists only the last few reactors, and none in channels.
func (p *parser) reactions(c *chat, m *message, msg *ingest.Activity) ([]ingest.Activity, map[string]int, error) {
	if len(m.Reactions) == 0 {
		return nil, nil, nil
	}
	// "date" is the exporting computer's local time: the gap between the
	// message's date and date_unixtime is that computer's offset, which
	// turns reaction dates back into UTC.
	offset, haveOffset := time.Duration(0), false
	if local, err := time.Parse("2006-01-02T15:04:05", m.Date); err == nil && m.DateUnix != "" {
		offset, haveOffset = local.Sub(msg.OccurredAt), true
	}
	var out []ingest.Activity
	seen := map[string]bool{}
	totals := map[string]int{}
	var incomplete []string
	for _, r := range m.Reactions {
		key := reactionKey(r)
		if key == "" {
			continue
		}
		totals[key] += r.Count
		named := 0
		for _, rc := range r.Recent {
			if rc.FromID == "" {
				continue
			}
			named++
			c.learn(rc.From, rc.FromID)
			id := ingest.ReactionID(msg.ExternalID, rc.FromID, key)
			if seen[id] {
				continue
			}
			seen[id] = true
			who, err := p.person(c, rc.FromID, rc.From)
			if err != nil {
				return nil, nil, err
			}
			at := msg.OccurredAt
			if t, err := time.Parse("2006-01-02T15:04:05", rc.Date); err == nil && haveOffset {
				if t = t.Add(-offset).UTC(); t.After(at) {
					at = t
				}
			}
			out = append(out, ingest.Activity{
				ExternalID:     id,
				Kind:           coterie.KindReaction,
				ChannelID:      c.id,
				OccurredAt:     at,
				Author:         who,
				ObjectAuthorID: msg.Author.ID,
				ParentID:       msg.ExternalID,
				Attributes:     map[string]any{"emoji": key},
			})
		}
		if named < r.Count {
			incomplete = append(incomplete, key)
		}
	}
	if len(incomplete) == 0 {
		return out, nil, nil
	}
	counts := map[string]int{}
	for _, k := range incomplete {
		counts[k] = totals[k]
	}
	return out, counts, nil
}

// service turns the service messages that are joins and leaves into
// activities; every other service action is a notice.
func (p *parser) service(c *chat, m *message, at time.Time) error {
	var kind coterie.ActivityKind
	var via string
	switch m.Action {
	case "invite_members":
		kind, via = coterie.KindJoin, "invite"
	case "join_group_by_link":
		kind, via = coterie.KindJoin, "link"
	case "join_group_by_request":
		kind, via = coterie.KindJoin, "request"
	case "remove_members":
		kind = coterie.KindLeave
	default:
		return nil
	}
	base := ingest.Activity{
		Kind:       kind,
		ChannelID:  c.id,
		OccurredAt: at,
	}
	if via != "" {
		base.Attributes = map[string]any{"via": via}
	}
	members := m.Members
	if kind == coterie.KindJoin && via != "invite" {
		members = nil // the actor is the one who joined
	}
	if len(members) == 0 {
		// Someone joining, or leaving, by themselves.
		a := base
		a.ExternalID = c.extID(m.ID)
		who, err := p.person(c, m.ActorID, m.Actor)
		if err != nil {
			return stop{err}
		}
		a.Author = who
		return p.emit(a)
	}
	for i, name := range members {
		a := base
		a.Attributes = map[string]any{}
		for k, v := range base.Attributes {
			a.Attributes[k] = v
		}
		a.ExternalID = c.extID(m.ID)
		if len(members) > 1 {
			a.ExternalID += "/member/" + strconv.Itoa(i)
		}
		n := ""
		if name != nil {
			n = *name
		}
		if m.Actor != nil && n != "" && n == *m.Actor {
			// Telegram writes "X joined the group" as X inviting X, and
			// "X left the group" as X removing X.
			who, err := p.person(c, m.ActorID, m.Actor)
			if err != nil {
				return stop{err}
			}
			a.Author = who
			if len(a.Attributes) == 0 {
				a.Attributes = nil
			}
			if err := p.emit(a); err != nil {
				return err
			}
			continue
		}
		if kind == coterie.KindJoin {
			a.Attributes["invited_by"] = m.ActorID
		} else {
			a.Attributes["removed_by"] = m.ActorID
		}
		a.Attributes["member_name"] = n
		// Only the member's display name is exported: who it is gets
		// known from the chat's messages, which may come later.
		c.pending = append(c.pending, pendingMember{a: a, name: n})
	}
	return nil
}

func (p *parser) emit(a ingest.Activity) error {
	if err := p.sink.Activity(a); err != nil {
		return stop{err}
	}
	return nil
}

// flushMembers reports the joins and leaves that named their member only
// by display name, now that the whole chat has been read. A name that
// belongs to no author of the chat, or to several, stays unresolved: the
// activity keeps the name but no person (no one is invented or guessed).
func (p *parser) flushMembers(c *chat) error {
	for _, pm := range c.pending {
		a := pm.a
		a.Author = ingest.Person{DisplayName: pm.name}
		if id := c.names[pm.name]; id != "" {
			name := pm.name
			who, err := p.person(c, id, &name)
			if err != nil {
				return err
			}
			a.Author = who
		}
		if err := p.sink.Activity(a); err != nil {
			return err
		}
	}
	c.pending = nil
	return nil
}
