package telegram

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

func parseFile(t testing.TB, path, name string) *ingest.Collector {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", path))
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
		if _, dup := m[a.ExternalID]; dup {
			panic("duplicate external id " + a.ExternalID)
		}
		m[a.ExternalID] = a
	}
	return m
}

// want is what a test expects of one activity.
type want struct {
	kind                 coterie.ActivityKind
	author               string
	at                   string
	parent, root, object string
	body                 *string
	edited, bot, deleted bool
	attrs                map[string]any
}

func str(s string) *string { return &s }

func check(t *testing.T, got map[string]ingest.Activity, id string, w want) {
	t.Helper()
	a, ok := got[id]
	if !ok {
		t.Errorf("activity %s missing", id)
		return
	}
	if a.Kind != w.kind || a.Author.ID != w.author {
		t.Errorf("%s: kind %q author %q, want %q %q", id, a.Kind, a.Author.ID, w.kind, w.author)
	}
	if w.at != "" {
		at, _ := time.Parse(time.RFC3339, w.at)
		if !a.OccurredAt.Equal(at) || a.OccurredAt.Location() != time.UTC {
			t.Errorf("%s: time %v, want %s", id, a.OccurredAt, w.at)
		}
	}
	if a.ParentID != w.parent || a.ThreadRootID != w.root || a.ObjectAuthorID != w.object {
		t.Errorf("%s: parent/root/object = %q/%q/%q, want %q/%q/%q", id, a.ParentID, a.ThreadRootID, a.ObjectAuthorID, w.parent, w.root, w.object)
	}
	if w.body != nil && a.Body != *w.body {
		t.Errorf("%s: body %q, want %q", id, a.Body, *w.body)
	}
	if a.IsEdited != w.edited || a.Author.IsBot != w.bot || a.Author.IsDeleted != w.deleted {
		t.Errorf("%s: edited/bot/deleted %v/%v/%v, want %v/%v/%v", id, a.IsEdited, a.Author.IsBot, a.Author.IsDeleted, w.edited, w.bot, w.deleted)
	}
	for k, v := range w.attrs {
		if !reflect.DeepEqual(a.Attributes[k], v) {
			t.Errorf("%s: attribute %s = %#v, want %#v", id, k, a.Attributes[k], v)
		}
	}
}

func TestParse(t *testing.T) {
	t.Run("single_chat", func(t *testing.T) {
		c := parseFile(t, "chats/ChatExport_2024-01-05/result.json", "result.json")
		if len(c.Errors) != 0 || !reflect.DeepEqual(c.Files, []string{"result.json"}) {
			t.Fatalf("files %q errors %v", c.Files, c.Errors)
		}
		if want := []ingest.Channel{{ExternalID: "1500000001", Name: "Vegan Beauty Club", Kind: "group"}}; !reflect.DeepEqual(c.Channels, want) {
			t.Errorf("channels %+v", c.Channels)
		}
		got := byID(c)
		const g = "1500000001/"
		check(t, got, g+"2", want{kind: "message", author: "user1001", at: "2024-01-01T10:01:00Z", body: str("Hello everyone!")})
		if u := got[g+"2"].URL; u != "https://t.me/c/1500000001/2" {
			t.Errorf("url %q", u)
		}
		check(t, got, g+"3", want{kind: "reply", author: "user1002", at: "2024-01-01T10:02:00Z",
			parent: g + "2", root: g + "2", object: "user1001", edited: true,
			body: str("Hi @alice_v! See this guide and https://example.org/oats and Carol"),
			attrs: map[string]any{
				"mentions": []string{"@alice_v", "user1003"},
				"links":    []string{"https://example.org/guide", "https://example.org/oats"},
			}})
		check(t, got, g+"4", want{kind: "reply", author: "user1003", parent: g + "3", root: g + "2", object: "user1002",
			attrs: map[string]any{"reaction_counts": map[string]int{"👍": 4, "custom_emoji:5368324170671202286": 2}}})
		// 👍 and 👍🏽 by the same member are one reaction; its time comes
		// from the local "date" of the reaction, corrected by the offset
		// between the message's date and date_unixtime (UTC+2 here).
		check(t, got, ingest.ReactionID(g+"4", "user1001", "👍"), want{kind: "reaction", author: "user1001",
			at: "2024-01-01T11:00:00Z", parent: g + "4", object: "user1003", attrs: map[string]any{"emoji": "👍"}})
		check(t, got, ingest.ReactionID(g+"4", "user1002", "👍"), want{kind: "reaction", author: "user1002",
			at: "2024-01-01T12:00:00Z", parent: g + "4", object: "user1003"})
		// Invited members are named by display name only: Dave posts later
		// in the chat and is recognised; Erin never does and stays a name.
		check(t, got, g+"5/member/0", want{kind: "join", author: "user1004", at: "2024-01-01T10:04:00Z",
			attrs: map[string]any{"invited_by": "user1001", "via": "invite"}})
		check(t, got, g+"5/member/1", want{kind: "join", author: "",
			attrs: map[string]any{"invited_by": "user1001", "member_name": "Erin"}})
		if a := got[g+"5/member/1"]; a.Author.DisplayName != "Erin" {
			t.Errorf("unresolved member: %+v", a.Author)
		}
		check(t, got, g+"6", want{kind: "join", author: "user1006", attrs: map[string]any{"via": "link"}})
		check(t, got, g+"8", want{kind: "message", author: "channel1500000001",
			attrs: map[string]any{"channel_post": true, "signature": "Alice"}})
		check(t, got, g+"9", want{kind: "message", author: "user1004", attrs: map[string]any{"via_bot": "@gif"}})
		if a := got[g+"9"].Attachments; !reflect.DeepEqual(a, []ingest.Attachment{{URL: "photos/photo_1@01-01-2024_12-08-00.jpg", Name: "photo_1@01-01-2024_12-08-00.jpg", MimeType: "image/jpeg"}}) {
			t.Errorf("photo %+v", a)
		}
		check(t, got, g+"10", want{kind: "message", author: "user1002",
			attrs: map[string]any{"forwarded_from": "Green Living", "media_type": "video_file"}})
		if a := got[g+"10"].Attachments; !reflect.DeepEqual(a, []ingest.Attachment{{Name: "clip.mp4", MimeType: "video/mp4", Size: 1048576}}) {
			t.Errorf("file not included: %+v", a)
		}
		check(t, got, g+"11", want{kind: "leave", author: "user1002"})
		check(t, got, g+"12", want{kind: "leave", author: "user1003", attrs: map[string]any{"removed_by": "user1001"}})
		check(t, got, g+"13", want{kind: "message", author: "user1099", deleted: true})
		check(t, got, g+"14", want{kind: "message", author: "user2001", bot: true})
		check(t, got, g+"16", want{kind: "reply", author: "user1003", parent: g + "999", root: g + "999"})
		for _, id := range []string{"1", "7", "15", "17", "18"} {
			if _, ok := got[g+id]; ok {
				t.Errorf("service or unsupported message %s imported", id)
			}
		}
		wantKinds := map[string]int{"message": 5, "reply": 3, "join": 3, "leave": 2, "reaction": 2}
		if k := c.CountKinds(); !reflect.DeepEqual(k, wantKinds) {
			t.Errorf("kinds %v, want %v", k, wantKinds)
		}
		if len(c.Activities) != 16 {
			t.Errorf("%d activities, want 16", len(c.Activities))
		}
		seen := map[string]bool{}
		for _, p := range c.People {
			if seen[p.ID] || p.ID == "" {
				t.Errorf("person %q reported twice or without id", p.ID)
			}
			seen[p.ID] = true
		}
	})

	t.Run("full_export", func(t *testing.T) {
		c := parseFile(t, "full_export/result.json", "result.json")
		wantFiles := []string{"result.json#chat 1002", "result.json#chat 1600000001", "result.json#chat 1700000001", "result.json#chat 1800000001"}
		if len(c.Errors) != 0 || !reflect.DeepEqual(c.Files, wantFiles) {
			t.Fatalf("files %q (saved messages must be skipped) errors %v", c.Files, c.Errors)
		}
		wantCh := []ingest.Channel{
			{ExternalID: "1002", Name: "Bob", Kind: "dm"},
			{ExternalID: "1600000001", Name: "Club News", Kind: "channel"},
			{ExternalID: "1700000001", Name: "Club Forum", Kind: "group"},
			{ExternalID: "1800000001", Name: "Old Group", Kind: "group"},
		}
		if !reflect.DeepEqual(c.Channels, wantCh) {
			t.Errorf("channels %+v", c.Channels)
		}
		got := byID(c) // panics on an id used twice: ids 1 repeat across chats
		check(t, got, "1002/1", want{kind: "message", author: "user1001"})
		check(t, got, "1002/2", want{kind: "reply", author: "user1002", parent: "1002/1", root: "1002/1", object: "user1001"})
		if u := got["1002/1"].URL; u != "" {
			t.Errorf("dm url %q", u)
		}
		check(t, got, "1600000001/5", want{kind: "message", author: "channel1600000001",
			attrs: map[string]any{"channel_post": true, "reaction_counts": map[string]int{"❤": 10, "paid": 3}}})
		// Forum topics: a message "replying" to the topic notice is a
		// top-level message of the topic.
		check(t, got, "1700000001/11", want{kind: "message", author: "user1002", attrs: map[string]any{"topic_id": int64(10)}})
		check(t, got, "1700000001/12", want{kind: "reply", author: "user1003",
			parent: "1700000001/11", root: "1700000001/11", object: "user1002", attrs: map[string]any{"topic_id": int64(10)}})
		check(t, got, "1700000001/13", want{kind: "message", author: "user1004", attrs: map[string]any{"topic_id": nil}})
		check(t, got, "1700000001/14", want{kind: "reply", author: "user1002", parent: "1600000001/5", root: "1600000001/5"})
		check(t, got, "1800000001/1", want{kind: "message", author: "user1001", at: "2019-05-01T18:30:00Z",
			attrs: map[string]any{"time_zone_unknown": true}})
		if len(got) != 8 {
			t.Errorf("%d activities, want 8", len(got))
		}
		for _, p := range c.People {
			if p.Phone != "" {
				t.Errorf("contact list imported: %+v", p)
			}
		}
	})

	t.Run("truncated", func(t *testing.T) {
		c := parseFile(t, "truncated.json", "result.json")
		size, _ := os.Stat("testdata/truncated.json")
		if !reflect.DeepEqual(c.Files, []string{"result.json#chat 1002"}) || len(c.Activities) != 2 {
			t.Errorf("files %q, %d activities: the chat before the damage must survive", c.Files, len(c.Activities))
		}
		want := []*ingest.FileError{{File: "result.json#chat 1600000001", Position: fmt.Sprintf("offset %d", size.Size()),
			Message: "unexpected end of file: the export is truncated; the chats after this point could not be read"}}
		if !reflect.DeepEqual(c.Errors, want) {
			t.Errorf("errors %+v, want %+v", c.Errors, want[0])
		}
	})

	t.Run("bad_message", func(t *testing.T) {
		c := parseFile(t, "bad_message.json", "result.json")
		data, _ := os.ReadFile("testdata/bad_message.json")
		wantFiles := []string{"result.json#chat 1002", "result.json#chat 1700000001", "result.json#chat 1800000001"}
		if !reflect.DeepEqual(c.Files, wantFiles) {
			t.Errorf("files %q, want %q", c.Files, wantFiles)
		}
		off := bytes.LastIndexByte(data[:bytes.Index(data, []byte(`"id": "five"`))], ',')
		if len(c.Errors) != 1 || c.Errors[0].File != "result.json#chat 1600000001" || c.Errors[0].Position != fmt.Sprintf("offset %d", off) ||
			!strings.Contains(c.Errors[0].Message, "unreadable message") {
			t.Errorf("errors %+v, want chat 1600000001 at offset %d", c.Errors, off)
		}
		for _, a := range c.Activities {
			if a.ChannelID == "1600000001" {
				t.Errorf("activity of the damaged chat kept: %s", a.ExternalID)
			}
		}
	})

	t.Run("not_telegram", func(t *testing.T) {
		var c ingest.Collector
		if err := Parse(context.Background(), "x.json", strings.NewReader(`{"guild":{},"channel":{}}`), &c); err != nil {
			t.Fatal(err)
		}
		if len(c.Errors) != 1 || c.Errors[0].File != "x.json" || !strings.Contains(c.Errors[0].Message, "not a Telegram Desktop export") {
			t.Errorf("errors %+v", c.Errors)
		}
	})

	t.Run("empty", func(t *testing.T) {
		var c ingest.Collector
		if err := Parse(context.Background(), "result.json", strings.NewReader(""), &c); err != nil {
			t.Fatal(err)
		}
		if want := []*ingest.FileError{{File: "result.json", Position: "offset 0", Message: "empty file"}}; !reflect.DeepEqual(c.Errors, want) {
			t.Errorf("errors %+v", c.Errors)
		}
	})

	t.Run("bad_date", func(t *testing.T) {
		doc := `{"name":"g","type":"private_group","id":5,"messages":[{"id":1,"type":"message","date_unixtime":"soon","from":"a","from_id":"user1","text":"x"}]}`
		var c ingest.Collector
		if err := Parse(context.Background(), "result.json", strings.NewReader(doc), &c); err != nil {
			t.Fatal(err)
		}
		off := strings.Index(doc, `{"id":1`)
		if len(c.Errors) != 1 || c.Errors[0].Position != fmt.Sprintf("offset %d", off) || !strings.Contains(c.Errors[0].Message, `message 1: invalid date_unixtime "soon"`) {
			t.Errorf("errors %+v, want at offset %d", c.Errors, off)
		}
	})
}

func TestFormat_Read(t *testing.T) {
	t.Run("folder_of_chat_exports", func(t *testing.T) {
		var c ingest.Collector
		if err := New().Read(context.Background(), "testdata/chats", &c); err != nil {
			t.Fatal(err)
		}
		want := []string{"ChatExport_2024-01-05/result.json", "ChatExport_2024-01-06/result.json"}
		if !reflect.DeepEqual(c.Files, want) || len(c.Errors) != 0 {
			t.Errorf("files %q errors %v", c.Files, c.Errors)
		}
		if len(c.Channels) != 2 {
			t.Errorf("channels %+v", c.Channels)
		}
	})

	t.Run("export_folder", func(t *testing.T) {
		var c ingest.Collector
		if err := New().Read(context.Background(), "testdata/full_export", &c); err != nil {
			t.Fatal(err)
		}
		if len(c.Files) != 4 || c.Files[0] != "result.json#chat 1002" {
			t.Errorf("files %q", c.Files)
		}
	})

	t.Run("file", func(t *testing.T) {
		var c ingest.Collector
		path := "testdata/chats/ChatExport_2024-01-06/result.json"
		if err := New().Read(context.Background(), path, &c); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(c.Files, []string{path}) || len(c.Activities) != 2 {
			t.Errorf("files %q, %d activities", c.Files, len(c.Activities))
		}
	})

	t.Run("missing", func(t *testing.T) {
		var c ingest.Collector
		if err := New().Read(context.Background(), "testdata/nope", &c); err == nil {
			t.Error("no error for a missing path")
		}
		if err := New().Read(context.Background(), "testdata/chats/ChatExport_2024-01-05/..", &c); err != nil {
			t.Errorf("folder holding one export: %v", err)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var c ingest.Collector
		if err := New().Read(ctx, "testdata/full_export", &c); err != context.Canceled {
			t.Errorf("err %v, want context.Canceled", err)
		}
	})

	t.Run("names", func(t *testing.T) {
		f := New()
		if f.Name() != "telegram" || f.Platform() != coterie.PlatformTelegram {
			t.Errorf("name %q platform %q", f.Name(), f.Platform())
		}
	})
}

func FuzzParse(f *testing.F) {
	var seeds []string
	filepath.WalkDir("testdata", func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".json") {
			seeds = append(seeds, path)
		}
		return nil
	})
	for _, name := range seeds {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c ingest.Collector
		if err := Parse(context.Background(), "result.json", bytes.NewReader(data), &c); err != nil {
			t.Fatalf("Parse returned %v; only sink and ctx errors may end a read", err)
		}
		for _, a := range c.Activities {
			if a.ExternalID == "" || a.Kind == "" || a.ChannelID == "" {
				t.Fatalf("incomplete activity %+v", a)
			}
		}
		for _, e := range c.Errors {
			if !strings.HasPrefix(e.File, "result.json") {
				t.Fatalf("error names file %q", e.File)
			}
		}
	})
}

// BenchmarkParse parses a synthetic supergroup export of 20,000 messages
// (plain and entity-array texts, replies, reactions with recent reactors).
func BenchmarkParse(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString(`{"name":"Bench","type":"private_supergroup","id":1500000001,"messages":[`)
	for i := range 20000 {
		if i > 0 {
			buf.WriteByte(',')
		}
		reply := ""
		if i%3 == 1 {
			reply = fmt.Sprintf(`"reply_to_message_id":%d,`, i)
		}
		text := `"plain text message with a few ordinary words"`
		if i%2 == 0 {
			text = `["hello ",{"type":"mention","text":"@someone"}," see ",{"type":"link","text":"https://example.org"}]`
		}
		fmt.Fprintf(&buf, `{"id":%d,"type":"message","date":"2024-01-01T12:00:00","date_unixtime":"%d","from":"User %d","from_id":"user%d",%s"text":%s,"text_entities":[],"reactions":[{"type":"emoji","count":2,"emoji":"👍","recent":[{"from":"A","from_id":"user1","date":"2024-01-01T12:05:00"},{"from":"B","from_id":"user2","date":"2024-01-01T12:06:00"}]}]}`,
			i+1, 1704103200+i, i%50, i%50, reply, text)
	}
	buf.WriteString(`]}`)
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var c countSink
		if err := Parse(context.Background(), "result.json", bytes.NewReader(data), &c); err != nil || c.err != nil {
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
