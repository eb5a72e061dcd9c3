package gen

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"time"
)

var discordChannels = []struct {
	name   string
	weight int
}{
	{"general", 35}, {"introductions", 8}, {"showcase", 15}, {"help", 17}, {"off-topic", 15}, {"announcements", 10},
}

// discordZone is the exporter's local offset: DiscordChatExporter writes
// local times, not UTC.
var discordZone = time.FixedZone("", 2*3600)

const (
	discordEpochMs = 1420070400000
	discordGuild   = "Coterie Demo"
	discordFormat  = "2006-01-02T15:04:05.000-07:00"
)

// snowflake builds a Discord id from a time, a worker and a sequence.
func snowflake(unixMs int64, worker, seq int) string {
	return strconv.FormatUint(uint64(unixMs-discordEpochMs)<<22|uint64(worker%1024)<<12|uint64(seq%4096), 10)
}

// Accounts were created in 2019, one per second, so their ids are unique.
func discordUserID(m int) string { return snowflake(1546300800000+int64(m)*1000, 1023, 0) }
func discordGuildID() string     { return snowflake(1546300800000-86400000, 1022, 0) }
func discordChannelID(c int) string {
	return snowflake(1546300800000-86400000+int64(c+1)*1000, 1022, 0)
}

type discordUser struct {
	ID            string  `json:"id"`
	Name          string  `json:"name"`
	Discriminator string  `json:"discriminator"`
	Nickname      string  `json:"nickname"`
	Color         *string `json:"color"`
	IsBot         bool    `json:"isBot"`
	AvatarURL     string  `json:"avatarUrl"`
}

type discordMsg struct {
	ID                 string              `json:"id"`
	Type               string              `json:"type"`
	Timestamp          string              `json:"timestamp"`
	TimestampEdited    *string             `json:"timestampEdited"`
	CallEndedTimestamp *string             `json:"callEndedTimestamp"`
	IsPinned           bool                `json:"isPinned"`
	Content            string              `json:"content"`
	Author             discordUser         `json:"author"`
	Attachments        []discordAttachment `json:"attachments"`
	Embeds             []struct{}          `json:"embeds"`
	Stickers           []struct{}          `json:"stickers"`
	Reactions          []discordReaction   `json:"reactions"`
	Mentions           []discordUser       `json:"mentions"`
	Reference          *discordReference   `json:"reference,omitempty"`
}

type discordAttachment struct {
	ID            string `json:"id"`
	URL           string `json:"url"`
	FileName      string `json:"fileName"`
	FileSizeBytes int64  `json:"fileSizeBytes"`
}

type discordEmoji struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Code       string `json:"code"`
	IsAnimated bool   `json:"isAnimated"`
	ImageURL   string `json:"imageUrl"`
}

type discordReaction struct {
	Emoji discordEmoji  `json:"emoji"`
	Count int           `json:"count"`
	Users []discordUser `json:"users"`
}

type discordReference struct {
	MessageID string `json:"messageId"`
	ChannelID string `json:"channelId"`
	GuildID   string `json:"guildId"`
}

var discordEmojis = []struct {
	name, code, id string
	tone           bool
}{
	{"👍", "thumbsup", "", true}, {"❤️", "heart", "", false}, {"🎉", "tada", "", false}, {"😂", "joy", "", false},
	{"👀", "eyes", "", false}, {"🙌", "raised_hands", "", true}, {"🔥", "fire", "", false}, {"🙏", "pray", "", true},
	{"coterie_love", "coterie_love", "1100000000000000001", false},
}

var skinTones = []string{"🏻", "🏼", "🏽", "🏾", "🏿"}

type discordGen struct {
	*world
	o       Options
	out     *dirOutput
	c       Counts
	w       io.Writer
	scratch bytes.Buffer
	enc     *json.Encoder
	text    []byte
	ring    [64]struct {
		id     string
		author int
	}
	nring int
}

var discordStyle = textStyle{
	mention: func(b []byte, m int) []byte { return append(append(b, '@'), username(m)...) },
	link:    func(b []byte, url, _ string) []byte { return append(b, url...) },
}

func genDiscord(o Options) (Counts, error) {
	g := &discordGen{world: newWorld(o), o: o, c: Counts{Format: FormatDiscord}}
	g.enc = json.NewEncoder(&g.scratch)
	g.enc.SetEscapeHTML(false)
	out, err := newDirOutput(o.Out)
	if err != nil {
		return Counts{}, err
	}
	g.out = out
	weights := make([]int, len(discordChannels))
	for i, c := range discordChannels {
		weights[i] = c.weight
	}
	for c, n := range splitBudget(o.Messages, weights) {
		if err := g.channel(c, n); err != nil {
			out.close()
			return Counts{}, err
		}
	}
	if err := out.close(); err != nil {
		return Counts{}, err
	}
	g.c.Authors = g.nauth
	g.c.Members = g.members + botUsers
	g.c.Channels = len(discordChannels)
	g.c.total()
	return g.c, nil
}

// user is the author object of human member m or bot m-members.
func (g *discordGen) user(m int) discordUser {
	u := discordUser{ID: discordUserID(m), Discriminator: "0000",
		AvatarURL: "https://cdn.discordapp.com/embed/avatars/" + strconv.Itoa(m%5) + ".png"}
	switch {
	case m >= g.members:
		u.Name = "coterie-bot-" + strconv.Itoa(m-g.members)
		u.Nickname = "Coterie Bot"
		u.IsBot = true
	case slackDeleted(m):
		u.Name, u.Nickname = "Deleted User", "Deleted User"
	default:
		u.Name = username(m)
		u.Nickname = displayName(m)
	}
	return u
}

func (g *discordGen) channel(c, budget int) error {
	name := discordChannels[c].name
	cid := discordChannelID(c)
	w, err := g.out.create(discordGuild + " - Text Channels - " + name + " [" + cid + "].json")
	if err != nil {
		return err
	}
	g.w = w
	g.nring = 0
	bw := &errWriter{w: w}
	bw.s(`{"guild":{"id":"` + discordGuildID() + `","name":"` + discordGuild + `","iconUrl":"https://cdn.discordapp.com/embed/avatars/0.png"},`)
	bw.s(`"channel":{"id":"` + cid + `","type":"GuildTextChat","categoryId":"` + discordChannelID(99) + `","category":"Text Channels","name":"` + name + `","topic":"Talk about ` + name + ` ✨"},`)
	bw.s(`"dateRange":{"after":null,"before":null},"exportedAt":"2025-01-02T10:00:00.000+02:00","messages":[` + "\n")
	if bw.err != nil {
		return bw.err
	}

	// Messages spread over the year; members join the server (in #general)
	// in index order. Times are made strictly increasing in milliseconds so
	// snowflakes never collide.
	gapMs := float64(spanSeconds) * 1000 / float64(budget+1)
	written, lastMs, seq := 0, int64(-1), 0
	m, i := 0, 0
	nextJoin := func() int {
		if c != 0 {
			return g.members
		}
		for ; m < g.members; m++ {
			if j, _ := joins(g.o.Seed, m, 0); j && !slackDeleted(m) {
				break
			}
		}
		return m
	}
	jm := nextJoin()
	mainMs := int64(-1)
	for {
		if mainMs < 0 && i < budget {
			mainMs = int64((float64(i) + g.r.Float64()) * gapMs)
		}
		joinMs := int64(-1)
		if jm < g.members {
			joinMs = joinSecond(jm, g.members) * 1000
		}
		var ms int64
		isJoin := false
		switch {
		case mainMs >= 0 && (joinMs < 0 || mainMs <= joinMs):
			ms = mainMs
			mainMs = -1
			i++
		case joinMs >= 0:
			ms, isJoin = joinMs, true
		default:
			bw.s("\n],\n\"messageCount\":" + strconv.Itoa(written) + "}\n")
			return bw.err
		}
		if ms <= lastMs {
			ms = lastMs + 1
		}
		lastMs = ms
		seq++
		unixMs := start.UnixMilli() + ms
		msg := discordMsg{
			ID:          snowflake(unixMs, c, seq),
			Timestamp:   time.UnixMilli(unixMs).In(discordZone).Format(discordFormat),
			Attachments: []discordAttachment{}, Embeds: []struct{}{}, Stickers: []struct{}{},
			Reactions: []discordReaction{}, Mentions: []discordUser{},
		}
		dup := false
		if isJoin {
			msg.Type = "GuildMemberJoin"
			msg.Content = "Joined the server."
			msg.Author = g.user(jm)
			g.c.Joins++
			m++
			jm = nextJoin()
		} else {
			dup = g.message(&msg, c, unixMs)
		}
		if dup {
			g.c.Duplicates++
		}
		for k := 0; k < 1+btoi(dup); k++ {
			if written > 0 {
				bw.s(",\n")
			}
			written++
			g.scratch.Reset()
			if err := g.enc.Encode(&msg); err != nil {
				return err
			}
			if bw.err == nil {
				_, bw.err = g.w.Write(bytes.TrimSuffix(g.scratch.Bytes(), []byte("\n")))
			}
		}
		if bw.err != nil {
			return bw.err
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// message fills in a Default, Reply or bot message and reports whether to
// write it twice, as overlapping exports do.
func (g *discordGen) message(msg *discordMsg, c int, unixMs int64) bool {
	msg.Type = "Default"
	if g.chance(botShare) {
		b := g.members + g.r.IntN(botUsers)
		msg.Author = g.user(b)
		msg.Content = "Reminder: our weekly thread is open 🎉 share what you made!"
		g.c.BotMessages++
		g.remember(msg.ID, b)
		return false
	}
	a := g.author()
	g.wrote(a)
	msg.Author = g.user(a)
	t, mentioned := g.world.text(g.text, discordStyle)
	g.text = t
	msg.Content = string(t)
	if mentioned >= 0 {
		msg.Mentions = append(msg.Mentions, g.user(mentioned))
	}
	if g.nring > 0 && g.chance(0.15) {
		p := g.ring[g.r.IntN(min(g.nring, len(g.ring)))]
		msg.Type = "Reply"
		msg.Reference = &discordReference{MessageID: p.id, ChannelID: discordChannelID(c), GuildID: discordGuildID()}
		g.c.Replies++
	} else {
		g.c.Messages++
	}
	if g.chance(fileShare) {
		n := 1 + g.r.IntN(2)
		for f := 0; f < n; f++ {
			id := snowflake(unixMs, 1000+c, f)
			name := "photo-" + strconv.Itoa(g.r.IntN(10000)) + ".jpg"
			msg.Attachments = append(msg.Attachments, discordAttachment{ID: id,
				URL:      "https://cdn.discordapp.com/attachments/" + discordChannelID(c) + "/" + id + "/" + name,
				FileName: name, FileSizeBytes: int64(20000 + g.r.IntN(4000000))})
		}
		g.c.Files += n
	}
	if g.chance(editedShare) {
		e := time.UnixMilli(unixMs + 60000 + g.r.Int64N(3600000)).In(discordZone).Format(discordFormat)
		msg.TimestampEdited = &e
	}
	g.react(msg)
	g.remember(msg.ID, a)
	return g.chance(dupPerMillion/1e6) || (c == 0 && g.c.Messages == 10 && msg.Type == "Default")
}

func (g *discordGen) remember(id string, author int) {
	g.ring[g.nring%len(g.ring)].id = id
	g.ring[g.nring%len(g.ring)].author = author
	g.nring++
}

func (g *discordGen) react(msg *discordMsg) {
	if !g.chance(reactedShare) {
		return
	}
	type pair struct{ user, emoji int }
	var seen []pair
	n := 1 + g.geometric(1)
	for j := 0; j < n; j++ {
		u, e := g.author(), g.r.IntN(len(discordEmojis))
		dup := false
		for _, p := range seen {
			dup = dup || p == pair{u, e}
		}
		if dup {
			continue
		}
		seen = append(seen, pair{u, e})
		g.c.Reactions++
		em := discordEmojis[e]
		tones := 0
		if em.tone && g.chance(0.3) {
			tones = 1
			if g.chance(0.2) {
				tones = 2 // both the plain and a toned emoji: one reaction
			}
		}
		if tones != 1 {
			g.addReaction(msg, e, -1, u)
		}
		if tones > 0 {
			g.addReaction(msg, e, g.r.IntN(len(skinTones)), u)
		}
	}
}

func (g *discordGen) addReaction(msg *discordMsg, e, tone, u int) {
	em := discordEmojis[e]
	name, code := em.name, em.code
	if tone >= 0 {
		name += skinTones[tone]
		code += "_tone" + strconv.Itoa(tone+1)
	}
	user := g.user(u)
	for i := range msg.Reactions {
		if msg.Reactions[i].Emoji.Name == name {
			for _, x := range msg.Reactions[i].Users {
				if x.ID == user.ID {
					return
				}
			}
			msg.Reactions[i].Users = append(msg.Reactions[i].Users, user)
			msg.Reactions[i].Count++
			return
		}
	}
	img := "https://cdn.jsdelivr.net/gh/twitter/twemoji@latest/assets/svg/" + code + ".svg"
	if em.id != "" {
		img = "https://cdn.discordapp.com/emojis/" + em.id + ".png"
	}
	msg.Reactions = append(msg.Reactions, discordReaction{
		Emoji: discordEmoji{ID: em.id, Name: name, Code: code, ImageURL: img},
		Count: 1, Users: []discordUser{user},
	})
}
