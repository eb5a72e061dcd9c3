package gen

import (
	"archive/zip"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coteriehq/coterie/internal/ingest"
	"github.com/klauspost/compress/zstd"
)

type genCase struct {
	name string
	opts Options
	out  string // file name under the temp dir
}

var genCases = []genCase{
	{"slack", Options{Format: FormatSlack}, "slack"},
	{"slack-zip", Options{Format: FormatSlack, Zip: true}, "slack.zip"},
	{"discord", Options{Format: FormatDiscord}, "discord"},
	{"reddit", Options{Format: FormatReddit}, "reddit.ndjson"},
	{"reddit-zst", Options{Format: FormatReddit, Zstd: true}, "reddit.ndjson.zst"},
}

func generate(t testing.TB, c genCase, n int, seed uint64) (string, Counts) {
	t.Helper()
	o := c.opts
	o.Messages, o.Seed = n, seed
	o.Out = filepath.Join(t.TempDir(), c.out)
	got, err := Generate(o)
	if err != nil {
		t.Fatalf("Generate(%+v): %v", o, err)
	}
	return o.Out, got
}

// treeHash hashes every file under root (or root itself) with its relative
// name, in sorted order.
func treeHash(t *testing.T, root string) string {
	t.Helper()
	h := sha256.New()
	var names []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	for _, p := range names {
		rel, _ := filepath.Rel(root, p)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(h, rel+"\x00"+strconv.Itoa(len(b))+"\x00")
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestGenerate_Deterministic(t *testing.T) {
	for _, c := range genCases {
		t.Run(c.name, func(t *testing.T) {
			a, ca := generate(t, c, 5000, 42)
			b, cb := generate(t, c, 5000, 42)
			other, _ := generate(t, c, 5000, 43)
			ha, hb, ho := treeHash(t, a), treeHash(t, b), treeHash(t, other)
			if ha != hb {
				t.Errorf("same seed, different output: %s vs %s", ha, hb)
			}
			if ca != cb {
				t.Errorf("same seed, different counts: %+v vs %+v", ca, cb)
			}
			if ha == ho {
				t.Errorf("seeds 42 and 43 gave identical output")
			}
		})
	}
}

func TestGenerate_Counts(t *testing.T) {
	const n = 20000
	for _, c := range genCases {
		t.Run(c.name, func(t *testing.T) {
			out, got := generate(t, c, n, 7)
			var re recount
			switch c.opts.Format {
			case FormatSlack:
				re = recountSlack(t, out, c.opts.Zip)
			case FormatDiscord:
				re = recountDiscord(t, out)
			case FormatReddit:
				re = recountReddit(t, out, c.opts.Zstd)
			}
			want := re.Counts
			want.Format = got.Format
			want.Members = got.Members // not every member appears in every format's files
			if c.opts.Format == FormatSlack && re.Counts.Members != got.Members {
				t.Errorf("users.json has %d users, counts say %d", re.Counts.Members, got.Members)
			}
			if got != want {
				t.Errorf("reported counts differ from the files:\nreported %+v\nrecount  %+v", got, want)
			}
			if records := got.Messages + got.Replies + got.BotMessages; records != n {
				t.Errorf("wrote %d message records, asked for %d", records, n)
			}
			checkShape(t, c.opts.Format, got, re.perAuthor)
		})
	}
}

// checkShape asserts the distribution the benchmarks rely on.
func checkShape(t *testing.T, format string, c Counts, perAuthor map[string]int) {
	t.Helper()
	var counts []int
	total := 0
	for _, k := range perAuthor {
		counts = append(counts, k)
		total += k
	}
	sort.Sort(sort.Reverse(sort.IntSlice(counts)))
	top := 0
	for _, k := range counts[:max(1, len(counts)/10)] {
		top += k
	}
	if share := float64(top) / float64(total); share <= 0.5 {
		t.Errorf("top 10%% of %d authors wrote %.0f%% of messages, want > 50%%", len(counts), 100*share)
	}
	if c.Members < 20 || c.Members < 20000/membersPerMsg {
		t.Errorf("members = %d, want about messages/50 and at least 20", c.Members)
	}
	all := float64(c.Messages + c.Replies + c.BotMessages)
	inRange := func(what string, v, lo, hi float64) {
		if v < lo || v > hi {
			t.Errorf("%s = %.3f, want within [%.3f, %.3f]", what, v, lo, hi)
		}
	}
	if format == FormatReddit {
		inRange("post share", float64(c.Messages)/all, 0.15, 0.25)
		inRange("deleted author share", float64(c.DeletedAuthors)/all, 0.01, 0.05)
		return
	}
	inRange("reply share", float64(c.Replies)/all, 0.10, 0.20)
	inRange("reactions per message", float64(c.Reactions)/all, 0.2, 0.4)
	inRange("bot share", float64(c.BotMessages)/all, 0.005, 0.02)
	inRange("joins per member", float64(c.Joins)/float64(c.Members), 0.5, 4)
	if c.Files == 0 {
		t.Errorf("no files written")
	}
}

// recount is what the test reads back from the written files.
type recount struct {
	Counts
	perAuthor map[string]int
}

func (r *recount) author(id string) {
	if r.perAuthor == nil {
		r.perAuthor = map[string]int{}
	}
	if r.perAuthor[id] == 0 {
		r.Authors++
	}
	r.perAuthor[id]++
}

func (r *recount) reactions(pairs map[[2]string]bool) { r.Reactions += len(pairs) }

type slackMsgIn struct {
	Type         string `json:"type"`
	Subtype      string `json:"subtype"`
	User         string `json:"user"`
	BotID        string `json:"bot_id"`
	TS           string `json:"ts"`
	ThreadTS     string `json:"thread_ts"`
	ReplyCount   int    `json:"reply_count"`
	ParentUserID string `json:"parent_user_id"`
	Files        []struct {
		ID string `json:"id"`
	} `json:"files"`
	Reactions []struct {
		Name  string   `json:"name"`
		Users []string `json:"users"`
		Count int      `json:"count"`
	} `json:"reactions"`
}

var dayFile = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}\.json$`)

func recountSlack(t *testing.T, out string, isZip bool) recount {
	t.Helper()
	var fsys fs.FS = os.DirFS(out)
	if isZip {
		zr, err := zip.OpenReader(out)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		fsys = zr
	}
	decode := func(name string, v any) {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	var users []struct {
		ID       string  `json:"id"`
		Deleted  bool    `json:"deleted"`
		RealName *string `json:"real_name"`
		TZ       *string `json:"tz"`
		IsBot    bool    `json:"is_bot"`
		Profile  struct {
			Email string `json:"email"`
		} `json:"profile"`
	}
	decode("users.json", &users)
	var re recount
	re.Members = len(users)
	bots := map[string]bool{}
	nDeleted, nGmail := 0, 0
	for _, u := range users {
		if u.IsBot {
			bots[u.ID] = true
		}
		if u.Deleted {
			nDeleted++
			if u.RealName != nil || u.TZ != nil {
				t.Errorf("deleted user %s has real_name or tz", u.ID)
			}
		}
		if strings.HasSuffix(u.Profile.Email, "@gmail.com") {
			nGmail++
		}
	}
	if len(bots) == 0 || nDeleted == 0 || nGmail < 4 {
		t.Errorf("users.json: %d bots, %d deleted, %d gmail addresses; want some of each", len(bots), nDeleted, nGmail)
	}
	var channels []struct {
		Name string `json:"name"`
	}
	decode("channels.json", &channels)
	listed := map[string]bool{}
	for _, c := range channels {
		listed[c.Name] = true
	}
	folders := map[string][]string{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != "." {
			folders[p] = nil
		} else if dir := path.Dir(p); dir != "." {
			if !dayFile.MatchString(path.Base(p)) {
				t.Errorf("%s: not a day file name", p)
			}
			folders[dir] = append(folders[dir], path.Base(p))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	re.Channels = len(folders)
	unlisted := 0
	for dir, days := range folders {
		if !listed[dir] {
			unlisted++
		}
		sort.Strings(days)
		seen := map[string]bool{}
		parents := map[string]int{} // thread root ts -> reply_count
		replies := map[string]int{}
		last := ""
		for _, day := range days {
			var msgs []slackMsgIn
			decode(dir+"/"+day, &msgs)
			for _, m := range msgs {
				if m.TS <= last {
					t.Fatalf("%s/%s: ts %s not after %s", dir, day, m.TS, last)
				}
				last = m.TS
				if seen[m.TS] {
					t.Fatalf("%s: duplicate ts %s", dir, m.TS)
				}
				seen[m.TS] = true
				sec, _ := strconv.ParseInt(m.TS[:strings.IndexByte(m.TS, '.')], 10, 64)
				if d := time.Unix(sec, 0).UTC().Format("2006-01-02") + ".json"; d != day {
					t.Fatalf("%s/%s: ts %s is on %s", dir, day, m.TS, d)
				}
				re.slackMessage(t, m, bots, parents, replies)
			}
		}
		for root, n := range replies {
			if parents[root] != n {
				t.Errorf("%s: thread %s has %d replies, parent says reply_count %d", dir, root, n, parents[root])
			}
		}
	}
	if unlisted != 1 {
		t.Errorf("%d channel folders missing from channels.json, want 1", unlisted)
	}
	re.total()
	return re
}

func (re *recount) slackMessage(t *testing.T, m slackMsgIn, bots map[string]bool, parents, replies map[string]int) {
	switch m.Subtype {
	case "channel_join":
		re.Joins++
		return
	case "channel_leave":
		re.Leaves++
		return
	}
	if m.Subtype == "bot_message" || m.BotID != "" || bots[m.User] {
		if m.Subtype == "bot_message" && m.User != "" {
			t.Errorf("bot_message %s has a user", m.TS)
		}
		re.BotMessages++
		return
	}
	if m.ThreadTS != "" && m.ThreadTS != m.TS {
		if _, ok := parents[m.ThreadTS]; !ok {
			t.Errorf("reply %s: thread parent %s not seen before it", m.TS, m.ThreadTS)
		}
		replies[m.ThreadTS]++
		re.Replies++
	} else {
		if m.ThreadTS == m.TS {
			parents[m.TS] = m.ReplyCount
		}
		re.Messages++
	}
	re.author(m.User)
	re.Files += len(m.Files)
	pairs := map[[2]string]bool{}
	for _, r := range m.Reactions {
		if r.Count != len(r.Users) {
			t.Errorf("message %s: reaction %s count %d with %d users", m.TS, r.Name, r.Count, len(r.Users))
		}
		for _, u := range r.Users {
			pairs[[2]string{u, ingest.BaseEmoji(r.Name)}] = true
		}
	}
	re.reactions(pairs)
}

func recountDiscord(t *testing.T, out string) recount {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(out, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var re recount
	re.Channels = len(files)
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Channel struct {
				ID string `json:"id"`
			} `json:"channel"`
			Messages []struct {
				ID        string `json:"id"`
				Type      string `json:"type"`
				Timestamp string `json:"timestamp"`
				Author    struct {
					ID    string `json:"id"`
					IsBot bool   `json:"isBot"`
				} `json:"author"`
				Attachments []struct{ ID string } `json:"attachments"`
				Reactions   []struct {
					Emoji struct {
						Name string `json:"name"`
					} `json:"emoji"`
					Count int                   `json:"count"`
					Users []struct{ ID string } `json:"users"`
				} `json:"reactions"`
				Reference *struct {
					MessageID string `json:"messageId"`
				} `json:"reference"`
			} `json:"messages"`
			MessageCount int `json:"messageCount"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if doc.MessageCount != len(doc.Messages) {
			t.Errorf("%s: messageCount %d, %d messages", f, doc.MessageCount, len(doc.Messages))
		}
		var last time.Time
		for _, m := range doc.Messages {
			if seen[m.ID] {
				re.Duplicates++
				continue
			}
			seen[m.ID] = true
			ts, err := time.Parse(time.RFC3339Nano, m.Timestamp)
			if err != nil || !strings.HasSuffix(m.Timestamp, "+02:00") {
				t.Fatalf("%s: message %s: timestamp %q (%v), want a +02:00 offset", f, m.ID, m.Timestamp, err)
			}
			if !ts.After(last) {
				t.Errorf("%s: message %s at %s not after %s", f, m.ID, ts, last)
			}
			last = ts
			switch {
			case m.Type == "GuildMemberJoin":
				re.Joins++
				continue
			case m.Author.IsBot:
				re.BotMessages++
				continue
			case m.Type == "Reply":
				if m.Reference == nil || !seen[m.Reference.MessageID] {
					t.Errorf("%s: reply %s references a message not seen before it", f, m.ID)
				}
				re.Replies++
			case m.Type == "Default":
				re.Messages++
			default:
				t.Errorf("%s: message %s has type %q", f, m.ID, m.Type)
			}
			re.author(m.Author.ID)
			re.Files += len(m.Attachments)
			pairs := map[[2]string]bool{}
			for _, r := range m.Reactions {
				if r.Count != len(r.Users) {
					t.Errorf("message %s: reaction count %d with %d users", m.ID, r.Count, len(r.Users))
				}
				for _, u := range r.Users {
					pairs[[2]string{u.ID, ingest.BaseEmoji(r.Emoji.Name)}] = true
				}
			}
			re.reactions(pairs)
		}
	}
	if re.Duplicates == 0 {
		t.Errorf("no duplicated message id; DiscordChatExporter exports have a few")
	}
	re.total()
	return re
}

func recountReddit(t *testing.T, out string, isZstd bool) recount {
	t.Helper()
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if isZstd {
		zr, err := zstd.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		r = zr
	}
	var re recount
	ids := map[string]bool{}
	subs := map[string]bool{}
	timeKinds := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		var rec struct {
			Author     string          `json:"author"`
			Name       string          `json:"name"`
			ParentID   string          `json:"parent_id"`
			LinkID     string          `json:"link_id"`
			Subreddit  string          `json:"subreddit"`
			CreatedUTC json.RawMessage `json:"created_utc"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		subs[rec.Subreddit] = true
		switch c := rec.CreatedUTC; {
		case c[0] == '"':
			timeKinds["string"]++
		case strings.Contains(string(c), "."):
			timeKinds["float"]++
		default:
			timeKinds["int"]++
		}
		switch {
		case strings.HasPrefix(rec.Name, "t3_"):
			re.Messages++
		case strings.HasPrefix(rec.Name, "t1_"):
			if !ids[rec.ParentID] || !ids[rec.LinkID] || !strings.HasPrefix(rec.LinkID, "t3_") {
				t.Errorf("line %d: parent %s or link %s not seen before", line, rec.ParentID, rec.LinkID)
			}
			re.Replies++
		default:
			t.Fatalf("line %d: name %q", line, rec.Name)
		}
		ids[rec.Name] = true
		if rec.Author == "[deleted]" {
			re.DeletedAuthors++
		} else {
			re.author(rec.Author)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(timeKinds) != 3 {
		t.Errorf("created_utc kinds %v, want int, float and string", timeKinds)
	}
	re.Channels = len(subs)
	re.total()
	return re
}

// TestGenerate_Memory checks that memory stays flat: the peak heap while
// writing 200k Slack messages stays within a few MB of that for 20k.
func TestGenerate_Memory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 200k messages")
	}
	// A low GC target keeps the heap near what is live, so the figures
	// measure what the generator holds, not when the collector ran.
	defer debug.SetGCPercent(debug.SetGCPercent(20))
	peak := func(n int) uint64 {
		runtime.GC()
		var mu sync.Mutex
		var max uint64
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ms runtime.MemStats
			for {
				runtime.ReadMemStats(&ms)
				mu.Lock()
				if ms.HeapInuse > max {
					max = ms.HeapInuse
				}
				mu.Unlock()
				select {
				case <-done:
					return
				case <-time.After(5 * time.Millisecond):
				}
			}
		}()
		generate(t, genCases[0], n, 1)
		close(done)
		wg.Wait()
		return max
	}
	small, large := peak(20000), peak(200000)
	t.Logf("peak heap in use: %d KiB at 20k, %d KiB at 200k", small>>10, large>>10)
	if large > 48<<20 {
		t.Errorf("peak heap %d MiB at 200k messages, want under 48 MiB", large>>20)
	}
	if large > 2*small+8<<20 {
		t.Errorf("peak heap grew from %d KiB to %d KiB between 20k and 200k messages", small>>10, large>>10)
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, c := range []genCase{genCases[0], genCases[2], genCases[3]} {
		for _, n := range []int{10000, 100000} {
			b.Run(c.name+"/"+strconv.Itoa(n), func(b *testing.B) {
				dir := b.TempDir()
				for i := 0; b.Loop(); i++ {
					o := c.opts
					o.Messages, o.Seed = n, 1
					o.Out = filepath.Join(dir, strconv.Itoa(i), c.out)
					if _, err := Generate(o); err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					os.RemoveAll(filepath.Join(dir, strconv.Itoa(i)))
					b.StartTimer()
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			})
		}
	}
}
