package reddit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/ingest"
)

// Real Pushshift / Arctic Shift samples (Apache-2.0, github
// Paul-E/Pushshift-Importer test_data/).
const (
	realComments    = "../../../../shared/data/reddit/test_comments.json"
	realSubmissions = "../../../../shared/data/reddit/test_submissions.json"
)

func read(t *testing.T, path string) *ingest.Collector {
	t.Helper()
	var c ingest.Collector
	if err := New().Read(context.Background(), path, &c); err != nil {
		t.Fatalf("Read(%s): %v", path, err)
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

func needReal(t testing.TB) {
	if _, err := os.Stat(realComments); err != nil {
		t.Skipf("shared data not available: %v", err)
	}
}

// compress writes src zstd-compressed into dir and returns the new path.
func compress(t *testing.T, src, dir string) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, filepath.Base(src)+".zst")
	if err := os.WriteFile(out, enc.EncodeAll(data, nil), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRead_RealComments(t *testing.T) {
	needReal(t)
	for _, tt := range []struct {
		name string
		path func(t *testing.T) string
	}{
		{"plain", func(*testing.T) string { return realComments }},
		{"zst", func(t *testing.T) string { return compress(t, realComments, t.TempDir()) }},
		{"zst long=31 window", func(*testing.T) string { return "testdata/comments_long31.ndjson.zst" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := read(t, tt.path(t))
			if len(c.Errors) != 0 {
				t.Fatalf("errors: %v", c.Errors)
			}
			if got := len(c.Activities); got != 27 {
				t.Fatalf("activities = %d, want 27", got)
			}
			if got := c.CountKinds(); !reflect.DeepEqual(got, map[string]int{"comment": 27}) {
				t.Errorf("CountKinds = %v", got)
			}
			acts := byID(c)
			for _, tc := range []struct {
				id, author, parent, root, channel, body string
				at                                      time.Time
				removed                                 bool
			}{
				// float created_utc, nested reply (t1_ parent)
				{"t1_kod0bke", "Bitty_Bot", "t1_kihqg38", "t3_199i3jp", "t5_2wwh3", "", time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), false},
				// float created_utc, top-level (t3_ parent)
				{"t1_kod0bkd", "DubsAli", "t3_1afjd7n", "t3_1afjd7n", "t5_2qlqp", "Absolutely stunning. Really love this, perfect finish IMO as well.", time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), false},
				// string created_utc, deleted author and body
				{"t1_c0cmuon", "", "t1_c0cmozh", "t3_9fymq", "t5_2qh1i", "[deleted]", time.Unix(1251763201, 0).UTC(), true},
				// deleted author, body [removed]
				{"t1_kod0bkj", "", "t3_1afnkw1", "t3_1afnkw1", "t5_qir9n", "[removed]", time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), true},
				// int created_utc, 2005, deleted author but body kept
				{"t1_c15", "", "t3_17869", "t3_17869", "t5_6", "", time.Unix(1134366848, 0).UTC(), false},
				{"t1_c13", "frjo", "t3_17863", "t3_17863", "t5_6", "", time.Date(2005, 12, 12, 5, 26, 28, 0, time.UTC), false},
			} {
				a, ok := acts[tc.id]
				if !ok {
					t.Errorf("%s missing", tc.id)
					continue
				}
				removed, _ := a.Attributes["removed"].(bool)
				if a.Kind != coterie.KindComment || a.Author.ID != tc.author || a.ParentID != tc.parent ||
					a.ThreadRootID != tc.root || a.ChannelID != tc.channel || !a.OccurredAt.Equal(tc.at) ||
					a.OccurredAt.Location() != time.UTC || removed != tc.removed || (tc.body != "" && a.Body != tc.body) {
					t.Errorf("%s = kind %s author %q parent %s root %s channel %s at %v removed %v body %q\nwant %+v",
						tc.id, a.Kind, a.Author.ID, a.ParentID, a.ThreadRootID, a.ChannelID, a.OccurredAt, removed, ingest.Excerpt(a.Body, 40), tc)
				}
			}
			deleted := 0
			for _, a := range c.Activities {
				if a.Author.ID == "" {
					deleted++
					if !reflect.DeepEqual(a.Author, ingest.Person{}) {
						t.Errorf("%s: deleted author is not an empty Person: %+v", a.ExternalID, a.Author)
					}
				}
			}
			if deleted != 5 {
				t.Errorf("comments by deleted accounts = %d, want 5", deleted)
			}
			if p := acts["t1_kod0bkd"].Author; p.Username != "DubsAli" || p.ProfileURL != "https://www.reddit.com/user/DubsAli" {
				t.Errorf("author = %+v", p)
			}
			if u := acts["t1_kod0bkd"].URL; u != "https://www.reddit.com/r/woodworking/comments/1afjd7n/a_full_maple_farmhouse_table_i_made/kod0bkd/" {
				t.Errorf("URL from permalink = %q", u)
			}
			if u := acts["t1_c63fp23"].URL; u != "https://www.reddit.com/r/AdviceAnimals/comments/zc8wo/_/c63fp23/" {
				t.Errorf("URL built without permalink = %q", u)
			}
			if s := acts["t1_c0cmuol"].Attributes["score"]; s != int64(0) {
				t.Errorf("score = %#v", s)
			}
			// One channel per subreddit, reported once.
			seen := map[string]bool{}
			for _, ch := range c.Channels {
				if seen[ch.ExternalID] {
					t.Errorf("channel %s reported twice", ch.ExternalID)
				}
				seen[ch.ExternalID] = true
			}
			if len(c.Channels) != 22 || !seen["t5_6"] || !seen["t5_2qh1i"] {
				t.Errorf("channels = %d %v, want 22 incl. t5_6 (reddit.com) and t5_2qh1i (AskReddit)", len(c.Channels), seen)
			}
		})
	}
}

func TestRead_RealSubmissions(t *testing.T) {
	needReal(t)
	c := read(t, realSubmissions)
	if len(c.Errors) != 0 {
		t.Fatalf("errors: %v", c.Errors)
	}
	if got := c.CountKinds(); !reflect.DeepEqual(got, map[string]int{"post": 31}) {
		t.Fatalf("CountKinds = %v, want 31 posts", got)
	}
	acts := byID(c)
	// int created_utc (2005), a link post: the link is an attachment.
	p := acts["t3_87"]
	if p.Author.ID != "kn0thing" || p.Body != "The Downing Street Memo" ||
		!p.OccurredAt.Equal(time.Unix(1119552233, 0)) || p.ChannelID != "t5_6" || p.ParentID != "" || p.ThreadRootID != "" {
		t.Errorf("t3_87 = %+v", p)
	}
	if want := []ingest.Attachment{{URL: "http://www.downingstreetmemo.com"}}; !reflect.DeepEqual(p.Attachments, want) {
		t.Errorf("t3_87 attachments = %+v, want %+v", p.Attachments, want)
	}
	if p.URL != "https://www.reddit.com/r/reddit.com/comments/87/the_downing_street_memo/" {
		t.Errorf("t3_87 URL = %q", p.URL)
	}
	// string created_utc (2014)
	if got := acts["t3_2f4i98"].OccurredAt; !got.Equal(time.Date(2014, 9, 1, 0, 0, 1, 0, time.UTC)) {
		t.Errorf("t3_2f4i98 at %v", got)
	}
	// Self post: title, blank line, selftext; its url is itself, not an
	// attachment.
	self := acts["t3_2f4i98"]
	if !strings.HasPrefix(self.Body, "Does anybody else drink liquid egg whites?\n\nThere's 50g of protein") || self.Attachments != nil {
		t.Errorf("self post = body %q attachments %v", ingest.Excerpt(self.Body, 80), self.Attachments)
	}
	// edited as an epoch
	for id, want := range map[string]bool{"t3_j08bcm": true, "t3_jzzw6o": true, "t3_jk3lbh": false, "t3_1afwvv8": false} {
		if got := acts[id].IsEdited; got != want {
			t.Errorf("%s IsEdited = %v, want %v", id, got, want)
		}
	}
	// selftext [removed]: the title stays, the placeholder does not.
	rm := acts["t3_abdn5a"]
	if rm.Body != "What new stone sales are coming with the years banner on global?" || rm.Attributes["removed"] != true || rm.Author.ID != "Sooon-Gokuuu" {
		t.Errorf("removed selftext = body %q attrs %v author %q", rm.Body, rm.Attributes, rm.Author.ID)
	}
	if float := acts["t3_1afwvv8"]; !float.OccurredAt.Equal(time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)) || float.Attributes["score"] != int64(1) {
		t.Errorf("t3_1afwvv8 = %v score %v", float.OccurredAt, float.Attributes["score"])
	}
}

func TestRead_Drift(t *testing.T) {
	c := read(t, "testdata/drift.ndjson")
	if len(c.Errors) != 0 {
		t.Fatalf("errors: %v", c.Errors)
	}
	want := []ingest.Activity{
		{
			ExternalID: "t3_abc123", Kind: coterie.KindPost, ChannelID: "r/veganbeauty",
			OccurredAt: time.Date(2020, 12, 1, 0, 4, 22, 500_000_000, time.UTC),
			Author:     ingest.Person{ID: "AutoModerator", Username: "AutoModerator", ProfileURL: "https://www.reddit.com/user/AutoModerator", IsBot: true},
			Body:       "Weekly thread\n\nAsk anything.",
			URL:        "https://www.reddit.com/r/VeganBeauty/comments/abc123/",
			Attributes: map[string]any{"score": int64(12), "distinguished": "moderator"},
			IsEdited:   true,
		},
		{
			ExternalID: "t3_abc124", Kind: coterie.KindPost, ChannelID: "r/veganbeauty",
			OccurredAt:  time.Date(2020, 12, 1, 0, 6, 40, 0, time.UTC),
			Body:        "Look at this",
			URL:         "https://www.reddit.com/r/VeganBeauty/comments/abc124/look_at_this/",
			Attachments: []ingest.Attachment{{URL: "https://i.redd.it/xyz.jpeg"}},
			Attributes:  map[string]any{"score": int64(3)},
			IsEdited:    true,
		},
		{
			ExternalID: "t1_def456", Kind: coterie.KindComment, ChannelID: "r/veganbeauty",
			OccurredAt:   time.Date(2020, 12, 1, 0, 6, 40, 0, time.UTC),
			Author:       ingest.Person{ID: "glowgirl", Username: "glowgirl", ProfileURL: "https://www.reddit.com/user/glowgirl"},
			ParentID:     "t1_def455",
			ThreadRootID: "t3_abc123",
			Body:         "Same here",
			URL:          "https://www.reddit.com/r/veganbeauty/comments/abc123/_/def456/",
			Attributes:   map[string]any{},
		},
		{
			ExternalID: "t1_def457", Kind: coterie.KindComment, ChannelID: "r/veganbeauty",
			OccurredAt:   time.Date(2020, 12, 1, 0, 8, 20, 0, time.UTC),
			ParentID:     "t3_abc124",
			ThreadRootID: "t3_abc124",
			Body:         "[removed]",
			URL:          "https://www.reddit.com/r/VeganBeauty/comments/abc124/_/def457/",
			Attributes:   map[string]any{"score": int64(-2), "removed": true},
		},
	}
	if !reflect.DeepEqual(c.Activities, want) {
		t.Errorf("activities:\n got %+v\nwant %+v", c.Activities, want)
	}
	wantCh := []ingest.Channel{{ExternalID: "r/veganbeauty", Name: "VeganBeauty", Kind: "subreddit"}}
	if !reflect.DeepEqual(c.Channels, wantCh) {
		t.Errorf("channels = %+v, want %+v", c.Channels, wantCh)
	}
}

func TestRead_Folder(t *testing.T) {
	needReal(t)
	dir := t.TempDir()
	for _, src := range []string{"testdata/bad_line.ndjson", "testdata/drift.ndjson", realSubmissions} {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(src)), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a dump"), 0o600); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "2024")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	compress(t, realComments, sub)
	// A truncated .zst: the file fails, the others are kept.
	full, err := os.ReadFile(filepath.Join(sub, "test_comments.json.zst"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "truncated.zst"), full[:len(full)/2], 0o600); err != nil {
		t.Fatal(err)
	}

	c := read(t, dir)
	wantFiles := []string{
		filepath.Join(sub, "test_comments.json.zst"),
		filepath.Join(dir, "drift.ndjson"),
		filepath.Join(dir, "test_submissions.json"),
	}
	if !reflect.DeepEqual(c.Files, wantFiles) {
		t.Errorf("files = %q, want %q", c.Files, wantFiles)
	}
	if len(c.Errors) != 2 {
		t.Fatalf("errors = %v, want 2", c.Errors)
	}
	if e := c.Errors[0]; e.File != filepath.Join(sub, "truncated.zst") || !strings.HasPrefix(e.Position, "line ") {
		t.Errorf("truncated zst error = %v", e)
	}
	if e := c.Errors[1]; e.File != filepath.Join(dir, "bad_line.ndjson") || e.Position != "line 3" {
		t.Errorf("bad line error = %v, want bad_line.ndjson at line 3", e)
	}
	if got := c.CountKinds(); !reflect.DeepEqual(got, map[string]int{"comment": 27 + 2, "post": 31 + 1}) {
		t.Errorf("CountKinds = %v (bad_line.ndjson's two good lines must be dropped)", got)
	}
}

func TestParse_BadLine(t *testing.T) {
	for _, tt := range []struct {
		name, input, pos, msg string
	}{
		{"cut off", "{\"id\":\"a\",\"body\":\"x\",\"parent_id\":\"t3_b\",\"created_utc\":1}\n{\"id\":", "line 2", "invalid"},
		{"not an object", "\n\n[1,2]\n", "line 3", "not a JSON object"},
		{"neither kind", `{"id":"a","created_utc":1}`, "line 1", "neither a submission"},
		{"no id", `{"body":"x","parent_id":"t3_b","created_utc":1}`, "line 1", "no id"},
		{"no time", `{"id":"a","body":"x","parent_id":"t3_b"}`, "line 1", "no created_utc"},
		{"bad time", `{"id":"a","body":"x","parent_id":"t3_b","created_utc":"soon"}`, "line 1", "created_utc"},
		{"wrong type", `{"id":12,"body":"x","parent_id":"t3_b","created_utc":1}`, "line 1", "id: want a string"},
		{"bad escape", `{"id":"a","body":"x\q","parent_id":"t3_b","created_utc":1}`, "line 1", "invalid JSON at byte"},
		{"trailing data", `{"id":"a","body":"x","parent_id":"t3_b","created_utc":1} {}`, "line 1", "data after the object"},
		{"bad number", `{"id":"a","body":"x","parent_id":"t3_b","created_utc":1,"score":01}`, "line 1", "invalid JSON"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var c ingest.Collector
			err := Parse(context.Background(), strings.NewReader(tt.input), "x.ndjson", &c)
			var fe *ingest.FileError
			if !errors.As(err, &fe) || fe.File != "x.ndjson" || fe.Position != tt.pos || !strings.Contains(fe.Message, tt.msg) {
				t.Errorf("err = %v, want x.ndjson: %s: …%s…", err, tt.pos, tt.msg)
			}
		})
	}
}

func TestRead_Errors(t *testing.T) {
	ctx := context.Background()
	if err := New().Read(ctx, "testdata/missing.zst", &ingest.Collector{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: err = %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := New().Read(cancelled, "testdata/drift.ndjson", &ingest.Collector{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
	stop := errors.New("sink full")
	if err := New().Read(ctx, "testdata/drift.ndjson", &failingSink{err: stop}); !errors.Is(err, stop) {
		t.Errorf("failing sink: err = %v", err)
	}
	if New().Name() != "reddit" || New().Platform() != coterie.PlatformReddit {
		t.Errorf("Name/Platform = %s/%s", New().Name(), New().Platform())
	}
}

// failingSink fails on the first activity.
type failingSink struct {
	ingest.Collector
	err error
}

func (s *failingSink) Activity(ingest.Activity) error { return s.err }

func TestParse_LongLine(t *testing.T) {
	body := strings.Repeat("é", 400_000) // well over the read buffer
	input := `{"id":"a","body":"` + body + `","parent_id":"t3_b","link_id":"t3_b","created_utc":1}` + "\n" +
		`{"id":"b","body":"short","parent_id":"t1_a","link_id":"t3_b","created_utc":2}`
	var c ingest.Collector
	if err := Parse(context.Background(), strings.NewReader(input), "long.ndjson", &c); err != nil {
		t.Fatal(err)
	}
	_ = c.EndFile(nil)
	if len(c.Activities) != 2 || c.Activities[0].Body != body || c.Activities[1].ExternalID != "t1_b" {
		t.Errorf("got %d activities", len(c.Activities))
	}
}

func TestParseEpoch(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Time
		err  bool
	}{
		{"1134365188", time.Unix(1134365188, 0), false},
		{"1706745600.0", time.Unix(1706745600, 0), false},
		{"1606781062.25", time.Unix(1606781062, 250_000_000), false},
		{"1.6067812e9", time.Unix(1606781200, 0), false},
		{"soon", time.Time{}, true},
		{"1e300", time.Time{}, true},
	} {
		got, err := parseEpoch([]byte(tt.in))
		if (err != nil) != tt.err || !got.Equal(tt.want) {
			t.Errorf("parseEpoch(%q) = %v, %v; want %v, err %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, p := range []string{realComments, realSubmissions, "testdata/drift.ndjson", "testdata/bad_line.ndjson"} {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// Whole small files (several lines, CRLF, a bad line); the real
		// files line by line, as whole 90 KB inputs make the fuzzer spend
		// its time minimising.
		if len(data) < 4096 {
			f.Add(data)
		}
		for line := range bytes.Lines(data) {
			f.Add(line)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c ingest.Collector
		err := Parse(context.Background(), bytes.NewReader(data), "f.ndjson", &c)
		var fe *ingest.FileError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("non-FileError: %v", err)
		}
		if fe != nil && (fe.File != "f.ndjson" || !strings.HasPrefix(fe.Position, "line ")) {
			t.Fatalf("error without position: %v", fe)
		}
		_ = c.EndFile(fe)
		for _, a := range c.Activities {
			if a.Kind != coterie.KindPost && a.Kind != coterie.KindComment {
				t.Fatalf("kind %q", a.Kind)
			}
			if len(a.ExternalID) < 4 || (a.ExternalID[:3] != "t1_" && a.ExternalID[:3] != "t3_") {
				t.Fatalf("external id %q", a.ExternalID)
			}
			if a.OccurredAt.Location() != time.UTC {
				t.Fatalf("non-UTC time")
			}
		}
	})
}

// BenchmarkParseLine measures the per-record cost that bounds import
// throughput: decoding one real comment line.
func BenchmarkParseLine(b *testing.B) {
	needReal(b)
	data, err := os.ReadFile(realComments)
	if err != nil {
		b.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	b.SetBytes(int64(len(data)) / int64(len(lines)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, _, err := ParseLine(lines[i%len(lines)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkParse measures a whole file through Parse, zstd included.
func BenchmarkParse(b *testing.B) {
	needReal(b)
	data, err := os.ReadFile(realSubmissions)
	if err != nil {
		b.Fatal(err)
	}
	enc, _ := zstd.NewWriter(nil)
	zst := enc.EncodeAll(bytes.Repeat(data, 20), nil)
	b.SetBytes(int64(len(data) * 20))
	b.ReportAllocs()
	for b.Loop() {
		if err := Parse(context.Background(), bytes.NewReader(zst), "bench.zst", discard{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(31*20*b.N)/b.Elapsed().Seconds(), "records/s")
}

// discard is a Sink that keeps nothing, so the benchmark measures parsing.
type discard struct{}

func (discard) BeginFile(string) error          { return nil }
func (discard) Channel(ingest.Channel) error    { return nil }
func (discard) Person(ingest.Person) error      { return nil }
func (discard) Activity(ingest.Activity) error  { return nil }
func (discard) EndFile(*ingest.FileError) error { return nil }

// FuzzScan checks the hand-written scanner against encoding/json: it must
// accept exactly the JSON objects encoding/json accepts, and decode the
// strings it keeps to the same text.
func FuzzScan(f *testing.F) {
	for _, p := range []string{realComments, realSubmissions, "testdata/drift.ndjson"} {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for line := range bytes.Lines(data) {
			f.Add(bytes.TrimSpace(line))
		}
	}
	f.Add([]byte(`{"body":"a\ud83d\ude00b\u00e9\n\/\"","author":"x\ud800y","id":"1"}`))
	f.Add([]byte(`{"a":[1,-0.5e+3,{"b":[]}],"c":null,"d":true}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var got record
		scanErr := scanObject(data, got.set)
		trimmed := bytes.TrimSpace(data)
		valid := json.Valid(data) && len(trimmed) > 0 && trimmed[0] == '{'
		if !valid {
			if scanErr == nil {
				t.Fatalf("scanner accepted invalid JSON %q", data)
			}
			return
		}
		var want struct {
			ID     any `json:"id"`
			Author any `json:"author"`
			Body   any `json:"body"`
			Title  any `json:"title"`
		}
		// encoding/json matches keys case-insensitively; the dumps'
		// keys are lowercase, so only compare when they are.
		if err := json.Unmarshal(data, &want); err != nil || !bytes.Equal(data, bytes.ToLower(data)) {
			return
		}
		if scanErr != nil {
			if strings.Contains(scanErr.Error(), "want a string") || strings.Contains(scanErr.Error(), "nested too deeply") {
				return // a type the record refuses, or deeper than the stack guard
			}
			t.Fatalf("scanner rejected valid JSON %q: %v", data, scanErr)
		}
		check := func(name string, w any, g string) {
			if s, ok := w.(string); ok && s != g {
				t.Fatalf("%s = %q, encoding/json %q", name, g, s)
			}
		}
		check("id", want.ID, got.ID)
		check("author", want.Author, got.Author)
		check("body", want.Body, *orEmpty(got.Body))
		check("title", want.Title, *orEmpty(got.Title))
	})
}
