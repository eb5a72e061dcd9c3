package gen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
)

var subreddits = []struct {
	name, id string
	weight   int
}{
	{"CoterieDemo", "t5_2qlqp", 80}, {"CoterieDemoHelp", "t5_7x1k2", 20},
}

// redditSubmission and redditComment keep Pushshift's alphabetical key
// order. created_utc and edited are raw because their JSON type drifts.
type redditSubmission struct {
	Author         string          `json:"author"`
	AuthorFullname string          `json:"author_fullname,omitempty"`
	CreatedUTC     json.RawMessage `json:"created_utc"`
	Domain         string          `json:"domain"`
	Edited         json.RawMessage `json:"edited"`
	ID             string          `json:"id"`
	IsSelf         bool            `json:"is_self"`
	Name           string          `json:"name"`
	NumComments    int             `json:"num_comments"`
	Permalink      string          `json:"permalink"`
	RetrievedOn    int64           `json:"retrieved_on"`
	Score          int             `json:"score"`
	Selftext       string          `json:"selftext"`
	Subreddit      string          `json:"subreddit"`
	SubredditID    string          `json:"subreddit_id"`
	Title          string          `json:"title"`
	URL            string          `json:"url"`
}

type redditComment struct {
	Author         string          `json:"author"`
	AuthorFullname string          `json:"author_fullname,omitempty"`
	Body           string          `json:"body"`
	CreatedUTC     json.RawMessage `json:"created_utc"`
	Edited         json.RawMessage `json:"edited"`
	ID             string          `json:"id"`
	LinkID         string          `json:"link_id"`
	Name           string          `json:"name"`
	ParentID       string          `json:"parent_id"`
	Permalink      string          `json:"permalink"`
	RetrievedOn    int64           `json:"retrieved_on"`
	Score          int             `json:"score"`
	Subreddit      string          `json:"subreddit"`
	SubredditID    string          `json:"subreddit_id"`
}

// redditName is member m's Reddit username (no dots on Reddit).
func redditName(m int) string { return strings.ReplaceAll(username(m), ".", "_") }

const redditPostShare = 0.2

var redditStyle = textStyle{
	mention: func(b []byte, m int) []byte { return append(append(b, "u/"...), redditName(m)...) },
	link: func(b []byte, url, label string) []byte {
		return append(append(append(append(append(b, '['), label...), "]("...), url...), ')')
	},
}

type redditRef struct {
	id, link string
	sub      int
}

func genReddit(o Options) (c Counts, err error) {
	g := newWorld(o)
	c.Format = FormatReddit
	if dir := filepath.Dir(o.Out); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return Counts{}, err
		}
	}
	f, err := os.Create(o.Out)
	if err != nil {
		return Counts{}, err
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	bw := bufio.NewWriterSize(f, 256<<10)
	var w io.Writer = bw
	var zw *zstd.Encoder
	if o.Zstd {
		// One goroutine: deterministic and polite on a shared machine.
		zw, err = zstd.NewWriter(bw, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedDefault))
		if err != nil {
			return Counts{}, err
		}
		w = zw
	}
	var scratch bytes.Buffer
	enc := json.NewEncoder(&scratch)
	enc.SetEscapeHTML(false)
	var text []byte
	var posts [32]redditRef
	var comments [128]redditRef
	nposts, ncomments := 0, 0
	weights := []int{subreddits[0].weight, subreddits[1].weight}
	gap := float64(spanSeconds) / float64(o.Messages+1)
	for i := 0; i < o.Messages; i++ {
		sec := int64((float64(i) + g.r.Float64()) * gap)
		id := strconv.FormatUint(uint64(i)+2_000_000_000, 36)
		author, fullname := "[deleted]", ""
		deleted := g.chance(deletedShare)
		a := -1
		if deleted {
			c.DeletedAuthors++
		} else {
			a = g.author()
			g.wrote(a)
			author = redditName(a)
			fullname = "t2_" + strconv.FormatUint(uint64(a)+36*36*36*36*36, 36)
		}
		created := redditTime(g, unixOf(sec), i, o.Messages)
		edited := json.RawMessage("false")
		if g.chance(editedShare) {
			edited = json.RawMessage(strconv.FormatInt(unixOf(sec)+60+g.r.Int64N(86400), 10))
		}
		t, _ := g.text(text, redditStyle)
		text = t
		body := string(t)
		if deleted && g.chance(0.5) {
			body = "[deleted]"
		}
		scratch.Reset()
		if nposts == 0 || g.chance(redditPostShare) {
			c.Messages++
			sub := 0
			if g.r.IntN(weights[0]+weights[1]) >= weights[0] {
				sub = 1
			}
			s := subreddits[sub]
			title := body
			if len(title) > 80 {
				title = cutRunes(title, 80)
			}
			permalink := "/r/" + s.name + "/comments/" + id + "/post/"
			err = enc.Encode(&redditSubmission{
				Author: author, AuthorFullname: fullname, CreatedUTC: created, Domain: "self." + s.name,
				Edited: edited, ID: id, IsSelf: true, Name: "t3_" + id, Permalink: permalink,
				RetrievedOn: unixOf(sec) + 30, Score: 1 + g.r.IntN(50), Selftext: body,
				Subreddit: s.name, SubredditID: s.id, Title: title, URL: "https://www.reddit.com" + permalink,
			})
			posts[nposts%len(posts)] = redditRef{id: "t3_" + id, link: "t3_" + id, sub: sub}
			nposts++
		} else {
			c.Replies++
			var p redditRef
			if ncomments > 0 && g.chance(0.5) {
				p = comments[g.r.IntN(min(ncomments, len(comments)))]
			} else {
				p = posts[g.r.IntN(min(nposts, len(posts)))]
			}
			s := subreddits[p.sub]
			err = enc.Encode(&redditComment{
				Author: author, AuthorFullname: fullname, Body: body, CreatedUTC: created, Edited: edited,
				ID: id, LinkID: p.link, Name: "t1_" + id, ParentID: p.id,
				Permalink:   "/r/" + s.name + "/comments/" + strings.TrimPrefix(p.link, "t3_") + "/post/" + id + "/",
				RetrievedOn: unixOf(sec) + 30, Score: g.r.IntN(20) - 2, Subreddit: s.name, SubredditID: s.id,
			})
			comments[ncomments%len(comments)] = redditRef{id: "t1_" + id, link: p.link, sub: p.sub}
			ncomments++
		}
		if err != nil {
			return Counts{}, err
		}
		if _, err := w.Write(scratch.Bytes()); err != nil {
			return Counts{}, err
		}
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return Counts{}, err
		}
	}
	if err := bw.Flush(); err != nil {
		return Counts{}, err
	}
	c.Authors = g.nauth
	c.Members = g.members
	c.Channels = len(subreddits)
	c.total()
	return c, nil
}

// redditTime renders created_utc as the archive eras did: an int early on,
// then a float, then a string, with some drift between them.
func redditTime(g *world, unix int64, i, n int) json.RawMessage {
	era := 3 * i / max(n, 1)
	if g.chance(0.1) {
		era = g.r.IntN(3)
	}
	s := strconv.FormatInt(unix, 10)
	switch era {
	case 0:
		return json.RawMessage(s)
	case 1:
		return json.RawMessage(s + ".0")
	}
	return json.RawMessage(`"` + s + `"`)
}

// cutRunes cuts s to at most n bytes at a rune boundary.
func cutRunes(s string, n int) string {
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
