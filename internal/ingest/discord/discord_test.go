package discord

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/ingest"
)

// parseFile runs Parse over one testdata file.
func parseFile(t testing.TB, name string) *ingest.Collector {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var c ingest.Collector
	if err := Parse(context.Background(), name, bytes.NewReader(data), &c); err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return &c
}

func byID(c *ingest.Collector) map[string]ingest.Activity {
	m := map[string]ingest.Activity{}
	for _, a := range c.Activities {
		m[a.ExternalID] = a
	}
	return m
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

const (
	alice   = "800000000000000001"
	bob     = "800000000000000002"
	carol   = "800000000000000003"
	dave    = "800000000000000004"
	mee6    = "159985870458322944"
	deleted = "456226577798135808"
	general = "722222222222222222"
)

// want is what a test expects of one activity; empty fields are not checked.
type want struct {
	kind                   coterie.ActivityKind
	author                 string
	at                     string
	parent, root, object   string
	body                   *string
	edited, bot, isDeleted bool
	attrs                  map[string]any
}

func str(s string) *string { return &s }

func check(t *testing.T, got map[string]ingest.Activity, id string, w want) {
	t.Helper()
	a, ok := got[id]
	if !ok {
		t.Errorf("activity %s missing", id)
		return
	}
	if a.Kind != w.kind {
		t.Errorf("%s: kind %q, want %q", id, a.Kind, w.kind)
	}
	if a.Author.ID != w.author {
		t.Errorf("%s: author %q, want %q", id, a.Author.ID, w.author)
	}
	if w.at != "" && !a.OccurredAt.Equal(utc(w.at)) {
		t.Errorf("%s: time %v, want %s", id, a.OccurredAt, w.at)
	}
	if a.OccurredAt.Location() != time.UTC {
		t.Errorf("%s: time %v not in UTC", id, a.OccurredAt)
	}
	if a.ParentID != w.parent || a.ThreadRootID != w.root || a.ObjectAuthorID != w.object {
		t.Errorf("%s: parent/root/object = %q/%q/%q, want %q/%q/%q", id, a.ParentID, a.ThreadRootID, a.ObjectAuthorID, w.parent, w.root, w.object)
	}
	if w.body != nil && a.Body != *w.body {
		t.Errorf("%s: body %q, want %q", id, a.Body, *w.body)
	}
	if a.IsEdited != w.edited {
		t.Errorf("%s: edited %v, want %v", id, a.IsEdited, w.edited)
	}
	if a.Author.IsBot != w.bot || a.Author.IsDeleted != w.isDeleted {
		t.Errorf("%s: bot/deleted %v/%v, want %v/%v", id, a.Author.IsBot, a.Author.IsDeleted, w.bot, w.isDeleted)
	}
	for k, v := range w.attrs {
		if !reflect.DeepEqual(a.Attributes[k], v) {
			t.Errorf("%s: attribute %s = %#v, want %#v", id, k, a.Attributes[k], v)
		}
	}
}

func reactionsOf(c *ingest.Collector, msg string) []string {
	var out []string
	for _, a := range c.Activities {
		if a.Kind == coterie.KindReaction && a.ParentID == msg {
			out = append(out, a.Author.ID+" "+a.Attributes["emoji"].(string))
		}
	}
	return out
}

func TestParse(t *testing.T) {
	t.Run("guild_channel", func(t *testing.T) {
		c := parseFile(t, "guild_channel.json")
		if len(c.Errors) != 0 {
			t.Fatalf("errors: %v", c.Errors)
		}
		if want := []ingest.Channel{{ExternalID: general, Name: "general", Kind: "channel"}}; !reflect.DeepEqual(c.Channels, want) {
			t.Errorf("channels %+v, want %+v", c.Channels, want)
		}
		got := byID(c)
		check(t, got, "1100000000000000001", want{kind: "message", author: alice,
			at: "2023-01-02T14:04:05.123Z", edited: true,
			attrs: map[string]any{"mentions": []string{bob}, "pinned": true}})
		check(t, got, "1100000000000000002", want{kind: "reply", author: bob, at: "2023-01-02T14:20:00Z",
			parent: "1100000000000000001", root: "1100000000000000001", object: alice,
			body: str("The oat one from the co-op shop"), edited: true,
			attrs: map[string]any{"duplicates_dropped": 1}})
		check(t, got, "1100000000000000003", want{kind: "reply", author: carol, at: "2023-01-02T14:25:30.5Z",
			parent: "1100000000000000002", root: "1100000000000000001", object: bob})
		check(t, got, "1100000000000000004", want{kind: "join", author: dave, at: "2023-01-03T14:00:00Z", body: str("")})
		check(t, got, "1100000000000000008", want{kind: "message", author: mee6, bot: true,
			attrs: map[string]any{"reaction_counts": map[string]int{"🎉": 3}, "mentions": []string{dave}}})
		check(t, got, "1100000000000000009", want{kind: "message", author: deleted, isDeleted: true, at: "2023-01-04T08:00:00Z"})
		check(t, got, "1100000000000000010", want{kind: "reply", author: carol,
			parent: "1090000000000000000", root: "1090000000000000000"})
		check(t, got, "1100000000000000011", want{kind: "message", author: alice,
			attrs: map[string]any{"source_message_id": "1050000000000000000"}})
		check(t, got, "1100000000000000012", want{kind: "message", author: mee6, bot: true,
			attrs: map[string]any{"interaction_user_id": bob, "interaction": "rank"}})
		check(t, got, "1100000000000000013", want{kind: "message", author: bob, body: str(""),
			attrs: map[string]any{"stickers": []string{"Wave"}, "reaction_counts": map[string]int{"❤️": 5}}})
		for _, id := range []string{"1100000000000000005", "1100000000000000006", "1100000000000000007"} {
			if _, ok := got[id]; ok {
				t.Errorf("system notice %s imported as an activity", id)
			}
		}

		// 👍 and 👍🏽 by Bob are one reaction; a custom emoji is name:id.
		wantR := []string{bob + " 👍", carol + " 👍", carol + " pepe_love:999000000000000001"}
		if r := reactionsOf(c, "1100000000000000001"); !reflect.DeepEqual(r, wantR) {
			t.Errorf("reactions on 1: %q, want %q", r, wantR)
		}
		react := got[ingest.ReactionID("1100000000000000001", bob, "👍")]
		if react.ObjectAuthorID != alice || react.ChannelID != general || !react.OccurredAt.Equal(utc("2023-01-02T14:04:05.123Z")) {
			t.Errorf("reaction = %+v", react)
		}
		if r := reactionsOf(c, "1100000000000000004"); !reflect.DeepEqual(r, []string{alice + " 👋"}) {
			t.Errorf("reactions on the join: %q", r)
		}
		if r := reactionsOf(c, "1100000000000000013"); len(r) != 2 {
			t.Errorf("reactions on 13: %q, want the 2 named users", r)
		}
		if r := reactionsOf(c, "1100000000000000008"); len(r) != 0 {
			t.Errorf("reactions invented from a bare count: %q", r)
		}

		msg := got["1100000000000000001"]
		if want := []ingest.Attachment{{URL: "https://cdn.discordapp.com/attachments/722222222222222222/1100000000000000901/routine.jpg", Name: "routine.jpg", Size: 48213}}; !reflect.DeepEqual(msg.Attachments, want) {
			t.Errorf("attachments %+v", msg.Attachments)
		}
		if msg.URL != "https://discord.com/channels/711111111111111111/722222222222222222/1100000000000000001" {
			t.Errorf("url %q", msg.URL)
		}
		if msg.Author.Username != "alice.v" || msg.Author.DisplayName != "Alice V" || msg.Author.AvatarURL == "" {
			t.Errorf("author %+v", msg.Author)
		}

		// Duplicated ids count once; each person is reported once.
		seen := map[string]int{}
		for _, a := range c.Activities {
			seen[a.ExternalID]++
		}
		for id, n := range seen {
			if n > 1 {
				t.Errorf("activity %s emitted %d times", id, n)
			}
		}
		wantKinds := map[string]int{"message": 4, "reply": 3, "join": 1, "reaction": 6}
		if k := c.CountKinds(); !reflect.DeepEqual(k, wantKinds) {
			t.Errorf("kinds %v, want %v", k, wantKinds)
		}
		if len(c.Activities) != 16 {
			t.Errorf("%d activities, want 16", len(c.Activities))
		}
		people := map[string]ingest.Person{}
		for _, p := range c.People {
			if _, dup := people[p.ID]; dup {
				t.Errorf("person %s reported twice", p.ID)
			}
			people[p.ID] = p
		}
		if len(people) != 6 {
			t.Errorf("%d people, want 6", len(people))
		}
		if p := people[bob]; p.Username != "bobby#4821" || p.DisplayName != "Bob" {
			t.Errorf("legacy username: %+v", p)
		}
		if p := people[deleted]; !p.IsDeleted || p.Username != "Deleted User" {
			t.Errorf("deleted user: %+v", p)
		}
		if p := people[mee6]; !p.IsBot {
			t.Errorf("bot: %+v", p)
		}
	})

	t.Run("newest_first", func(t *testing.T) {
		// The reply comes before its parent: the author is still known.
		c := parseFile(t, "newest_first.json")
		check(t, byID(c), "1200000000000000002", want{kind: "reply", author: bob,
			parent: "1200000000000000001", root: "1200000000000000001", object: alice})
	})

	t.Run("dm", func(t *testing.T) {
		c := parseFile(t, "dm.json")
		if want := []ingest.Channel{{ExternalID: "766666666666666666", Name: "bobby", Kind: "dm"}}; !reflect.DeepEqual(c.Channels, want) {
			t.Errorf("channels %+v", c.Channels)
		}
		got := byID(c)
		if len(got) != 2 {
			t.Errorf("%d activities, want 2 (the call is not one)", len(got))
		}
		check(t, got, "1300000000000000001", want{kind: "message", author: alice, at: "2023-03-01T19:00:00Z"})
		check(t, got, "1300000000000000003", want{kind: "reply", author: bob,
			parent: "1300000000000000001", root: "1300000000000000001", object: alice})
		if u := got["1300000000000000001"].URL; u != "https://discord.com/channels/@me/766666666666666666/1300000000000000001" {
			t.Errorf("dm url %q", u)
		}
	})

	t.Run("group_dm", func(t *testing.T) {
		c := parseFile(t, "group_dm.json")
		if len(c.Channels) != 1 || c.Channels[0].Kind != "group" {
			t.Errorf("channels %+v", c.Channels)
		}
		got := byID(c)
		if len(got) != 4 {
			t.Errorf("%d activities, want 4", len(got))
		}
		check(t, got, "1400000000000000001", want{kind: "join", author: carol, body: str(""), attrs: map[string]any{"added_by": alice}})
		check(t, got, "1400000000000000002", want{kind: "message", author: carol})
		check(t, got, "1400000000000000003", want{kind: "leave", author: bob, attrs: map[string]any{"removed_by": nil}})
		check(t, got, "1400000000000000004", want{kind: "leave", author: carol, attrs: map[string]any{"removed_by": alice}})
	})

	t.Run("thread", func(t *testing.T) {
		c := parseFile(t, "thread.json")
		if want := []ingest.Channel{{ExternalID: "1500000000000000001", Name: "My morning routine", Kind: "thread"}}; !reflect.DeepEqual(c.Channels, want) {
			t.Errorf("channels %+v", c.Channels)
		}
		got := byID(c)
		check(t, got, "1500000000000000001", want{kind: "message", author: carol})
		check(t, got, "1500000000000000002", want{kind: "reply", author: alice,
			parent: "1500000000000000001", root: "1500000000000000001", object: carol})
		check(t, got, "1500000000000000003", want{kind: "reply", author: bob,
			parent: "1500000000000000002", root: "1500000000000000001", object: alice})
	})

	t.Run("truncated", func(t *testing.T) {
		c := parseFile(t, "truncated.json")
		if len(c.Activities)+len(c.Channels)+len(c.People) != 0 || len(c.Files) != 0 {
			t.Errorf("records kept from a damaged file: %+v", c)
		}
		want := []*ingest.FileError{{File: "truncated.json", Position: "offset 1500", Message: "unexpected end of file: the export is truncated"}}
		if !reflect.DeepEqual(c.Errors, want) {
			t.Errorf("errors %+v, want %+v", c.Errors, want[0])
		}
	})

	t.Run("syntax_error", func(t *testing.T) {
		c := parseFile(t, "syntax_error.json")
		data, _ := os.ReadFile("testdata/syntax_error.json")
		if len(c.Errors) != 1 || len(c.Activities) != 0 {
			t.Fatalf("errors %+v, activities %d", c.Errors, len(c.Activities))
		}
		e := c.Errors[0]
		// The offset is where the damaged third message begins (at the
		// comma that precedes it).
		start := bytes.Index(data, []byte(`"id": "1300000000000000003"`))
		comma := bytes.LastIndexByte(data[:start], ',')
		if e.File != "syntax_error.json" || e.Position != fmt.Sprintf("offset %d", comma) || !strings.Contains(e.Message, "invalid JSON") {
			t.Errorf("error %+v, want offset %d", e, comma)
		}
	})

	t.Run("empty", func(t *testing.T) {
		var c ingest.Collector
		if err := Parse(context.Background(), "empty.json", bytes.NewReader(nil), &c); err != nil {
			t.Fatal(err)
		}
		if want := []*ingest.FileError{{File: "empty.json", Position: "offset 0", Message: "empty file"}}; !reflect.DeepEqual(c.Errors, want) {
			t.Errorf("errors %+v", c.Errors)
		}
	})

	t.Run("bad_timestamp", func(t *testing.T) {
		doc := `{"guild":{"id":"1"},"channel":{"id":"2","type":"GuildTextChat","name":"x"},"messages":[` +
			`{"id":"3","type":"Default","timestamp":"2023-01-02T15:04:05+01:00","author":{"id":"4","name":"a"}},` +
			`{"id":"5","type":"Default","timestamp":"yesterday","author":{"id":"4","name":"a"}}]}`
		var c ingest.Collector
		if err := Parse(context.Background(), "x.json", strings.NewReader(doc), &c); err != nil {
			t.Fatal(err)
		}
		off := strings.Index(doc, `,{"id":"5"`)
		if len(c.Errors) != 1 || c.Errors[0].Position != fmt.Sprintf("offset %d", off) || !strings.Contains(c.Errors[0].Message, `message 5: invalid timestamp "yesterday"`) {
			t.Errorf("errors %+v, want at offset %d", c.Errors, off)
		}
	})
}

func TestFormat_Read(t *testing.T) {
	t.Run("folder", func(t *testing.T) {
		var c ingest.Collector
		if err := New().Read(context.Background(), "testdata/export", &c); err != nil {
			t.Fatal(err)
		}
		wantFiles := []string{
			"Vegan Beauty Club - Community - general [722222222222222222].json",
			"Vegan Beauty Club - Community - random [799999999999999999].json",
		}
		if !reflect.DeepEqual(c.Files, wantFiles) {
			t.Errorf("files %q, want %q", c.Files, wantFiles)
		}
		// settings.json is not an export: reported, and the others are read.
		if len(c.Errors) != 1 || c.Errors[0].File != "settings.json" || !strings.Contains(c.Errors[0].Message, "not a DiscordChatExporter export") {
			t.Errorf("errors %+v", c.Errors)
		}
		got := byID(&c)
		if len(got) != 3 {
			t.Errorf("%d activities, want 3", len(got))
		}
		if _, ok := got["1699999999999999999"]; ok {
			t.Error("read a .json attachment from the media folder")
		}
		if a := got["1600000000000000002"]; a.ChannelID != "799999999999999999" {
			t.Errorf("channel of a random message: %q", a.ChannelID)
		}
		if len(c.Channels) != 2 {
			t.Errorf("channels %+v", c.Channels)
		}
	})

	t.Run("file", func(t *testing.T) {
		var c ingest.Collector
		if err := New().Read(context.Background(), "testdata/dm.json", &c); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(c.Files, []string{"testdata/dm.json"}) || len(c.Activities) != 2 {
			t.Errorf("files %q, %d activities", c.Files, len(c.Activities))
		}
	})

	t.Run("missing", func(t *testing.T) {
		var c ingest.Collector
		if err := New().Read(context.Background(), "testdata/nope", &c); err == nil {
			t.Error("no error for a missing path")
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var c ingest.Collector
		if err := New().Read(ctx, "testdata/export", &c); err != context.Canceled {
			t.Errorf("err %v, want context.Canceled", err)
		}
	})

	t.Run("names", func(t *testing.T) {
		f := New()
		if f.Name() != "discord" || f.Platform() != coterie.PlatformDiscord {
			t.Errorf("name %q platform %q", f.Name(), f.Platform())
		}
	})
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	more, _ := filepath.Glob("testdata/export/*.json")
	for _, name := range append(files, more...) {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c ingest.Collector
		if err := Parse(context.Background(), "fuzz.json", bytes.NewReader(data), &c); err != nil {
			t.Fatalf("Parse returned %v; only sink and ctx errors may end a read", err)
		}
		for _, a := range c.Activities {
			if a.ExternalID == "" || a.Kind == "" || a.ChannelID == "" {
				t.Fatalf("incomplete activity %+v", a)
			}
		}
		for _, e := range c.Errors {
			if !strings.HasPrefix(e.Position, "offset ") && e.Position != "" {
				t.Fatalf("error position %q", e.Position)
			}
		}
	})
}

// BenchmarkParse parses a synthetic channel of 20,000 messages shaped like
// the fixtures (replies, reactions with users, attachments).
func BenchmarkParse(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString(`{"guild":{"id":"711111111111111111","name":"G","iconUrl":""},"channel":{"id":"722222222222222222","type":"GuildTextChat","categoryId":null,"category":null,"name":"general","topic":null},"dateRange":{"after":null,"before":null},"messages":[`)
	for i := range 20000 {
		if i > 0 {
			buf.WriteByte(',')
		}
		ref := ""
		if i%3 == 1 {
			ref = fmt.Sprintf(`,"reference":{"messageId":"%d","channelId":"722222222222222222","guildId":"711111111111111111"}`, 1000000+i-1)
		}
		fmt.Fprintf(&buf, `{"id":"%d","type":"Default","timestamp":"2023-01-02T15:04:05.123+01:00","timestampEdited":null,"callEndedTimestamp":null,"isPinned":false,"content":"message number %d with some ordinary words in it","author":{"id":"%d","name":"user%d","discriminator":"0000","nickname":"User %d","color":null,"isBot":false,"roles":[],"avatarUrl":"https://cdn.discordapp.com/embed/avatars/0.png"},"attachments":[],"embeds":[],"stickers":[],"reactions":[{"emoji":{"id":"","name":"👍","code":"thumbsup","isAnimated":false,"imageUrl":""},"count":2,"users":[{"id":"8001","name":"a","discriminator":"0000","nickname":"a","color":null,"isBot":false,"avatarUrl":""},{"id":"8002","name":"b","discriminator":"0000","nickname":"b","color":null,"isBot":false,"avatarUrl":""}]}],"mentions":[],"inlineEmojis":[]%s}`,
			1000000+i, i, 9000+i%50, i%50, i%50, ref)
	}
	buf.WriteString(`],"messageCount":20000}`)
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var c countSink
		if err := Parse(context.Background(), "bench.json", bytes.NewReader(data), &c); err != nil || c.err != nil {
			b.Fatal(err, c.err)
		}
		if c.activities != 20000*3 {
			b.Fatalf("%d activities", c.activities)
		}
	}
}

// countSink counts records without keeping them, so the benchmark measures
// the parser.
type countSink struct {
	activities int
	err        *ingest.FileError
}

func (s *countSink) BeginFile(string) error              { return nil }
func (s *countSink) Channel(ingest.Channel) error        { return nil }
func (s *countSink) Person(ingest.Person) error          { return nil }
func (s *countSink) Activity(ingest.Activity) error      { s.activities++; return nil }
func (s *countSink) EndFile(err *ingest.FileError) error { s.err = err; return nil }
