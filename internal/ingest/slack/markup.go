package slack

import "strings"

// markupAttributes finds Slack's markup in a message's text — <@U123> or
// <@U123|name> (a user), <#C123|name> (a channel), <!here> (a broadcast),
// <https://…|label> (a link) — and returns the users mentioned under
// "mentions", the channels under "channel_mentions", the broadcasts under
// "broadcasts" and the link targets under "links". The body itself is kept
// raw; nil when there is no markup.
func markupAttributes(text string) map[string]any {
	if !strings.Contains(text, "<") {
		return nil
	}
	var mentions, channels, broadcasts, links []string
	for rest := text; ; {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			break
		}
		rest = rest[i+1:]
		j := strings.IndexByte(rest, '>')
		if j < 0 {
			break
		}
		tag := rest[:j]
		rest = rest[j+1:]
		target, _, _ := strings.Cut(tag, "|")
		switch {
		case strings.HasPrefix(target, "@"):
			mentions = appendNew(mentions, target[1:])
		case strings.HasPrefix(target, "#"):
			channels = appendNew(channels, target[1:])
		case strings.HasPrefix(target, "!"):
			// <!here>, <!channel>, <!subteam^S123>, <!date^…>
			broadcasts = appendNew(broadcasts, target[1:])
		case strings.Contains(target, ":"):
			// http(s), mailto, tel: Slack escapes & < > inside the tag.
			links = appendNew(links, unescape(target))
		}
	}
	attrs := map[string]any{}
	set := func(key string, v []string) {
		if len(v) > 0 {
			attrs[key] = v
		}
	}
	set("mentions", mentions)
	set("channel_mentions", channels)
	set("broadcasts", broadcasts)
	set("links", links)
	if len(attrs) == 0 {
		return nil
	}
	return attrs
}

func appendNew(list []string, v string) []string {
	if v == "" {
		return list
	}
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}

var unescaper = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

func unescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return unescaper.Replace(s)
}
