package csv

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

	"github.com/coteriehq/coterie/internal/ingest"
)

func read(t *testing.T, f ingest.Format, path string) *ingest.Collector {
	t.Helper()
	c := &ingest.Collector{}
	if err := f.Read(context.Background(), path, c); err != nil {
		t.Fatalf("Read(%s): %v", path, err)
	}
	return c
}

// want is an activity reduced to what the table compares.
type want struct {
	ID, Kind, Channel, Author, At, Parent, Root, ObjectAuthor, Body string
	Bot                                                             bool
}

func summarize(c *ingest.Collector) []want {
	var out []want
	for _, a := range c.Activities {
		out = append(out, want{a.ExternalID, string(a.Kind), a.ChannelID, a.Author.ID, a.OccurredAt.Format(time.RFC3339Nano),
			a.ParentID, a.ThreadRootID, a.ObjectAuthorID, a.Body, a.Author.IsBot})
	}
	return out
}

var circleMapping = Options{Columns: map[string]string{
	"post id": "id", "Posted At": "time", "MEMBER EMAIL": "author_email", "Member": "author_name",
	"Space": "channel", "Body": "text", "Reply To": "parent_id", "Internal Notes": "",
}}

func TestParse(t *testing.T) {
	tests := []struct {
		name     string
		format   ingest.Format
		path     string
		channels []string
		want     []want
	}{
		{
			name:     "csv_bom_crlf_mixed_times",
			format:   New(),
			path:     "testdata/facebook_group.csv",
			channels: []string{"Vegan Beauty Group", "Events"},
			want: []want{
				{ID: "fb_100", Kind: "post", Channel: "Vegan Beauty Group", Author: "u1", At: "2024-03-01T08:30:00Z",
					Body: `Welcome! Share your "holy grail" products, one per comment.`},
				{ID: "fb_101", Kind: "comment", Channel: "Vegan Beauty Group", Author: "u2", At: "2024-03-01T09:45:00Z",
					Parent: "fb_100", Root: "fb_100", ObjectAuthor: "u1", Body: "Line one\nline two, with a comma"},
				{ID: "fb_102", Kind: "comment", Channel: "Vegan Beauty Group", Author: "u1", At: "2024-03-01T09:50:00Z",
					Parent: "fb_101", Root: "fb_100", ObjectAuthor: "u2", Body: "Thanks Priya!"},
				{ID: "fb_103", Kind: "message", Channel: "Vegan Beauty Group", Author: "bot9", At: "2024-03-01T10:00:00Z",
					Body: "Reminder: be kind", Bot: true},
				{ID: "fb_104", Kind: "event_rsvp", Channel: "Events", Author: "u3", At: "2024-03-02T18:00:00Z",
					Body: "Going to the swap meet"},
			},
		},
		{
			name:     "csv_mapped_columns",
			format:   NewWithOptions(circleMapping),
			path:     "testdata/circle_posts.csv",
			channels: []string{"Introductions"},
			want: []want{
				{ID: "c1", Kind: "message", Channel: "Introductions", Author: "ana@example.org", At: "2024-02-01T10:00:00Z", Body: "Hi I'm Ana"},
				{ID: "c2", Kind: "reply", Channel: "Introductions", Author: "bo@example.org", At: "2024-02-01T11:00:00Z",
					Parent: "c1", Root: "c1", ObjectAuthor: "ana@example.org", Body: "Welcome Ana"},
			},
		},
		{
			name:     "jsonl",
			format:   NewJSONL(),
			path:     "testdata/nextdoor.jsonl",
			channels: []string{"Hyde Park"},
			want: []want{
				{ID: "501", Kind: "message", Channel: "Hyde Park", Author: "nd_7", At: "2024-06-01T10:00:00Z", Body: "Lost cat near the park"},
				{ID: "502", Kind: "reply", Author: "nd_8", At: "2024-06-01T11:00:00.25Z", Parent: "501", Root: "501", ObjectAuthor: "nd_7", Body: "Seen one on Elm St"},
				{ID: "503", Kind: "comment", Author: "nd_7", At: "2024-06-01T11:00:00Z", Parent: "502", Root: "501", ObjectAuthor: "nd_8", Body: "Found her, thanks!"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := read(t, tt.format, tt.path)
			if len(c.Errors) > 0 {
				t.Fatalf("errors: %v", c.Errors)
			}
			var chans []string
			for _, ch := range c.Channels {
				chans = append(chans, ch.ExternalID)
			}
			if !reflect.DeepEqual(chans, tt.channels) {
				t.Errorf("channels = %q, want %q", chans, tt.channels)
			}
			got := summarize(c)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d activities, want %d: %+v", len(got), len(tt.want), got)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("activity %d:\n got %+v\nwant %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestParse_details(t *testing.T) {
	fb := read(t, New(), "testdata/facebook_group.csv")
	t.Run("people", func(t *testing.T) {
		var ids []string
		for _, p := range fb.People {
			ids = append(ids, p.ID)
		}
		if strings.Join(ids, ",") != "u1,u2,bot9,u3" {
			t.Errorf("people = %v", ids)
		}
		want := ingest.Person{ID: "u1", DisplayName: "Maya Chen", Email: "Maya@Example.org", EmailVerified: true}
		if fb.People[0].ID != want.ID || fb.People[0].Email != want.Email || !fb.People[0].EmailVerified || fb.People[0].DisplayName != want.DisplayName {
			t.Errorf("person = %+v", fb.People[0])
		}
		if fb.People[1].EmailVerified || fb.People[1].IsBot {
			t.Errorf("person = %+v", fb.People[1])
		}
	})
	t.Run("attributes", func(t *testing.T) {
		a := fb.Activities[0]
		if !reflect.DeepEqual(a.Attributes, map[string]any{"platform": "facebook", "Reactions": "12"}) {
			t.Errorf("attributes = %v", a.Attributes)
		}
		if a.URL != "https://facebook.com/groups/veganbeauty/posts/100" {
			t.Errorf("url = %q", a.URL)
		}
	})

	ig := read(t, New(), "testdata/instagram_comments.csv")
	t.Run("hashed_keys", func(t *testing.T) {
		if len(ig.Activities) != 3 {
			t.Fatalf("%d activities", len(ig.Activities))
		}
		a, b := ig.Activities[0], ig.Activities[1]
		if a.ExternalID == b.ExternalID || !strings.HasPrefix(a.ExternalID, "h/") || len(a.ExternalID) != 34 {
			t.Errorf("identical rows got ids %q and %q", a.ExternalID, b.ExternalID)
		}
		again := read(t, New(), "testdata/instagram_comments.csv")
		for i := range ig.Activities {
			if again.Activities[i].ExternalID != ig.Activities[i].ExternalID {
				t.Errorf("row %d id not stable", i)
			}
		}
		p := ig.People[0]
		if p.ID != "Lena K" || p.Username != "lena.k" || p.ProfileURL != "https://instagram.com/lena.k" {
			t.Errorf("person = %+v", p)
		}
	})

	t.Run("mapped_extras_and_ignored", func(t *testing.T) {
		c := read(t, NewWithOptions(circleMapping), "testdata/circle_posts.csv")
		if !reflect.DeepEqual(c.Activities[0].Attributes, map[string]any{"Likes": "4"}) {
			t.Errorf("attributes = %v", c.Activities[0].Attributes)
		}
		if p := c.People[1]; p.ID != "bo@example.org" || p.Email != "BO@example.org" {
			t.Errorf("person = %+v", p)
		}
	})

	t.Run("jsonl_values", func(t *testing.T) {
		c := read(t, NewJSONL(), "testdata/nextdoor.jsonl")
		want := map[string]any{"platform": "nextdoor", "neighborhood": map[string]any{"name": "Hyde Park", "households": int64(1200)}}
		if !reflect.DeepEqual(c.Activities[0].Attributes, want) {
			t.Errorf("attributes = %#v", c.Activities[0].Attributes)
		}
		if !reflect.DeepEqual(c.Activities[1].Attributes, map[string]any{"Score": 2.5}) {
			t.Errorf("attributes = %#v", c.Activities[1].Attributes)
		}
		if p := c.People[0]; !p.EmailVerified || p.Email != "sam@example.org" || p.DisplayName != "Sam" {
			t.Errorf("person = %+v", p)
		}
	})

	t.Run("bad_mapping", func(t *testing.T) {
		f := NewWithOptions(Options{Columns: map[string]string{"When": "timestamp"}})
		err := f.Read(context.Background(), "testdata/circle_posts.csv", &ingest.Collector{})
		if err == nil || !strings.Contains(err.Error(), `"timestamp" is not a column`) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"2024-03-01T09:30:00+01:00", "2024-03-01T08:30:00Z"},
		{"2024-03-01T09:30:00.5Z", "2024-03-01T09:30:00.5Z"},
		{"2024-03-01 09:30:00", "2024-03-01T09:30:00Z"},
		{"2024-03-01 09:30:00.123", "2024-03-01T09:30:00.123Z"},
		{"2024-03-01T09:30:00", "2024-03-01T09:30:00Z"},
		{"1709285400", "2024-03-01T09:30:00Z"},
		{"1709285400000", "2024-03-01T09:30:00Z"},
		{"1709285400.25", "2024-03-01T09:30:00.25Z"},
		{"1.7092854e9", "2024-03-01T09:30:00Z"},
		{"01/03/2024", ""},
		{"NaN", ""},
		{"1e400", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseTime(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Errorf("parseTime(%q) = %v, want an error", tt.in, got)
				}
				return
			}
			if err != nil || got.Format(time.RFC3339Nano) != tt.want || got.Location() != time.UTC {
				t.Errorf("parseTime(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParse_damaged(t *testing.T) {
	tests := []struct {
		format   ingest.Format
		path     string
		position string
		message  string
	}{
		{New(), "testdata/bad/bad_time.csv", "line 4", `field "time": cannot read "yesterday" as a time`},
		{New(), "testdata/bad/missing_author.csv", "line 3", `no author: "author_id", "author_name" are all empty`},
		{New(), "testdata/bad/bad_kind.csv", "line 2", `field "kind": kind "message!"`},
		{New(), "testdata/bad/bad_bool.csv", "line 2", `field "email_verified": cannot read "maybe"`},
		{New(), "testdata/bad/field_count.csv", "line 3", "the row has 5 fields, the header row has 4"},
		{New(), "testdata/bad/bare_quote.csv", "line 3", `bare " in non-quoted-field`},
		{New(), "testdata/bad/no_header.csv", "line 1", `no "time" column`},
		{NewJSONL(), "testdata/bad/truncated.jsonl", "line 3", "truncated JSON"},
		{NewJSONL(), "testdata/bad/array_line.jsonl", "line 2", "must be a JSON object"},
		{NewJSONL(), "testdata/bad/object_field.jsonl", "line 1", `field "time": expected a string, number or boolean`},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			c := read(t, tt.format, tt.path)
			if len(c.Errors) != 1 || len(c.Activities) != 0 {
				t.Fatalf("errors = %v, %d activities kept", c.Errors, len(c.Activities))
			}
			e := c.Errors[0]
			if e.File != tt.path || e.Position != tt.position || !strings.Contains(e.Message, tt.message) {
				t.Errorf("error = %v\nwant %s: %s: ...%s...", e, tt.path, tt.position, tt.message)
			}
		})
	}
	t.Run("empty_csv", func(t *testing.T) {
		err := ParseCSV(context.Background(), strings.NewReader(""), "empty.csv", Options{}, &ingest.Collector{})
		if fe, ok := err.(*ingest.FileError); !ok || fe.Position != "line 1" {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("duplicate_column", func(t *testing.T) {
		err := ParseCSV(context.Background(), strings.NewReader("time,Time,author_id\n"), "dup.csv", Options{}, &ingest.Collector{})
		if fe, ok := err.(*ingest.FileError); !ok || fe.Position != "line 1" || !strings.Contains(fe.Message, `"time" and "Time"`) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("jsonl_trailing_value", func(t *testing.T) {
		err := ParseJSONL(context.Background(), strings.NewReader(`{"time": 1, "author_id": "a"} {}`), "two.jsonl", Options{}, &ingest.Collector{})
		if fe, ok := err.(*ingest.FileError); !ok || fe.Position != "line 1" || !strings.Contains(fe.Message, "more than one") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestRead_folder(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a.csv":        "time,author_id,text\n2024-01-01T00:00:00Z,u1,hi\n",
		"b/c.CSV":      "time,author_id,text\n2024-01-01T00:00:00Z,u2,hi\n",
		"bad.csv":      "time,author_id,text\nnope,u2,hi\n",
		"d.jsonl":      `{"time": 1, "author_id": "u3"}` + "\n",
		"e.ndjson":     `{"time": 2, "author_id": "u4"}` + "\n",
		"notes.txt":    "ignored",
		"f.json":       "[]",
		"g.ndjson.bak": "ignored",
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := read(t, New(), dir)
	if len(c.Files) != 2 || len(c.Errors) != 1 || len(c.Activities) != 2 {
		t.Errorf("csv: files %v errors %v activities %d", c.Files, c.Errors, len(c.Activities))
	}
	j := read(t, NewJSONL(), dir)
	if len(j.Files) != 2 || len(j.Errors) != 0 || len(j.Activities) != 2 {
		t.Errorf("jsonl: files %v errors %v activities %d", j.Files, j.Errors, len(j.Activities))
	}
	if err := New().Read(context.Background(), filepath.Join(dir, "missing.csv"), &ingest.Collector{}); err == nil {
		t.Error("no error for a missing path")
	}
	if New().Name() != "csv" || NewJSONL().Name() != "jsonl" {
		t.Error("format names")
	}
}

func checkActivities(t *testing.T, c *ingest.Collector) {
	seen := map[string]bool{}
	for _, a := range c.Activities {
		if a.ExternalID == "" || a.Kind == "" || a.Author.ID == "" || a.OccurredAt.IsZero() {
			t.Fatalf("bad activity %+v", a)
		}
		if strings.HasPrefix(a.ExternalID, "h/") && seen[a.ExternalID] {
			t.Fatalf("repeated hashed id %s", a.ExternalID)
		}
		seen[a.ExternalID] = true
	}
}

func FuzzParse(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.csv")
	bad, _ := filepath.Glob("testdata/bad/*.csv")
	for _, p := range append(paths, bad...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c := &ingest.Collector{}
		if err := ParseCSV(context.Background(), bytes.NewReader(b), "fuzz.csv", Options{}, c); err != nil {
			if _, ok := err.(*ingest.FileError); !ok {
				t.Fatalf("non-file error %v", err)
			}
			return
		}
		checkActivities(t, c)
	})
}

func FuzzParseJSONL(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.jsonl")
	bad, _ := filepath.Glob("testdata/bad/*.jsonl")
	for _, p := range append(paths, bad...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c := &ingest.Collector{}
		if err := ParseJSONL(context.Background(), bytes.NewReader(b), "fuzz.jsonl", Options{}, c); err != nil {
			if _, ok := err.(*ingest.FileError); !ok {
				t.Fatalf("non-file error %v", err)
			}
			return
		}
		checkActivities(t, c)
	})
}

type discard struct{}

func (discard) BeginFile(string) error          { return nil }
func (discard) Channel(ingest.Channel) error    { return nil }
func (discard) Person(ingest.Person) error      { return nil }
func (discard) Activity(ingest.Activity) error  { return nil }
func (discard) EndFile(*ingest.FileError) error { return nil }

// benchData is n rows of a typical export, each row a reply to the one before.
func benchData(n int, jsonl bool) []byte {
	var b bytes.Buffer
	if !jsonl {
		b.WriteString("id,time,author_id,author_name,channel,text,parent_id,likes\n")
	}
	for i := range n {
		parent := ""
		if i%5 != 0 {
			parent = fmt.Sprint("m", i-1)
		}
		at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute).Format(time.RFC3339)
		if jsonl {
			fmt.Fprintf(&b, `{"id":"m%d","time":%q,"author_id":"u%d","author_name":"Member %d","channel":"general","text":"Message number %d, with some text","parent_id":%q,"likes":%d}`+"\n",
				i, at, i%300, i%300, i, parent, i%7)
		} else {
			fmt.Fprintf(&b, "m%d,%s,u%d,Member %d,general,\"Message number %d, with some text\",%s,%d\n", i, at, i%300, i%300, i, parent, i%7)
		}
	}
	return b.Bytes()
}

func BenchmarkParseCSV(b *testing.B) {
	data := benchData(10000, false)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := ParseCSV(context.Background(), bytes.NewReader(data), "bench.csv", Options{}, discard{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseJSONL(b *testing.B) {
	data := benchData(10000, true)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := ParseJSONL(context.Background(), bytes.NewReader(data), "bench.jsonl", Options{}, discard{}); err != nil {
			b.Fatal(err)
		}
	}
}
