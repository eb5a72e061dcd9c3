package whatsapp

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the Location tests must not depend on the machine's zoneinfo

	"github.com/coteriehq/coterie/internal/coterie"
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

// brief is an activity reduced to what the tests compare.
type brief struct {
	Kind   coterie.ActivityKind
	Author string
	At     string
	Body   string
}

func briefs(c *ingest.Collector) []brief {
	var out []brief
	for _, a := range c.Activities {
		out = append(out, brief{a.Kind, a.Author.ID, a.OccurredAt.Format(time.RFC3339), a.Body})
	}
	return out
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		channel ingest.Channel
		want    []brief
	}{
		{
			name:    "android_dmy_24h",
			path:    "testdata/WhatsApp Chat with Vegan Beauty.txt",
			channel: ingest.Channel{ExternalID: "vegan beauty", Name: "Vegan Beauty", Kind: "group"},
			want: []brief{
				{"join", "Priya Shah", "2021-03-01T09:01:00Z", "Maya Chen added Priya Shah and Tom O'Neill"},
				{"join", "Tom O'Neill", "2021-03-01T09:01:00Z", "Maya Chen added Priya Shah and Tom O'Neill"},
				{"message", "Maya Chen", "2021-03-02T10:15:00Z", "Welcome everyone! Share your favourite cruelty-free finds here 🌱"},
				{"message", "Priya Shah", "2021-03-02T10:16:00Z", "Hi all!\nThat serum from last week:\n- fragrance free\n- 30ml"},
				{"join", "+447700900123", "2021-03-05T18:40:00Z", "+44 7700 900123 joined using this group's invite link"},
				{"message", "+447700900123", "2021-03-05T18:41:00Z", "Hello from Leeds"},
				{"message", "Tom O'Neill", "2021-03-05T18:42:00Z", ""},
				{"message", "Priya Shah", "2021-03-06T08:00:00Z", "👍"},
				{"message", "Priya Shah", "2021-03-06T08:00:00Z", "👍"},
				{"message", "Tom O'Neill", "2021-03-13T21:05:00Z", "Does anyone know a vegan mascara?"},
				{"message", "Maya Chen", "2021-03-13T21:07:00Z", "@Tom O'Neill try the one from @447700900123 's shop"},
				{"leave", "Tom O'Neill", "2021-03-14T07:30:00Z", "Tom O'Neill left"},
				{"leave", "+447700900123", "2021-03-15T09:00:00Z", "Maya Chen removed +44 7700 900123"},
			},
		},
		{
			name:    "android_mdy_12h_narrow_nbsp_crlf",
			path:    "testdata/WhatsApp Chat with Learning Korean.txt",
			channel: ingest.Channel{ExternalID: "learning korean", Name: "Learning Korean", Kind: "group"},
			want: []brief{
				{"join", "Jin", "2022-12-01T21:05:00Z", "Jin joined using this group's invite link"},
				{"message", "Jin", "2022-12-01T21:06:00Z", "안녕하세요!"},
				{"message", "Sam Lee", "2022-12-02T00:30:00Z", "Midnight study session anyone?"},
				{"message", "Sam Lee", "2022-12-14T12:15:00Z", "Lunch break vocab: 점심"},
				{"message", "Jin", "2022-12-14T12:16:00Z", "my notes"},
			},
		},
		{
			name:    "android_dotted_german",
			path:    "testdata/WhatsApp Chat mit Vintage Mode.txt",
			channel: ingest.Channel{ExternalID: "vintage mode", Name: "Vintage Mode", Kind: "group"},
			want: []brief{
				{"message", "Lena", "2023-02-03T14:01:00Z", "Wer hat Lust auf den Flohmarkt am Samstag?"},
				{"message", "Jonas", "2023-02-04T08:15:00Z", "Ich! 🙋"},
			},
		},
		{
			name:    "android_iso_date",
			path:    "testdata/WhatsApp Chat with Data Vis.txt",
			channel: ingest.Channel{ExternalID: "data vis", Name: "Data Vis", Kind: "group"},
			want: []brief{
				{"message", "Ana", "2023-06-05T19:00:00Z", "Meetup slides are up"},
				{"message", "Bo", "2023-06-05T19:02:00Z", "thanks!"},
			},
		},
		{
			name:    "ambiguous_dates_default_to_day_first",
			path:    "testdata/WhatsApp Chat with Ambiguous.txt",
			channel: ingest.Channel{ExternalID: "ambiguous", Name: "Ambiguous", Kind: "group"},
			want: []brief{
				{"message", "Ana", "2021-04-03T10:00:00Z", "first"},
				{"message", "Bo", "2021-06-05T11:00:00Z", "second"},
			},
		},
		{
			name:    "ios_dotted_seconds_lrm",
			path:    "testdata/ios/WhatsApp Chat - Korean Club/_chat.txt",
			channel: ingest.Channel{ExternalID: "korean club", Name: "Korean Club", Kind: "group"},
			want: []brief{
				{"join", "Min-jun", "2023-02-14T10:00:05Z", "Hana added Min-jun"},
				{"message", "Hana", "2023-02-14T10:01:10Z", "Welcome! Week 1: Hangul"},
				{"message", "Min-jun", "2023-02-14T10:02:00Z", ""},
				{"message", "Min-jun", "2023-02-14T10:02:30Z", ""},
				{"message", "Hana", "2023-02-14T10:04:00Z", "See you Thursday"},
				{"leave", "Min-jun", "2023-02-15T09:00:00Z", "Min-jun left"},
			},
		},
		{
			name:    "ios_us_12h",
			path:    "testdata/WhatsApp Chat - Seoul Eats.txt",
			channel: ingest.Channel{ExternalID: "seoul eats", Name: "Seoul Eats", Kind: "group"},
			want: []brief{
				{"message", "Dee", "2023-03-13T09:41:00Z", "Best bibimbap in town?"},
				{"message", "Eli", "2023-03-13T09:45:12Z", ""},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := read(t, New(), tt.path)
			if len(c.Errors) > 0 {
				t.Fatalf("errors: %v", c.Errors)
			}
			if len(c.Channels) != 1 || c.Channels[0] != tt.channel {
				t.Errorf("channels = %+v, want [%+v]", c.Channels, tt.channel)
			}
			got := briefs(c)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d activities, want %d:\n%+v", len(got), len(tt.want), got)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("activity %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
			seen := map[string]bool{}
			for _, a := range c.Activities {
				if len(a.ExternalID) != 32 || seen[a.ExternalID] {
					t.Errorf("external id %q empty, malformed or repeated", a.ExternalID)
				}
				seen[a.ExternalID] = true
				if a.ChannelID != tt.channel.ExternalID {
					t.Errorf("activity channel %q, want %q", a.ChannelID, tt.channel.ExternalID)
				}
			}
		})
	}
}

func TestParse_details(t *testing.T) {
	c := read(t, New(), "testdata/WhatsApp Chat with Vegan Beauty.txt")
	byBody := map[string]ingest.Activity{}
	for _, a := range c.Activities {
		byBody[a.Author.ID+"|"+a.Body] = a
	}

	t.Run("phone_number_author", func(t *testing.T) {
		a := byBody["+447700900123|Hello from Leeds"]
		if a.Author.Phone != "+447700900123" || a.Author.DisplayName != "+44 7700 900123" {
			t.Errorf("author = %+v", a.Author)
		}
	})
	t.Run("media_omitted", func(t *testing.T) {
		a := byBody["Tom O'Neill|"]
		if len(a.Attachments) != 1 || a.Attachments[0].URL != "" || a.Attributes["media_omitted"] != true {
			t.Errorf("attachments %+v attributes %v", a.Attachments, a.Attributes)
		}
	})
	t.Run("edited", func(t *testing.T) {
		if !byBody["Tom O'Neill|Does anyone know a vegan mascara?"].IsEdited {
			t.Error("edited message not flagged")
		}
		if byBody["Maya Chen|Welcome everyone! Share your favourite cruelty-free finds here 🌱"].IsEdited {
			t.Error("unedited message flagged")
		}
	})
	t.Run("mentions", func(t *testing.T) {
		a := byBody["Maya Chen|@Tom O'Neill try the one from @447700900123 's shop"]
		got, _ := a.Attributes["mentions"].([]string)
		if strings.Join(got, ",") != "Tom O'Neill,+447700900123" {
			t.Errorf("mentions = %v", a.Attributes["mentions"])
		}
	})
	t.Run("people_once_each", func(t *testing.T) {
		var ids []string
		for _, p := range c.People {
			ids = append(ids, p.ID)
		}
		if strings.Join(ids, ",") != "Priya Shah,Tom O'Neill,Maya Chen,+447700900123" {
			t.Errorf("people = %v", ids)
		}
	})

	ios := read(t, New(), "testdata/ios/WhatsApp Chat - Korean Club/_chat.txt")
	t.Run("ios_attached", func(t *testing.T) {
		a := ios.Activities[3]
		if len(a.Attachments) != 1 || a.Attachments[0].Name != "00000012-PHOTO-2023-02-14-10-02-30.jpg" {
			t.Errorf("attachments = %+v", a.Attachments)
		}
		if img := ios.Activities[2]; img.Attributes["media_type"] != "image" || img.Attributes["media_omitted"] != true {
			t.Errorf("image omitted attributes = %v", img.Attributes)
		}
	})
	eats := read(t, New(), "testdata/WhatsApp Chat - Seoul Eats.txt")
	t.Run("ios_document_name", func(t *testing.T) {
		a := eats.Activities[1]
		if len(a.Attachments) != 1 || a.Attachments[0].Name != "report.pdf" || a.Attributes["media_type"] != "document" {
			t.Errorf("attachments %+v attributes %v", a.Attachments, a.Attributes)
		}
	})
	korean := read(t, New(), "testdata/WhatsApp Chat with Learning Korean.txt")
	t.Run("android_file_attached", func(t *testing.T) {
		a := korean.Activities[4]
		if len(a.Attachments) != 1 || a.Attachments[0].Name != "IMG-20221214-WA0003.jpg" {
			t.Errorf("attachments = %+v", a.Attachments)
		}
	})
}

func TestParse_location(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	c := read(t, NewWithOptions(Options{Location: ny}), "testdata/WhatsApp Chat with Learning Korean.txt")
	// 9:05 PM on 1 December in New York (EST, UTC-5) is 02:05 UTC the next day.
	if got := c.Activities[0].OccurredAt; !got.Equal(time.Date(2022, 12, 2, 2, 5, 0, 0, time.UTC)) || got.Location() != time.UTC {
		t.Errorf("time = %v", got)
	}
	utc := read(t, New(), "testdata/WhatsApp Chat with Learning Korean.txt")
	// The key hashes the time as written, so the zone option does not change ids.
	if c.Activities[0].ExternalID != utc.Activities[0].ExternalID {
		t.Error("external id depends on the Location option")
	}
}

func TestParse_stableKeys(t *testing.T) {
	orig, err := os.ReadFile("testdata/WhatsApp Chat with Vegan Beauty.txt")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// A later re-export holds more messages, and a second download gets " (1)".
	later := append(bytes.Clone(orig), []byte("16/03/21, 10:00 - Priya Shah: 👍\n16/03/21, 10:01 - Priya Shah: new\n")...)
	p := filepath.Join(dir, "WhatsApp Chat with Vegan Beauty (1).txt")
	if err := os.WriteFile(p, later, 0o644); err != nil {
		t.Fatal(err)
	}
	first := read(t, New(), "testdata/WhatsApp Chat with Vegan Beauty.txt")
	second := read(t, New(), p)
	if second.Channels[0].ExternalID != "vegan beauty" {
		t.Errorf("re-export channel = %q", second.Channels[0].ExternalID)
	}
	if len(second.Activities) != len(first.Activities)+2 {
		t.Fatalf("re-export has %d activities, want %d", len(second.Activities), len(first.Activities)+2)
	}
	for i, a := range first.Activities {
		if second.Activities[i].ExternalID != a.ExternalID {
			t.Errorf("activity %d id changed on re-export: %s -> %s", i, a.ExternalID, second.Activities[i].ExternalID)
		}
	}
}

func TestRead_zipAndFolder(t *testing.T) {
	dir := t.TempDir()
	chat, err := os.ReadFile("testdata/ios/WhatsApp Chat - Korean Club/_chat.txt")
	if err != nil {
		t.Fatal(err)
	}
	zipPath := filepath.Join(dir, "WhatsApp Chat - Korean Club.zip")
	writeZip(t, zipPath, map[string][]byte{
		"_chat.txt":                              chat,
		"00000012-PHOTO-2023-02-14-10-02-30.jpg": {0xff, 0xd8, 0xff},
		"notes.txt":                              []byte("a shared text document, not the chat"),
	})

	t.Run("zip", func(t *testing.T) {
		c := read(t, New(), zipPath)
		if len(c.Errors) > 0 || len(c.Files) != 1 || c.Files[0] != zipPath+"/_chat.txt" {
			t.Fatalf("files %v errors %v", c.Files, c.Errors)
		}
		if c.Channels[0].ExternalID != "korean club" || len(c.Activities) != 6 {
			t.Errorf("channel %+v, %d activities", c.Channels[0], len(c.Activities))
		}
	})

	t.Run("folder", func(t *testing.T) {
		folder := filepath.Join(dir, "exports")
		if err := os.MkdirAll(folder, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"WhatsApp Chat with Data Vis.txt", "WhatsApp Chat mit Vintage Mode.txt"} {
			b, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(folder, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		// A shared document that is not a chat: skipped, since chat-named files exist.
		if err := os.WriteFile(filepath.Join(folder, "readme.txt"), []byte("hello"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(zipPath, filepath.Join(folder, "WhatsApp Chat - Korean Club.zip")); err != nil {
			t.Fatal(err)
		}
		c := read(t, New(), folder)
		if len(c.Errors) > 0 || len(c.Files) != 3 {
			t.Fatalf("files %v errors %v", c.Files, c.Errors)
		}
		if got := c.CountKinds(); got["message"] != 8 || got["join"] != 1 || got["leave"] != 1 {
			t.Errorf("kinds = %v", got)
		}
	})

	t.Run("damaged_zip", func(t *testing.T) {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create("_chat.txt")
		w.Write(chat)
		zw.Close()
		p := filepath.Join(dir, "truncated.zip")
		if err := os.WriteFile(p, buf.Bytes()[:buf.Len()/2], 0o644); err != nil {
			t.Fatal(err)
		}
		c := read(t, New(), p)
		if len(c.Errors) != 1 || c.Errors[0].File != p || len(c.Activities) != 0 {
			t.Errorf("errors %v activities %d", c.Errors, len(c.Activities))
		}
	})
}

func writeZip(t *testing.T, path string, files map[string][]byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, b := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestParse_damaged(t *testing.T) {
	tests := []struct {
		path     string
		position string
		message  string
	}{
		{"testdata/bad/WhatsApp Chat with Notes.txt", "line 1", "not a WhatsApp chat line"},
		{"testdata/bad/WhatsApp Chat with Latin1.txt", "line 3", "not valid UTF-8"},
		{"testdata/bad/WhatsApp Chat with Mixed.txt", "line 2", "date 03/25/21 is not a valid day/month/year date, the order of this file's other dates"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			c := read(t, New(), tt.path)
			if len(c.Errors) != 1 {
				t.Fatalf("errors = %v", c.Errors)
			}
			e := c.Errors[0]
			if e.File != tt.path || e.Position != tt.position || !strings.Contains(e.Message, tt.message) {
				t.Errorf("error = %v, want %s: %s: ...%s...", e, tt.path, tt.position, tt.message)
			}
			if len(c.Activities) != 0 {
				t.Errorf("activities of a damaged file were kept")
			}
		})
	}

	t.Run("long_line", func(t *testing.T) {
		r := strings.NewReader("01/03/21, 09:00 - Ana: ok\n" + strings.Repeat("x", maxLine+1) + "\n")
		err := Parse(context.Background(), r, "big.txt", "big", Options{}, &ingest.Collector{})
		if fe, ok := err.(*ingest.FileError); !ok || fe.Position != "line 2" {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("missing_path", func(t *testing.T) {
		if err := New().Read(context.Background(), "testdata/nope.txt", &ingest.Collector{}); err == nil {
			t.Error("no error for a missing path")
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := New().Read(ctx, "testdata", &ingest.Collector{}); err == nil {
			t.Error("no error for a cancelled context")
		}
	})
}

func TestParse_lines(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []brief
	}{
		{
			name: "bom_and_text_on_next_line",
			in:   "\uFEFF01/03/21, 09:00 - Ann:\nhello\n",
			want: []brief{{"message", "Ann", "2021-03-01T09:00:00Z", "hello"}},
		},
		{
			name: "several_added_and_removed",
			in:   "01/03/21, 09:00 - Ann added Bob, Cy & Dee\n01/03/21, 09:01 - You removed Bob\n01/03/21, 09:02 - Cy removed you\n",
			want: []brief{
				{"join", "Bob", "2021-03-01T09:00:00Z", "Ann added Bob, Cy & Dee"},
				{"join", "Cy", "2021-03-01T09:00:00Z", "Ann added Bob, Cy & Dee"},
				{"join", "Dee", "2021-03-01T09:00:00Z", "Ann added Bob, Cy & Dee"},
				{"leave", "Bob", "2021-03-01T09:01:00Z", "You removed Bob"},
			},
		},
		{
			name: "ios_notice_under_old_group_name",
			in:   "[01.03.21, 09:00:00] Old Name: \u200eAnn pinned a message\n[01.03.21, 09:00:01] Ann: \u200e<attached: doc.pdf>\ncaption\n",
			want: []brief{{"message", "Ann", "2021-03-01T09:00:01Z", "caption"}},
		},
		{
			name: "us_file_decided_by_a_later_date",
			in:   "1/2/21, 9:00 AM - Ann: a\n1/13/21, 9:00 PM - Ann: b\n",
			want: []brief{
				{"message", "Ann", "2021-01-02T09:00:00Z", "a"},
				{"message", "Ann", "2021-01-13T21:00:00Z", "b"},
			},
		},
		{
			name: "blank_lines_before_first_message",
			in:   "\n\n01/03/21, 09:00 - Ann: hi\n\n",
			want: []brief{{"message", "Ann", "2021-03-01T09:00:00Z", "hi"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &ingest.Collector{}
			if err := Parse(context.Background(), strings.NewReader(tt.in), "chat.txt", "Chat", Options{}, c); err != nil {
				t.Fatal(err)
			}
			c.EndFile(nil)
			got := briefs(c)
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("activity %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestParseStamp(t *testing.T) {
	tests := []struct {
		line string
		ok   bool
		want stamp
		rest string
	}{
		{"31/12/20, 22:05 - Ann: hi", true, stamp{f1: 31, f2: 12, f3: 20, sep: '/', hour: 22, min: 5}, "Ann: hi"},
		{"12/31/2020, 10:05 PM - Ann: hi", true, stamp{f1: 12, f2: 31, f3: 2020, sep: '/', hour: 22, min: 5}, "Ann: hi"},
		{"1/2/21, 12:00\u202fam - Ann: hi", true, stamp{f1: 1, f2: 2, f3: 21, sep: '/', hour: 0}, "Ann: hi"},
		{"1/2/21, 12:00 p. m. - Ann: hi", true, stamp{f1: 1, f2: 2, f3: 21, sep: '/', hour: 12}, "Ann: hi"},
		{"\u200e[31.12.20, 22:05:09] Ann: hi", true, stamp{f1: 31, f2: 12, f3: 20, sep: '.', order: orderDMY, hour: 22, min: 5, sec: 9}, "Ann: hi"},
		{"2020-12-31, 22:05 - Ann: hi", true, stamp{f1: 2020, f2: 12, f3: 31, sep: '-', order: orderYMD, hour: 22, min: 5}, "Ann: hi"},
		{"31-12-2020 22:05 - Ann: hi", true, stamp{f1: 31, f2: 12, f3: 2020, sep: '-', hour: 22, min: 5}, "Ann: hi"},
		{"31/12/20, 25:05 - Ann: hi", false, stamp{}, ""},
		{"31/12/20, 13:05 PM - Ann: hi", false, stamp{}, ""},
		{"31/13/20, 10:05 - Ann: hi", false, stamp{}, ""},
		{"31/12/20 is the date", false, stamp{}, ""},
		{"[31.12.20, 22:05:09 Ann: hi", false, stamp{}, ""},
		{"31/12/20, 22:05 Ann: hi", false, stamp{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got, rest, ok := parseStamp(tt.line)
			if ok != tt.ok || ok && (got != tt.want || rest != tt.rest) {
				t.Errorf("parseStamp = %+v, %q, %v; want %+v, %q, %v", got, rest, ok, tt.want, tt.rest, tt.ok)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.txt")
	more, _ := filepath.Glob("testdata/*/*.txt")
	deeper, _ := filepath.Glob("testdata/*/*/*.txt")
	for _, p := range append(append(paths, more...), deeper...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c := &ingest.Collector{}
		err := Parse(context.Background(), bytes.NewReader(b), "fuzz.txt", "Fuzz", Options{}, c)
		if err != nil {
			if _, ok := err.(*ingest.FileError); !ok {
				t.Fatalf("non-file error %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, a := range c.Activities {
			if a.ExternalID == "" || a.Kind == "" || a.Author.ID == "" || seen[a.ExternalID] {
				t.Fatalf("bad activity %+v", a)
			}
			seen[a.ExternalID] = true
		}
	})
}

func BenchmarkParse(b *testing.B) {
	one, err := os.ReadFile("testdata/WhatsApp Chat with Vegan Beauty.txt")
	if err != nil {
		b.Fatal(err)
	}
	// About 10,000 messages: a quarter of the largest export WhatsApp makes.
	var buf bytes.Buffer
	for i := 0; buf.Len() < 1<<20; i++ {
		buf.WriteString(strings.ReplaceAll(string(one), "Priya Shah", "Priya "+string(rune('A'+i%26))))
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Parse(context.Background(), bytes.NewReader(data), "bench.txt", "Bench", Options{}, discard{}); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) BeginFile(string) error          { return nil }
func (discard) Channel(ingest.Channel) error    { return nil }
func (discard) Person(ingest.Person) error      { return nil }
func (discard) Activity(ingest.Activity) error  { return nil }
func (discard) EndFile(*ingest.FileError) error { return nil }
