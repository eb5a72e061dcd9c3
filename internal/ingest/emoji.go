package ingest

import (
	"strings"
	"unicode/utf8"
)

// BaseEmoji folds skin-tone modifiers into the base emoji, so that one member
// reacting with 👍 and 👍🏽 (or Slack's "+1" and "+1::skin-tone-3") counts as
// one reaction.
func BaseEmoji(name string) string {
	if i := strings.Index(name, "::skin-tone-"); i >= 0 {
		name = name[:i]
	}
	if !strings.ContainsFunc(name, isSkinTone) {
		return name
	}
	var b strings.Builder
	for _, r := range name {
		if !isSkinTone(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isSkinTone reports whether r is a Fitzpatrick modifier (U+1F3FB..U+1F3FF).
func isSkinTone(r rune) bool { return r >= 0x1F3FB && r <= 0x1F3FF }

// ReactionID is the external id of the reaction activity of one member with
// one (base) emoji on one message: one activity per (message, member, emoji).
func ReactionID(parentID, userID, emoji string) string {
	return parentID + "/reaction/" + userID + "/" + emoji
}

// Excerpt returns at most n bytes of s, cut at a rune boundary, for error
// messages that quote input.
func Excerpt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
