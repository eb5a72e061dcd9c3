// Package gen writes deterministic synthetic exports (Slack, Discord,
// Reddit) of any size, for import benchmarks and demo workspaces.
//
// The same Options always produce byte-identical output, and memory stays
// flat whatever the size: day files and channel files are written as they are
// generated, and only the current day (Slack) or a small ring of recent
// messages (Discord, Reddit) is ever held. Generate returns the counts of
// what it wrote, following the importers' counting rules, so that an import
// can be checked against them.
package gen

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Formats the generator writes.
const (
	FormatSlack   = "slack"
	FormatDiscord = "discord"
	FormatReddit  = "reddit"
)

// Options says what to generate.
type Options struct {
	// Format is FormatSlack, FormatDiscord or FormatReddit.
	Format string
	// Messages is the number of message records to write: human messages,
	// replies and bot messages (Reddit: posts and comments). Joins, leaves
	// and reactions come on top.
	Messages int
	// Seed makes the output reproducible: the same seed and size give
	// byte-identical files.
	Seed uint64
	// Out is where to write: a folder (Slack, Discord), a zip file (Slack
	// with Zip) or an NDJSON file (Reddit).
	Out string
	// Zip writes a Slack export as one zip archive instead of a folder.
	Zip bool
	// Zstd compresses the Reddit NDJSON file with zstd.
	Zstd bool
}

// Counts are the expected results of importing what was written, by the
// counting rules every parser follows. Slack: a thread_broadcast counts once,
// as a reply. Discord: a duplicated message id counts once. Reddit: posts
// are counted in Messages and comments in Replies.
type Counts struct {
	Format string `json:"format"`
	// Messages are top-level messages by humans (kind "message"; Reddit
	// "post"), including authors shown as deleted.
	Messages int `json:"messages"`
	// Replies are human messages in a thread or answering another message
	// (kind "reply"; Reddit "comment").
	Replies int `json:"replies"`
	// BotMessages are messages written by bots (Author.IsBot).
	BotMessages int `json:"bot_messages"`
	// Reactions are one per (message, reacting member, base emoji): skin
	// tones are folded.
	Reactions int `json:"reactions"`
	// Joins and Leaves are channel or server joins and leaves.
	Joins  int `json:"joins"`
	Leaves int `json:"leaves"`
	// Authors is the number of distinct human accounts (by platform user
	// id; Reddit by username, "[deleted]" left out) with at least one
	// message or reply.
	Authors int `json:"authors"`
	// Files is the number of attachments on messages.
	Files int `json:"files"`
	// Activities is the total number of activities an import should store:
	// Messages + Replies + BotMessages + Reactions + Joins + Leaves.
	Activities int `json:"activities"`
	// Channels is the number of channels (Slack folders, Discord channel
	// files, subreddits).
	Channels int `json:"channels"`
	// Members is the number of accounts the generator invented (humans and
	// bot users); not all of them write.
	Members int `json:"members"`
	// Duplicates is the number of message records written twice (Discord)
	// and not counted again.
	Duplicates int `json:"duplicates"`
	// DeletedAuthors is the number of messages and replies whose author is
	// unknown (Reddit "[deleted]"); they are in Messages and Replies.
	DeletedAuthors int `json:"deleted_authors"`
}

func (c *Counts) total() {
	c.Activities = c.Messages + c.Replies + c.BotMessages + c.Reactions + c.Joins + c.Leaves
}

// Generate writes the export o describes and returns what it wrote.
func Generate(o Options) (Counts, error) {
	if o.Messages < 0 {
		return Counts{}, errors.New("gen: negative message count")
	}
	if o.Out == "" {
		return Counts{}, errors.New("gen: no output path")
	}
	switch o.Format {
	case FormatSlack:
		return genSlack(o)
	case FormatDiscord:
		return genDiscord(o)
	case FormatReddit:
		return genReddit(o)
	}
	return Counts{}, fmt.Errorf("gen: unknown format %q (want slack, discord or reddit)", o.Format)
}

// start and span place every synthetic timeline in one fixed year, so output
// does not depend on when the generator runs.
var start = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

const spanSeconds = 365 * 24 * 3600

// Shape parameters shared by the formats.
const (
	botShare      = 0.01 // share of messages written by bots
	threadShare   = 0.06 // share of human top-level messages that get replies
	replyMean     = 2.0  // mean extra replies beyond the first in a thread
	reactedShare  = 0.15 // share of messages with at least one reaction
	editedShare   = 0.03 // share of human messages edited
	fileShare     = 0.02 // share of top-level human messages with files
	zipfExponent  = 1.1  // author activity: a few write most
	membersPerMsg = 50   // one member per this many messages
	minMembers    = 20   // ... but at least this many
	joinGeneral   = 90   // percent of members who join the first channel
	joinOther     = 25   // percent who join each other channel
	leavePerMille = 20   // per mille of joins followed by a leave
	dupPerMillion = 200  // Discord: per million messages written twice
	deletedShare  = 0.03 // Reddit: share of "[deleted]" authors
	botUsers      = 3    // bot accounts (Slack bot users, Discord bots)
)

// world is what every format shares: the random source, the members and the
// author distribution.
type world struct {
	r       *rand.Rand
	members int // humans, indexed 0..members-1; lower index = more active
	zipf    *rand.Zipf
	authors []uint64 // bitset of humans who wrote a message or reply
	nauth   int
}

func newWorld(o Options) *world {
	m := o.Messages / membersPerMsg
	if m < minMembers {
		m = minMembers
	}
	r := rand.New(rand.NewPCG(o.Seed, 0x636f746572696521)) // "coterie!"
	return &world{
		r:       r,
		members: m,
		zipf:    rand.NewZipf(r, zipfExponent, 1, uint64(m-1)),
		authors: make([]uint64, (m+63)/64),
	}
}

// author draws a human author: heavy-tailed, so the first few members write
// most messages.
func (w *world) author() int { return int(w.zipf.Uint64()) }

// wrote records that human m wrote a message, for Counts.Authors.
func (w *world) wrote(m int) {
	if w.authors[m/64]&(1<<(m%64)) == 0 {
		w.authors[m/64] |= 1 << (m % 64)
		w.nauth++
	}
}

func (w *world) chance(p float64) bool { return w.r.Float64() < p }

// geometric returns a draw with the given mean from a geometric distribution
// on 0, 1, 2, ...
func (w *world) geometric(mean float64) int {
	p := 1 / (1 + mean)
	n := 0
	for w.r.Float64() >= p && n < 1000 {
		n++
	}
	return n
}

// hash mixes its inputs (splitmix64) for decisions that must not consume the
// random stream, such as who joins which channel.
func hash(seed uint64, a, b int) uint64 {
	x := seed ^ uint64(a)*0x9e3779b97f4a7c15 ^ uint64(b)*0xbf58476d1ce4e5b9
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// joins reports whether member m joins channel c, and whether they leave it
// again later.
func joins(seed uint64, m, c int) (join, leave bool) {
	h := hash(seed, m, c)
	pct := joinOther
	if c == 0 {
		pct = joinGeneral
	}
	join = int(h%100) < pct
	leave = join && int((h>>20)%1000) < leavePerMille
	return
}

// joinSecond is when member m joins a channel: members join in index order
// over the first 80% of the year, so join events form a sorted stream
// without being held in memory. A leave comes 15% of a year later.
func joinSecond(m, members int) int64 {
	return int64(m) * (spanSeconds * 8 / 10) / int64(members)
}

const leaveDelay = spanSeconds * 15 / 100

// splitBudget divides n messages among channels by weight, exactly.
func splitBudget(n int, weights []int) []int {
	sum := 0
	for _, w := range weights {
		sum += w
	}
	out := make([]int, len(weights))
	left := n
	for i, w := range weights {
		out[i] = n * w / sum
		left -= out[i]
	}
	out[0] += left
	return out
}
