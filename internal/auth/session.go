package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/db"
)

// Session is a signed-in browser. Its token lives only in the cookie; the
// database keeps the token's SHA-256 and a random CSRF secret.
type Session struct {
	ID         coterie.ID
	UserID     coterie.ID
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ExpiresAt is when the session ends unless used again: SessionIdle
	// after its last use, and never later than SessionAbsolute after sign-in.
	ExpiresAt time.Time
	csrf      []byte
}

func (s *Session) setExpiry() {
	idle := s.LastSeenAt.Add(SessionIdle)
	abs := s.CreatedAt.Add(SessionAbsolute)
	if abs.Before(idle) {
		idle = abs
	}
	s.ExpiresAt = idle
}

// CreateSession signs a user in and returns the session token for the
// cookie, shown this once: 32 random bytes, base64url.
func (s *Store) CreateSession(ctx context.Context, userID coterie.ID) (string, *Session, error) {
	token := newSecret()
	csrf := newSecret()
	now := fromMS(ms(s.now()))
	sess := &Session{UserID: userID, CreatedAt: now, LastSeenAt: now}
	sess.csrf, _ = base64.RawURLEncoding.DecodeString(csrf)
	sess.setExpiry()
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		u, err := findUserByID(ctx, tx, userID)
		if err != nil {
			return err
		}
		if u.Disabled {
			return coterie.Errorf(coterie.EFORBIDDEN, "this account is disabled")
		}
		if err := tx.QueryRowContext(ctx, `/* Auth.CreateSession */
			INSERT INTO user_session (user_id, token_hash, csrf_secret, created_at, last_seen_at)
			VALUES ($1, $2, $3, $4, $4) RETURNING id`, userID, hashSecret(token), csrf, ms(now)).Scan(&sess.ID); err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		return s.record(ctx, tx, AuditEntry{ActorUserID: userID, Action: "session.create",
			ObjectType: "session", ObjectID: sess.ID})
	})
	if err != nil {
		return "", nil, err
	}
	return token, sess, nil
}

// SessionUser returns the signed-in user and session for a cookie's token,
// and extends the session's idle expiry. An unknown token is ENOTFOUND; an
// expired session (deleted on the way) or a disabled user is EFORBIDDEN.
func (s *Store) SessionUser(ctx context.Context, token string) (*User, *Session, error) {
	var sess Session
	var created, seen int64
	var csrf string
	var disabledInt int
	var u User
	var uCreated int64
	err := s.db.Read.QueryRowContext(ctx, `/* Auth.SessionUser */
		SELECT s.id, s.user_id, s.csrf_secret, s.created_at, s.last_seen_at,
			u.id, u.email, u.name, u.disabled, u.created_at
		FROM user_session s JOIN app_user u ON u.id = s.user_id
		WHERE s.token_hash = $1`, hashSecret(token)).
		Scan(&sess.ID, &sess.UserID, &csrf, &created, &seen, &u.ID, &u.Email, &u.Name, &disabledInt, &uCreated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, coterie.Errorf(coterie.ENOTFOUND, "no such session; sign in")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("find session: %w", err)
	}
	u.Disabled, u.CreatedAt = disabledInt == 1, fromMS(uCreated)
	sess.CreatedAt, sess.LastSeenAt = fromMS(created), fromMS(seen)
	sess.setExpiry()
	if sess.csrf, err = base64.RawURLEncoding.DecodeString(csrf); err != nil {
		return nil, nil, fmt.Errorf("session %d: bad CSRF secret: %w", sess.ID, err)
	}
	now := s.now()
	if !now.Before(sess.ExpiresAt) {
		if _, err := s.db.Write.ExecContext(ctx, `/* Auth.SessionUser */
			DELETE FROM user_session WHERE id = $1`, sess.ID); err != nil {
			return nil, nil, fmt.Errorf("delete expired session: %w", err)
		}
		return nil, nil, coterie.Errorf(coterie.EFORBIDDEN, "your session has expired; sign in again")
	}
	if u.Disabled {
		return nil, nil, coterie.Errorf(coterie.EFORBIDDEN, "this account is disabled")
	}
	if now.Sub(sess.LastSeenAt) >= touchEvery {
		if _, err := s.db.Write.ExecContext(ctx, `/* Auth.SessionUser */
			UPDATE user_session SET last_seen_at = $1 WHERE id = $2`, ms(now), sess.ID); err != nil {
			return nil, nil, fmt.Errorf("touch session: %w", err)
		}
		sess.LastSeenAt = fromMS(ms(now))
		sess.setExpiry()
	}
	return &u, &sess, nil
}

// DeleteSession signs a session out.
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		var id, userID coterie.ID
		err := tx.QueryRowContext(ctx, `/* Auth.DeleteSession */
			DELETE FROM user_session WHERE token_hash = $1 RETURNING id, user_id`, hashSecret(token)).Scan(&id, &userID)
		if errors.Is(err, sql.ErrNoRows) {
			return coterie.Errorf(coterie.ENOTFOUND, "no such session")
		}
		if err != nil {
			return fmt.Errorf("delete session: %w", err)
		}
		return s.record(ctx, tx, AuditEntry{ActorUserID: userID, Action: "session.delete",
			ObjectType: "session", ObjectID: id})
	})
}

func deleteUserSessions(ctx context.Context, q db.Querier, userID coterie.ID) (int64, error) {
	res, err := q.ExecContext(ctx, `/* Auth.deleteUserSessions */
		DELETE FROM user_session WHERE user_id = $1`, userID)
	if err != nil {
		return 0, fmt.Errorf("delete sessions of user %d: %w", userID, err)
	}
	return res.RowsAffected()
}

// csrfLabel separates the CSRF MAC from any other use of the secret.
const csrfLabel = "coterie csrf v1"

// CSRFToken returns the token that forms and scripts of this session send
// back with every state-changing request. It is an HMAC of the session's
// stored random secret, so it is stable for the session's life and worthless
// for any other session.
func CSRFToken(sess *Session) string {
	m := hmac.New(sha256.New, sess.csrf)
	m.Write([]byte(csrfLabel))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckCSRF returns EFORBIDDEN unless token is the session's CSRF token. The
// comparison takes constant time.
func CheckCSRF(sess *Session, token string) error {
	bad := coterie.Errorf(coterie.EFORBIDDEN, "the form has expired or did not come from Coterie; reload the page and try again")
	if sess == nil || len(sess.csrf) == 0 {
		return bad
	}
	got, err := base64.RawURLEncoding.DecodeString(token)
	want, _ := base64.RawURLEncoding.DecodeString(CSRFToken(sess))
	if err != nil || !hmac.Equal(got, want) {
		return bad
	}
	return nil
}
