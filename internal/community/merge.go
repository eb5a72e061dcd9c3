package community

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/db"
)

// memberState is the part of a member a merge changes, kept in the merge's
// backup so an unmerge can restore it exactly.
type memberState struct {
	ID          coterie.ID    `json:"id"`
	DisplayName string        `json:"display_name"`
	IsBot       int           `json:"is_bot"`
	IsTeam      int           `json:"is_team"`
	Attributes  string        `json:"attributes_json"`
	Manual      string        `json:"manually_changed_fields"`
	Joined      sql.NullInt64 `json:"joined_at"`
	First       sql.NullInt64 `json:"first_active_at"`
	Last        sql.NullInt64 `json:"last_active_at"`
	MergedInto  sql.NullInt64 `json:"-"`
}

type mergeBackup struct {
	Primary    memberState  `json:"primary"`
	Secondary  memberState  `json:"secondary"`
	Identities []coterie.ID `json:"secondary_identity_ids"`
}

func loadMember(ctx context.Context, q db.Querier, workspaceID, id coterie.ID) (*memberState, error) {
	var m memberState
	err := q.QueryRowContext(ctx, `/* Community.LoadMember */
		SELECT id, display_name, is_bot, is_team, attributes_json, manually_changed_fields, joined_at,
			first_active_at, last_active_at, merged_into
		FROM member WHERE id = $1 AND workspace_id = $2`, id, workspaceID).
		Scan(&m.ID, &m.DisplayName, &m.IsBot, &m.IsTeam, &m.Attributes, &m.Manual, &m.Joined, &m.First, &m.Last, &m.MergedInto)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, coterie.Errorf(coterie.ENOTFOUND, "member %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("load member %d: %w", id, err)
	}
	return &m, nil
}

func hasField(list, field string) bool {
	for _, f := range strings.Split(list, ",") {
		if f == field {
			return true
		}
	}
	return false
}

func orderedPair(a, b coterie.ID) (coterie.ID, coterie.ID) {
	if a > b {
		return b, a
	}
	return a, b
}

// mergeMembers folds secondary into primary: identities and the "who" of
// activities move to primary, activity content is not touched, and the
// secondary member stays (marked merged_into) so the merge can be undone.
func mergeMembers(ctx context.Context, q db.Querier, workspaceID, primary, secondary coterie.ID, reason string, now time.Time) (coterie.ID, error) {
	if primary == secondary {
		return 0, coterie.Errorf(coterie.EINVALID, "cannot merge member %d with itself", primary)
	}
	p, err := loadMember(ctx, q, workspaceID, primary)
	if err != nil {
		return 0, err
	}
	s, err := loadMember(ctx, q, workspaceID, secondary)
	if err != nil {
		return 0, err
	}
	if p.MergedInto.Valid || s.MergedInto.Valid {
		return 0, coterie.Errorf(coterie.ECONFLICT, "member %d or %d is already merged into another member", primary, secondary)
	}
	a, b := orderedPair(primary, secondary)
	var n int
	if err := q.QueryRowContext(ctx, `/* Community.Merge */
		SELECT COUNT(*) FROM no_merge WHERE workspace_id = $1 AND member_a = $2 AND member_b = $3`,
		workspaceID, a, b).Scan(&n); err != nil {
		return 0, fmt.Errorf("merge: %w", err)
	}
	if n > 0 {
		return 0, coterie.Errorf(coterie.ECONFLICT, "members %d and %d are marked as different people (no-merge)", primary, secondary)
	}
	backup := mergeBackup{Primary: *p, Secondary: *s}
	rows, err := q.QueryContext(ctx, `/* Community.Merge */ SELECT id FROM identity WHERE member_id = $1 ORDER BY id`, secondary)
	if err != nil {
		return 0, fmt.Errorf("merge: %w", err)
	}
	for rows.Next() {
		var id coterie.ID
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		backup.Identities = append(backup.Identities, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	js, err := json.Marshal(backup)
	if err != nil {
		return 0, err
	}
	stmts := []struct {
		q    string
		args []any
	}{
		{`UPDATE identity SET member_id = $1 WHERE member_id = $2`, []any{primary, secondary}},
		{`UPDATE activity SET member_id = $1 WHERE member_id = $2`, []any{primary, secondary}},
		{`UPDATE activity SET object_member_id = $1 WHERE object_member_id = $2`, []any{primary, secondary}},
		{`UPDATE member SET merged_into = $1 WHERE id = $2`, []any{primary, secondary}},
		{`UPDATE member SET
			display_name = CASE WHEN display_name = '' THEN $2 ELSE display_name END,
			is_bot = CASE WHEN is_bot = 1 OR $3 = 1 THEN 1 ELSE 0 END,
			is_team = CASE WHEN is_team = 1 OR $4 = 1 THEN 1 ELSE 0 END
			WHERE id = $1`, []any{primary, s.DisplayName, s.IsBot, s.IsTeam}},
	}
	for _, st := range stmts {
		if _, err := q.ExecContext(ctx, "/* Community.Merge */ "+st.q, st.args...); err != nil {
			return 0, fmt.Errorf("merge %d into %d: %w", secondary, primary, err)
		}
	}
	if err := recomputeSpan(ctx, q, primary); err != nil {
		return 0, err
	}
	var id coterie.ID
	if err := q.QueryRowContext(ctx, `/* Community.Merge */
		INSERT INTO merge_action (workspace_id, primary_id, secondary_id, reason, backup_json, at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, workspaceID, primary, secondary, reason, string(js), ms(now)).Scan(&id); err != nil {
		return 0, fmt.Errorf("merge: record: %w", err)
	}
	return id, nil
}

// recomputeSpan sets a member's first and last activity and join time from
// the activities that are theirs now.
func recomputeSpan(ctx context.Context, q db.Querier, member coterie.ID) error {
	_, err := q.ExecContext(ctx, `/* Community.RecomputeSpan */
		UPDATE member SET
			first_active_at = (SELECT MIN(occurred_at) FROM activity WHERE member_id = $1),
			last_active_at = (SELECT MAX(occurred_at) FROM activity WHERE member_id = $1),
			joined_at = (SELECT MIN(occurred_at) FROM activity WHERE member_id = $1 AND kind = 'join')
		WHERE id = $1`, member)
	if err != nil {
		return fmt.Errorf("recompute member %d: %w", member, err)
	}
	return nil
}

// Merge folds member secondary into member primary, by hand. It returns the
// merge's id, which Unmerge takes.
func (s *Store) Merge(ctx context.Context, workspaceID, primary, secondary coterie.ID) (coterie.ID, error) {
	var id coterie.ID
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = mergeMembers(ctx, tx, workspaceID, primary, secondary, "manual", s.now())
		return err
	})
	return id, err
}

// Unmerge undoes a merge exactly: the secondary member gets back its
// identities, the activities made through them, and its own fields.
func (s *Store) Unmerge(ctx context.Context, workspaceID, mergeID coterie.ID) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		var primary, secondary coterie.ID
		var js string
		var undone sql.NullInt64
		err := tx.QueryRowContext(ctx, `/* Community.Unmerge */
			SELECT primary_id, secondary_id, backup_json, undone_at FROM merge_action WHERE id = $1 AND workspace_id = $2`,
			mergeID, workspaceID).Scan(&primary, &secondary, &js, &undone)
		if errors.Is(err, sql.ErrNoRows) {
			return coterie.Errorf(coterie.ENOTFOUND, "merge %d not found", mergeID)
		}
		if err != nil {
			return fmt.Errorf("unmerge: %w", err)
		}
		if undone.Valid {
			return coterie.Errorf(coterie.ECONFLICT, "merge %d was already undone", mergeID)
		}
		p, err := loadMember(ctx, tx, workspaceID, primary)
		if err != nil {
			return err
		}
		if p.MergedInto.Valid {
			return coterie.Errorf(coterie.ECONFLICT, "member %d was merged into member %d since: undo that merge first", primary, p.MergedInto.Int64)
		}
		var b mergeBackup
		if err := json.Unmarshal([]byte(js), &b); err != nil {
			return fmt.Errorf("unmerge: backup of merge %d: %w", mergeID, err)
		}
		for _, iid := range b.Identities {
			for _, st := range []string{
				`UPDATE identity SET member_id = $1 WHERE id = $2 AND member_id = $3`,
				`UPDATE activity SET member_id = $1 WHERE identity_id = $2 AND member_id = $3`,
				`UPDATE activity SET object_member_id = $1 WHERE object_identity_id = $2 AND object_member_id = $3`,
			} {
				if _, err := tx.ExecContext(ctx, "/* Community.Unmerge */ "+st, secondary, iid, primary); err != nil {
					return fmt.Errorf("unmerge %d: %w", mergeID, err)
				}
			}
		}
		for _, m := range []memberState{b.Primary, b.Secondary} {
			if _, err := tx.ExecContext(ctx, `/* Community.Unmerge */
				UPDATE member SET display_name = $2, is_bot = $3, is_team = $4, attributes_json = $5,
					manually_changed_fields = $6, merged_into = NULL WHERE id = $1`,
				m.ID, m.DisplayName, m.IsBot, m.IsTeam, m.Attributes, m.Manual); err != nil {
				return fmt.Errorf("unmerge %d: %w", mergeID, err)
			}
			if err := recomputeSpan(ctx, tx, m.ID); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `/* Community.Unmerge */ UPDATE merge_action SET undone_at = $2 WHERE id = $1`, mergeID, ms(s.now()))
		return err
	})
}

// NoMerge records that two members are different people: no suggestion
// pairs them again and no automatic merge joins them.
func (s *Store) NoMerge(ctx context.Context, workspaceID, a, b coterie.ID) error {
	if a == b {
		return coterie.Errorf(coterie.EINVALID, "a member is always the same person as itself")
	}
	for _, id := range []coterie.ID{a, b} {
		if _, err := loadMember(ctx, s.db.Write, workspaceID, id); err != nil {
			return err
		}
	}
	a, b = orderedPair(a, b)
	_, err := s.db.Write.ExecContext(ctx, `/* Community.NoMerge */
		INSERT INTO no_merge (workspace_id, member_a, member_b, at) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`, workspaceID, a, b, ms(s.now()))
	if err != nil {
		return fmt.Errorf("no-merge: %w", err)
	}
	return nil
}

// EraseResult says what an erasure removed.
type EraseResult struct {
	Members    int `json:"members"`
	Activities int `json:"activities"`
	Identities int `json:"identities"`
}

// Erase removes a person: their activities, identities and member rows
// (with every member merged into them), and records their identities in
// the erasure list so that no later import brings them back.
func (s *Store) Erase(ctx context.Context, workspaceID, memberID coterie.ID) (EraseResult, error) {
	var res EraseResult
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		m, err := loadMember(ctx, tx, workspaceID, memberID)
		if err != nil {
			return err
		}
		if m.MergedInto.Valid {
			return coterie.Errorf(coterie.EINVALID, "member %d is merged into member %d: erase that member", memberID, m.MergedInto.Int64)
		}
		ids := []coterie.ID{memberID}
		for i := 0; i < len(ids); i++ { // the members merged into this one are the same person
			rows, err := tx.QueryContext(ctx, `SELECT id FROM member WHERE merged_into = $1`, ids[i])
			if err != nil {
				return fmt.Errorf("erase: %w", err)
			}
			for rows.Next() {
				var id coterie.ID
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				ids = append(ids, id)
			}
			rows.Close()
		}
		now := ms(s.now())
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `/* Community.Erase */
				INSERT INTO erasure (workspace_id, platform, kind, value_normalized, at)
				SELECT workspace_id, platform, kind, value_normalized, $2 FROM identity WHERE member_id = $1
				ON CONFLICT DO NOTHING`, id, now); err != nil {
				return fmt.Errorf("erase: record: %w", err)
			}
		}
		for _, id := range ids {
			steps := []struct {
				q     string
				count *int
			}{
				{`UPDATE activity SET object_member_id = NULL, object_identity_id = NULL WHERE object_member_id = $1`, nil},
				{`DELETE FROM activity WHERE member_id = $1`, &res.Activities},
				{`DELETE FROM identity WHERE member_id = $1`, &res.Identities},
				{`DELETE FROM merge_action WHERE primary_id = $1 OR secondary_id = $1`, nil},
				{`DELETE FROM no_merge WHERE member_a = $1 OR member_b = $1`, nil},
			}
			for _, st := range steps {
				r, err := tx.ExecContext(ctx, "/* Community.Erase */ "+st.q, id)
				if err != nil {
					return fmt.Errorf("erase member %d: %w", id, err)
				}
				if st.count != nil {
					n, _ := r.RowsAffected()
					*st.count += int(n)
				}
			}
		}
		// Members last, the merged ones before the one they point at.
		for i := len(ids) - 1; i >= 0; i-- {
			if _, err := tx.ExecContext(ctx, `/* Community.Erase */ DELETE FROM member WHERE id = $1`, ids[i]); err != nil {
				return fmt.Errorf("erase member %d: %w", ids[i], err)
			}
			res.Members++
		}
		return nil
	})
	return res, err
}
