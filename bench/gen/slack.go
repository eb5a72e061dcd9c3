package gen

import (
	"bytes"
	"container/heap"
	"encoding/json"
	"io"
	"strconv"
	"time"
)

// Slack channels: the first is #general. The last has a folder but no entry
// in channels.json, as happens in real exports.
var slackChannels = []struct {
	name   string
	weight int
}{
	{"general", 30}, {"random", 15}, {"introductions", 8}, {"product-feedback", 12},
	{"events", 8}, {"showcase", 10}, {"help", 10}, {"off-topic", 5}, {"old-announcements", 2},
}

// slackEmoji are reaction names; the ones with tone take ::skin-tone-N.
var slackEmoji = []struct {
	name string
	tone bool
}{
	{"+1", true}, {"heart", false}, {"tada", false}, {"joy", false}, {"eyes", false},
	{"raised_hands", true}, {"fire", false}, {"pray", true}, {"white_check_mark", false}, {"wave", true},
}

const slackTeam = "T0C0TER1E"

var slackTZ = []struct {
	tz, label string
	offset    int
}{
	{"Europe/Paris", "Central European Time", 3600},
	{"America/Chicago", "Central Standard Time", -21600},
	{"Asia/Tokyo", "Japan Standard Time", 32400},
	{"Europe/London", "Greenwich Mean Time", 0},
	{"America/Sao_Paulo", "Brasilia Standard Time", -10800},
}

// base36 writes n in upper-case base 36, padded to width.
func base36(prefix string, n uint64, width int) string {
	s := []byte(prefix)
	d := []byte(strconv.FormatUint(n, 36))
	for i := len(d); i < width; i++ {
		s = append(s, '0')
	}
	return string(bytes.ToUpper(append(s, d...)))
}

func slackUserID(m int) string    { return base36("U", uint64(m)+36*36*36*36*36*36*36, 8) }
func slackChannelID(c int) string { return base36("C", uint64(c)*7919+36*36*36*36*36*36*36, 8) }
func slackBotID(b int) string     { return base36("B", uint64(b)*104729+36*36*36*36*36*36*36, 8) }
func slackDeleted(m int) bool     { return m%37 == 5 }
func slackTS(key int64) string    { return string(appendTS(nil, key)) }
func keyOf(sec, ctr int64) int64  { return sec*1_000_000 + ctr%1_000_000 }
func secOf(key int64) int64       { return key / 1_000_000 }
func utcDay(sec int64) string {
	return start.Add(time.Duration(sec) * time.Second).Format("2006-01-02")
}
func unixOf(sec int64) int64 { return start.Unix() + sec }
func appendTS(b []byte, key int64) []byte {
	b = strconv.AppendInt(b, unixOf(secOf(key)), 10)
	b = append(b, '.')
	micro := strconv.FormatInt(key%1_000_000, 10)
	for i := len(micro); i < 6; i++ {
		b = append(b, '0')
	}
	return append(b, micro...)
}

type slackUser struct {
	ID        string       `json:"id"`
	TeamID    string       `json:"team_id"`
	Name      string       `json:"name"`
	Deleted   bool         `json:"deleted"`
	Color     string       `json:"color,omitempty"`
	RealName  string       `json:"real_name,omitempty"`
	TZ        string       `json:"tz,omitempty"`
	TZLabel   string       `json:"tz_label,omitempty"`
	TZOffset  *int         `json:"tz_offset,omitempty"`
	Profile   slackProfile `json:"profile"`
	IsAdmin   bool         `json:"is_admin"`
	IsOwner   bool         `json:"is_owner"`
	IsBot     bool         `json:"is_bot"`
	IsAppUser bool         `json:"is_app_user"`
	Updated   int64        `json:"updated"`
}

type slackProfile struct {
	RealName    string `json:"real_name,omitempty"`
	DisplayName string `json:"display_name"`
	Email       string `json:"email,omitempty"`
	BotID       string `json:"bot_id,omitempty"`
	AvatarHash  string `json:"avatar_hash"`
	Image72     string `json:"image_72"`
}

type slackMsg struct {
	Type            string          `json:"type"`
	Subtype         string          `json:"subtype,omitempty"`
	Text            string          `json:"text"`
	User            string          `json:"user,omitempty"`
	BotID           string          `json:"bot_id,omitempty"`
	Username        string          `json:"username,omitempty"`
	TS              string          `json:"ts"`
	Edited          *slackEdited    `json:"edited,omitempty"`
	ThreadTS        string          `json:"thread_ts,omitempty"`
	ReplyCount      int             `json:"reply_count,omitempty"`
	ReplyUsersCount int             `json:"reply_users_count,omitempty"`
	LatestReply     string          `json:"latest_reply,omitempty"`
	ReplyUsers      []string        `json:"reply_users,omitempty"`
	Replies         []slackReplyRef `json:"replies,omitempty"`
	ParentUserID    string          `json:"parent_user_id,omitempty"`
	Files           []slackFile     `json:"files,omitempty"`
	Reactions       []slackReaction `json:"reactions,omitempty"`
}

type slackEdited struct {
	User string `json:"user"`
	TS   string `json:"ts"`
}

type slackReplyRef struct {
	User string `json:"user"`
	TS   string `json:"ts"`
}

type slackFile struct {
	ID         string `json:"id"`
	Created    int64  `json:"created"`
	Timestamp  int64  `json:"timestamp"`
	Name       string `json:"name"`
	Title      string `json:"title"`
	Mimetype   string `json:"mimetype"`
	Filetype   string `json:"filetype"`
	PrettyType string `json:"pretty_type"`
	User       string `json:"user"`
	Size       int64  `json:"size"`
	URLPrivate string `json:"url_private"`
	Permalink  string `json:"permalink"`
}

type slackReaction struct {
	Name  string   `json:"name"`
	Users []string `json:"users"`
	Count int      `json:"count"`
}

// Slack event kinds, merged per channel in ts order.
const (
	evMain = iota
	evReply
	evJoin
	evLeave
)

type slackEvent struct {
	key        int64
	kind       int
	user       int // the author (replies) or the member joining or leaving
	parentKey  int64
	parentUser int
}

// replyHeap holds the replies of open threads, earliest first. Threads close
// within hours, so it stays small whatever the export's size.
type replyHeap []slackEvent

func (h replyHeap) Len() int           { return len(h) }
func (h replyHeap) Less(i, j int) bool { return h[i].key < h[j].key }
func (h replyHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *replyHeap) Push(x any)        { *h = append(*h, x.(slackEvent)) }
func (h *replyHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

type slackGen struct {
	*world
	o   Options
	out output
	c   Counts

	// per channel
	ch      int
	ctr     int64
	replies replyHeap
	day     string
	dayBuf  bytes.Buffer
	dayN    int
	scratch bytes.Buffer
	enc     *json.Encoder
	text    []byte
	nfile   int
}

var slackStyle = textStyle{
	mention: func(b []byte, m int) []byte { return append(append(append(b, "<@"...), slackUserID(m)...), '>') },
	link: func(b []byte, url, label string) []byte {
		return append(append(append(append(append(b, '<'), url...), '|'), label...), '>')
	},
}

func genSlack(o Options) (Counts, error) {
	g := &slackGen{world: newWorld(o), o: o, c: Counts{Format: FormatSlack}}
	g.enc = json.NewEncoder(&g.scratch)
	g.enc.SetEscapeHTML(false) // Slack markup <@U..> stays readable
	var err error
	if o.Zip {
		g.out, err = newZipOutput(o.Out)
	} else {
		g.out, err = newDirOutput(o.Out)
	}
	if err != nil {
		return Counts{}, err
	}
	if err := g.run(); err != nil {
		g.out.close()
		return Counts{}, err
	}
	if err := g.out.close(); err != nil {
		return Counts{}, err
	}
	g.c.Authors = g.nauth
	g.c.Members = g.members + botUsers
	g.c.Channels = len(slackChannels)
	g.c.total()
	return g.c, nil
}

func (g *slackGen) run() error {
	if err := g.writeUsers(); err != nil {
		return err
	}
	if err := g.writeChannels(); err != nil {
		return err
	}
	weights := make([]int, len(slackChannels))
	for i, c := range slackChannels {
		weights[i] = c.weight
	}
	for c, n := range splitBudget(g.o.Messages, weights) {
		if err := g.channel(c, n); err != nil {
			return err
		}
	}
	return nil
}

// writeUsers streams users.json: humans, some deleted, then bot users.
func (g *slackGen) writeUsers() error {
	w, err := g.out.create("users.json")
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	io.WriteString(w, "[\n")
	for m := 0; m < g.members+botUsers; m++ {
		u := slackUser{ID: slackUserID(m), TeamID: slackTeam, Updated: unixOf(0)}
		h := hash(g.o.Seed, m, -1)
		u.Profile.AvatarHash = strconv.FormatUint(h&0xffffffffff, 16)
		u.Profile.Image72 = "https://avatars.slack-edge.com/" + u.Profile.AvatarHash + "_72.png"
		u.Color = strconv.FormatUint(h>>40&0xffffff|0x100000, 16)
		switch {
		case m >= g.members:
			b := m - g.members
			u.Name = "coterie-bot-" + strconv.Itoa(b)
			u.RealName = "Coterie Bot " + strconv.Itoa(b)
			u.Profile.RealName = u.RealName
			u.Profile.BotID = slackBotID(b)
			u.IsBot = true
		case slackDeleted(m):
			// Deleted users keep their id and name only.
			u.Name = username(m)
			u.Deleted = true
		default:
			u.Name = username(m)
			u.RealName = displayName(m)
			tz := slackTZ[m%len(slackTZ)]
			u.TZ, u.TZLabel, u.TZOffset = tz.tz, tz.label, &tz.offset
			u.Profile.RealName = u.RealName
			u.Profile.DisplayName = asciiFirst[m%len(asciiFirst)]
			u.Profile.Email = email(m)
			u.IsAdmin = m == 0
			u.IsOwner = m == 0
		}
		if m > 0 {
			io.WriteString(w, ",\n")
		}
		g.scratch.Reset()
		if err := g.enc.Encode(&u); err != nil {
			return err
		}
		if _, err := w.Write(bytes.TrimSuffix(g.scratch.Bytes(), []byte("\n"))); err != nil {
			return err
		}
	}
	_, err = io.WriteString(w, "\n]\n")
	return err
}

// writeChannels writes channels.json by hand so that member lists of any
// length are streamed. The last channel is left out on purpose.
func (g *slackGen) writeChannels() error {
	w, err := g.out.create("channels.json")
	if err != nil {
		return err
	}
	bw := &errWriter{w: w}
	bw.s("[\n")
	for c := 0; c < len(slackChannels)-1; c++ {
		if c > 0 {
			bw.s(",\n")
		}
		id, name := slackChannelID(c), slackChannels[c].name
		created := strconv.FormatInt(unixOf(0), 10)
		bw.s(`{"id":"` + id + `","name":"` + name + `","created":"` + created + `","creator":"` + slackUserID(0) + `",`)
		bw.s(`"is_archived":` + strconv.FormatBool(c == len(slackChannels)-2) + `,"is_general":` + strconv.FormatBool(c == 0) + `,"members":[`)
		first := true
		for m := 0; m < g.members; m++ {
			if j, l := joins(g.o.Seed, m, c); j && !l {
				if !first {
					bw.s(",")
				}
				first = false
				bw.s(`"` + slackUserID(m) + `"`)
			}
		}
		bw.s(`],"topic":{"value":"All about #` + name + ` 🎉","creator":"` + slackUserID(0) + `","last_set":` + created + `},`)
		bw.s(`"purpose":{"value":"Talk about ` + name + `","creator":"` + slackUserID(0) + `","last_set":` + created + `}}`)
	}
	bw.s("\n]\n")
	return bw.err
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) s(s string) {
	if e.err == nil {
		_, e.err = io.WriteString(e.w, s)
	}
}

// joinIter walks the members who join (or leave) a channel in time order.
type joinIter struct {
	g     *slackGen
	leave bool
	m     int
	ev    slackEvent
	ok    bool
}

func (it *joinIter) next() {
	g := it.g
	for it.m < g.members {
		m := it.m
		it.m++
		j, l := joins(g.o.Seed, m, g.ch)
		if !j || (it.leave && !l) {
			continue
		}
		sec := joinSecond(m, g.members) + int64(g.ch)*60
		kind := evJoin
		if it.leave {
			sec += leaveDelay
			kind = evLeave
		}
		it.ev = slackEvent{key: keyOf(sec, g.ctr), kind: kind, user: m}
		g.ctr++
		it.ok = true
		return
	}
	it.ok = false
}

func (g *slackGen) channel(c, budget int) error {
	g.ch, g.ctr, g.day, g.dayN, g.nfile = c, 1, "", 0, 0
	g.replies = g.replies[:0]
	folder := slackChannels[c].name
	joinsIt := &joinIter{g: g}
	leavesIt := &joinIter{g: g, leave: true}
	joinsIt.next()
	leavesIt.next()

	// Top-level messages are spread evenly (with jitter) over the year;
	// replies come from the heap as their threads unfold.
	created, i := 0, 0
	expectTop := float64(budget) / (1 + threadShare*(1+replyMean))
	gap := float64(spanSeconds) / (expectTop + 1)
	var main slackEvent
	mainOK := false
	nextMain := func() {
		if created >= budget {
			mainOK = false
			return
		}
		sec := int64((float64(i) + g.r.Float64()) * gap)
		i++
		created++
		main = slackEvent{key: keyOf(sec, g.ctr), kind: evMain}
		g.ctr++
		mainOK = true
	}
	nextMain()

	for {
		// Take the earliest of the four streams.
		var ev slackEvent
		src := -1
		if mainOK {
			ev, src = main, 0
		}
		if joinsIt.ok && (src < 0 || joinsIt.ev.key < ev.key) {
			ev, src = joinsIt.ev, 1
		}
		if leavesIt.ok && (src < 0 || leavesIt.ev.key < ev.key) {
			ev, src = leavesIt.ev, 2
		}
		if len(g.replies) > 0 && (src < 0 || g.replies[0].key < ev.key) {
			ev, src = g.replies[0], 3
		}
		var err error
		switch src {
		case -1:
			if err := g.flushDay(); err != nil {
				return err
			}
			if g.nfile == 0 {
				return g.out.mkdir(folder)
			}
			return nil
		case 0:
			nextMain()
			var k int
			k, err = g.emitMain(ev, budget-created)
			created += k
		case 1:
			joinsIt.next()
			err = g.emitJoin(ev)
		case 2:
			leavesIt.next()
			err = g.emitJoin(ev)
		case 3:
			heap.Pop(&g.replies)
			err = g.emitReply(ev)
		}
		if err != nil {
			return err
		}
	}
}

func (g *slackGen) emitJoin(ev slackEvent) error {
	m := slackMsg{Type: "message", User: slackUserID(ev.user), TS: slackTS(ev.key)}
	if ev.kind == evJoin {
		m.Subtype = "channel_join"
		m.Text = "<@" + m.User + "|" + username(ev.user) + "> has joined the channel"
		g.c.Joins++
	} else {
		m.Subtype = "channel_leave"
		m.Text = "<@" + m.User + "|" + username(ev.user) + "> has left the channel"
		g.c.Leaves++
	}
	return g.write(ev.key, &m)
}

// emitMain writes a top-level message and schedules its thread's replies,
// at most room of them; it returns how many it scheduled.
func (g *slackGen) emitMain(ev slackEvent, room int) (int, error) {
	var m slackMsg
	m.Type = "message"
	m.TS = slackTS(ev.key)
	sec := secOf(ev.key)
	if g.chance(botShare) {
		g.c.BotMessages++
		b := g.r.IntN(botUsers)
		m.BotID = slackBotID(b)
		if g.chance(0.5) {
			// An integration without a user: the classic bot_message.
			m.Subtype = "bot_message"
			m.BotID = slackBotID(botUsers + b)
			m.Username = []string{"rss-feed", "github", "zapier"}[b]
			m.Text = "New post: <https://example.org/blog/" + strconv.Itoa(g.r.IntN(10000)) + "|Weekly digest>"
		} else {
			// An app with a bot user listed in users.json (is_bot).
			m.User = slackUserID(g.members + b)
			m.Text = "Reminder: our weekly thread is open 🎉 share what you made!"
		}
		return 0, g.write(ev.key, &m)
	}
	a := g.author()
	g.wrote(a)
	g.c.Messages++
	m.User = slackUserID(a)
	var t []byte
	t, _ = g.world.text(g.text, slackStyle)
	g.text = t
	m.Text = string(t)
	if g.chance(fileShare) {
		m.Subtype = "file_share"
		n := 1 + g.r.IntN(2)
		for f := 0; f < n; f++ {
			id := base36("F", uint64(g.c.Files+f)+36*36*36*36*36*36*36*36, 10)
			name := "photo-" + strconv.Itoa(g.r.IntN(10000)) + ".jpg"
			m.Files = append(m.Files, slackFile{
				ID: id, Created: unixOf(sec), Timestamp: unixOf(sec), Name: name, Title: name,
				Mimetype: "image/jpeg", Filetype: "jpg", PrettyType: "JPEG", User: m.User,
				Size:       int64(20000 + g.r.IntN(4000000)),
				URLPrivate: "https://files.slack.com/files-pri/" + slackTeam + "-" + id + "/" + name,
				Permalink:  "https://coterie-demo.slack.com/files/" + m.User + "/" + id + "/" + name,
			})
		}
		g.c.Files += n
	}
	g.decorate(&m, a, sec)
	k := 0
	if room > 0 && g.chance(threadShare) {
		k = 1 + g.geometric(replyMean)
		if k > room {
			k = room
		}
		m.ThreadTS = m.TS
		m.ReplyCount = k
		t := sec
		seen := map[int]bool{}
		for j := 0; j < k; j++ {
			t += 1 + int64(g.r.ExpFloat64()*900)
			r := slackEvent{key: keyOf(t, g.ctr), kind: evReply, user: g.author(), parentKey: ev.key, parentUser: a}
			g.ctr++
			heap.Push(&g.replies, r)
			ts := slackTS(r.key)
			m.Replies = append(m.Replies, slackReplyRef{User: slackUserID(r.user), TS: ts})
			m.LatestReply = ts
			if !seen[r.user] {
				seen[r.user] = true
				m.ReplyUsers = append(m.ReplyUsers, slackUserID(r.user))
			}
		}
		m.ReplyUsersCount = len(m.ReplyUsers)
	}
	return k, g.write(ev.key, &m)
}

func (g *slackGen) emitReply(ev slackEvent) error {
	g.wrote(ev.user)
	g.c.Replies++
	m := slackMsg{Type: "message", User: slackUserID(ev.user), TS: slackTS(ev.key),
		ThreadTS: slackTS(ev.parentKey), ParentUserID: slackUserID(ev.parentUser)}
	t, _ := g.world.text(g.text, slackStyle)
	g.text = t
	m.Text = string(t)
	if g.chance(0.08) {
		// Also sent to the channel; still one message, counted as a reply.
		m.Subtype = "thread_broadcast"
	}
	g.decorate(&m, ev.user, secOf(ev.key))
	return g.write(ev.key, &m)
}

// decorate adds edits and reactions to a human message.
func (g *slackGen) decorate(m *slackMsg, author int, sec int64) {
	if g.chance(editedShare) {
		m.Edited = &slackEdited{User: slackUserID(author), TS: slackTS(keyOf(sec+60+int64(g.r.IntN(3600)), 0))}
	}
	if !g.chance(reactedShare) {
		return
	}
	type pair struct{ user, emoji int }
	var seen []pair
	n := 1 + g.geometric(1)
	for j := 0; j < n; j++ {
		u, e := g.author(), g.r.IntN(len(slackEmoji))
		dup := false
		for _, p := range seen {
			dup = dup || p == pair{u, e}
		}
		if dup {
			continue
		}
		seen = append(seen, pair{u, e})
		g.c.Reactions++
		name := slackEmoji[e].name
		tones := 0
		if slackEmoji[e].tone && g.chance(0.3) {
			tones = 1
			if g.chance(0.2) {
				// The same member with two tones of one emoji: one reaction.
				tones = 2
			}
		}
		uid := slackUserID(u)
		switch tones {
		case 0:
			addReaction(m, name, uid)
		case 1:
			addReaction(m, name+"::skin-tone-"+strconv.Itoa(2+g.r.IntN(5)), uid)
		case 2:
			addReaction(m, name, uid)
			addReaction(m, name+"::skin-tone-"+strconv.Itoa(2+g.r.IntN(5)), uid)
		}
	}
}

func addReaction(m *slackMsg, name, user string) {
	for i := range m.Reactions {
		if m.Reactions[i].Name == name {
			for _, u := range m.Reactions[i].Users {
				if u == user {
					return
				}
			}
			m.Reactions[i].Users = append(m.Reactions[i].Users, user)
			m.Reactions[i].Count++
			return
		}
	}
	m.Reactions = append(m.Reactions, slackReaction{Name: name, Users: []string{user}, Count: 1})
}

// write appends a message to its UTC day file, writing out the previous day
// when the day changes.
func (g *slackGen) write(key int64, m *slackMsg) error {
	if d := utcDay(secOf(key)); d != g.day {
		if err := g.flushDay(); err != nil {
			return err
		}
		g.day = d
		g.dayBuf.WriteString("[\n")
	}
	if g.dayN > 0 {
		g.dayBuf.WriteString(",\n")
	}
	g.dayN++
	g.scratch.Reset()
	if err := g.enc.Encode(m); err != nil {
		return err
	}
	g.dayBuf.Write(bytes.TrimSuffix(g.scratch.Bytes(), []byte("\n")))
	return nil
}

func (g *slackGen) flushDay() error {
	if g.dayN == 0 {
		return nil
	}
	g.dayBuf.WriteString("\n]\n")
	w, err := g.out.create(slackChannels[g.ch].name + "/" + g.day + ".json")
	if err == nil {
		_, err = w.Write(g.dayBuf.Bytes())
	}
	g.dayBuf.Reset()
	g.dayN = 0
	g.nfile++
	return err
}
