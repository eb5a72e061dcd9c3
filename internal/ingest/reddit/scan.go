package reddit

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// A dump line carries a hundred or more fields, of which Coterie keeps
// about fifteen. encoding/json (v1, the only JSON package the project may
// use) spends most of its time in its byte-at-a-time scanner skipping the
// rest, which kept a line at ~30 µs, below the 50k records/s the import
// must reach. This scanner walks the top-level object once, validating the
// JSON as it goes, hands the wanted fields' raw values to record.set and
// skips everything else without decoding it.

// special marks the bytes that end a run of plain string content: the
// closing quote, an escape, a control character.
var special = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// maxDepth bounds nesting in skipped values, so hostile input cannot
// exhaust the stack.
const maxDepth = 1000

type scanner struct {
	data []byte
	i    int
}

func (s *scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("invalid JSON at byte %d: %s", s.i, fmt.Sprintf(format, args...))
}

func (s *scanner) ws() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// expect consumes c, after white space.
func (s *scanner) expect(c byte) error {
	s.ws()
	if s.i >= len(s.data) {
		return s.errorf("unexpected end of line, want %q", c)
	}
	if s.data[s.i] != c {
		return s.errorf("unexpected %q, want %q", s.data[s.i], c)
	}
	s.i++
	return nil
}

// scanObject walks the JSON object that must make up all of data, calling
// field for each top-level member with the key's raw bytes (between the
// quotes), whether the key holds escapes, and the value's raw bytes.
func scanObject(data []byte, field func(key []byte, escaped bool, value []byte) error) error {
	s := scanner{data: data}
	if err := s.expect('{'); err != nil {
		return err
	}
	s.ws()
	if s.i < len(data) && data[s.i] == '}' {
		s.i++
	} else {
		for {
			s.ws()
			if s.i >= len(data) || data[s.i] != '"' {
				return s.errorf("want a member name")
			}
			kStart := s.i + 1
			escaped, err := s.skipString()
			if err != nil {
				return err
			}
			key := data[kStart : s.i-1]
			if err := s.expect(':'); err != nil {
				return err
			}
			s.ws()
			vStart := s.i
			if err := s.skipValue(0); err != nil {
				return err
			}
			if err := field(key, escaped, data[vStart:s.i]); err != nil {
				return err
			}
			s.ws()
			if s.i >= len(data) {
				return s.errorf("unexpected end of line in object")
			}
			c := data[s.i]
			s.i++
			if c == '}' {
				break
			}
			if c != ',' {
				s.i--
				return s.errorf("unexpected %q after object member", c)
			}
		}
	}
	s.ws()
	if s.i != len(data) {
		return s.errorf("data after the object")
	}
	return nil
}

// skipString moves past the string starting at s.i and reports whether it
// holds escapes.
func (s *scanner) skipString() (escaped bool, err error) {
	s.i++ // opening quote
	for s.i < len(s.data) {
		// Most bytes are plain: run past them before looking closer.
		for s.i < len(s.data) && !special[s.data[s.i]] {
			s.i++
		}
		if s.i >= len(s.data) {
			break
		}
		c := s.data[s.i]
		switch {
		case c == '"':
			s.i++
			return escaped, nil
		case c == '\\':
			escaped = true
			if s.i+1 >= len(s.data) {
				return false, s.errorf("unterminated string")
			}
			switch s.data[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if _, ok := hex4(s.data[s.i+2:]); !ok {
					return false, s.errorf("invalid \\u escape")
				}
				s.i += 6
			default:
				return false, s.errorf("invalid escape")
			}
		case c < 0x20:
			return false, s.errorf("control character in string")
		default:
			s.i++
		}
	}
	return false, s.errorf("unterminated string")
}

func (s *scanner) skipValue(depth int) error {
	if depth > maxDepth {
		return s.errorf("nested too deeply")
	}
	if s.i >= len(s.data) {
		return s.errorf("unexpected end of line, want a value")
	}
	switch c := s.data[s.i]; {
	case c == '"':
		_, err := s.skipString()
		return err
	case c == '{':
		s.i++
		s.ws()
		if s.i < len(s.data) && s.data[s.i] == '}' {
			s.i++
			return nil
		}
		for {
			s.ws()
			if s.i >= len(s.data) || s.data[s.i] != '"' {
				return s.errorf("want a member name")
			}
			if _, err := s.skipString(); err != nil {
				return err
			}
			if err := s.expect(':'); err != nil {
				return err
			}
			s.ws()
			if err := s.skipValue(depth + 1); err != nil {
				return err
			}
			if done, err := s.next('}'); done || err != nil {
				return err
			}
		}
	case c == '[':
		s.i++
		s.ws()
		if s.i < len(s.data) && s.data[s.i] == ']' {
			s.i++
			return nil
		}
		for {
			s.ws()
			if err := s.skipValue(depth + 1); err != nil {
				return err
			}
			if done, err := s.next(']'); done || err != nil {
				return err
			}
		}
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	default:
		return s.errorf("unexpected %q, want a value", c)
	}
}

// number moves past a number, following JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() error {
	d := s.data
	if s.i < len(d) && d[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(d) && d[s.i] == '0':
		s.i++
	case s.i < len(d) && d[s.i] >= '1' && d[s.i] <= '9':
		s.digits()
	default:
		return s.errorf("invalid number")
	}
	if s.i < len(d) && d[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return s.errorf("invalid number")
		}
	}
	if s.i < len(d) && (d[s.i] == 'e' || d[s.i] == 'E') {
		s.i++
		if s.i < len(d) && (d[s.i] == '+' || d[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return s.errorf("invalid number")
		}
	}
	return nil
}

func (s *scanner) digits() int {
	start := s.i
	for s.i < len(s.data) && s.data[s.i] >= '0' && s.data[s.i] <= '9' {
		s.i++
	}
	return s.i - start
}

// next consumes the separator after an element: ',' (more to come) or end
// (done).
func (s *scanner) next(end byte) (done bool, err error) {
	s.ws()
	if s.i >= len(s.data) {
		return false, s.errorf("unexpected end of line, want ',' or %q", end)
	}
	switch s.data[s.i] {
	case ',':
		s.i++
		return false, nil
	case end:
		s.i++
		return true, nil
	}
	return false, s.errorf("unexpected %q, want ',' or %q", s.data[s.i], end)
}

func (s *scanner) literal(lit string) error {
	if !bytes.HasPrefix(s.data[s.i:], []byte(lit)) {
		return s.errorf("invalid literal, want %s", lit)
	}
	s.i += len(lit)
	return nil
}

// jsonString decodes a raw JSON value that must be a string or null.
func jsonString(raw []byte) (s string, isNull bool, err error) {
	if len(raw) == 4 && string(raw) == "null" {
		return "", true, nil
	}
	if len(raw) < 2 || raw[0] != '"' {
		return "", false, fmt.Errorf("want a string, got %s", excerpt(raw))
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), false, nil
	}
	s, err = unescape(inner)
	return s, false, err
}

// unescape decodes a JSON string's escapes; invalid UTF-8 and lone
// surrogates become U+FFFD, as encoding/json does.
func unescape(in []byte) (string, error) {
	out := make([]byte, 0, len(in))
	for i := 0; i < len(in); {
		c := in[i]
		if c != '\\' {
			if c < utf8.RuneSelf {
				out = append(out, c)
				i++
				continue
			}
			r, size := utf8.DecodeRune(in[i:])
			out = utf8.AppendRune(out, r) // RuneError for invalid bytes
			i += size
			continue
		}
		if i+1 >= len(in) {
			return "", fmt.Errorf("invalid escape at end of string")
		}
		switch e := in[i+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(in[i+2:])
			if !ok {
				return "", fmt.Errorf("invalid \\u escape")
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(in) && in[i] == '\\' && in[i+1] == 'u' {
					if r2, ok := hex4(in[i+2:]); ok {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							out = utf8.AppendRune(out, dec)
							i += 6
							continue
						}
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
			continue
		default:
			return "", fmt.Errorf("invalid escape \\%c", e)
		}
		i += 2
	}
	return string(out), nil
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func excerpt(b []byte) string {
	if len(b) > 40 {
		b = b[:40]
	}
	return strconv.Quote(string(b))
}
