package community

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

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

// identRef is a stored verified identity: whose it is, and its id.
type identRef struct {
	member, id coterie.ID
}

func (k identityKey) lookupKey() string {
	return k.platform + "\x00" + string(k.kind) + "\x00" + k.norm
}

// loadIdentities reads the workspace's verified identities that this
// source's people can have (its platform's, and e-mails and phones), so
// resolving a person needs no query. The index is kept in step with what
// the writer stores; a concurrent writer's rows are caught by the unique
// index on insert (see addIdentity).
func (w *Writer) loadIdentities(ctx context.Context) error {
	rows, err := w.conn.QueryContext(ctx, `/* Community.LoadIdentities */
		SELECT platform, kind, value_normalized, member_id, id FROM identity
		WHERE workspace_id = $1 AND verified = 1 AND (platform = $2 OR platform = '')`,
		w.comm.WorkspaceID, string(w.src.Platform))
	if err != nil {
		return fmt.Errorf("import: read identities: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p, k, v string
		var ref identRef
		if err := rows.Scan(&p, &k, &v, &ref.member, &ref.id); err != nil {
			return err
		}
		w.idents[p+"\x00"+k+"\x00"+v] = ref
	}
	return rows.Err()
}

// remember records a verified identity stored in the current file, so a
// rolled-back file can take it out of the index again.
func (w *Writer) remember(k identityKey, ref identRef) {
	key := k.lookupKey()
	w.idents[key] = ref
	w.fileIdents = append(w.fileIdents, key)
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
	found := make([]bool, len(keys))
	for i, k := range keys {
		if !k.verified {
			continue
		}
		if ref, ok := w.idents[k.lookupKey()]; ok {
			found[i] = true
			if !containsID(members, ref.member) {
				members = append(members, ref.member)
			}
		}
	}
	var memberID coterie.ID
	if len(members) == 0 {
		id, err := w.createMember(ctx, p, keys)
		if err != nil {
			return actor{}, err
		}
		memberID = id
		for i := range found {
			found[i] = true // createMember stored them all
		}
	} else {
		// The member that holds the account itself stays; others join it.
		memberID = members[0]
		if !found[0] {
			memberID = slices.Min(members)
		}
		if full || !found[0] {
			if err := w.updateMember(ctx, memberID, p); err != nil {
				return actor{}, err
			}
		}
	}
	for i, k := range keys {
		if found[i] {
			continue // stored already: this member's, or one that stays apart (no-merge)
		}
		if err := w.addIdentity(ctx, memberID, k); err != nil {
			return actor{}, err
		}
	}
	// Verified identities held by other members: the same person.
	for _, k := range keys {
		if !k.verified {
			continue
		}
		ref, ok := w.idents[k.lookupKey()]
		if !ok || ref.member == memberID {
			continue
		}
		if err := w.autoMerge(ctx, memberID, ref.member); err != nil {
			return actor{}, err
		}
	}
	a := actor{memberID: memberID, identityID: w.idents[keys[0].lookupKey()].id, profiled: full}
	if a.identityID == 0 {
		return actor{}, fmt.Errorf("import: person %q has no stored account identity", p.ID)
	}
	w.actors[p.ID] = a
	return a, nil
}

// autoMerge folds member other into member into because they share a
// verified identity, unless someone said they are different people, and
// points everything the writer holds in memory at the survivor.
func (w *Writer) autoMerge(ctx context.Context, into, other coterie.ID) error {
	_, err := mergeMembers(ctx, w.conn, w.comm.WorkspaceID, into, other,
		"automatic: the same verified identity", w.store.now())
	if coterie.ErrorCode(err) == coterie.ECONFLICT {
		return nil // no-merge: they stay apart
	}
	if err != nil {
		return err
	}
	w.fileMerged = true
	for k, ref := range w.idents {
		if ref.member == other {
			ref.member = into
			w.idents[k] = ref
		}
	}
	for _, rows := range [][]activityRow{w.done, w.cur} { // rows not written yet
		for i := range rows {
			if rows[i].memberID.Int64 == other {
				rows[i].memberID.Int64 = into
			}
			if rows[i].objectMemberID.Int64 == other {
				rows[i].objectMemberID.Int64 = into
			}
		}
	}
	for id, a := range w.actors { // people resolved before now belong to into
		if a.memberID == other {
			a.memberID = into
			w.actors[id] = a
		}
	}
	if sp := w.memberSpan[other]; sp != nil {
		delete(w.memberSpan, other)
		w.touch(into, sp.first, false)
		w.touch(into, sp.last, false)
		if sp.joined != 0 {
			w.touch(into, sp.joined, true)
		}
	}
	return nil
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

// createMember stores a new member with the person's identities. On
// PostgreSQL it takes one round trip: a statement per row would cost more
// than the rows themselves.
func (w *Writer) createMember(ctx context.Context, p ingest.Person, keys []identityKey) (coterie.ID, error) {
	if w.isPG() {
		return w.createMemberPG(ctx, p, keys)
	}
	var id coterie.ID
	err := w.queryRowP(ctx, `/* Community.CreateMember */
		INSERT INTO member (workspace_id, display_name, is_bot, attributes_json, created_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		[]any{w.comm.WorkspaceID, displayName(p), boolInt(p.IsBot), personAttributes(p), ms(w.store.now())}, &id)
	if err != nil {
		return 0, fmt.Errorf("import: create member %q: %w", p.ID, err)
	}
	w.fileCounts.MembersAdded++
	for _, k := range keys {
		// A new member has no identities yet: nothing to look up first.
		if err := w.insertIdentity(ctx, id, k); err != nil {
			return 0, err
		}
	}
	return id, nil
}

func (w *Writer) createMemberPG(ctx context.Context, p ingest.Person, keys []identityKey) (coterie.ID, error) {
	n := len(keys)
	platforms, kinds, values, norms := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	verified := make([]int32, n)
	for i, k := range keys {
		platforms[i], kinds[i], values[i], norms[i], verified[i] = k.platform, string(k.kind), k.value, k.norm, int32(boolInt(k.verified))
	}
	st, err := w.prepared(ctx, `/* Community.CreateMember */
		WITH m AS (
			INSERT INTO member (workspace_id, display_name, is_bot, attributes_json, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id
		), i AS (
			INSERT INTO identity (workspace_id, member_id, platform, kind, value, value_normalized, verified, source_id, created_at)
			SELECT $1, m.id, x.platform, x.kind, x.value, x.norm, x.verified, $6, $5
			FROM m, unnest($7::text[], $8::text[], $9::text[], $10::text[], $11::int[]) AS x(platform, kind, value, norm, verified)
			ON CONFLICT DO NOTHING
			RETURNING id, kind, value_normalized, platform
		)
		SELECT m.id, i.id, i.kind, i.value_normalized, i.platform FROM m LEFT JOIN i ON true`)
	if err != nil {
		return 0, err
	}
	rows, err := st.QueryContext(ctx, w.comm.WorkspaceID, displayName(p), boolInt(p.IsBot), personAttributes(p), ms(w.store.now()),
		w.src.ID, platforms, kinds, values, norms, verified)
	if err != nil {
		return 0, fmt.Errorf("import: create member %q: %w", p.ID, err)
	}
	defer rows.Close()
	var member coterie.ID
	stored := map[string]coterie.ID{}
	for rows.Next() {
		var iid sql.NullInt64
		var kind, norm, platform sql.NullString
		if err := rows.Scan(&member, &iid, &kind, &norm, &platform); err != nil {
			return 0, err
		}
		if iid.Valid {
			stored[platform.String+"\x00"+kind.String+"\x00"+norm.String] = iid.Int64
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("import: create member %q: %w", p.ID, err)
	}
	w.fileCounts.MembersAdded++
	for _, k := range keys {
		id, ok := stored[k.lookupKey()]
		switch {
		case ok:
			w.fileCounts.IdentitiesAdded++
			if k.verified {
				w.remember(k, identRef{member: member, id: id})
			}
		case k.verified:
			// Another writer stored it since this import began.
			if err := w.learnIdentity(ctx, k); err != nil {
				return 0, err
			}
		}
	}
	return member, nil
}

// learnIdentity reads a verified identity another writer stored.
func (w *Writer) learnIdentity(ctx context.Context, k identityKey) error {
	var ref identRef
	err := w.queryRowP(ctx, `/* Community.AddIdentity */ SELECT member_id, id FROM identity
		WHERE workspace_id = $1 AND platform = $2 AND kind = $3 AND value_normalized = $4 AND verified = 1`,
		[]any{w.comm.WorkspaceID, k.platform, string(k.kind), k.norm}, &ref.member, &ref.id)
	if err != nil {
		return fmt.Errorf("import: find identity: %w", err)
	}
	w.remember(k, ref)
	return nil
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

// addIdentity gives a member an identity unless it has it. A verified
// identity the index does not know is new, unless another writer stored it
// meanwhile: the unique index says so, and the caller then merges.
func (w *Writer) addIdentity(ctx context.Context, memberID coterie.ID, k identityKey) error {
	if !k.verified {
		// Unverified identities are kept once per member (not enforced by
		// an index, so that a merge can move identities without conflicts).
		var id coterie.ID
		err := w.queryRowP(ctx, `/* Community.AddIdentity */ SELECT id FROM identity
			WHERE member_id = $1 AND platform = $2 AND kind = $3 AND value_normalized = $4 AND verified = 0`,
			[]any{memberID, k.platform, string(k.kind), k.norm}, &id)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("import: find identity: %w", err)
		}
	}
	return w.insertIdentity(ctx, memberID, k)
}

// insertIdentity stores an identity the member does not have.
func (w *Writer) insertIdentity(ctx context.Context, memberID coterie.ID, k identityKey) error {
	var id coterie.ID
	err := w.queryRowP(ctx, `/* Community.AddIdentity */
		INSERT INTO identity (workspace_id, member_id, platform, kind, value, value_normalized, verified, source_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING id`,
		[]any{w.comm.WorkspaceID, memberID, k.platform, string(k.kind), k.value, k.norm, boolInt(k.verified), w.src.ID, ms(w.store.now())}, &id)
	if errors.Is(err, sql.ErrNoRows) && k.verified {
		return w.learnIdentity(ctx, k)
	}
	if err != nil {
		return fmt.Errorf("import: add identity: %w", err)
	}
	w.fileCounts.IdentitiesAdded++
	if k.verified {
		w.remember(k, identRef{member: memberID, id: id})
	}
	return nil
}
