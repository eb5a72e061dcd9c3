package slack

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/ingest"
)

// houston is a real export (MIT, github houstondatavis/slack-export).
const houston = "../../../../shared/data/slack/houstondatavis"

// read runs the format over path and returns what it collected.
func read(t *testing.T, path string) *ingest.Collector {
	t.Helper()
	var c ingest.Collector
	if err := New().Read(context.Background(), path, &c); err != nil {
		t.Fatalf("Read(%s): %v", path, err)
	}
	return &c
}

// zipDir packs dir into a zip in t.TempDir(), every entry under prefix
// (which may be empty), as Slack or a user re-packing an export would.
func zipDir(t *testing.T, dir, prefix string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "export.zip")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		w, err := zw.Create(prefix + filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(w, src)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

func byID(c *ingest.Collector) map[string]ingest.Activity {
	m := map[string]ingest.Activity{}
	for _, a := range c.Activities {
		m[a.ExternalID] = a
	}
	return m
}

func TestRead_Houston(t *testing.T) {
	if _, err := os.Stat(houston); err != nil {
		t.Skipf("shared data not available: %v", err)
	}
	tests := []struct {
		name string
		path func(t *testing.T) string
	}{
		{"folder", func(*testing.T) string { return houston }},
		{"zip", func(t *testing.T) string { return zipDir(t, houston, "") }},
		{"zip with top-level folder", func(t *testing.T) string {
			return zipDir(t, houston, "houstondatavis Slack export Jul 31 2016/")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := read(t, tt.path(t))
			if len(c.Errors) != 0 {
				t.Fatalf("file errors: %v", c.Errors)
			}
			want := map[string]int{"message": 1031, "join": 320, "leave": 3, "reaction": 199}
			if got := c.CountKinds(); !reflect.DeepEqual(got, want) {
				t.Errorf("CountKinds = %v, want %v (no replies)", got, want)
			}
			authors := map[string]bool{}
			for _, a := range c.Activities {
				if a.Kind == coterie.KindMessage && !a.Author.IsBot {
					authors[a.Author.ID] = true
				}
			}
			if len(authors) != 32 {
				t.Errorf("distinct human message authors = %d, want 32", len(authors))
			}
			if len(c.People) != 71 {
				t.Errorf("people = %d, want 71", len(c.People))
			}
			if len(c.Channels) != 16 {
				t.Errorf("channels = %d, want 16", len(c.Channels))
			}
			archived := 0
			for _, ch := range c.Channels {
				if ch.IsArchived {
					archived++
				}
			}
			if archived != 9 {
				t.Errorf("archived channels = %d, want 9", archived)
			}

			acts := byID(c)
			// The first message of #datajam; time from ts, channel id from
			// channels.json, not the folder name.
			first, ok := acts["C061A0WJG/1433558319.000002"]
			if !ok {
				t.Fatalf("datajam's first activity missing")
			}
			if first.Kind != coterie.KindJoin || first.Author.ID != "U061A1R2R" || first.ChannelID != "C061A0WJG" {
				t.Errorf("datajam first = %+v", first)
			}
			if want := time.Date(2015, 6, 6, 2, 38, 39, 2000, time.UTC); !first.OccurredAt.Equal(want) {
				t.Errorf("OccurredAt = %v, want %v", first.OccurredAt, want)
			}
			// file_comment: the author is the commenter, not the file's owner.
			var comments int
			for _, a := range c.Activities {
				if a.Attributes["subtype"] == "file_comment" {
					comments++
					if a.ExternalID == "C061A0WJG/1434772752.000007" && a.Author.ID != "U061A5N1G" {
						t.Errorf("file_comment author = %q, want U061A5N1G", a.Author.ID)
					}
				}
			}
			if comments != 6 {
				t.Errorf("file comments = %d, want 6", comments)
			}
			// One reaction on a channel_join: the join is an activity, so
			// its reaction counts.
			var joinReaction bool
			for _, a := range c.Activities {
				if a.Kind == coterie.KindReaction {
					p, ok := acts[a.ParentID]
					if !ok {
						t.Errorf("reaction %s: parent %s not emitted", a.ExternalID, a.ParentID)
						continue
					}
					if a.ObjectAuthorID != p.Author.ID {
						t.Errorf("reaction %s: ObjectAuthorID %q, want %q", a.ExternalID, a.ObjectAuthorID, p.Author.ID)
					}
					if p.Kind == coterie.KindJoin {
						joinReaction = true
					}
				}
			}
			if !joinReaction {
				t.Errorf("the reaction on a channel_join was not emitted")
			}
			edited := 0
			for _, a := range c.Activities {
				if a.IsEdited {
					edited++
				}
			}
			if edited != 37 {
				t.Errorf("edited = %d, want 37", edited)
			}
			// A deleted user keeps the profile's name; no tz.
			for _, p := range c.People {
				if p.ID == "U0DS03NHG" {
					if !p.IsDeleted || p.DisplayName != "Stephen Rasey" || p.Timezone != "" || p.Email != "member055@example.org" || !p.EmailVerified {
						t.Errorf("deleted user = %+v", p)
					}
				}
			}
		})
	}
}

func TestRead_Quirks(t *testing.T) {
	for _, tt := range []struct {
		name string
		path func(t *testing.T) string
	}{
		{"folder", func(*testing.T) string { return "testdata/quirks" }},
		{"zip", func(t *testing.T) string { return zipDir(t, "testdata/quirks", "") }},
		{"zip with top-level folder", func(t *testing.T) string { return zipDir(t, "testdata/quirks", "quirks/") }},
	} {
		t.Run(tt.name, func(t *testing.T) { checkQuirks(t, read(t, tt.path(t))) })
	}
}

func checkQuirks(t *testing.T, c *ingest.Collector) {
	t.Helper()
	if len(c.Errors) != 0 {
		t.Fatalf("file errors: %v (notes.json, lists.json and the .bak file must be ignored)", c.Errors)
	}
	wantFiles := []string{"users.json", "channels.json", "dms.json",
		"D1/2021-03-01.json", "general/2021-03-01.json", "general/2021-03-02.json", "random/2021-03-02.json"}
	if !reflect.DeepEqual(c.Files, wantFiles) {
		t.Errorf("files = %q, want %q", c.Files, wantFiles)
	}
	wantKinds := map[string]int{"message": 8, "reply": 3, "join": 1, "leave": 1, "reaction": 3}
	if got := c.CountKinds(); !reflect.DeepEqual(got, wantKinds) {
		t.Errorf("CountKinds = %v, want %v", got, wantKinds)
	}
	if len(c.Activities) != 21 {
		t.Errorf("activities = %d, want 21 (16 human + 5 by bots)", len(c.Activities))
	}

	chans := map[string]ingest.Channel{}
	for _, ch := range c.Channels {
		chans[ch.ExternalID] = ch
	}
	wantChans := map[string]ingest.Channel{
		"C1":     {ExternalID: "C1", Name: "general", Kind: "channel"},
		"C9":     {ExternalID: "C9", Name: "old", Kind: "channel", IsArchived: true},
		"D1":     {ExternalID: "D1", Name: "@ana, @ben", Kind: "dm"},
		"random": {ExternalID: "random", Name: "random", Kind: "channel"},
	}
	if !reflect.DeepEqual(chans, wantChans) {
		t.Errorf("channels = %+v\nwant %+v", chans, wantChans)
	}

	people := map[string]ingest.Person{}
	for _, p := range c.People {
		people[p.ID] = p
	}
	if p := people["U2"]; p.DisplayName != "benji" || p.Username != "ben" || p.Timezone != "Europe/Paris" || p.Email != "ben@example.org" || !p.EmailVerified {
		t.Errorf("U2 = %+v (display name falls back to profile.display_name)", p)
	}
	if p := people["U1"]; p.DisplayName != "Ana Lima" || p.Attributes["title"] != "Community lead" || p.Attributes["is_admin"] != true || p.AvatarURL == "" {
		t.Errorf("U1 = %+v", p)
	}
	if p := people["U3"]; !p.IsDeleted || p.DisplayName != "Gone Person" || p.Timezone != "" {
		t.Errorf("deleted U3 = %+v", p)
	}
	if !people["UBOT"].IsBot || !people["UAPP"].IsBot || people["U1"].IsBot {
		t.Errorf("bot flags: UBOT %v UAPP %v U1 %v", people["UBOT"].IsBot, people["UAPP"].IsBot, people["U1"].IsBot)
	}

	acts := byID(c)
	get := func(id string) ingest.Activity {
		t.Helper()
		a, ok := acts[id]
		if !ok {
			t.Fatalf("activity %s missing", id)
		}
		return a
	}
	for _, tc := range []struct {
		id, kind, author     string
		bot                  bool
		parent, root, object string
	}{
		{"C1/1614556800.000100", "join", "U2", false, "", "", ""},
		{"C1/1614560400.000200", "message", "U1", false, "", "", ""},
		{"C1/1614560500.000300", "reply", "U2", false, "C1/1614560400.000200", "C1/1614560400.000200", "U1"},
		{"C1/1614560600.000400", "reply", "U2", false, "C1/1614560400.000200", "C1/1614560400.000200", "U1"},
		{"C1/1614564100.000600", "reply", "U1", false, "C1/1614564000.000500", "C1/1614564000.000500", ""},
		{"C1/1614567600.000700", "message", "B42", true, "", "", ""},
		{"C1/1614567700.000800", "message", "USLACKBOT", true, "", "", ""},
		{"C1/1614567800.000900", "message", "UBOT", true, "", "", ""},
		{"C1/1614567900.001000", "message", "UAPP", true, "", "", ""},
		{"C1/1614568000.001100", "leave", "U3", false, "", "", ""},
		{"C1/1614568100.001200", "message", "U1", false, "", "", ""},
		{"C1/1614568200.001300", "message", "U2", false, "", "", ""},
		{"C1/1614650000.000200", "message", "U1", false, "", "", ""},
		{"random/1614646800.000100", "message", "U2", false, "", "", ""},
		{"D1/1614600000.000100", "message", "U1", false, "", "", ""},
		{"C1/1614560400.000200/reaction/U2/+1", "reaction", "U2", false, "C1/1614560400.000200", "", "U1"},
		{"C1/1614560400.000200/reaction/UBOT/+1", "reaction", "UBOT", true, "C1/1614560400.000200", "", "U1"},
		{"C1/1614560400.000200/reaction/U2/tada", "reaction", "U2", false, "C1/1614560400.000200", "", "U1"},
		{"C1/1614567800.000900/reaction/U1/eyes", "reaction", "U1", false, "C1/1614567800.000900", "", "UBOT"},
	} {
		a := get(tc.id)
		if string(a.Kind) != tc.kind || a.Author.ID != tc.author || a.Author.IsBot != tc.bot ||
			a.ParentID != tc.parent || a.ThreadRootID != tc.root || a.ObjectAuthorID != tc.object {
			t.Errorf("%s = kind %s author %s bot %v parent %q root %q object %q\nwant %+v",
				tc.id, a.Kind, a.Author.ID, a.Author.IsBot, a.ParentID, a.ThreadRootID, a.ObjectAuthorID, tc)
		}
	}
	// Not activities: the tombstone (and its reaction), the topic change,
	// the pin.
	for _, id := range []string{"C1/1614564000.000500", "C1/1614564000.000500/reaction/U1/cry", "C1/1614567950.001050", "C1/1614568300.001400"} {
		if _, ok := acts[id]; ok {
			t.Errorf("%s must not be an activity", id)
		}
	}

	parent := get("C1/1614560400.000200")
	if !parent.IsEdited {
		t.Errorf("edited parent: IsEdited false")
	}
	if !strings.HasPrefix(parent.Body, "Who is coming? cc <@U2|ben>") {
		t.Errorf("body not kept raw: %q", parent.Body)
	}
	wantAttrs := map[string]any{
		"mentions":         []string{"U2"},
		"channel_mentions": []string{"C1"},
		"broadcasts":       []string{"here"},
		"links":            []string{"https://example.org/a?x=1&y=2"},
	}
	if !reflect.DeepEqual(parent.Attributes, wantAttrs) {
		t.Errorf("attributes = %#v, want %#v", parent.Attributes, wantAttrs)
	}
	if want := time.Date(2021, 3, 1, 1, 0, 0, 200000, time.UTC); !parent.OccurredAt.Equal(want) {
		t.Errorf("OccurredAt = %v, want %v", parent.OccurredAt, want)
	}
	// In the 2021-03-02 day file, but 23:00 UTC on March 1st.
	if got, want := get("C1/1614639600.000050").OccurredAt, time.Date(2021, 3, 1, 23, 0, 0, 50000, time.UTC); !got.Equal(want) {
		t.Errorf("time from ts: %v, want %v", got, want)
	}
	if r := get("C1/1614560400.000200/reaction/U2/+1"); r.Attributes["emoji"] != "+1" || !r.OccurredAt.Equal(parent.OccurredAt) {
		t.Errorf("reaction = %+v", r)
	}
	if join := get("C1/1614556800.000100"); join.Attributes["inviter"] != "U1" || join.Body != "" {
		t.Errorf("join = %+v", join)
	}
	if bot := get("C1/1614567600.000700"); bot.Author.Username != "RSS" || !reflect.DeepEqual(bot.Attributes["links"], []string{"https://blog.example.org/p/1"}) {
		t.Errorf("bot_message = %+v", bot)
	}
	wantAtt := []ingest.Attachment{{URL: "https://t1.slack.com/files/U2/F1/snacks.png", Name: "snacks.png", MimeType: "image/png", Size: 2048}}
	if got := get("C1/1614568200.001300").Attachments; !reflect.DeepEqual(got, wantAtt) {
		t.Errorf("attachments = %+v, want %+v", got, wantAtt)
	}
	if fc := get("C1/1614650000.000200"); fc.Attachments != nil || fc.Attributes["subtype"] != "file_comment" {
		t.Errorf("file_comment = %+v", fc)
	}
	// Authors carry who the account is; the full profile (e-mail, time
	// zone) comes once, as the users.json Person record.
	if got := get("C1/1614560500.000300").Author; got.Username != "ben" || got.DisplayName != "benji" {
		t.Errorf("author not filled from users.json: %+v", got)
	}
}

func TestRead_Truncated(t *testing.T) {
	for _, tt := range []struct {
		name string
		path func(t *testing.T) string
	}{
		{"folder", func(*testing.T) string { return "testdata/truncated" }},
		{"zip", func(t *testing.T) string { return zipDir(t, "testdata/truncated", "export/") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := read(t, tt.path(t))
			if len(c.Errors) != 1 {
				t.Fatalf("errors = %v, want one", c.Errors)
			}
			e := c.Errors[0]
			if e.File != "general/2015-06-05.json" || e.Position != "offset 137" {
				t.Errorf("error = %q, want general/2015-06-05.json at offset 137", e.Error())
			}
			// The damaged day is dropped whole, the next day goes on.
			ids := []string{}
			for _, a := range c.Activities {
				ids = append(ids, a.ExternalID)
			}
			if !reflect.DeepEqual(ids, []string{"C1/1433548800.000100"}) {
				t.Errorf("activities = %q, want only the next day's", ids)
			}
		})
	}
}

func TestRead_Errors(t *testing.T) {
	ctx := context.Background()
	if err := New().Read(ctx, "testdata/does-not-exist", &ingest.Collector{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing path: err = %v", err)
	}
	notZip := filepath.Join(t.TempDir(), "export.zip")
	if err := os.WriteFile(notZip, []byte("not a zip"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := New().Read(ctx, notZip, &ingest.Collector{}); err == nil || !strings.Contains(err.Error(), "not a Slack export zip") {
		t.Errorf("not a zip: err = %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := New().Read(cancelled, "testdata/quirks", &ingest.Collector{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
	stop := errors.New("sink full")
	if err := New().Read(ctx, "testdata/quirks", &failingSink{err: stop}); !errors.Is(err, stop) {
		t.Errorf("failing sink: err = %v, want %v", err, stop)
	}
}

// failingSink fails on the first activity.
type failingSink struct {
	ingest.Collector
	err error
}

func (s *failingSink) Activity(ingest.Activity) error { return s.err }

func TestParseTS(t *testing.T) {
	for _, tt := range []struct {
		ts   string
		want time.Time
		err  bool
	}{
		{"1433558319.000002", time.Date(2015, 6, 6, 2, 38, 39, 2000, time.UTC), false},
		{"1433558319", time.Date(2015, 6, 6, 2, 38, 39, 0, time.UTC), false},
		{"", time.Time{}, true},
		{"abc.000001", time.Time{}, true},
		{"1433558319.-1", time.Time{}, true},
	} {
		got, err := parseTS(tt.ts)
		if (err != nil) != tt.err || !got.Equal(tt.want) {
			t.Errorf("parseTS(%q) = %v, %v; want %v, err %v", tt.ts, got, err, tt.want, tt.err)
		}
	}
}

func TestParseDay_BadTS(t *testing.T) {
	var c ingest.Collector
	err := NewChannelParser("C1", nil).ParseDay(strings.NewReader(`[{"type":"message","user":"U1","text":"x","ts":"soon"}]`), "general/2020-01-01.json", &c)
	var fe *ingest.FileError
	if !errors.As(err, &fe) || fe.File != "general/2020-01-01.json" || !strings.Contains(fe.Message, "message 1") {
		t.Errorf("err = %v, want a FileError naming message 1", err)
	}
}

// fuzzSeeds are day files that exercise every branch of ParseDay.
func fuzzSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, p := range []string{
		"testdata/quirks/general/2021-03-01.json",
		"testdata/quirks/general/2021-03-02.json",
		"testdata/truncated/general/2015-06-05.json",
		houston + "/general/2016-01-13.json",
		houston + "/datajam/2015-06-19.json",
	} {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		seeds = append(seeds, data)
	}
	if len(seeds) == 0 {
		t.Fatal("no fuzz seeds")
	}
	return seeds
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	users := map[string]ingest.Person{"UBOT": {ID: "UBOT", IsBot: true}}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c ingest.Collector
		err := NewChannelParser("C1", users).ParseDay(bytes.NewReader(data), "c/2020-01-01.json", &c)
		var fe *ingest.FileError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("non-FileError from a Collector sink: %v", err)
		}
		if err := c.EndFile(fe); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, a := range c.Activities {
			if a.Kind == "" || !strings.HasPrefix(a.ExternalID, "C1/") || a.ChannelID != "C1" {
				t.Fatalf("bad activity %+v", a)
			}
			if seen[a.ExternalID] {
				t.Fatalf("duplicate ExternalID %s", a.ExternalID)
			}
			seen[a.ExternalID] = true
			if a.OccurredAt.Location() != time.UTC {
				t.Fatalf("non-UTC time %v", a.OccurredAt)
			}
		}
	})
}

func BenchmarkParseDay(b *testing.B) {
	data, err := os.ReadFile(houston + "/general/2016-01-13.json")
	if err != nil {
		data, err = os.ReadFile("testdata/quirks/general/2021-03-01.json")
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var c ingest.Collector
		if err := NewChannelParser("C1", nil).ParseDay(bytes.NewReader(data), "general/2016-01-13.json", &c); err != nil {
			b.Fatal(err)
		}
	}
}
