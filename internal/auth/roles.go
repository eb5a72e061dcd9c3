package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/db"
)

// Role is what a user may do in one workspace.
type Role string

// Roles, from most to least powerful.
const (
	RoleOwner   Role = "owner"
	RoleAdmin   Role = "admin"
	RoleAnalyst Role = "analyst"
	RoleViewer  Role = "viewer"
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleOwner, RoleAdmin, RoleAnalyst, RoleViewer}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleOwner, RoleAdmin, RoleAnalyst, RoleViewer:
		return true
	}
	return false
}

func parseRole(s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", coterie.Errorf(coterie.EINVALID, "unknown role %q (use owner, admin, analyst or viewer)", s)
	}
	return r, nil
}

// Action is a kind of access that roles and tokens grant.
type Action string

// Actions.
const (
	ActRead   Action = "read"   // see the workspace's data
	ActExport Action = "export" // download it as CSV
	ActWrite  Action = "write"  // change data: imports, merges, programs
	ActManage Action = "manage" // settings, users, tokens, webhooks
	ActAudit  Action = "audit"  // read the audit log
)

// Actions lists every action.
var Actions = []Action{ActRead, ActExport, ActWrite, ActManage, ActAudit}

// permissions is the whole access policy in one table.
var permissions = map[Role]map[Action]bool{
	RoleOwner:   {ActRead: true, ActExport: true, ActWrite: true, ActManage: true, ActAudit: true},
	RoleAdmin:   {ActRead: true, ActExport: true, ActWrite: true, ActManage: true, ActAudit: true},
	RoleAnalyst: {ActRead: true, ActExport: true},
	RoleViewer:  {ActRead: true},
}

// Can reports whether a member with this role may perform the action. Unknown
// roles and actions are refused.
func Can(role Role, action Action) bool {
	return permissions[role][action]
}

// Membership is a user's role in one workspace.
type Membership struct {
	WorkspaceID   coterie.ID
	WorkspaceName string
	UserID        coterie.ID
	Role          Role
	CreatedAt     time.Time
}

// Member is a user of a workspace with their role.
type Member struct {
	User
	Role Role
}

func memberView(userID coterie.ID, role Role) map[string]any {
	return map[string]any{"user_id": userID, "role": string(role)}
}

func insertMembership(ctx context.Context, q db.Querier, workspaceID, userID coterie.ID, role Role, now time.Time) error {
	if _, err := q.ExecContext(ctx, `/* Auth.insertMembership */
		INSERT INTO membership (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)`,
		workspaceID, userID, string(role), ms(now)); err != nil {
		if db.IsUniqueViolation(err) {
			return coterie.Errorf(coterie.ECONFLICT, "user %d is already a member of this workspace", userID)
		}
		return fmt.Errorf("add member %d to workspace %d: %w", userID, workspaceID, err)
	}
	return nil
}

// FindRole returns the user's role in the workspace, or ENOTFOUND when the
// user is not a member (the edge answers 404, so that other workspaces stay
// invisible). Disabled users have no role anywhere.
func (s *Store) FindRole(ctx context.Context, workspaceID, userID coterie.ID) (Role, error) {
	return findRole(ctx, s.db.Read, workspaceID, userID)
}

func findRole(ctx context.Context, q db.Querier, workspaceID, userID coterie.ID) (Role, error) {
	var role string
	err := q.QueryRowContext(ctx, `/* Auth.FindRole */
		SELECT m.role FROM membership m JOIN app_user u ON u.id = m.user_id
		WHERE m.workspace_id = $1 AND m.user_id = $2 AND u.disabled = 0`, workspaceID, userID).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", coterie.Errorf(coterie.ENOTFOUND, "workspace %d not found", workspaceID)
	}
	if err != nil {
		return "", fmt.Errorf("find role: %w", err)
	}
	return Role(role), nil
}

// authorize returns the actor's role after checking it allows action. A
// non-member gets ENOTFOUND, like any other object of a workspace they
// cannot see.
func authorize(ctx context.Context, q db.Querier, workspaceID, actor coterie.ID, action Action) (Role, error) {
	role, err := findRole(ctx, q, workspaceID, actor)
	if err != nil {
		return "", err
	}
	if !Can(role, action) {
		return "", coterie.Errorf(coterie.EFORBIDDEN, "your role (%s) does not allow this", role)
	}
	return role, nil
}

// FindMemberships returns the workspaces a user belongs to, by name.
func (s *Store) FindMemberships(ctx context.Context, userID coterie.ID) ([]Membership, error) {
	rows, err := s.db.Read.QueryContext(ctx, `/* Auth.FindMemberships */
		SELECT m.workspace_id, w.name, m.user_id, m.role, m.created_at
		FROM membership m JOIN workspace w ON w.id = m.workspace_id
		WHERE m.user_id = $1 ORDER BY w.name`, userID)
	if err != nil {
		return nil, fmt.Errorf("find memberships: %w", err)
	}
	defer rows.Close()
	var out []Membership
	for rows.Next() {
		var m Membership
		var role string
		var created int64
		if err := rows.Scan(&m.WorkspaceID, &m.WorkspaceName, &m.UserID, &role, &created); err != nil {
			return nil, fmt.Errorf("find memberships: %w", err)
		}
		m.Role, m.CreatedAt = Role(role), fromMS(created)
		out = append(out, m)
	}
	return out, rows.Err()
}

// FindMembers returns the members of a workspace, by e-mail address.
func (s *Store) FindMembers(ctx context.Context, workspaceID coterie.ID) ([]Member, error) {
	rows, err := s.db.Read.QueryContext(ctx, `/* Auth.FindMembers */
		SELECT u.id, u.email, u.name, u.disabled, u.created_at, m.role
		FROM membership m JOIN app_user u ON u.id = m.user_id
		WHERE m.workspace_id = $1 ORDER BY u.email`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("find members: %w", err)
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var role string
		u, err := scanUser(rows, &role)
		if err != nil {
			return nil, fmt.Errorf("find members: %w", err)
		}
		out = append(out, Member{User: *u, Role: Role(role)})
	}
	return out, rows.Err()
}

// SetRole gives a user a role in the workspace, adding them if they are not
// a member yet. The actor must be allowed to manage the workspace; only an
// owner may make or unmake an owner, and the last owner cannot step down.
func (s *Store) SetRole(ctx context.Context, workspaceID, userID coterie.ID, role Role, by coterie.ID) error {
	if !role.Valid() {
		return coterie.Errorf(coterie.EINVALID, "unknown role %q (use owner, admin, analyst or viewer)", role)
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		actorRole, err := authorize(ctx, tx, workspaceID, by, ActManage)
		if err != nil {
			return err
		}
		if _, err := findUserByID(ctx, tx, userID); err != nil {
			return err
		}
		var prev string
		err = tx.QueryRowContext(ctx, `/* Auth.SetRole */
			SELECT role FROM membership WHERE workspace_id = $1 AND user_id = $2`, workspaceID, userID).Scan(&prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("set role: %w", err)
		}
		if (role == RoleOwner || Role(prev) == RoleOwner) && actorRole != RoleOwner {
			return coterie.Errorf(coterie.EFORBIDDEN, "only an owner can make or change an owner")
		}
		if prev == string(role) {
			return nil
		}
		if Role(prev) == RoleOwner {
			if err := keepAnOwner(ctx, tx, workspaceID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `/* Auth.SetRole */
			INSERT INTO membership (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = excluded.role`,
			workspaceID, userID, string(role), ms(s.now())); err != nil {
			return fmt.Errorf("set role: %w", err)
		}
		e := AuditEntry{WorkspaceID: workspaceID, ActorUserID: by, Action: "member.role_change",
			ObjectType: "user", ObjectID: userID, After: memberView(userID, role)}
		if prev == "" {
			e.Action = "member.add"
		} else {
			e.Before = memberView(userID, Role(prev))
		}
		return s.record(ctx, tx, e)
	})
}

// keepAnOwner fails when the workspace has a single owner, who is about to
// lose the role: a workspace nobody can manage fully is a support ticket.
func keepAnOwner(ctx context.Context, q db.Querier, workspaceID coterie.ID) error {
	var n int
	if err := q.QueryRowContext(ctx, `/* Auth.keepAnOwner */
		SELECT COUNT(*) FROM membership WHERE workspace_id = $1 AND role = 'owner'`, workspaceID).Scan(&n); err != nil {
		return fmt.Errorf("count owners: %w", err)
	}
	if n <= 1 {
		return coterie.Errorf(coterie.ECONFLICT, "a workspace needs at least one owner; make someone else owner first")
	}
	return nil
}

// RemoveMember takes a user out of the workspace. The same rules as SetRole
// apply.
func (s *Store) RemoveMember(ctx context.Context, workspaceID, userID coterie.ID, by coterie.ID) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		actorRole, err := authorize(ctx, tx, workspaceID, by, ActManage)
		if err != nil {
			return err
		}
		var prev string
		err = tx.QueryRowContext(ctx, `/* Auth.RemoveMember */
			SELECT role FROM membership WHERE workspace_id = $1 AND user_id = $2`, workspaceID, userID).Scan(&prev)
		if errors.Is(err, sql.ErrNoRows) {
			return coterie.Errorf(coterie.ENOTFOUND, "user %d is not a member of this workspace", userID)
		}
		if err != nil {
			return fmt.Errorf("remove member: %w", err)
		}
		if Role(prev) == RoleOwner {
			if actorRole != RoleOwner {
				return coterie.Errorf(coterie.EFORBIDDEN, "only an owner can remove an owner")
			}
			if err := keepAnOwner(ctx, tx, workspaceID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `/* Auth.RemoveMember */
			DELETE FROM membership WHERE workspace_id = $1 AND user_id = $2`, workspaceID, userID); err != nil {
			return fmt.Errorf("remove member: %w", err)
		}
		return s.record(ctx, tx, AuditEntry{WorkspaceID: workspaceID, ActorUserID: by, Action: "member.remove",
			ObjectType: "user", ObjectID: userID, Before: memberView(userID, Role(prev))})
	})
}
