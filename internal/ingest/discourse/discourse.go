// Package discourse reads Discourse topic JSON, the document a forum serves
// at /t/{id}.json: one file, or a folder of such files.
package discourse

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/ingest"
)

// New returns the "discourse" format.
func New() ingest.Format { return format{} }

type format struct{}

func (format) Name() string               { return "discourse" }
func (format) Platform() coterie.Platform { return coterie.PlatformDiscourse }

// Read reads one topic JSON file, or every *.json file under a folder; each
// file is one file unit.
func (format) Read(ctx context.Context, path string, sink ingest.Sink) error {
	files, err := ingest.Files(path, ".json")
	if err != nil {
		return err
	}
	for _, p := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := readFile(p, sink); err != nil {
			return err
		}
	}
	return nil
}

func readFile(p string, sink ingest.Sink) error {
	if err := sink.BeginFile(p); err != nil {
		return err
	}
	f, err := os.Open(p)
	if err != nil {
		return sink.EndFile(&ingest.FileError{File: p, Message: err.Error()})
	}
	defer f.Close()
	perr := Parse(f, p, sink)
	var fe *ingest.FileError
	switch {
	case perr == nil:
		return sink.EndFile(nil)
	case errors.As(perr, &fe):
		return sink.EndFile(fe)
	default:
		return perr
	}
}

// topic is the part of /t/{id}.json that is imported.
type topic struct {
	ID         int64  `json:"id"`
	Title      string `json:"title"`
	Slug       string `json:"slug"`
	CategoryID *int64 `json:"category_id"`
	Archetype  string `json:"archetype"`
	PostStream *struct {
		// Posts are decoded one by one, to place errors at their offset.
		Posts  []json.RawMessage `json:"posts"`
		Stream []int64           `json:"stream"`
	} `json:"post_stream"`
	Details struct {
		Category  *category `json:"category"`
		CreatedBy *struct {
			ID int64 `json:"id"`
		} `json:"created_by"`
		Participants []struct {
			ID       int64  `json:"id"`
			Username string `json:"username"`
		} `json:"participants"`
	} `json:"details"`
	Category *category `json:"category"`
}

type category struct {
	Name string `json:"name"`
}

// post is one entry of post_stream.posts.
type post struct {
	ID                int64   `json:"id"`
	Username          string  `json:"username"`
	Name              string  `json:"name"`
	AvatarTemplate    string  `json:"avatar_template"`
	CreatedAt         string  `json:"created_at"`
	UpdatedAt         string  `json:"updated_at"`
	Cooked            string  `json:"cooked"`
	Raw               string  `json:"raw"`
	PostNumber        int     `json:"post_number"`
	PostType          int     `json:"post_type"`
	ReplyToPostNumber *int    `json:"reply_to_post_number"`
	UserID            *int64  `json:"user_id"`
	TrustLevel        *int    `json:"trust_level"`
	Moderator         bool    `json:"moderator"`
	Admin             bool    `json:"admin"`
	Staff             bool    `json:"staff"`
	DeletedAt         *string `json:"deleted_at"`
	UserDeleted       bool    `json:"user_deleted"`
	Hidden            bool    `json:"hidden"`
	Version           int     `json:"version"`
	Wiki              bool    `json:"wiki"`
	AcceptedAnswer    bool    `json:"accepted_answer"`
	ActionsSummary    []struct {
		ID    int `json:"id"`
		Count int `json:"count"`
	} `json:"actions_summary"`
	LinkCounts []struct {
		URL string `json:"url"`
	} `json:"link_counts"`
	// Reactions is added by the discourse-reactions plugin: counts only.
	Reactions []struct {
		ID    string `json:"id"`
		Count int    `json:"count"`
	} `json:"reactions"`
	ReplyToUser *struct {
		Username string `json:"username"`
	} `json:"reply_to_user"`

	offset int64
	at     time.Time
}

// Post types.
const (
	postRegular         = 1
	postModeratorAction = 2
	postSmallAction     = 3
	postWhisper         = 4
)

// likeAction is the actions_summary id of a like.
const likeAction = 2

// editGrace is Discourse's default editing grace period: edits within it
// after posting do not make a new version, so only a later update counts as
// an edit when the post has no version field.
const editGrace = 5 * time.Minute

// Parse reads one topic JSON document from r and reports its category,
// authors and posts to sink (the caller brackets it with BeginFile and
// EndFile). It returns a *ingest.FileError, with a byte offset, when the
// document is damaged, and the sink's error when the sink fails.
//
// The first post is a "post" and every other post a "comment" whose parent
// is the post it replies to (reply_to_post_number) or the first post.
// External ids are "post/<id>": post ids are unique in a forum.
func Parse(r io.Reader, file string, sink ingest.Sink) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return &ingest.FileError{File: file, Message: err.Error()}
	}
	var t topic
	if err := json.Unmarshal(data, &t); err != nil {
		return jsonError(file, 0, err)
	}
	if t.PostStream == nil {
		return ingest.AtOffset(file, 0, "not a Discourse topic: no post_stream (save the topic from /t/{id}.json)")
	}

	posts := make([]*post, 0, len(t.PostStream.Posts))
	from := 0
	for _, raw := range t.PostStream.Posts {
		// The raw bytes are a verbatim copy of the document's, so searching
		// from the previous post finds this post's offset.
		off := from
		if k := bytes.Index(data[from:], raw); k >= 0 {
			off = from + k
			from = off + len(raw)
		}
		p := &post{offset: int64(off)}
		if err := json.Unmarshal(raw, p); err != nil {
			return jsonError(file, int64(off), err)
		}
		if p.ID == 0 {
			return ingest.AtOffset(file, p.offset, "post without an id")
		}
		at, err := time.Parse(time.RFC3339Nano, p.CreatedAt)
		if err != nil {
			return ingest.AtOffset(file, p.offset, "post %d: created_at %q is not an RFC 3339 time", p.ID, p.CreatedAt)
		}
		p.at = at.UTC()
		posts = append(posts, p)
	}

	byNumber := make(map[int]*post, len(posts))
	userIDs := map[string]string{} // username -> user id, for replies to posts on other pages
	for _, u := range t.Details.Participants {
		userIDs[u.Username] = strconv.FormatInt(u.ID, 10)
	}
	var root int64
	for _, p := range posts {
		byNumber[p.PostNumber] = p
		if p.UserID != nil && p.Username != "" {
			userIDs[p.Username] = strconv.FormatInt(*p.UserID, 10)
		}
		if p.PostNumber == 1 {
			root = p.ID
		}
	}
	if root == 0 && len(t.PostStream.Stream) > 0 {
		// A later page of a long topic lacks the first post; the stream
		// lists every post id in order.
		root = t.PostStream.Stream[0]
	}

	channelID := ""
	switch {
	case t.CategoryID != nil:
		channelID = "category/" + strconv.FormatInt(*t.CategoryID, 10)
		name := strconv.FormatInt(*t.CategoryID, 10)
		for _, c := range []*category{t.Details.Category, t.Category} {
			if c != nil && c.Name != "" {
				name = c.Name
				break
			}
		}
		if err := sink.Channel(ingest.Channel{ExternalID: channelID, Name: name, Kind: "category"}); err != nil {
			return err
		}
	case t.Archetype == "private_message":
		channelID = "private_messages"
		if err := sink.Channel(ingest.Channel{ExternalID: channelID, Name: "Private messages", Kind: "dm"}); err != nil {
			return err
		}
	}

	seen := map[string]bool{}
	for _, p := range posts {
		if p.PostType == postSmallAction || p.DeletedAt != nil && *p.DeletedAt != "" || p.UserDeleted {
			continue
		}
		a := ingest.Activity{
			ExternalID: postID(p.ID),
			Kind:       coterie.KindComment,
			ChannelID:  channelID,
			OccurredAt: p.at,
			Author:     author(p),
			Attributes: map[string]any{},
		}
		if t.ID != 0 {
			a.Attributes["topic_id"] = t.ID
			if t.Slug != "" {
				a.URL = fmt.Sprintf("/t/%s/%d/%d", t.Slug, t.ID, p.PostNumber)
			}
		}
		if p.PostNumber == 1 {
			a.Kind = coterie.KindPost
			if t.Title != "" {
				a.Attributes["topic_title"] = t.Title
			}
		} else {
			if root != 0 {
				a.ThreadRootID = postID(root)
				a.ParentID = postID(root)
			}
			parent := byNumber[1]
			if p.ReplyToPostNumber != nil && *p.ReplyToPostNumber != 1 {
				parent = byNumber[*p.ReplyToPostNumber]
				if parent == nil {
					// Replying to a post on another page of the topic: its id
					// is unknown, so the reply hangs from the first post.
					a.Attributes["reply_to_post_number"] = *p.ReplyToPostNumber
				}
			}
			switch {
			case parent != nil:
				a.ParentID = postID(parent.ID)
				a.ObjectAuthorID = author(parent).ID
			case p.ReplyToUser != nil:
				a.ObjectAuthorID = userIDs[p.ReplyToUser.Username]
			case (p.ReplyToPostNumber == nil || *p.ReplyToPostNumber == 1) && t.Details.CreatedBy != nil:
				a.ObjectAuthorID = strconv.FormatInt(t.Details.CreatedBy.ID, 10)
			}
		}
		fillBody(&a, p)
		a.IsEdited = edited(p)
		fillAttributes(&a, p)
		if a.Author.ID != "" && !seen[a.Author.ID] {
			seen[a.Author.ID] = true
			if err := sink.Person(a.Author); err != nil {
				return err
			}
		}
		if err := sink.Activity(a); err != nil {
			return err
		}
	}
	return nil
}

func postID(id int64) string { return "post/" + strconv.FormatInt(id, 10) }

// author builds the Person of a post's author. The id is the forum's user
// id; system (-1) and discobot (-2), the forum's own accounts, are bots.
func author(p *post) ingest.Person {
	who := ingest.Person{Username: p.Username, DisplayName: p.Name}
	switch {
	case p.UserID != nil:
		who.ID = strconv.FormatInt(*p.UserID, 10)
	default:
		who.ID = p.Username
	}
	if p.Username != "" {
		who.ProfileURL = "/u/" + p.Username
	}
	if p.AvatarTemplate != "" {
		who.AvatarURL = strings.ReplaceAll(p.AvatarTemplate, "{size}", "120")
	}
	who.IsBot = p.UserID != nil && *p.UserID <= 0 || p.Username == "system" || p.Username == "discobot"
	who.Attributes = map[string]any{}
	if p.TrustLevel != nil {
		who.Attributes["trust_level"] = *p.TrustLevel
	}
	if p.Staff || p.Admin || p.Moderator {
		who.Attributes["staff"] = true
	}
	if len(who.Attributes) == 0 {
		who.Attributes = nil
	}
	return who
}

// fillBody takes the Markdown source when the file has it (raw), else the
// rendered HTML (cooked) turned into plain text.
func fillBody(a *ingest.Activity, p *post) {
	c := plainText(p.Cooked)
	a.Body = c.Text
	if strings.TrimSpace(p.Raw) != "" {
		a.Body = p.Raw
	}
	if len(c.Mentions) > 0 {
		a.Attributes["mentions"] = c.Mentions
	}
	for _, u := range c.Attachments {
		a.Attachments = append(a.Attachments, ingest.Attachment{URL: u})
	}
}

// edited: a version above 1 means a revision was saved; without a version,
// an update after the grace period.
func edited(p *post) bool {
	if p.Version > 0 {
		return p.Version > 1
	}
	if p.UpdatedAt == "" {
		return false
	}
	up, err := time.Parse(time.RFC3339Nano, p.UpdatedAt)
	return err == nil && up.Sub(p.at) > editGrace
}

func fillAttributes(a *ingest.Activity, p *post) {
	for _, s := range p.ActionsSummary {
		if s.ID == likeAction && s.Count > 0 {
			a.Attributes["like_count"] = s.Count
		}
	}
	if len(p.Reactions) > 0 {
		counts := map[string]int{}
		for _, r := range p.Reactions {
			if r.Count > 0 {
				counts[r.ID] += r.Count
			}
		}
		if len(counts) > 0 {
			a.Attributes["reaction_counts"] = counts
		}
	}
	switch p.PostType {
	case postRegular, 0:
	case postWhisper:
		a.Attributes["whisper"] = true
	case postModeratorAction:
		a.Attributes["moderator_action"] = true
	default:
		// A post type newer than this parser: kept, and labelled.
		a.Attributes["post_type"] = p.PostType
	}
	if p.Hidden {
		a.Attributes["hidden"] = true
	}
	if p.AcceptedAnswer {
		a.Attributes["accepted_answer"] = true
	}
	if p.Wiki {
		a.Attributes["wiki"] = true
	}
	var links []string
	for _, l := range p.LinkCounts {
		if l.URL != "" {
			links = append(links, l.URL)
		}
	}
	if len(links) > 0 {
		a.Attributes["links"] = links
	}
}

// jsonError places a decoding error at its byte offset in the file; base is
// the offset of the decoded fragment.
func jsonError(file string, base int64, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return ingest.AtOffset(file, base+syn.Offset, "invalid JSON: %v", err)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the document"
		}
		return ingest.AtOffset(file, base+typ.Offset, "%s: expected %s, found %s", field, jsonKind(typ.Type), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return ingest.AtOffset(file, base, "truncated JSON")
	}
	return ingest.AtOffset(file, base, "%v", err)
}

// jsonKind names a Go type the way the JSON it expects is called.
func jsonKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}
