package discourse

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

const (
	topicFile = "testdata/t-1234-favourite-vegan-lipstick-swaps.json"
	pageFile  = "testdata/t-1234-page2.json"
	eventFile = "testdata/t-88-meetup-in-leeds.json"
)

func read(t *testing.T, path string) *ingest.Collector {
	t.Helper()
	c := &ingest.Collector{}
	if err := New().Read(context.Background(), path, c); err != nil {
		t.Fatalf("Read(%s): %v", path, err)
	}
	return c
}

// row is an activity reduced to its place in the conversation.
type row struct {
	ID, Kind, Author, Parent, Root, ObjectAuthor string
	Edited, Bot                                  bool
}

func rows(c *ingest.Collector) []row {
	var out []row
	for _, a := range c.Activities {
		out = append(out, row{a.ExternalID, string(a.Kind), a.Author.ID, a.ParentID, a.ThreadRootID, a.ObjectAuthorID, a.IsEdited, a.Author.IsBot})
	}
	return out
}

func TestParse(t *testing.T) {
	tests := []struct {
		name     string
		path     string
		channels []ingest.Channel
		want     []row
	}{
		{
			name:     "topic",
			path:     topicFile,
			channels: []ingest.Channel{{ExternalID: "category/5", Name: "5", Kind: "category"}},
			want: []row{
				{ID: "post/5001", Kind: "post", Author: "2"},
				{ID: "post/5002", Kind: "comment", Author: "7", Parent: "post/5001", Root: "post/5001", ObjectAuthor: "2", Edited: true},
				{ID: "post/5003", Kind: "comment", Author: "9", Parent: "post/5002", Root: "post/5001", ObjectAuthor: "7"},
				{ID: "post/5004", Kind: "comment", Author: "7", Parent: "post/5003", Root: "post/5001", ObjectAuthor: "9"},
				// whisper (5005) is kept; deleted 5006 and small action 5007 are not activities
				{ID: "post/5005", Kind: "comment", Author: "3", Parent: "post/5001", Root: "post/5001", ObjectAuthor: "2"},
				{ID: "post/5008", Kind: "comment", Author: "-2", Parent: "post/5001", Root: "post/5001", ObjectAuthor: "2", Bot: true},
				{ID: "post/5009", Kind: "comment", Author: "9", Parent: "post/5001", Root: "post/5001", ObjectAuthor: "2"},
				// replies to post 25, not in this page: hangs from the first post, author from reply_to_user
				{ID: "post/5010", Kind: "comment", Author: "7", Parent: "post/5001", Root: "post/5001", ObjectAuthor: "2"},
			},
		},
		{
			name: "later_page_without_first_post",
			path: pageFile,
			want: []row{
				{ID: "post/5030", Kind: "comment", Author: "9", Edited: true},
				{ID: "post/5031", Kind: "comment", Author: "ghost", Parent: "post/5030", ObjectAuthor: "9"},
			},
		},
		{
			name:     "category_name",
			path:     eventFile,
			channels: []ingest.Channel{{ExternalID: "category/12", Name: "Events", Kind: "category"}},
			want:     []row{{ID: "post/6001", Kind: "post", Author: "7"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := read(t, tt.path)
			if len(c.Errors) > 0 {
				t.Fatalf("errors: %v", c.Errors)
			}
			if !reflect.DeepEqual(c.Channels, tt.channels) {
				t.Errorf("channels = %+v, want %+v", c.Channels, tt.channels)
			}
			got := rows(c)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("activities:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParse_details(t *testing.T) {
	c := read(t, topicFile)
	byID := map[string]ingest.Activity{}
	for _, a := range c.Activities {
		byID[a.ExternalID] = a
	}
	first := byID["post/5001"]

	t.Run("cooked_to_text", func(t *testing.T) {
		want := "Which vegan lipsticks have you switched to? Share your swaps & shades :lipstick:\n" +
			"I'll start: @priya_s recommended this one.\n\n- Shade: Berry\n- Finish: matte"
		if first.Body != want {
			t.Errorf("body = %q\nwant   %q", first.Body, want)
		}
		// The quoted post (aside.quote) is someone else's text: left out.
		if got := byID["post/5002"].Body; got != "The Berry one is great, <3 it. Also try this balm." {
			t.Errorf("quoting body = %q", got)
		}
	})
	t.Run("raw_preferred", func(t *testing.T) {
		if got := byID["post/5009"].Body; got != "SPAM [cheap](https://spam.example)" {
			t.Errorf("body = %q", got)
		}
	})
	t.Run("attributes", func(t *testing.T) {
		want := map[string]any{
			"topic_id": int64(1234), "topic_title": "Favourite vegan lipstick swaps?", "like_count": 3,
			"mentions": []string{"priya_s"}, "links": []string{"https://shop.example.com/lipstick"},
		}
		if !reflect.DeepEqual(first.Attributes, want) {
			t.Errorf("attributes = %#v", first.Attributes)
		}
		checks := []struct {
			id, key string
			want    any
		}{
			{"post/5002", "like_count", 1},
			{"post/5004", "accepted_answer", true},
			{"post/5005", "whisper", true},
			{"post/5009", "hidden", true},
			{"post/5010", "reply_to_post_number", 25},
		}
		for _, ck := range checks {
			if got := byID[ck.id].Attributes[ck.key]; got != ck.want {
				t.Errorf("%s %s = %v, want %v", ck.id, ck.key, got, ck.want)
			}
		}
		if _, ok := byID["post/5003"].Attributes["like_count"]; ok {
			t.Error("like_count set on a post nobody liked")
		}
	})
	t.Run("attachments_url_time", func(t *testing.T) {
		if len(first.Attachments) != 1 || first.Attachments[0].URL != "https://forum.example.org/uploads/default/original/1X/abc123.jpeg" {
			t.Errorf("attachments = %+v", first.Attachments)
		}
		if first.URL != "/t/favourite-vegan-lipstick-swaps/1234/1" {
			t.Errorf("url = %q", first.URL)
		}
		if !first.OccurredAt.Equal(time.Date(2023, 4, 2, 9, 15, 27, 311e6, time.UTC)) {
			t.Errorf("time = %v", first.OccurredAt)
		}
		ev := read(t, eventFile).Activities[0].OccurredAt
		if !ev.Equal(time.Date(2023, 5, 1, 17, 0, 0, 0, time.UTC)) || ev.Location() != time.UTC {
			t.Errorf("offset time = %v", ev)
		}
	})
	t.Run("people", func(t *testing.T) {
		var maya ingest.Person
		var ids []string
		for _, p := range c.People {
			ids = append(ids, p.ID)
			if p.ID == "2" {
				maya = p
			}
		}
		if strings.Join(ids, ",") != "2,7,9,3,-2" {
			t.Errorf("people = %v", ids)
		}
		want := ingest.Person{ID: "2", Username: "maya", DisplayName: "Maya Chen", ProfileURL: "/u/maya",
			AvatarURL:  "/user_avatar/forum.example.org/maya/120/42_2.png",
			Attributes: map[string]any{"trust_level": 4, "staff": true}}
		if !reflect.DeepEqual(maya, want) {
			t.Errorf("maya = %+v", maya)
		}
	})
	t.Run("counts", func(t *testing.T) {
		if got := c.CountKinds(); got["post"] != 1 || got["comment"] != 6 || len(got) != 2 {
			t.Errorf("kinds = %v", got)
		}
	})
}

func TestRead_folder(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{topicFile, pageFile, eventFile, "testdata/bad/truncated.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(p)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := read(t, dir)
	if len(c.Files) != 3 || len(c.Errors) != 1 || c.Errors[0].File != filepath.Join(dir, "truncated.json") {
		t.Fatalf("files %v errors %v", c.Files, c.Errors)
	}
	if len(c.Activities) != 8+2+1 {
		t.Errorf("%d activities", len(c.Activities))
	}
}

func TestParse_damaged(t *testing.T) {
	offsetOf := func(path, marker string, after bool) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		i := bytes.Index(b, []byte(marker))
		if i < 0 {
			t.Fatalf("%s: no %q", path, marker)
		}
		if after {
			i += len(marker)
		}
		return fmt.Sprintf("offset %d", i)
	}
	size := func(path string) string {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("offset %d", st.Size())
	}
	tests := []struct {
		path, position, message string
	}{
		{"testdata/bad/truncated.json", size("testdata/bad/truncated.json"), "unexpected end of JSON input"},
		// a bad post is placed at the start of that post
		{"testdata/bad/bad-time.json", offsetOf("testdata/bad/bad-time.json", "{\n        \"id\": 6001", false), `post 6001: created_at "yesterday"`},
		{"testdata/bad/wrong-type.json", offsetOf("testdata/bad/wrong-type.json", `"reply_to_post_number": "two"`, true), "reply_to_post_number"},
		{"testdata/bad/not-a-topic.json", "offset 0", "no post_stream"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			c := read(t, tt.path)
			if len(c.Errors) != 1 {
				t.Fatalf("errors = %v", c.Errors)
			}
			e := c.Errors[0]
			if e.File != tt.path || e.Position != tt.position || !strings.Contains(e.Message, tt.message) {
				t.Errorf("error = %v; want %s: %s: ...%s...", e, tt.path, tt.position, tt.message)
			}
		})
	}
	if err := New().Read(context.Background(), "testdata/missing.json", &ingest.Collector{}); err == nil {
		t.Error("no error for a missing path")
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"entities", "<p>Fish &amp; chips &#8211; &quot;yum&quot; &nbsp;</p>", "Fish & chips – \"yum\""},
		{"br_and_paragraphs", "<p>one<br>two</p>\n<p>three</p>", "one\ntwo\n\nthree"},
		{"pre_keeps_spaces", "<pre><code>a  =  1\n  b</code></pre>", "a  =  1\n  b"},
		{"script_dropped", "<p>hi</p><script>alert('<p>x</p>')</script><style>p{}</style>", "hi"},
		{"nested_quote_dropped", `<aside class="quote"><aside class="quote"><p>old</p></aside><p>mid</p></aside><p>new</p>`, "new"},
		{"lone_lt", "<p>a < b and 3<4</p>", "a < b and 3<4"},
		{"comment", "<p>a<!-- hidden <p> -->b</p>", "ab"},
		{"gt_in_attribute", `<p><a href="/x?a>b" title='>'>link</a></p>`, "link"},
		{"unterminated_tag", "<p>cut here<a href=\"", "cut here"},
		{"unterminated_comment", "<p>cut<!-- here", "cut"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := plainText(tt.in).Text; got != tt.want {
				t.Errorf("plainText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	// Small seeds only: the fuzzer minimises every new input it finds, and
	// minimising the 18 KB topic takes longer than a fuzz run lasts.
	for _, p := range []string{pageFile, eventFile, "testdata/bad/wrong-type.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"id":1,"slug":"s","category_id":5,"details":{"created_by":{"id":2}},"post_stream":{"stream":[10,11,12],"posts":[` +
		`{"id":10,"post_number":1,"post_type":1,"user_id":2,"username":"a","created_at":"2023-01-01T00:00:00Z","cooked":"<p>a &amp; <b>b</b><br><img class=\"emoji\" alt=\":x:\"></p>","actions_summary":[{"id":2,"count":1}]},` +
		`{"id":11,"post_number":2,"post_type":4,"user_id":-1,"username":"system","created_at":"2023-01-01T00:01:00Z","updated_at":"2023-01-01T01:00:00Z","cooked":"<aside class=\"quote\"><p>q</p></aside>x","reply_to_post_number":1},` +
		`{"id":12,"post_number":3,"post_type":3,"created_at":"2023-01-01T00:02:00Z","reply_to_post_number":2,"reply_to_user":{"username":"a"},"deleted_at":null,"raw":"r"}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := &ingest.Collector{}
		err := Parse(bytes.NewReader(b), "fuzz.json", c)
		if err != nil {
			if _, ok := err.(*ingest.FileError); !ok {
				t.Fatalf("non-file error %v", err)
			}
			return
		}
		for _, a := range c.Activities {
			if !strings.HasPrefix(a.ExternalID, "post/") || (a.Kind != coterie.KindPost && a.Kind != coterie.KindComment) {
				t.Fatalf("bad activity %+v", a)
			}
		}
	})
}

func FuzzPlainText(f *testing.F) {
	f.Add(`<p>a<br>b &amp; <img class="emoji" alt=":x:"> <a class="mention" href="/u/bob">@bob</a></p>`)
	f.Add(`<aside class="quote"><div class="title">x</div><blockquote><p>q</p></blockquote></aside><pre>  x </pre>`)
	f.Fuzz(func(t *testing.T, s string) {
		plainText(s)
	})
}

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile(topicFile)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Parse(bytes.NewReader(data), "bench.json", &ingest.Collector{}); err != nil {
			b.Fatal(err)
		}
	}
}
