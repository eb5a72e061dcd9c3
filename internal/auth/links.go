package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/coteriehq/coterie/internal/coterie"
)

// CreateResetToken returns a one-time password-reset token for the account
// with this address, valid for ResetTTL. The CLI, run by the operator, prints
// it as a link; that is why an unknown address may say so (ENOTFOUND).
func (s *Store) CreateResetToken(ctx context.Context, email string) (string, error) {
	token := newSecret()
	now := s.now()
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		u, _, err := findUserWithHash(ctx, tx, NormalizeEmail(email))
		if err != nil {
			return err
		}
		var id coterie.ID
		if err := tx.QueryRowContext(ctx, `/* Auth.CreateResetToken */
			INSERT INTO password_reset (user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)
			RETURNING id`, u.ID, hashSecret(token), ms(now), ms(now.Add(ResetTTL))).Scan(&id); err != nil {
			return fmt.Errorf("create reset token: %w", err)
		}
		return s.record(ctx, tx, AuditEntry{Action: "user.reset_link", ObjectType: "user", ObjectID: u.ID,
			After: map[string]any{"expires_at": now.Add(ResetTTL).UTC().Format("2006-01-02T15:04:05Z")}})
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// ResetPassword sets a new password with a reset token. The token works once
// and for ResetTTL; using it ends all the user's sessions and lifts a login
// lockout on the account (its owner has just proved who they are).
func (s *Store) ResetPassword(ctx context.Context, token, newPassword string) (*User, error) {
	if err := CheckPasswordPolicy(newPassword); err != nil {
		return nil, err
	}
	hash, err := HashPassword(newPassword, s.params)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var u *User
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		var id, userID coterie.ID
		var expires int64
		var used sql.NullInt64
		err := tx.QueryRowContext(ctx, `/* Auth.ResetPassword */
			SELECT id, user_id, expires_at, used_at FROM password_reset WHERE token_hash = $1`, hashSecret(token)).
			Scan(&id, &userID, &expires, &used)
		if errors.Is(err, sql.ErrNoRows) {
			return coterie.Errorf(coterie.ENOTFOUND, "this reset link is not valid")
		}
		if err != nil {
			return fmt.Errorf("reset password: %w", err)
		}
		if used.Valid {
			return coterie.Errorf(coterie.EFORBIDDEN, "this reset link has already been used; ask for a new one")
		}
		if !now.Before(fromMS(expires)) {
			return coterie.Errorf(coterie.EFORBIDDEN, "this reset link has expired; ask for a new one")
		}
		// The used_at guard makes a second concurrent use change nothing.
		res, err := tx.ExecContext(ctx, `/* Auth.ResetPassword */
			UPDATE password_reset SET used_at = $1 WHERE id = $2 AND used_at IS NULL`, ms(now), id)
		if err != nil {
			return fmt.Errorf("reset password: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return coterie.Errorf(coterie.EFORBIDDEN, "this reset link has already been used; ask for a new one")
		}
		if u, err = findUserByID(ctx, tx, userID); err != nil {
			return err
		}
		if u.Disabled {
			return coterie.Errorf(coterie.EFORBIDDEN, "this account is disabled")
		}
		if err := s.setPassword(ctx, tx, userID, hash, userID, "user.password_reset"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `/* Auth.ResetPassword */
			DELETE FROM login_lock WHERE kind = 'email' AND subject = $1`, u.Email); err != nil {
			return fmt.Errorf("reset password: unlock: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `/* Auth.ResetPassword */
			DELETE FROM login_failure WHERE kind = 'email' AND subject = $1`, u.Email); err != nil {
			return fmt.Errorf("reset password: unlock: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// Invite creates a one-time invitation to the workspace with a role, valid
// for InviteTTL, and returns its token (the edge makes it a link). The
// inviter must be allowed to manage the workspace, and only an owner may
// invite an owner.
func (s *Store) Invite(ctx context.Context, workspaceID coterie.ID, email string, role Role, invitedBy coterie.ID) (string, error) {
	email, err := validEmail(email)
	if err != nil {
		return "", err
	}
	if _, err := parseRole(string(role)); err != nil {
		return "", err
	}
	token := newSecret()
	now := s.now()
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		actorRole, err := authorize(ctx, tx, workspaceID, invitedBy, ActManage)
		if err != nil {
			return err
		}
		if role == RoleOwner && actorRole != RoleOwner {
			return coterie.Errorf(coterie.EFORBIDDEN, "only an owner can invite an owner")
		}
		var n int
		if err := tx.QueryRowContext(ctx, `/* Auth.Invite */
			SELECT COUNT(*) FROM membership m JOIN app_user u ON u.id = m.user_id
			WHERE m.workspace_id = $1 AND u.email = $2`, workspaceID, email).Scan(&n); err != nil {
			return fmt.Errorf("invite: %w", err)
		}
		if n > 0 {
			return coterie.Errorf(coterie.ECONFLICT, "%s is already a member of this workspace", email)
		}
		var id coterie.ID
		if err := tx.QueryRowContext(ctx, `/* Auth.Invite */
			INSERT INTO invitation (workspace_id, email, role, token_hash, invited_by, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			workspaceID, email, string(role), hashSecret(token), invitedBy, ms(now), ms(now.Add(InviteTTL))).Scan(&id); err != nil {
			return fmt.Errorf("invite: %w", err)
		}
		return s.record(ctx, tx, AuditEntry{WorkspaceID: workspaceID, ActorUserID: invitedBy, Action: "invitation.create",
			ObjectType: "invitation", ObjectID: id, After: map[string]any{"email": email, "role": string(role)}})
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// AcceptInvite uses an invitation: it creates the invited user with this
// name and password if there is no account for the address yet, or, when
// there is, checks that the password is theirs; then it adds the membership.
// The invitation works once and for InviteTTL.
func (s *Store) AcceptInvite(ctx context.Context, token, name, password string) (*User, error) {
	name, err := validName(name)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var u, wrongFor *User
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		var id, workspaceID coterie.ID
		var email, roleText string
		var expires int64
		var accepted sql.NullInt64
		err := tx.QueryRowContext(ctx, `/* Auth.AcceptInvite */
			SELECT id, workspace_id, email, role, expires_at, accepted_at FROM invitation WHERE token_hash = $1`,
			hashSecret(token)).Scan(&id, &workspaceID, &email, &roleText, &expires, &accepted)
		if errors.Is(err, sql.ErrNoRows) {
			return coterie.Errorf(coterie.ENOTFOUND, "this invitation link is not valid")
		}
		if err != nil {
			return fmt.Errorf("accept invitation: %w", err)
		}
		if accepted.Valid {
			return coterie.Errorf(coterie.EFORBIDDEN, "this invitation has already been used")
		}
		if !now.Before(fromMS(expires)) {
			return coterie.Errorf(coterie.EFORBIDDEN, "this invitation has expired; ask for a new one")
		}
		existing, hash, err := findUserWithHash(ctx, tx, email)
		switch {
		case err == nil:
			// Someone holding the link must not get into another person's
			// account, nor guess its password faster than at the login form.
			if err := s.checkLocks(ctx, email, "", now); err != nil {
				return err
			}
			ok, err := VerifyPassword(hash, password)
			if err != nil {
				return err
			}
			if !ok {
				wrongFor = existing
				return errWrongLogin
			}
			if existing.Disabled {
				return coterie.Errorf(coterie.EFORBIDDEN, "this account is disabled")
			}
			u = existing
		case coterie.ErrorCode(err) == coterie.ENOTFOUND:
			if err := CheckPasswordPolicy(password); err != nil {
				return err
			}
			h, err := HashPassword(password, s.params)
			if err != nil {
				return err
			}
			if u, err = insertUser(ctx, tx, email, name, h, now); err != nil {
				return err
			}
			if err := s.record(ctx, tx, AuditEntry{ActorUserID: u.ID, Action: "user.create",
				ObjectType: "user", ObjectID: u.ID, After: u.auditView()}); err != nil {
				return err
			}
		default:
			return err
		}
		res, err := tx.ExecContext(ctx, `/* Auth.AcceptInvite */
			UPDATE invitation SET accepted_at = $1, accepted_by = $2 WHERE id = $3 AND accepted_at IS NULL`, ms(now), u.ID, id)
		if err != nil {
			return fmt.Errorf("accept invitation: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return coterie.Errorf(coterie.EFORBIDDEN, "this invitation has already been used")
		}
		role := Role(roleText)
		if err := insertMembership(ctx, tx, workspaceID, u.ID, role, now); err != nil {
			return err
		}
		return s.record(ctx, tx, AuditEntry{WorkspaceID: workspaceID, ActorUserID: u.ID, Action: "invitation.accept",
			ObjectType: "invitation", ObjectID: id, After: memberView(u.ID, role)})
	})
	if wrongFor != nil {
		return nil, s.loginFailed(ctx, wrongFor.Email, "", wrongFor, now)
	}
	if err != nil {
		return nil, err
	}
	return u, nil
}
