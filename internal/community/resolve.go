package community

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/ingest"
)

// identityKey is an identity as it is looked up: cross-platform kinds have
// an empty platform.
type identityKey struct {
	platform string
	kind     coterie.IdentityKind
	value    string
	norm     string
	verified bool
}

func (k identityKey) erasureKey() string {
	return k.platform + "\x00" + string(k.kind) + "\x00" + k.norm
}

func newIdentityKey(platform coterie.Platform, kind coterie.IdentityKind, value string, verified bool) identityKey {
	p := string(platform)
	if kind.CrossPlatform() {
		p = ""
	}
	return identityKey{platform: p, kind: kind, value: value, norm: NormalizeIdentity(kind, value), verified: verified}
}

// identitiesOf lists what a person record says about who they are. The
// platform user id comes first: it is how the person is found again.
func identitiesOf(platform coterie.Platform, p ingest.Person) []identityKey {
	keys := []identityKey{newIdentityKey(platform, coterie.IdentityUserID, p.ID, true)}
	if p.Username != "" && p.Username != p.ID {
		keys = append(keys, newIdentityKey(platform, coterie.IdentityUsername, p.Username, false))
	}
	if p.Email != "" {
		keys = append(keys, newIdentityKey(platform, coterie.IdentityEmail, p.Email, p.EmailVerified))
	}
	if p.Phone != "" {
		keys = append(keys, newIdentityKey(platform, coterie.IdentityPhone, p.Phone, false))
	}
	if p.ProfileURL != "" {
		keys = append(keys, newIdentityKey(platform, coterie.IdentityProfileURL, p.ProfileURL, false))
	}
	return keys
}

// resolve maps a person of this source to a member: the member that already
// holds one of the person's verified identities, or a new one. When verified
// identities point at two different members, they are the same person and
// are merged (reversibly). full says p is a whole profile (users.json) whose
// details should be applied to the member.
func (w *Writer) resolve(ctx context.Context, p ingest.Person, full bool) (actor, error) {
	if a, ok := w.actors[p.ID]; ok && (!full || a.profiled || a.erased) {
		return a, nil
	}
	keys := identitiesOf(w.src.Platform, p)
	for _, k := range keys {
		if w.erased[k.erasureKey()] {
			a := actor{erased: true}
			w.actors[p.ID] = a
			return a, nil
		}
	}

	if err := w.beforeWrite(ctx); err != nil {
		return actor{}, err
	}
	// Which members hold the person's verified identities?
	var members []coterie.ID
	var userIdentity coterie.ID
	found := make([]bool, len(keys))
	for i, k := range keys {
		if !k.verified {
			continue
		}
		var mid, iid coterie.ID
		err := w.queryRowP(ctx, `/* Community.ResolveIdentity */
			SELECT member_id, id FROM identity
			WHERE workspace_id = $1 AND platform = $2 AND kind = $3 AND value_normalized = $4 AND verified = 1`,
			[]any{w.comm.WorkspaceID, k.platform, string(k.kind), k.norm}, &mid, &iid)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return actor{}, fmt.Errorf("import: look up identity: %w", err)
		}
		found[i] = true
		if i == 0 {
			userIdentity = iid
		}
		if !containsID(members, mid) {
			members = append(members, mid)
		}
	}
	// The member that holds the account itself stays; others join it.
	primary := coterie.ID(0)
	if found[0] {
		primary = members[0]
	} else if len(members) > 0 {
		sort.Slice(members, func(i, j int) bool { return members[i] < members[j] })
		primary = members[0]
	}

	var memberID coterie.ID
	switch {
	case len(members) == 0:
		id, err := w.createMember(ctx, p)
		if err != nil {
			return actor{}, err
		}
		memberID = id
	default:
		memberID = primary
		for _, other := range members {
			if other == primary {
				continue
			}
			_, err := mergeMembers(ctx, w.conn, w.comm.WorkspaceID, memberID, other,
				"automatic: the same verified identity", w.store.now())
			if coterie.ErrorCode(err) == coterie.ECONFLICT {
				continue // someone said these two are not the same person
			}
			if err != nil {
				return actor{}, err
			}
			for _, rows := range [][]activityRow{w.done, w.cur} { // rows not written yet
				for i := range rows {
					if rows[i].memberID.Int64 == other {
						rows[i].memberID.Int64 = memberID
					}
					if rows[i].objectMemberID.Int64 == other {
						rows[i].objectMemberID.Int64 = memberID
					}
				}
			}
			for id, a := range w.actors { // people resolved before now belong to primary
				if a.memberID == other {
					a.memberID = memberID
					w.actors[id] = a
				}
			}
			if sp := w.memberSpan[other]; sp != nil {
				delete(w.memberSpan, other)
				w.touch(memberID, sp.first, false)
				w.touch(memberID, sp.last, false)
				if sp.joined != 0 {
					w.touch(memberID, sp.joined, true)
				}
			}
		}
		if full || userIdentity == 0 {
			if err := w.updateMember(ctx, memberID, p); err != nil {
				return actor{}, err
			}
		}
	}

	newMember := len(members) == 0
	for i, k := range keys {
		if found[i] {
			continue // stored already: this member's, or one that stays apart (no-merge)
		}
		id, added, err := w.addIdentity(ctx, memberID, k, newMember || k.verified)
		if err != nil {
			return actor{}, err
		}
		if added {
			w.fileCounts.IdentitiesAdded++
		}
		if i == 0 {
			userIdentity = id
		}
	}
	a := actor{memberID: memberID, identityID: userIdentity, profiled: full}
	w.actors[p.ID] = a
	return a, nil
}

func containsID(ids []coterie.ID, id coterie.ID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func personAttributes(p ingest.Person) string {
	attrs := map[string]any{}
	for k, v := range p.Attributes {
		attrs[k] = v
	}
	if p.Timezone != "" {
		attrs["timezone"] = p.Timezone
	}
	if p.AvatarURL != "" {
		attrs["avatar_url"] = p.AvatarURL
	}
	if p.IsDeleted {
		attrs["deleted"] = true
	}
	b, err := json.Marshal(attrs)
	if err != nil {
		return "{}"
	}
	return string(b)
}

func displayName(p ingest.Person) string {
	switch {
	case p.DisplayName != "":
		return p.DisplayName
	case p.Username != "":
		return p.Username
	default:
		return p.ID
	}
}

func (w *Writer) createMember(ctx context.Context, p ingest.Person) (coterie.ID, error) {
	var id coterie.ID
	err := w.queryRowP(ctx, `/* Community.CreateMember */
		INSERT INTO member (workspace_id, display_name, is_bot, attributes_json, created_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		[]any{w.comm.WorkspaceID, displayName(p), boolInt(p.IsBot), personAttributes(p), ms(w.store.now())}, &id)
	if err != nil {
		return 0, fmt.Errorf("import: create member %q: %w", p.ID, err)
	}
	w.fileCounts.MembersAdded++
	return id, nil
}

// updateMember applies a profile to an existing member, leaving alone what
// a person changed by hand. A bot stays a bot.
func (w *Writer) updateMember(ctx context.Context, id coterie.ID, p ingest.Person) error {
	var name, manual string
	var isBot int
	if err := w.queryRowP(ctx, `/* Community.UpdateMember */
		SELECT display_name, is_bot, manually_changed_fields FROM member WHERE id = $1`, []any{id}, &name, &isBot, &manual); err != nil {
		return fmt.Errorf("import: read member %d: %w", id, err)
	}
	newName := name
	if !hasField(manual, "display_name") && (p.DisplayName != "" || name == "") {
		newName = displayName(p)
	}
	newBot := isBot
	if p.IsBot && !hasField(manual, "is_bot") {
		newBot = 1
	}
	if newName == name && newBot == isBot {
		return nil
	}
	if _, err := w.execP(ctx, `/* Community.UpdateMember */
		UPDATE member SET display_name = $2, is_bot = $3 WHERE id = $1`, id, newName, newBot); err != nil {
		return fmt.Errorf("import: update member %d: %w", id, err)
	}
	return nil
}

// addIdentity gives a member an identity unless it has it. known says the
// caller already knows the identity is not stored for this member (a new
// member, or a verified identity resolve looked up and did not find), which
// saves a query per identity on the import's hot path.
func (w *Writer) addIdentity(ctx context.Context, memberID coterie.ID, k identityKey, known bool) (coterie.ID, bool, error) {
	var id coterie.ID
	if !known {
		// Unverified identities are kept once per member (not enforced by
		// an index, so that a merge can move identities without conflicts).
		err := w.queryRowP(ctx, `/* Community.AddIdentity */ SELECT id FROM identity
			WHERE member_id = $1 AND platform = $2 AND kind = $3 AND value_normalized = $4 AND verified = 0`,
			[]any{memberID, k.platform, string(k.kind), k.norm}, &id)
		if err == nil {
			return id, false, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, false, fmt.Errorf("import: find identity: %w", err)
		}
	}
	err := w.queryRowP(ctx, `/* Community.AddIdentity */
		INSERT INTO identity (workspace_id, member_id, platform, kind, value, value_normalized, verified, source_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		[]any{w.comm.WorkspaceID, memberID, k.platform, string(k.kind), k.value, k.norm, boolInt(k.verified), w.src.ID, ms(w.store.now())}, &id)
	if err != nil {
		return 0, false, fmt.Errorf("import: add identity: %w", err)
	}
	return id, true, nil
}
