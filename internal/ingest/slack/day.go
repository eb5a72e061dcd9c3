package slack

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/ingest"
)

// slackbot is the id Slackbot posts under; it is not listed in users.json.
const slackbot = "USLACKBOT"

// tombstoneText is what Slack leaves of a deleted thread parent.
const tombstoneText = "This message was deleted."

// message is one element of a day file. Only the fields Coterie uses are
// decoded.
type message struct {
	Type         string `json:"type"`
	Subtype      string `json:"subtype"`
	User         string `json:"user"`
	Text         string `json:"text"`
	TS           string `json:"ts"`
	ThreadTS     string `json:"thread_ts"`
	ParentUserID string `json:"parent_user_id"`
	BotID        string `json:"bot_id"`
	Username     string `json:"username"`
	Hidden       bool   `json:"hidden"`
	Inviter      string `json:"inviter"`
	Edited       *struct {
		TS string `json:"ts"`
	} `json:"edited"`
	BotProfile *struct {
		Name string `json:"name"`
	} `json:"bot_profile"`
	Comment *struct {
		User    string `json:"user"`
		Comment string `json:"comment"`
	} `json:"comment"`
	File      *file      `json:"file"`
	Files     []file     `json:"files"`
	Reactions []reaction `json:"reactions"`
}

type file struct {
	Name       string `json:"name"`
	Title      string `json:"title"`
	Mimetype   string `json:"mimetype"`
	Size       int64  `json:"size"`
	Permalink  string `json:"permalink"`
	URLPrivate string `json:"url_private"`
}

type reaction struct {
	Name  string   `json:"name"`
	Users []string `json:"users"`
	Count int      `json:"count"`
}

// ChannelParser parses the day files of one conversation. It carries what
// spans day files: the authors of thread parents (for ObjectAuthorID) and
// the thread messages already emitted (a thread_broadcast can appear both in
// its thread and in the channel).
type ChannelParser struct {
	channelID string
	users     map[string]ingest.Person
	// threadAuthor maps a thread's ts to its parent's author id.
	threadAuthor map[string]string
	// seen holds the ts of thread messages of day files that parsed
	// cleanly; a damaged day file's records are discarded, so its messages
	// must not count as seen.
	seen map[string]struct{}
}

// NewChannelParser returns a parser for the day files of the channel whose
// external id is channelID. users are the export's people by id (from
// users.json), used to flag bots and fill in authors.
func NewChannelParser(channelID string, users map[string]ingest.Person) *ChannelParser {
	return &ChannelParser{
		channelID:    channelID,
		users:        users,
		threadAuthor: map[string]string{},
		seen:         map[string]struct{}{},
	}
}

// ParseDay parses one day file and reports its activities to sink. It
// returns a *ingest.FileError when the file is damaged, or the sink's error.
func (cp *ChannelParser) ParseDay(r io.Reader, file string, sink ingest.Sink) error {
	var msgs []message
	if err := readJSON(r, file, &msgs); err != nil {
		return err
	}
	// A message can appear twice (a thread_broadcast in its thread and in
	// the channel): the ExternalID, channel/ts, decides.
	seen := make(map[string]struct{}, len(msgs))
	for i := range msgs {
		m := &msgs[i]
		if m.Type != "" && m.Type != "message" {
			continue
		}
		if _, dup := cp.seen[m.TS]; dup {
			continue
		}
		if _, dup := seen[m.TS]; dup {
			continue
		}
		seen[m.TS] = struct{}{}
		if err := cp.message(m, i, file, sink); err != nil {
			return err
		}
	}
	// Only thread messages are remembered across day files: they are the
	// ones repeated, and remembering every ts of a large channel would cost
	// memory for nothing.
	for i := range msgs {
		if msgs[i].ThreadTS != "" {
			cp.seen[msgs[i].TS] = struct{}{}
		}
	}
	return nil
}

// message reports one message and its reactions.
func (cp *ChannelParser) message(m *message, index int, file string, sink ingest.Sink) error {
	kind, ok := activityKind(m)
	if !ok {
		return nil
	}
	at, err := parseTS(m.TS)
	if err != nil {
		return &ingest.FileError{File: file, Message: fmt.Sprintf("message %d: %v", index+1, err)}
	}
	a := ingest.Activity{
		ExternalID: cp.channelID + "/" + m.TS,
		Kind:       kind,
		ChannelID:  cp.channelID,
		OccurredAt: at,
		Author:     cp.author(m),
		IsEdited:   m.Edited != nil,
	}
	isThreadReply := m.ThreadTS != "" && m.ThreadTS != m.TS
	switch kind {
	case coterie.KindJoin, coterie.KindLeave:
		// The text is Slack's "<@U…> has joined the channel": not the
		// member's words.
		if m.Inviter != "" {
			a.Attributes = map[string]any{"inviter": m.Inviter}
		}
	default:
		if isThreadReply {
			a.Kind = coterie.KindReply
			a.ParentID = cp.channelID + "/" + m.ThreadTS
			a.ThreadRootID = a.ParentID
			a.ObjectAuthorID = m.ParentUserID
			if a.ObjectAuthorID == "" {
				a.ObjectAuthorID = cp.threadAuthor[m.ThreadTS]
			}
		} else if m.ThreadTS == m.TS {
			cp.threadAuthor[m.TS] = a.Author.ID
		}
		a.Body = m.Text
		if m.Subtype == "file_comment" && m.Comment != nil && m.Text == "" {
			a.Body = m.Comment.Comment
		}
		a.Attachments = attachments(m)
		a.Attributes = markupAttributes(m.Text)
		if m.Subtype != "" {
			if a.Attributes == nil {
				a.Attributes = map[string]any{}
			}
			a.Attributes["subtype"] = m.Subtype
		}
	}
	if err := sink.Activity(a); err != nil {
		return err
	}
	return cp.reactions(m, &a, sink)
}

// activityKind says what a message counts as; ok is false for system
// notices that are not activities.
func activityKind(m *message) (kind coterie.ActivityKind, ok bool) {
	switch m.Subtype {
	case "", "file_share", "file_comment", "me_message", "thread_broadcast", "reply_broadcast",
		"bot_message", "slackbot_response":
		if isTombstone(m) {
			// A deleted thread parent: not an activity, but its
			// replies (with their own ts) survive.
			return "", false
		}
		return coterie.KindMessage, true
	case "channel_join", "group_join":
		return coterie.KindJoin, true
	case "channel_leave", "group_leave":
		return coterie.KindLeave, true
	default:
		// tombstone, channel_purpose, channel_topic, channel_name,
		// channel_archive, pinned_item, bot_add, reminder_add, ...
		return "", false
	}
}

func isTombstone(m *message) bool {
	return m.Subtype == "tombstone" ||
		(m.Text == tombstoneText && (m.User == slackbot || m.Hidden))
}

// author is who a message is by. A message is a bot's when it is a
// bot_message, has no user, is by Slackbot, or its user is flagged a bot or
// app user in users.json.
func (cp *ChannelParser) author(m *message) ingest.Person {
	id := m.User
	if m.Subtype == "file_comment" && m.Comment != nil && m.Comment.User != "" {
		// The message's user, if any, is the file's owner; the comment is
		// the commenter's.
		id = m.Comment.User
	}
	if id == slackbot {
		return ingest.Person{ID: slackbot, Username: "slackbot", DisplayName: "Slackbot", IsBot: true}
	}
	if id == "" {
		// bot_message carries no user: the bot is known by its bot id, or
		// by the name it posted under for old integrations.
		p := ingest.Person{ID: m.BotID, Username: m.Username, IsBot: true}
		if p.ID == "" {
			p.ID = m.Username
		}
		if p.Username == "" && m.BotProfile != nil {
			p.Username = m.BotProfile.Name
		}
		return p
	}
	p, ok := cp.users[id]
	if !ok {
		p = ingest.Person{ID: id}
	}
	if m.Subtype == "bot_message" {
		p.IsBot = true
	}
	return p
}

// reactions reports one reaction per (message, member, base emoji): a
// member's "+1" and "+1::skin-tone-3" on one message are one reaction.
func (cp *ChannelParser) reactions(m *message, parent *ingest.Activity, sink ingest.Sink) error {
	if len(m.Reactions) == 0 {
		return nil
	}
	done := make(map[string]struct{}, len(m.Reactions))
	for _, r := range m.Reactions {
		emoji := ingest.BaseEmoji(r.Name)
		if emoji == "" {
			continue
		}
		for _, uid := range r.Users {
			if uid == "" {
				continue
			}
			id := ingest.ReactionID(parent.ExternalID, uid, emoji)
			if _, dup := done[id]; dup {
				continue
			}
			done[id] = struct{}{}
			who, ok := cp.users[uid]
			if !ok {
				who = ingest.Person{ID: uid, IsBot: uid == slackbot}
			}
			err := sink.Activity(ingest.Activity{
				ExternalID: id,
				Kind:       coterie.KindReaction,
				ChannelID:  cp.channelID,
				// The export does not say when a reaction was added;
				// the message's time is the closest known.
				OccurredAt:     parent.OccurredAt,
				Author:         who,
				ObjectAuthorID: parent.Author.ID,
				ParentID:       parent.ExternalID,
				ThreadRootID:   parent.ThreadRootID,
				Attributes:     map[string]any{"emoji": emoji},
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// attachments lists the files a message shares. A file_comment's file is
// someone else's upload, not part of the comment.
func attachments(m *message) []ingest.Attachment {
	if m.Subtype == "file_comment" {
		return nil
	}
	var out []ingest.Attachment
	add := func(f *file) {
		// The permalink needs a Slack login but no token; url_private
		// embeds the exporter's token.
		u := firstNonEmpty(f.Permalink, f.URLPrivate)
		name := firstNonEmpty(f.Name, f.Title)
		if u == "" && name == "" {
			return // a deleted or hidden file
		}
		out = append(out, ingest.Attachment{URL: u, Name: name, MimeType: f.Mimetype, Size: f.Size})
	}
	if m.File != nil {
		add(m.File)
	}
	for i := range m.Files {
		add(&m.Files[i])
	}
	return out
}

// parseTS turns a Slack ts ("1433558319.000002": seconds and a
// per-second sequence in microseconds) into a UTC time.
func parseTS(ts string) (time.Time, error) {
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || ts == "" {
		return time.Time{}, fmt.Errorf("invalid ts %q", ingest.Excerpt(ts, 40))
	}
	var ns int64
	if frac != "" {
		if len(frac) > 9 {
			frac = frac[:9]
		}
		n, err := strconv.ParseInt(frac, 10, 64)
		if err != nil || n < 0 {
			return time.Time{}, fmt.Errorf("invalid ts %q", ingest.Excerpt(ts, 40))
		}
		for i := len(frac); i < 9; i++ {
			n *= 10
		}
		ns = n
	}
	return time.Unix(s, ns).UTC(), nil
}
