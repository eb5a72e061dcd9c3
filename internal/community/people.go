package community

import (
	"context"
	"fmt"
	"strings"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/db"
	"github.com/coteriehq/coterie/internal/ingest"
)

// peopleBatch profiles (a users.json's people) are stored together on
// SQLite: a member and its identities cost four statements one at a time,
// and a workspace export lists every account, most of them new.
const peopleBatch = 500

// rowsPerInsert rows go into one multi-row INSERT of members or identities.
const rowsPerInsert = 100

type newPerson struct {
	p    ingest.Person
	keys []identityKey
}

// queuePerson holds a profile until the batch is full or a record that may
// need it arrives (flushPeople).
func (w *Writer) queuePerson(ctx context.Context, p ingest.Person) error {
	w.people = append(w.people, p)
	if len(w.people) >= peopleBatch {
		return w.flushPeople(ctx)
	}
	return nil
}

// flushPeople stores the queued profiles: new people in bulk, and those
// that touch members already known one at a time through resolve, which
// merges and updates.
func (w *Writer) flushPeople(ctx context.Context) error {
	if len(w.people) == 0 {
		return nil
	}
	batch := w.people
	w.people = nil
	var fresh []newPerson
	var rest []ingest.Person
	inBatch := map[string]bool{}
	for _, p := range batch {
		if a, ok := w.actors[p.ID]; ok && (a.profiled || a.erased) {
			continue
		}
		keys := identitiesOf(w.src.Platform, p)
		erased, known := false, false
		for _, k := range keys {
			if w.erased[k.erasureKey()] {
				erased = true
			}
			if k.verified {
				if _, ok := w.idents[k.lookupKey()]; ok || inBatch[k.lookupKey()] {
					known = true
				}
			}
		}
		switch {
		case erased:
			w.actors[p.ID] = actor{erased: true}
		case known:
			rest = append(rest, p)
		default:
			for _, k := range keys {
				if k.verified {
					inBatch[k.lookupKey()] = true
				}
			}
			fresh = append(fresh, newPerson{p: p, keys: keys})
		}
	}
	if len(fresh) > 0 {
		if err := w.createMembers(ctx, fresh); err != nil {
			return err
		}
	}
	for _, p := range rest {
		if _, err := w.resolve(ctx, p, true); err != nil {
			return err
		}
	}
	return nil
}

// createMembers stores new members and their identities with multi-row
// inserts. The ids are assigned here, after the largest in the table: the
// writer's transaction holds SQLite's write lock, so no other writer can
// take them meanwhile. Should a verified identity turn out to be stored
// after all (another process added it since the import began), the batch
// is undone and its people go through resolve one by one.
func (w *Writer) createMembers(ctx context.Context, people []newPerson) error {
	if err := w.beforeWrite(ctx); err != nil {
		return err
	}
	if _, err := w.exec(ctx, "SAVEPOINT people"); err != nil {
		return fmt.Errorf("import: savepoint: %w", err)
	}
	err := w.insertMembers(ctx, people)
	if err == nil {
		if _, err := w.exec(ctx, "RELEASE SAVEPOINT people"); err != nil {
			return fmt.Errorf("import: release savepoint: %w", err)
		}
		return nil
	}
	if !db.IsUniqueViolation(err) {
		return err
	}
	if _, err := w.exec(ctx, "ROLLBACK TO SAVEPOINT people"); err != nil {
		return fmt.Errorf("import: rollback people: %w", err)
	}
	if _, err := w.exec(ctx, "RELEASE SAVEPOINT people"); err != nil {
		return fmt.Errorf("import: release savepoint: %w", err)
	}
	if err := w.reloadIdentities(ctx); err != nil {
		return err
	}
	for _, np := range people {
		if _, err := w.resolve(ctx, np.p, true); err != nil {
			return err
		}
	}
	return nil
}

// reloadIdentities reads the identity index again from the database.
func (w *Writer) reloadIdentities(ctx context.Context) error {
	w.idents = map[string]identRef{}
	return w.loadIdentities(ctx)
}

func (w *Writer) insertMembers(ctx context.Context, people []newPerson) error {
	var memberID, identityID coterie.ID
	if err := w.conn.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM member`).Scan(&memberID); err != nil {
		return fmt.Errorf("import: create members: %w", err)
	}
	if err := w.conn.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM identity`).Scan(&identityID); err != nil {
		return fmt.Errorf("import: create members: %w", err)
	}
	now := ms(w.store.now())
	type identRow struct {
		id, member coterie.ID
		k          identityKey
	}
	var idents []identRow
	members := make([]coterie.ID, len(people))
	for i := 0; i < len(people); i += rowsPerInsert {
		chunk := people[i:min(i+rowsPerInsert, len(people))]
		var b strings.Builder
		args := make([]any, 0, 6*len(chunk))
		b.WriteString(`/* Community.CreateMembers */ INSERT INTO member (id, workspace_id, display_name, is_bot, attributes_json, created_at) VALUES `)
		for j, np := range chunk {
			memberID++
			members[i+j] = memberID
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(?,?,?,?,?,?)")
			args = append(args, memberID, w.comm.WorkspaceID, displayName(np.p), boolInt(np.p.IsBot), personAttributes(np.p), now)
			for _, k := range np.keys {
				identityID++
				idents = append(idents, identRow{id: identityID, member: memberID, k: k})
			}
		}
		if _, err := w.exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("import: create members: %w", err)
		}
	}
	for i := 0; i < len(idents); i += rowsPerInsert {
		chunk := idents[i:min(i+rowsPerInsert, len(idents))]
		var b strings.Builder
		args := make([]any, 0, 10*len(chunk))
		b.WriteString(`/* Community.CreateMembers */ INSERT INTO identity (id, workspace_id, member_id, platform, kind, value, value_normalized, verified, source_id, created_at) VALUES `)
		for j, r := range chunk {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(?,?,?,?,?,?,?,?,?,?)")
			args = append(args, r.id, w.comm.WorkspaceID, r.member, r.k.platform, string(r.k.kind), r.k.value, r.k.norm,
				boolInt(r.k.verified), w.src.ID, now)
		}
		if _, err := w.exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("import: create identities: %w", err)
		}
	}
	// Stored: now the writer's indexes may point at them.
	w.fileCounts.MembersAdded += len(people)
	w.fileCounts.IdentitiesAdded += len(idents)
	next := 0
	for i, np := range people {
		var account coterie.ID
		for range np.keys {
			r := idents[next]
			next++
			if r.k.verified {
				w.remember(r.k, identRef{member: r.member, id: r.id})
			}
			if r.k.kind == coterie.IdentityUserID && account == 0 {
				account = r.id
			}
		}
		w.actors[np.p.ID] = actor{memberID: members[i], identityID: account, profiled: true}
	}
	return nil
}
