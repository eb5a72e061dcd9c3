package reddit

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/ingest"
)

// record is one line of a dump: a submission or a comment. It is decoded
// into a typed struct (not a map) because a dump holds billions of lines,
// and only the fields Coterie keeps are decoded (see record.set for the
// JSON member each field comes from).
type record struct {
	ID            string
	Name          string
	Author        string
	Body          *string
	Title         *string
	Selftext      string
	ParentID      string
	LinkID        string
	Subreddit     string
	SubredditID   string
	CreatedUTC    flexTime
	Edited        flexEdit
	Permalink     string
	URL           string
	Score         flexInt
	Distinguished string
}

// unmarshal decodes data into r.
func (r *record) unmarshal(data []byte) error {
	if len(data) == 0 || data[0] != '{' {
		return fmt.Errorf("not a JSON object: %q", ingest.Excerpt(string(data), 40))
	}
	return scanObject(data, r.set)
}

// set decodes one top-level member, if it is one Coterie keeps. As with
// encoding/json, a later duplicate key wins.
func (r *record) set(key []byte, escaped bool, v []byte) error {
	if escaped {
		k, err := unescape(key)
		if err != nil {
			return err
		}
		key = []byte(k)
	}
	var err error
	switch string(key) { // a switch on string(key) does not allocate
	case "id":
		r.ID, err = str("id", v, false)
	case "name":
		r.Name, err = str("name", v, true)
	case "author":
		r.Author, err = str("author", v, true)
	case "body":
		r.Body, err = optStr("body", v)
	case "title":
		r.Title, err = optStr("title", v)
	case "selftext":
		r.Selftext, err = str("selftext", v, true)
	case "parent_id":
		r.ParentID, err = str("parent_id", v, true)
	case "link_id":
		r.LinkID, err = str("link_id", v, true)
	case "subreddit":
		r.Subreddit, err = str("subreddit", v, true)
	case "subreddit_id":
		r.SubredditID, err = str("subreddit_id", v, true)
	case "created_utc":
		err = r.CreatedUTC.UnmarshalJSON(v)
	case "edited":
		err = r.Edited.UnmarshalJSON(v)
	case "permalink":
		r.Permalink, err = str("permalink", v, true)
	case "url":
		r.URL, err = str("url", v, true)
	case "score":
		err = r.Score.UnmarshalJSON(v)
	case "distinguished":
		r.Distinguished, err = str("distinguished", v, true)
	}
	return err
}

// str decodes a string member; null is allowed where nullable.
func str(key string, v []byte, nullable bool) (string, error) {
	s, isNull, err := jsonString(v)
	if err != nil || (isNull && !nullable) {
		if err == nil {
			err = fmt.Errorf("want a string, got null")
		}
		return "", fmt.Errorf("%s: %w", key, err)
	}
	return s, nil
}

// optStr decodes a member whose presence matters (body, title).
func optStr(key string, v []byte) (*string, error) {
	s, isNull, err := jsonString(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	if isNull {
		return nil, nil
	}
	return &s, nil
}

// gone reports whether a body or an author name is Reddit's placeholder for
// deleted or moderator-removed content.
func gone(s string) bool { return s == "[deleted]" || s == "[removed]" }

// activity turns a decoded record into its activity and subreddit.
func (r *record) activity() (ingest.Activity, ingest.Channel, error) {
	isPost := r.Title != nil || strings.HasPrefix(r.Name, "t3_")
	isComment := !isPost && (r.Body != nil || r.ParentID != "" || r.LinkID != "" || strings.HasPrefix(r.Name, "t1_"))
	if !isPost && !isComment {
		return ingest.Activity{}, ingest.Channel{}, errNoKind
	}
	id := r.ID
	if id == "" && len(r.Name) > 3 {
		id = r.Name[3:]
	}
	if id == "" {
		return ingest.Activity{}, ingest.Channel{}, errors.New("record has no id")
	}
	if !r.CreatedUTC.set {
		return ingest.Activity{}, ingest.Channel{}, errors.New("record has no created_utc")
	}

	ch := r.channel()
	a := ingest.Activity{
		ChannelID:  ch.ExternalID,
		OccurredAt: r.CreatedUTC.t,
		Author:     author(r.Author),
		IsEdited:   r.Edited.edited,
	}
	attrs := make(map[string]any, 3)
	if r.Score.set {
		attrs["score"] = r.Score.n
	}
	if r.Distinguished != "" {
		// "moderator" or "admin": the community's own voice.
		attrs["distinguished"] = r.Distinguished
	}
	if isPost {
		a.ExternalID = fullName("t3_", id)
		a.Kind = coterie.KindPost
		a.Body = *orEmpty(r.Title)
		switch {
		case gone(r.Selftext):
			attrs["removed"] = true
		case r.Selftext != "":
			a.Body += "\n\n" + r.Selftext
		}
		a.URL = r.permalink(id, "")
		if r.URL != "" && !strings.Contains(r.URL, "/comments/"+strings.TrimPrefix(id, "t3_")+"/") {
			// A link post: the link (an image, a video, an article) is
			// what was shared.
			a.Attachments = []ingest.Attachment{{URL: r.URL}}
		}
	} else {
		a.ExternalID = fullName("t1_", id)
		a.Kind = coterie.KindComment
		a.Body = *orEmpty(r.Body)
		if gone(a.Body) {
			attrs["removed"] = true
		}
		// parent_id is t3_ for a top-level comment and t1_ for a
		// nested one: both are full names, as are the ExternalIDs.
		a.ParentID = r.ParentID
		a.ThreadRootID = r.LinkID
		a.URL = r.permalink(strings.TrimPrefix(r.LinkID, "t3_"), id)
	}
	a.Attributes = attrs
	return a, ch, nil
}

var empty = ""

func orEmpty(s *string) *string {
	if s == nil {
		return &empty
	}
	return s
}

// fullName prefixes a base-36 id with its kind, unless the dump already
// did.
func fullName(prefix, id string) string {
	if strings.HasPrefix(id, prefix) {
		return id
	}
	return prefix + id
}

// channel is the record's subreddit: known by its t5_ id when the dump has
// it, else by its lowercased name (subreddit names are case-insensitive).
func (r *record) channel() ingest.Channel {
	id := r.SubredditID
	if id == "" && r.Subreddit != "" {
		id = "r/" + strings.ToLower(r.Subreddit)
	}
	if id == "" {
		return ingest.Channel{}
	}
	return ingest.Channel{ExternalID: id, Name: r.Subreddit, Kind: "subreddit"}
}

// permalink is the record's reddit.com URL: the dump's permalink when it
// has one (old dumps do not), else one built from the ids.
func (r *record) permalink(postID, commentID string) string {
	switch {
	case strings.HasPrefix(r.Permalink, "/"):
		return "https://www.reddit.com" + r.Permalink
	case r.Permalink != "":
		return r.Permalink
	case r.Subreddit == "" || postID == "":
		return ""
	case commentID == "":
		return "https://www.reddit.com/r/" + r.Subreddit + "/comments/" + strings.TrimPrefix(postID, "t3_") + "/"
	default:
		// Reddit resolves any slug, "_" included.
		return "https://www.reddit.com/r/" + r.Subreddit + "/comments/" + postID + "/_/" + strings.TrimPrefix(commentID, "t1_") + "/"
	}
}

// author is the record's author. Reddit replaces a deleted account's name
// with "[deleted]" (or "[removed]"): the author is then unknown.
func author(name string) ingest.Person {
	if name == "" || gone(name) {
		return ingest.Person{}
	}
	return ingest.Person{
		ID:         name,
		Username:   name,
		ProfileURL: "https://www.reddit.com/user/" + name,
		// AutoModerator is Reddit's built-in moderation bot, present in
		// every subreddit.
		IsBot: name == "AutoModerator",
	}
}

// flexTime decodes an epoch given as an int, a float or a string of either.
type flexTime struct {
	t   time.Time
	set bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexTime) UnmarshalJSON(b []byte) error {
	b = unquote(b)
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	t, err := parseEpoch(b)
	if err != nil {
		return fmt.Errorf("created_utc: %w", err)
	}
	f.t, f.set = t, true
	return nil
}

// flexEdit decodes edited: false, true, or the epoch of the last edit (an
// int, a float or a string); any other value counts as edited.
type flexEdit struct {
	edited bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexEdit) UnmarshalJSON(b []byte) error {
	b = unquote(b)
	switch string(b) {
	case "", "null", "false", "0":
		f.edited = false
	case "true":
		f.edited = true
	default:
		// Only whether the record was edited is kept, so a value that is
		// not an epoch (seen in hand-made or converted dumps) is taken for
		// "edited" rather than failing the whole file over one flag.
		t, err := parseEpoch(b)
		f.edited = err != nil || t.Unix() > 0
	}
	return nil
}

// flexInt decodes a count given as an int, a float or a string.
type flexInt struct {
	n   int64
	set bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexInt) UnmarshalJSON(b []byte) error {
	b = unquote(b)
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		f.n, f.set = n, true
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		// A score Coterie cannot read is not worth failing the file for.
		return nil
	}
	f.n, f.set = int64(v), true
	return nil
}

func unquote(b []byte) []byte {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		return bytes.TrimSpace(b[1 : len(b)-1])
	}
	return b
}

// parseEpoch parses Unix seconds written as an integer ("1134365188"), a
// decimal ("1706745600.0") or in exponent form, keeping sub-second digits
// exactly rather than through a float.
func parseEpoch(b []byte) (time.Time, error) {
	s := string(b)
	sec, frac, hasFrac := strings.Cut(s, ".")
	if n, err := strconv.ParseInt(sec, 10, 64); err == nil && (!hasFrac || allDigits(frac)) {
		var ns int64
		if hasFrac {
			if len(frac) > 9 {
				frac = frac[:9]
			}
			if frac != "" {
				ns, _ = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
			}
		}
		if n < 0 {
			ns = -ns
		}
		return time.Unix(n, ns).UTC(), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e15 {
		return time.Time{}, fmt.Errorf("not an epoch: %q", ingest.Excerpt(s, 40))
	}
	whole, f := math.Modf(v)
	return time.Unix(int64(whole), int64(f*1e9)).UTC(), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
