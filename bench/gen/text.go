package gen

import (
	"strconv"
	"strings"
)

// vocabulary is small on purpose: realistic word lengths and a little
// Unicode, cheap to draw from.
var vocabulary = strings.Fields(`
the a and to of in is it you that for on with this was have are be at so just
but not what do can my we they all if about like your one get out up how when
there would more some think know really thanks good great new love use need
try make look time today anyone here please help question idea product brand
community team event meetup launch sample shade formula scent texture review
order shipping discount code referral gift box routine skin hair nails vintage
jacket bag leather wool yarn pattern stitch colour palette chart dataset query
lesson grammar vocabulary practice weekend morning tonight recipe coffee matcha
café crème brûlée naïve über jalapeño señor façade déjà-vu Zürich 日本語 한국어
ありがとう 안녕하세요 merci danke gracias obrigado awesome amazing lovely cozy
honestly actually definitely maybe probably anyway though because until since
`)

var emojis = []string{"🎉", "👍🏽", "👍", "❤️", "😂", "🙌", "✨", "🔥", "😍", "🙏🏾"}

var punct = []string{".", ".", ".", "!", "?", "…", ""}

// firstNames and lastNames make display names; asciiFirst and asciiLast the
// matching usernames.
var (
	firstNames = []string{"Amélie", "Jürgen", "Zoë", "Søren", "Chloé", "Björn", "Ana", "Kenji", "Priya", "Mateo",
		"Aisha", "Liam", "Yuki", "Olivia", "Noah", "Fatima", "Elena", "Lucas", "Mia", "Omar",
		"Sofía", "Hiro", "Emma", "Ravi", "Ines", "Jonas", "Nora", "Tomás", "Lea", "Ming"}
	asciiFirst = []string{"amelie", "juergen", "zoe", "soeren", "chloe", "bjoern", "ana", "kenji", "priya", "mateo",
		"aisha", "liam", "yuki", "olivia", "noah", "fatima", "elena", "lucas", "mia", "omar",
		"sofia", "hiro", "emma", "ravi", "ines", "jonas", "nora", "tomas", "lea", "ming"}
	lastNames = []string{"Dupont", "Müller", "García", "Tanaka", "Okafor", "Nguyen", "Kowalski", "Rossi", "Silva", "Kim",
		"Johansson", "Haddad", "Novák", "O'Brien", "Petrović", "Yılmaz", "Schmidt", "Moreau", "Santos", "Chen",
		"Andersen", "Ivanova", "Costa", "Fischer", "Lefèvre", "Mendes", "Sato", "Walsh", "Weiß", "Łukasik"}
	asciiLast = []string{"dupont", "mueller", "garcia", "tanaka", "okafor", "nguyen", "kowalski", "rossi", "silva", "kim",
		"johansson", "haddad", "novak", "obrien", "petrovic", "yilmaz", "schmidt", "moreau", "santos", "chen",
		"andersen", "ivanova", "costa", "fischer", "lefevre", "mendes", "sato", "walsh", "weiss", "lukasik"}
)

// displayName and username of human member m; usernames are unique.
func displayName(m int) string {
	return firstNames[m%len(firstNames)] + " " + lastNames[(m/len(firstNames))%len(lastNames)]
}

func username(m int) string {
	s := asciiFirst[m%len(firstNames)] + "." + asciiLast[(m/len(firstNames))%len(lastNames)]
	if k := m / (len(firstNames) * len(lastNames)); k > 0 {
		s += strconv.Itoa(k)
	}
	return s
}

// gmailPairs are pairs of members whose addresses differ only by dots and
// +tags, so identity resolution has something to normalise.
var gmailPairs = [][2]int{{3, 11}, {7, 19}, {13, 17}}

var gmailAddrs = [][2]string{
	{"sam.rivers@gmail.com", "samrivers+community@gmail.com"},
	{"k.o.lee@gmail.com", "kolee@gmail.com"},
	{"jo.martin.dev@gmail.com", "Jo.Martin.Dev+slack@gmail.com"},
}

// email of human member m.
func email(m int) string {
	for i, p := range gmailPairs {
		if m == p[0] {
			return gmailAddrs[i][0]
		}
		if m == p[1] {
			return gmailAddrs[i][1]
		}
	}
	s := strconv.Itoa(m)
	for len(s) < 3 {
		s = "0" + s
	}
	return "member" + s + "@example.org"
}

// textStyle renders the markup of one platform.
type textStyle struct {
	mention func(b []byte, m int) []byte
	link    func(b []byte, url, label string) []byte
}

// text writes a chat line of 20 to 200 bytes (most near 60) and returns it
// with the member it mentions, or -1.
func (w *world) text(buf []byte, st textStyle) ([]byte, int) {
	b := buf[:0]
	target := 20 + int(w.r.ExpFloat64()*45)
	if target > 190 {
		target = 190
	}
	mentioned := -1
	if w.chance(0.05) && st.mention != nil {
		mentioned = w.author()
		b = st.mention(b, mentioned)
		b = append(b, ' ')
	}
	first := true
	for len(b) < target {
		if !first {
			b = append(b, ' ')
		}
		word := vocabulary[w.r.IntN(len(vocabulary))]
		if first && word[0] >= 'a' && word[0] <= 'z' {
			b = append(b, word[0]-'a'+'A')
			b = append(b, word[1:]...)
		} else {
			b = append(b, word...)
		}
		first = false
	}
	b = append(b, punct[w.r.IntN(len(punct))]...)
	if w.chance(0.03) && st.link != nil {
		id := strconv.Itoa(w.r.IntN(100000))
		b = append(b, ' ')
		b = st.link(b, "https://example.org/p/"+id, "post "+id)
	}
	if w.chance(0.12) {
		b = append(b, ' ')
		b = append(b, emojis[w.r.IntN(len(emojis))]...)
	}
	return b, mentioned
}
