package auth

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/db"
)

// AuditEntry is one change in the audit log: who (a user or an API token),
// did what, to which object, when, with the object before and after.
type AuditEntry struct {
	ID coterie.ID
	// WorkspaceID is 0 for account-level events (sign-ins, password
	// changes), which belong to no workspace.
	WorkspaceID  coterie.ID
	ActorUserID  coterie.ID // 0 if not a user
	ActorTokenID coterie.ID // 0 if not an API token
	Action       string     // e.g. "token.revoke": object type, dot, verb
	ObjectType   string
	ObjectID     coterie.ID
	// Before and After are stored as JSON; read back, they are
	// json.RawMessage, or nil when absent.
	Before, After any
	At            time.Time // set to the current time when zero
}

// AuditFilter selects a page of the audit log.
type AuditFilter struct {
	Limit  int    // at most 500; 50 when 0
	Before string // the cursor returned with the previous page; "" for the newest
}

func toJSON(v any) (sql.NullString, error) {
	switch x := v.(type) {
	case nil:
		return sql.NullString{}, nil
	case json.RawMessage:
		if x == nil {
			return sql.NullString{}, nil
		}
		return sql.NullString{String: string(x), Valid: true}, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return sql.NullString{}, err
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

func nullID(id coterie.ID) sql.NullInt64 {
	return sql.NullInt64{Int64: id, Valid: id != 0}
}

// Record writes an audit entry through q, so that a caller's change and its
// entry commit or roll back together: pass the caller's transaction.
func Record(ctx context.Context, q db.Querier, e AuditEntry) error {
	if e.Action == "" || len(e.Action) > 64 {
		return fmt.Errorf("audit: action must have 1 to 64 characters, got %q", e.Action)
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	before, err := toJSON(e.Before)
	if err != nil {
		return fmt.Errorf("audit %s: before: %w", e.Action, err)
	}
	after, err := toJSON(e.After)
	if err != nil {
		return fmt.Errorf("audit %s: after: %w", e.Action, err)
	}
	if _, err := q.ExecContext(ctx, `/* Auth.Record */
		INSERT INTO audit_log (workspace_id, actor_user_id, actor_token_id, action, object_type, object_id,
			before_json, after_json, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		nullID(e.WorkspaceID), nullID(e.ActorUserID), nullID(e.ActorTokenID), e.Action, e.ObjectType,
		nullID(e.ObjectID), before, after, ms(e.At)); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// record is Record with the store's clock.
func (s *Store) record(ctx context.Context, q db.Querier, e AuditEntry) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	return Record(ctx, q, e)
}

// ListAudit returns a page of a workspace's audit log, newest first, and the
// cursor of the next page ("" after the last). workspaceID 0 lists the
// account-level events. Order is by insertion, so entries recorded with a
// back-dated At still page consistently.
func (s *Store) ListAudit(ctx context.Context, workspaceID coterie.ID, f AuditFilter) ([]AuditEntry, string, error) {
	limit := f.Limit
	switch {
	case limit == 0:
		limit = 50
	case limit < 0 || limit > 500:
		return nil, "", coterie.Errorf(coterie.EINVALID, "limit must be between 1 and 500")
	}
	before := int64(1<<63 - 1)
	if f.Before != "" {
		v, err := strconv.ParseInt(f.Before, 10, 64)
		if err != nil || v <= 0 {
			return nil, "", coterie.Errorf(coterie.EINVALID, "bad cursor %q", f.Before)
		}
		before = v
	}
	where := `workspace_id = $1`
	args := []any{workspaceID, before, limit + 1}
	if workspaceID == 0 {
		where = `workspace_id IS NULL AND $1 = 0`
	}
	rows, err := s.db.Read.QueryContext(ctx, `/* Auth.ListAudit */
		SELECT id, workspace_id, actor_user_id, actor_token_id, action, object_type, object_id, before_json, after_json, at
		FROM audit_log WHERE `+where+` AND id < $2 ORDER BY id DESC LIMIT $3`, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var ws, actorUser, actorToken, object sql.NullInt64
		var beforeJSON, afterJSON sql.NullString
		var at int64
		if err := rows.Scan(&e.ID, &ws, &actorUser, &actorToken, &e.Action, &e.ObjectType, &object,
			&beforeJSON, &afterJSON, &at); err != nil {
			return nil, "", fmt.Errorf("list audit: %w", err)
		}
		e.WorkspaceID, e.ActorUserID, e.ActorTokenID, e.ObjectID = ws.Int64, actorUser.Int64, actorToken.Int64, object.Int64
		if beforeJSON.Valid {
			e.Before = json.RawMessage(beforeJSON.String)
		}
		if afterJSON.Valid {
			e.After = json.RawMessage(afterJSON.String)
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list audit: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = strconv.FormatInt(out[limit-1].ID, 10)
	}
	return out, next, nil
}
