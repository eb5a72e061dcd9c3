package discourse

import (
	"html"
	"strings"
)

// cookedText is what plainText extracts from a post's cooked HTML.
type cookedText struct {
	Text        string
	Mentions    []string // usernames of @mentions
	Attachments []string // upload and image URLs
}

// plainText turns Discourse's cooked HTML into plain text. It is a small
// tag stripper, not an HTML parser: cooked HTML is machine-made and
// well-formed, and the output is only for reading and text analysis.
// Paragraphs become blank lines, <br> a newline, list items "- " lines;
// entities are decoded; scripts, styles and quoted posts (aside.quote, the
// text of someone else) are left out; emoji images become their :name:.
// Malformed input never panics: an unterminated tag ends the text.
func plainText(s string) cookedText {
	var out cookedText
	var b strings.Builder
	b.Grow(len(s))
	pre := 0 // depth of <pre>: whitespace is kept inside
	space := func() {
		if b.Len() == 0 {
			return
		}
		if c := b.String()[b.Len()-1]; c != '\n' && c != ' ' {
			b.WriteByte(' ')
		}
	}
	for i := 0; i < len(s); {
		if s[i] != '<' {
			j := strings.IndexByte(s[i:], '<')
			if j < 0 {
				j = len(s) - i
			}
			text := html.UnescapeString(s[i : i+j])
			if pre > 0 {
				b.WriteString(text)
			} else {
				for k, f := range strings.Fields(" " + text + " ") {
					if k > 0 || text != "" && isSpace(text[0]) {
						space()
					}
					b.WriteString(f)
				}
				if text != "" && isSpace(text[len(text)-1]) {
					space()
				}
			}
			i += j
			continue
		}
		if strings.HasPrefix(s[i:], "<!--") {
			end := strings.Index(s[i+4:], "-->")
			if end < 0 {
				break
			}
			i += 4 + end + 3
			continue
		}
		t, next, ok := readTag(s, i)
		if !ok {
			// A lone "<" is text.
			b.WriteByte('<')
			i++
			continue
		}
		if next < 0 {
			break // unterminated tag: the input was cut
		}
		i = next
		switch t.name {
		case "script", "style", "template":
			i = skipElement(s, i, t.name)
			continue
		case "aside", "div":
			if !t.closing && hasClass(t.attr("class"), "quote") {
				i = skipElement(s, i, t.name)
				b.WriteByte('\n')
				continue
			}
			b.WriteByte('\n')
		case "br":
			b.WriteByte('\n')
		case "p", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "tr", "details", "summary", "hr":
			b.WriteByte('\n')
		case "pre":
			b.WriteByte('\n')
			if t.closing {
				pre = max(pre-1, 0)
			} else {
				pre++
			}
		case "li":
			if !t.closing {
				b.WriteString("\n- ")
			}
		case "td", "th":
			space()
		case "img":
			class := t.attr("class")
			switch {
			case hasClass(class, "emoji"):
				b.WriteString(t.attr("alt"))
			case hasClass(class, "avatar"):
			default:
				if src := t.attr("src"); src != "" {
					out.Attachments = append(out.Attachments, src)
				}
			}
		case "a":
			if t.closing {
				break
			}
			class := t.attr("class")
			href := t.attr("href")
			switch {
			case hasClass(class, "mention"):
				if u, ok := strings.CutPrefix(href, "/u/"); ok && u != "" {
					out.Mentions = append(out.Mentions, strings.TrimSuffix(u, "/"))
				}
			case hasClass(class, "attachment") && href != "":
				out.Attachments = append(out.Attachments, href)
			}
		}
	}
	out.Text = tidy(b.String())
	return out
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' }

// tidy trims each line's end and keeps at most one blank line in a row.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := true
	for _, l := range lines {
		l = strings.TrimRight(l, " \t\r")
		if l == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// tag is one start or end tag.
type tag struct {
	name    string // lower case
	closing bool
	attrs   string
}

// readTag reads the tag at s[i] == '<'. ok is false when no tag name follows
// (a lone "<"); next is the index after '>', or -1 when the tag never ends.
func readTag(s string, i int) (t tag, next int, ok bool) {
	j := i + 1
	if j < len(s) && s[j] == '/' {
		t.closing = true
		j++
	}
	start := j
	if j == len(s) || !(s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
		return t, 0, false // a tag name starts with a letter
	}
	for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
		j++
	}
	if j == start {
		return t, 0, false
	}
	t.name = strings.ToLower(s[start:j])
	attrStart := j
	var quote byte
	for ; j < len(s); j++ {
		c := s[j]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			t.attrs = s[attrStart:j]
			return t, j + 1, true
		}
	}
	return t, -1, true
}

// skipElement returns the index after the end tag closing the element whose
// start tag ended at i, counting nested elements of the same name.
func skipElement(s string, i int, name string) int {
	depth := 1
	for i < len(s) {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			return len(s)
		}
		i += j
		t, next, ok := readTag(s, i)
		if !ok {
			i++
			continue
		}
		if next < 0 {
			return len(s)
		}
		i = next
		if t.name != name || strings.HasSuffix(t.attrs, "/") {
			continue
		}
		if t.closing {
			depth--
			if depth == 0 {
				return i
			}
		} else {
			depth++
		}
	}
	return len(s)
}

// attr returns the decoded value of the named attribute, or "".
func (t tag) attr(name string) string {
	s := t.attrs
	for i := 0; i < len(s); {
		for i < len(s) && (isSpace(s[i]) || s[i] == '/') {
			i++
		}
		start := i
		for i < len(s) && !isSpace(s[i]) && s[i] != '=' && s[i] != '/' {
			i++
		}
		key := s[start:i]
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		value := ""
		if i < len(s) && s[i] == '=' {
			i++
			for i < len(s) && isSpace(s[i]) {
				i++
			}
			if i < len(s) && (s[i] == '"' || s[i] == '\'') {
				q := s[i]
				end := strings.IndexByte(s[i+1:], q)
				if end < 0 {
					value, i = s[i+1:], len(s)
				} else {
					value, i = s[i+1:i+1+end], i+end+2
				}
			} else {
				vs := i
				for i < len(s) && !isSpace(s[i]) {
					i++
				}
				value = s[vs:i]
			}
		}
		if key == "" {
			i++
			continue
		}
		if strings.EqualFold(key, name) {
			return html.UnescapeString(value)
		}
	}
	return ""
}

func hasClass(classes, want string) bool {
	for _, c := range strings.Fields(classes) {
		if c == want {
			return true
		}
	}
	return false
}
