package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/coteriehq/coterie/internal/coterie"
)

// Scope is what an API token may do in its workspace.
type Scope string

// Scopes.
const (
	ScopeRead  Scope = "read"  // read and export
	ScopeWrite Scope = "write" // read, export and change data
)

// Token is an API token of a workspace. Its value is shown once, at
// creation; the database keeps its SHA-256 and a short prefix for display.
type Token struct {
	ID          coterie.ID
	WorkspaceID coterie.ID
	Name        string
	Scope       Scope
	Prefix      string // the first characters of the value, e.g. "ct_Xy3k"
	CreatedBy   coterie.ID
	CreatedAt   time.Time
	LastUsedAt  time.Time // zero if never used
	RevokedAt   time.Time // zero unless revoked
}

// Revoked reports whether the token has been revoked.
func (t *Token) Revoked() bool { return !t.RevokedAt.IsZero() }

// Can reports whether the token allows the action. Tokens never manage a
// workspace nor read its audit log: that takes a person.
func (t *Token) Can(a Action) bool {
	if t.Revoked() {
		return false
	}
	switch a {
	case ActRead, ActExport:
		return t.Scope == ScopeRead || t.Scope == ScopeWrite
	case ActWrite:
		return t.Scope == ScopeWrite
	}
	return false
}

func (t *Token) auditView() map[string]any {
	return map[string]any{"name": t.Name, "scope": string(t.Scope), "prefix": t.Prefix}
}

const tokenColumns = `id, workspace_id, name, scope, prefix, created_by, created_at, last_used_at, revoked_at`

func scanToken(row interface{ Scan(...any) error }) (*Token, error) {
	var t Token
	var scope string
	var created int64
	var used, revoked sql.NullInt64
	if err := row.Scan(&t.ID, &t.WorkspaceID, &t.Name, &scope, &t.Prefix, &t.CreatedBy, &created, &used, &revoked); err != nil {
		return nil, err
	}
	t.Scope, t.CreatedAt, t.LastUsedAt, t.RevokedAt = Scope(scope), fromMS(created), fromNullMS(used), fromNullMS(revoked)
	return &t, nil
}

// CreateToken creates an API token for the workspace and returns its value,
// shown this once: "ct_" and 32 random bytes in base64url. The creator must
// be allowed to manage the workspace.
func (s *Store) CreateToken(ctx context.Context, workspaceID coterie.ID, name string, scope Scope, createdBy coterie.ID) (string, *Token, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return "", nil, coterie.Errorf(coterie.EINVALID, "a token needs a name of 1 to 200 characters")
	}
	if scope != ScopeRead && scope != ScopeWrite {
		return "", nil, coterie.Errorf(coterie.EINVALID, "unknown token scope %q (use read or write)", scope)
	}
	value := tokenPrefix + newSecret()
	now := fromMS(ms(s.now()))
	t := &Token{WorkspaceID: workspaceID, Name: name, Scope: scope, Prefix: value[:len(tokenPrefix)+4],
		CreatedBy: createdBy, CreatedAt: now}
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := authorize(ctx, tx, workspaceID, createdBy, ActManage); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `/* Auth.CreateToken */
			INSERT INTO api_token (workspace_id, name, scope, token_hash, prefix, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			workspaceID, name, string(scope), hashSecret(value), t.Prefix, createdBy, ms(now)).Scan(&t.ID); err != nil {
			return fmt.Errorf("create token: %w", err)
		}
		return s.record(ctx, tx, AuditEntry{WorkspaceID: workspaceID, ActorUserID: createdBy, Action: "token.create",
			ObjectType: "token", ObjectID: t.ID, After: t.auditView()})
	})
	if err != nil {
		return "", nil, err
	}
	return value, t, nil
}

// TokenByValue returns the token a request presents and notes its use. An
// unknown value is ENOTFOUND, a revoked token EFORBIDDEN.
func (s *Store) TokenByValue(ctx context.Context, value string) (*Token, error) {
	if !strings.HasPrefix(value, tokenPrefix) {
		return nil, coterie.Errorf(coterie.ENOTFOUND, "unknown API token (tokens start with %s)", tokenPrefix)
	}
	t, err := scanToken(s.db.Read.QueryRowContext(ctx, `/* Auth.TokenByValue */
		SELECT `+tokenColumns+` FROM api_token WHERE token_hash = $1`, hashSecret(value)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, coterie.Errorf(coterie.ENOTFOUND, "unknown API token")
	}
	if err != nil {
		return nil, fmt.Errorf("find token: %w", err)
	}
	if t.Revoked() {
		return nil, coterie.Errorf(coterie.EFORBIDDEN, "API token %q was revoked", t.Name)
	}
	now := s.now()
	if now.Sub(t.LastUsedAt) >= touchEvery {
		if _, err := s.db.Write.ExecContext(ctx, `/* Auth.TokenByValue */
			UPDATE api_token SET last_used_at = $1 WHERE id = $2`, ms(now), t.ID); err != nil {
			return nil, fmt.Errorf("touch token: %w", err)
		}
		t.LastUsedAt = fromMS(ms(now))
	}
	return t, nil
}

// RevokeToken revokes a token of the workspace for good. A token of another
// workspace is ENOTFOUND; revoking twice is ECONFLICT.
func (s *Store) RevokeToken(ctx context.Context, workspaceID, tokenID coterie.ID, by coterie.ID) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := authorize(ctx, tx, workspaceID, by, ActManage); err != nil {
			return err
		}
		t, err := scanToken(tx.QueryRowContext(ctx, `/* Auth.RevokeToken */
			SELECT `+tokenColumns+` FROM api_token WHERE workspace_id = $1 AND id = $2`, workspaceID, tokenID))
		if errors.Is(err, sql.ErrNoRows) {
			return coterie.Errorf(coterie.ENOTFOUND, "token %d not found", tokenID)
		}
		if err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		if t.Revoked() {
			return coterie.Errorf(coterie.ECONFLICT, "token %q is already revoked", t.Name)
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `/* Auth.RevokeToken */
			UPDATE api_token SET revoked_at = $1 WHERE id = $2`, ms(now), tokenID); err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		after := t.auditView()
		after["revoked_at"] = now.UTC().Format(time.RFC3339)
		return s.record(ctx, tx, AuditEntry{WorkspaceID: workspaceID, ActorUserID: by, Action: "token.revoke",
			ObjectType: "token", ObjectID: tokenID, Before: t.auditView(), After: after})
	})
}

// ListTokens returns the workspace's tokens, revoked ones included, newest
// first.
func (s *Store) ListTokens(ctx context.Context, workspaceID coterie.ID) ([]Token, error) {
	rows, err := s.db.Read.QueryContext(ctx, `/* Auth.ListTokens */
		SELECT `+tokenColumns+` FROM api_token WHERE workspace_id = $1 ORDER BY id DESC`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, *t)
	}
	return out, rows.Err()
}
