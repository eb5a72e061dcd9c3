// Package discord reads DiscordChatExporter JSON exports: one file per
// channel (or thread), either a single file or a folder of them.
//
// A channel file can be hundreds of megabytes, so it is never decoded as a
// whole: the messages array is streamed one message at a time. The file is
// read twice. The first pass only indexes message ids, authors, reply
// references and edit times, which is what it takes to drop duplicated
// message ids (keeping the latest edit), to know the author of a replied-to
// message that comes later in the file (exports can be newest-first) and to
// follow reply chains to their root. The second pass emits the records.
package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/ingest"
)

// Format is the DiscordChatExporter JSON format.
type Format struct{}

// New returns the "discord" format.
func New() ingest.Format { return Format{} }

// Name implements ingest.Format.
func (Format) Name() string { return "discord" }

// Platform implements ingest.Format.
func (Format) Platform() coterie.Platform { return coterie.PlatformDiscord }

// Read implements ingest.Format. path is one exported .json file or a folder
// whose *.json files are channel exports. Sub-folders are not read: the
// exporter puts downloaded media (which may include users' own .json
// attachments) in "<channel>.json_Files" folders beside the exports.
func (Format) Read(ctx context.Context, path string, sink ingest.Sink) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("discord: %w", err)
	}
	type unit struct{ path, name string }
	var units []unit
	if info.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			return fmt.Errorf("discord: %w", err)
		}
		for _, e := range entries {
			if e.Type().IsRegular() && strings.EqualFold(filepath.Ext(e.Name()), ".json") {
				units = append(units, unit{filepath.Join(path, e.Name()), e.Name()})
			}
		}
		if len(units) == 0 {
			return fmt.Errorf("discord: %s: no .json channel exports in this folder", path)
		}
	} else {
		units = append(units, unit{path, path})
	}
	for _, u := range units {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := readFile(ctx, u.path, u.name, sink); err != nil {
			return err
		}
	}
	return nil
}

func readFile(ctx context.Context, path, name string, sink ingest.Sink) error {
	f, err := os.Open(path)
	if err != nil {
		// A file that vanished or cannot be opened is one damaged unit,
		// not a reason to stop reading the folder.
		if err := sink.BeginFile(name); err != nil {
			return err
		}
		return sink.EndFile(&ingest.FileError{File: name, Message: err.Error()})
	}
	defer f.Close()
	return Parse(ctx, name, f, sink)
}

// Parse reads one DiscordChatExporter channel file from r and reports it to
// sink as one file unit named name. r is read twice (see the package
// documentation), hence the io.ReadSeeker; *os.File and *bytes.Reader do.
// A damaged file ends with sink.EndFile(err); Parse returns an error only
// when the sink fails or ctx is cancelled.
func Parse(ctx context.Context, name string, r io.ReadSeeker, sink ingest.Sink) error {
	if err := sink.BeginFile(name); err != nil {
		return err
	}
	p := &parser{name: name, sink: sink, ctx: ctx}
	ferr, err := p.run(r)
	if err != nil {
		return err
	}
	return sink.EndFile(ferr)
}

// JSON shapes written by DiscordChatExporter's JsonMessageWriter.

type guild struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type channel struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	CategoryID string `json:"categoryId"`
	Category   string `json:"category"`
	Name       string `json:"name"`
	Topic      string `json:"topic"`
}

type user struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Discriminator string `json:"discriminator"`
	Nickname      string `json:"nickname"`
	IsBot         bool   `json:"isBot"`
	AvatarURL     string `json:"avatarUrl"`
}

type emoji struct {
	// ID is "" (or null in older exporter versions) for a Unicode emoji.
	ID   *string `json:"id"`
	Name string  `json:"name"`
	Code string  `json:"code"`
}

type reaction struct {
	Emoji emoji  `json:"emoji"`
	Count int    `json:"count"`
	Users []user `json:"users"`
}

type reference struct {
	// Type is "Default" for a reply and "Forward" for a forwarded message
	// (exporter 2.44+); older versions do not write it.
	Type      string  `json:"type"`
	MessageID *string `json:"messageId"`
	ChannelID *string `json:"channelId"`
	GuildID   *string `json:"guildId"`
}

type attachment struct {
	ID            string `json:"id"`
	URL           string `json:"url"`
	FileName      string `json:"fileName"`
	FileSizeBytes int64  `json:"fileSizeBytes"`
}

type message struct {
	ID              string       `json:"id"`
	Type            string       `json:"type"`
	Timestamp       string       `json:"timestamp"`
	TimestampEdited *string      `json:"timestampEdited"`
	IsPinned        bool         `json:"isPinned"`
	Content         string       `json:"content"`
	Author          user         `json:"author"`
	Attachments     []attachment `json:"attachments"`
	Stickers        []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"stickers"`
	Embeds    []json.RawMessage `json:"embeds"`
	Reactions []reaction        `json:"reactions"`
	Mentions  []user            `json:"mentions"`
	Reference *reference        `json:"reference"`
	// Interaction names the person who ran the slash command a bot answers.
	Interaction *struct {
		Name string `json:"name"`
		User user   `json:"user"`
	} `json:"interaction"`
}

// scanMessage is what the first pass needs of a message.
type scanMessage struct {
	ID              string              `json:"id"`
	TimestampEdited *string             `json:"timestampEdited"`
	Author          struct{ ID string } `json:"author"`
	Reference       *reference          `json:"reference"`
}

// parentRef returns the id of the message a message answers, or "" when it
// is not a reply. A forwarded message carries a reference too, and so does
// a message crossposted from a followed announcement channel (pointing into
// another channel): neither answers anything here.
func (p *parser) parentRef(ref *reference) string {
	if ref == nil || ref.MessageID == nil || *ref.MessageID == "" || ref.Type == "Forward" {
		return ""
	}
	if ref.ChannelID != nil && *ref.ChannelID != "" && *ref.ChannelID != p.channel.ID {
		return ""
	}
	return *ref.MessageID
}

// indexEntry is what the first pass remembers of one message id.
type indexEntry struct {
	author string
	parent string
	keep   int   // ordinal of the occurrence to emit
	edited int64 // Unix ms of the kept occurrence's last edit, 0 if never
	copies int
}

type parser struct {
	name string
	sink ingest.Sink
	ctx  context.Context

	guild   guild
	channel channel
	seen    struct{ channel, messages bool }
	index   map[string]*indexEntry
	strs    map[string]string // interned author ids
	people  map[string]bool   // people already reported in this file
}

// countingReader counts the bytes read, so that a truncated file can be
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

// decodeError turns a JSON decoding error into a FileError with the byte
// offset of the damage: the end of the data for a truncated file, the
// decoder's position for a syntax error between values, or the offset where
// the failing value starts for an error inside it (the standard decoder's
// offsets inside a value are not stream offsets).
func decodeError(name string, dec *json.Decoder, cr *countingReader, start int64, err error) *ingest.FileError {
	var ws withStart
	if errors.As(err, &ws) {
		start = ws.start
	}
	if start < 0 {
		start = dec.InputOffset()
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		if cr.n == 0 {
			return ingest.AtOffset(name, 0, "empty file")
		}
		return ingest.AtOffset(name, cr.n, "unexpected end of file: the export is truncated")
	case errors.As(err, &typ):
		return ingest.AtOffset(name, start, "unexpected JSON %s for %s", typ.Value, fieldName(typ))
	case errors.As(err, &syn):
		return ingest.AtOffset(name, start, "invalid JSON: %s", syn.Error())
	}
	return ingest.AtOffset(name, start, "%v", err)
}

func fieldName(e *json.UnmarshalTypeError) string {
	if e.Field != "" {
		return "field " + e.Field
	}
	return e.Type.String()
}

// run reads the file twice and reports the records. It returns a FileError
// for a damaged file and a plain error when the sink failed or ctx ended.
func (p *parser) run(r io.ReadSeeker) (*ingest.FileError, error) {
	if ferr, err := p.scan(r); ferr != nil || err != nil {
		return ferr, err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return &ingest.FileError{File: p.name, Message: err.Error()}, nil
	}
	return p.emit(r)
}

// stop wraps an error that must end the whole read (the sink failed, ctx
// was cancelled), as opposed to a damaged file.
type stop struct{ err error }

func (s stop) Error() string { return s.err.Error() }

// walk streams the top-level object of a DiscordChatExporter file, decoding
// the guild and channel objects into p and calling onMessage for each
// element of the messages array with its ordinal and starting offset.
// onMessage returns a *ingest.FileError for a damaged message, a stop for
// a sink failure, and any other error as a decoding error.
func (p *parser) walk(r io.Reader, onMessage func(dec *json.Decoder, ordinal int, start int64) error) (*ingest.FileError, error) {
	cr := &countingReader{r: r}
	dec := json.NewDecoder(cr)
	fail := func(start int64, err error) (*ingest.FileError, error) {
		var ferr *ingest.FileError
		var s stop
		switch {
		case errors.As(err, &s):
			return nil, s.err
		case errors.As(err, &ferr):
			return ferr, nil
		}
		return decodeError(p.name, dec, cr, start, err), nil
	}
	tok, err := dec.Token()
	if err != nil {
		return fail(-1, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return ingest.AtOffset(p.name, 0, "not a DiscordChatExporter export: the file is not a JSON object"), nil
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail(-1, err)
		}
		key, _ := tok.(string)
		start := dec.InputOffset()
		switch key {
		case "guild":
			err = dec.Decode(&p.guild)
		case "channel":
			p.seen.channel = true
			err = dec.Decode(&p.channel)
		case "messages":
			p.seen.messages = true
			err = p.messages(dec, start, onMessage)
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return fail(start, err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return fail(-1, err)
	}
	return nil, nil
}

func (p *parser) messages(dec *json.Decoder, start int64, onMessage func(dec *json.Decoder, ordinal int, start int64) error) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return ingest.AtOffset(p.name, start, "\"messages\" is not an array")
	}
	for i := 0; dec.More(); i++ {
		if i%1024 == 0 {
			if err := p.ctx.Err(); err != nil {
				return stop{err}
			}
		}
		if err := onMessage(dec, i, dec.InputOffset()); err != nil {
			return err
		}
	}
	_, err = dec.Token()
	return err
}

// scan is the first pass: it checks the whole file is readable and builds
// the message index.
func (p *parser) scan(r io.Reader) (*ingest.FileError, error) {
	p.index = map[string]*indexEntry{}
	p.strs = map[string]string{}
	ferr, err := p.walk(r, func(dec *json.Decoder, ordinal int, start int64) error {
		var m scanMessage
		if err := dec.Decode(&m); err != nil {
			return withStart{start, err}
		}
		if m.ID == "" {
			return ingest.AtOffset(p.name, start, "message without an id")
		}
		var edited int64
		if m.TimestampEdited != nil && *m.TimestampEdited != "" {
			t, err := parseTime(*m.TimestampEdited)
			if err != nil {
				return ingest.AtOffset(p.name, start, "message %s: invalid timestampEdited %q", m.ID, ingest.Excerpt(*m.TimestampEdited, 40))
			}
			edited = t.UnixMilli()
		}
		e := p.index[m.ID]
		if e == nil {
			e = &indexEntry{author: p.intern(m.Author.ID), parent: p.parentRef(m.Reference), keep: ordinal, edited: edited}
			p.index[m.ID] = e
		} else if edited >= e.edited {
			// The same message exported twice (overlapping exports
			// concatenated, or a paging glitch): keep the latest edit, and
			// the later copy when neither was edited since.
			e.keep, e.edited = ordinal, edited
			e.parent = p.parentRef(m.Reference)
		}
		e.copies++
		return nil
	})
	if ferr != nil || err != nil {
		return ferr, err
	}
	if !p.seen.channel || !p.seen.messages || p.channel.ID == "" {
		return &ingest.FileError{File: p.name, Message: "not a DiscordChatExporter export: no \"channel\" or \"messages\""}, nil
	}
	return nil, nil
}

// withStart carries the offset where the value that failed to decode
// starts, since the decoder's own offsets inside a value are not stream
// offsets.
type withStart struct {
	start int64
	err   error
}

func (w withStart) Error() string { return w.err.Error() }
func (w withStart) Unwrap() error { return w.err }

func (p *parser) intern(s string) string {
	if v, ok := p.strs[s]; ok {
		return v
	}
	p.strs[s] = s
	return s
}

// channelKind maps the exporter's channel type (Discord's channel types).
func channelKind(typ, guildID string) string {
	switch typ {
	case "DirectTextChat":
		return "dm"
	case "DirectGroupTextChat":
		return "group"
	case "GuildPublicThread", "GuildPrivateThread", "GuildNewsThread":
		return "thread"
	case "GuildForum":
		return "forum"
	case "GuildVoiceChat", "GuildStageVoice":
		return "voice"
	case "":
		if guildID == "0" {
			return "dm"
		}
	}
	return "channel"
}

// emit is the second pass.
func (p *parser) emit(r io.Reader) (*ingest.FileError, error) {
	p.people = map[string]bool{}
	kind := channelKind(p.channel.Type, p.guild.ID)
	if err := p.sink.Channel(ingest.Channel{ExternalID: p.channel.ID, Name: p.channel.Name, Kind: kind}); err != nil {
		return nil, err
	}
	return p.walk(r, func(dec *json.Decoder, ordinal int, start int64) error {
		var m message
		if err := dec.Decode(&m); err != nil {
			return withStart{start, err}
		}
		if e := p.index[m.ID]; e == nil || e.keep != ordinal {
			return nil
		}
		return p.message(&m, kind, start)
	})
}

// messageKind says what activity a message type is, "" for none. Only the
// message types a person writes are messages; the other types are system
// notices (pins, calls, name and icon changes, boosts, thread created, the
// copy of a thread's starter message, ...). Types unknown to the exporter
// are written as their number: 20 and 23 are answers to slash commands and
// context-menu commands.
func messageKind(typ string) coterie.ActivityKind {
	switch typ {
	case "Default", "Reply", "", "ChatInputCommand", "ContextMenuCommand", "20", "23":
		return coterie.KindMessage
	case "GuildMemberJoin", "RecipientAdd":
		return coterie.KindJoin
	case "RecipientRemove":
		return coterie.KindLeave
	}
	return ""
}

func (p *parser) person(u user) (ingest.Person, error) {
	per := ingest.Person{
		ID:          u.ID,
		Username:    u.Name,
		DisplayName: u.Nickname,
		AvatarURL:   u.AvatarURL,
		IsBot:       u.IsBot,
		IsDeleted:   isDeleted(u.Name),
	}
	// Before Discord's 2023 username change a name was only unique with
	// its four-digit discriminator; new-style names have "0000" (or "0").
	if d := u.Discriminator; d != "" && strings.Trim(d, "0") != "" {
		per.Username = u.Name + "#" + d
	}
	if per.DisplayName == "" {
		per.DisplayName = u.Name
	}
	if u.ID != "" && !p.people[u.ID] {
		p.people[u.ID] = true
		if err := p.sink.Person(per); err != nil {
			return per, err
		}
	}
	return per, nil
}

// isDeleted recognises the names Discord gives deleted accounts: "Deleted
// User", "Deleted User 1a2b3c4d" and, since the username change,
// "deleted_user_0123456789ab".
func isDeleted(name string) bool {
	return name == "Deleted User" || strings.HasPrefix(name, "Deleted User ") || strings.HasPrefix(name, "deleted_user_")
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, err
	}
	return t.UTC(), nil
}

// rootOf follows the reply chain from id through the messages of this file
// and returns the first message of the conversation.
func (p *parser) rootOf(id string) string {
	for range 10000 { // a cycle in damaged input must not hang the import
		e := p.index[id]
		if e == nil || e.parent == "" {
			return id
		}
		id = e.parent
	}
	return id
}

func (p *parser) url(msgID string) string {
	g := p.guild.ID
	if g == "" || g == "0" {
		g = "@me"
	}
	return "https://discord.com/channels/" + g + "/" + p.channel.ID + "/" + msgID
}

func (p *parser) message(m *message, chKind string, start int64) error {
	kind := messageKind(m.Type)
	if kind == "" {
		return nil
	}
	at, err := parseTime(m.Timestamp)
	if err != nil {
		return ingest.AtOffset(p.name, start, "message %s: invalid timestamp %q", m.ID, ingest.Excerpt(m.Timestamp, 40))
	}
	author, err := p.person(m.Author)
	if err != nil {
		return stop{err}
	}
	a := ingest.Activity{
		ExternalID: m.ID,
		Kind:       kind,
		ChannelID:  p.channel.ID,
		OccurredAt: at,
		Author:     author,
		Body:       m.Content,
		URL:        p.url(m.ID),
		IsEdited:   m.TimestampEdited != nil && *m.TimestampEdited != "",
	}
	attrs := map[string]any{}
	switch kind {
	case coterie.KindJoin, coterie.KindLeave:
		// In a group DM the author of "RecipientAdd" / "RecipientRemove"
		// is the one who added or removed; the person who joined or left
		// is the mentioned user (the same as the author when leaving).
		if len(m.Mentions) > 0 && m.Mentions[0].ID != "" && m.Mentions[0].ID != m.Author.ID {
			who, err := p.person(m.Mentions[0])
			if err != nil {
				return stop{err}
			}
			a.Author = who
			if kind == coterie.KindJoin {
				attrs["added_by"] = m.Author.ID
			} else {
				attrs["removed_by"] = m.Author.ID
			}
		}
		a.Body = ""
	default:
		p.replyFields(&a, m, chKind)
		for _, at := range m.Attachments {
			a.Attachments = append(a.Attachments, ingest.Attachment{URL: at.URL, Name: at.FileName, Size: at.FileSizeBytes})
		}
		if len(m.Mentions) > 0 {
			ids := make([]string, 0, len(m.Mentions))
			for _, u := range m.Mentions {
				ids = append(ids, u.ID)
			}
			attrs["mentions"] = ids
		}
		if len(m.Stickers) > 0 {
			names := make([]string, 0, len(m.Stickers))
			for _, s := range m.Stickers {
				names = append(names, s.Name)
			}
			attrs["stickers"] = names
		}
		if len(m.Embeds) > 0 {
			attrs["embeds"] = len(m.Embeds)
		}
		if m.Reference != nil && m.Reference.MessageID != nil && a.Kind != coterie.KindReply {
			// Forwarded or crossposted: keep where it came from.
			attrs["source_message_id"] = *m.Reference.MessageID
		}
		if m.Interaction != nil && m.Interaction.User.ID != "" {
			attrs["interaction_user_id"] = m.Interaction.User.ID
			attrs["interaction"] = m.Interaction.Name
		}
	}
	if m.IsPinned {
		attrs["pinned"] = true
	}
	if e := p.index[m.ID]; e != nil && e.copies > 1 {
		attrs["duplicates_dropped"] = e.copies - 1
	}
	reactions, counts, err := p.reactions(m, a)
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

// replyFields makes a a reply when it answers a message or sits in a thread.
func (p *parser) replyFields(a *ingest.Activity, m *message, chKind string) {
	parent := p.parentRef(m.Reference)
	if chKind == "thread" {
		// A thread's id is the id of the message that started it (the
		// forum post itself, or the channel message the thread hangs
		// from), so every other message of a thread export answers it.
		if m.ID == p.channel.ID {
			return
		}
		if parent == "" {
			parent = p.channel.ID
		}
		a.Kind = coterie.KindReply
		a.ParentID = parent
		a.ThreadRootID = p.channel.ID
	} else if parent != "" {
		a.Kind = coterie.KindReply
		a.ParentID = parent
		a.ThreadRootID = p.rootOf(parent)
	} else {
		return
	}
	if e := p.index[a.ParentID]; e != nil {
		a.ObjectAuthorID = e.author
	}
}

// emojiKey names a reaction's emoji: the (skin-tone folded) character of a
// Unicode emoji, "name:id" for a server's custom emoji, whose name alone is
// not unique.
func emojiKey(e emoji) string {
	if e.ID != nil && *e.ID != "" && *e.ID != "0" {
		return e.Name + ":" + *e.ID
	}
	if e.Name == "" {
		return ingest.BaseEmoji(e.Code)
	}
	return ingest.BaseEmoji(e.Name)
}

// reactions returns one reaction activity per (member, base emoji) named in
// the reactions' users lists, and the totals of the emojis whose reactors
// are not all named (older exporter versions write only the count): those
// reactors are unknown and are not invented.
func (p *parser) reactions(m *message, msg ingest.Activity) ([]ingest.Activity, map[string]int, error) {
	if len(m.Reactions) == 0 {
		return nil, nil, nil
	}
	var out []ingest.Activity
	seen := map[string]bool{}
	totals := map[string]int{}
	var incomplete []string
	for _, r := range m.Reactions {
		key := emojiKey(r.Emoji)
		if key == "" {
			continue
		}
		totals[key] += r.Count
		named := 0
		for _, u := range r.Users {
			if u.ID == "" {
				continue
			}
			named++
			id := ingest.ReactionID(msg.ExternalID, u.ID, key)
			if seen[id] {
				continue
			}
			seen[id] = true
			who, err := p.person(u)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, ingest.Activity{
				ExternalID:     id,
				Kind:           coterie.KindReaction,
				ChannelID:      msg.ChannelID,
				OccurredAt:     msg.OccurredAt, // the export has no reaction times
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
