package community

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/coteriehq/coterie/internal/coterie"
)

// Suggestion is a pair of members that may be one person, with the evidence.
// Only a verified identity merges members automatically; everything weaker
// ends up here, for a person to decide.
type Suggestion struct {
	MemberA coterie.ID `json:"member_a"`
	MemberB coterie.ID `json:"member_b"`
	NameA   string     `json:"name_a"`
	NameB   string     `json:"name_b"`
	Score   float64    `json:"score"`
	Reasons []string   `json:"reasons"`
}

type suggestMember struct {
	id        coterie.ID
	name      string
	timezone  string
	platforms map[string]bool
	idents    map[string]bool // kind|normalized value of unverified email/phone
	usernames map[string]bool // username stems
}

// maxGroup bounds how many members one key may pair: a name shared by more
// people than this ("Alex") says nothing.
const maxGroup = 12

// usernameStem reduces a username to its letters, so "jane.doe_92" and
// "janedoe" meet.
func usernameStem(u string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(u) {
		if r >= 'a' && r <= 'z' || r > 0x7f {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Suggestions lists likely duplicate members of a workspace, best first.
func (s *Store) Suggestions(ctx context.Context, workspaceID coterie.ID, limit int) ([]Suggestion, error) {
	members := map[coterie.ID]*suggestMember{}
	rows, err := s.db.Read.QueryContext(ctx, `/* Community.Suggestions */
		SELECT id, display_name, attributes_json FROM member
		WHERE workspace_id = $1 AND merged_into IS NULL AND is_bot = 0`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("suggestions: %w", err)
	}
	for rows.Next() {
		m := &suggestMember{platforms: map[string]bool{}, idents: map[string]bool{}, usernames: map[string]bool{}}
		var attrs string
		if err := rows.Scan(&m.id, &m.name, &attrs); err != nil {
			rows.Close()
			return nil, err
		}
		if i := strings.Index(attrs, `"timezone":"`); i >= 0 {
			rest := attrs[i+len(`"timezone":"`):]
			if j := strings.IndexByte(rest, '"'); j >= 0 {
				m.timezone = rest[:j]
			}
		}
		members[m.id] = m
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.db.Read.QueryContext(ctx, `/* Community.Suggestions */
		SELECT member_id, platform, kind, value_normalized, verified FROM identity WHERE workspace_id = $1`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("suggestions: %w", err)
	}
	for rows.Next() {
		var mid coterie.ID
		var platform, kind, value string
		var verified int
		if err := rows.Scan(&mid, &platform, &kind, &value, &verified); err != nil {
			rows.Close()
			return nil, err
		}
		m := members[mid]
		if m == nil {
			continue
		}
		if platform != "" {
			m.platforms[platform] = true
		}
		switch coterie.IdentityKind(kind) {
		case coterie.IdentityEmail, coterie.IdentityPhone:
			m.idents[kind+"|"+value] = true
		case coterie.IdentityUsername:
			if st := usernameStem(value); len([]rune(st)) >= 4 {
				m.usernames[st] = true
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	blocked := map[[2]coterie.ID]bool{}
	rows, err = s.db.Read.QueryContext(ctx, `SELECT member_a, member_b FROM no_merge WHERE workspace_id = $1`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("suggestions: %w", err)
	}
	for rows.Next() {
		var a, b coterie.ID
		if err := rows.Scan(&a, &b); err != nil {
			rows.Close()
			return nil, err
		}
		blocked[[2]coterie.ID{a, b}] = true
	}
	rows.Close()

	// Block on keys so only members sharing something are compared.
	groups := map[string][]coterie.ID{}
	for _, m := range members {
		if n := NormalizeName(m.name); len([]rune(n)) >= 3 {
			groups["name|"+n] = append(groups["name|"+n], m.id)
		}
		for k := range m.idents {
			groups["ident|"+k] = append(groups["ident|"+k], m.id)
		}
		for u := range m.usernames {
			groups["user|"+u] = append(groups["user|"+u], m.id)
		}
	}
	pairs := map[[2]coterie.ID]bool{}
	for _, ids := range groups {
		if len(ids) < 2 || len(ids) > maxGroup {
			continue
		}
		for i := range ids {
			for j := i + 1; j < len(ids); j++ {
				a, b := orderedPair(ids[i], ids[j])
				pairs[[2]coterie.ID{a, b}] = true
			}
		}
	}
	var out []Suggestion
	for p := range pairs {
		if blocked[p] {
			continue
		}
		if sg, ok := scorePair(members[p[0]], members[p[1]]); ok {
			out = append(out, sg)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		if out[i].MemberA != out[j].MemberA {
			return out[i].MemberA < out[j].MemberA
		}
		return out[i].MemberB < out[j].MemberB
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// scorePair weighs the evidence that a and b are one person. A shared name
// alone is not enough; it needs a corroborating attribute.
func scorePair(a, b *suggestMember) (Suggestion, bool) {
	sg := Suggestion{MemberA: a.id, MemberB: b.id, NameA: a.name, NameB: b.name}
	sameName := NormalizeName(a.name) != "" && NormalizeName(a.name) == NormalizeName(b.name)
	corroborated := false
	for k := range a.idents {
		if b.idents[k] {
			kind, _, _ := strings.Cut(k, "|")
			sg.Score += 0.6
			sg.Reasons = append(sg.Reasons, "same unverified "+kind)
			corroborated = true
		}
	}
	for u := range a.usernames {
		if b.usernames[u] {
			sg.Score += 0.3
			sg.Reasons = append(sg.Reasons, "near-identical usernames")
			corroborated = true
			break
		}
	}
	if sameName {
		if a.timezone != "" && a.timezone == b.timezone {
			sg.Score += 0.1
			sg.Reasons = append(sg.Reasons, "same time zone")
			corroborated = true
		}
		crossPlatform := false
		for p := range a.platforms {
			if !b.platforms[p] {
				crossPlatform = true
			}
		}
		if crossPlatform && corroborated {
			sg.Reasons = append(sg.Reasons, "on different platforms")
			sg.Score += 0.1
		}
		sg.Score += 0.3
		sg.Reasons = append([]string{"same display name"}, sg.Reasons...)
	}
	if !corroborated {
		return sg, false
	}
	if sg.Score > 1 {
		sg.Score = 1
	}
	sg.Score = float64(int(sg.Score*100+0.5)) / 100
	return sg, true
}
