// Package auth stores Coterie's accounts and decides who may do what: users
// with argon2id passwords, first-run setup, roles per workspace, sessions
// with CSRF secrets, login throttling and lockout, one-time password-reset
// and invitation links, API tokens, and the audit log. It has no HTTP code;
// the web and API packages call it.
//
// Secrets handed to people (session, reset, invitation and API token values)
// are shown once and stored only as their SHA-256, so a copy of the database
// grants no access.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/db"
)

// Lifetimes and limits. They are constants rather than settings because each
// is a security decision the tests pin down.
const (
	SessionIdle       = 14 * 24 * time.Hour // a session unused this long ends
	SessionAbsolute   = 30 * 24 * time.Hour // no session lives longer
	ResetTTL          = time.Hour
	InviteTTL         = 7 * 24 * time.Hour
	LoginWindow       = 15 * time.Minute // failures are counted over this window
	LockDuration      = 15 * time.Minute
	MaxEmailFailures  = 5  // failures for one e-mail address before it is locked
	MaxIPFailures     = 50 // failures from one client IP before it is locked
	MinPasswordLength = 12
	maxPasswordLength = 1024 // hashing megabytes of "password" is a denial of service
	tokenPrefix       = "ct_"
	// touchEvery limits how often reading a session or token writes its
	// last-use time: once a minute is precise enough and spares the writer.
	touchEvery = time.Minute
)

// Store is the accounts store on one database.
type Store struct {
	db     *db.DB
	now    func() time.Time
	params Params
}

// Option configures a Store.
type Option func(*Store)

// WithClock makes the store read the time from now, so tests can move time
// for expiry and lockout.
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// WithParams sets the argon2id parameters for new password hashes. Existing
// hashes keep verifying with the parameters encoded in them.
func WithParams(p Params) Option {
	return func(s *Store) { s.params = p }
}

// NewStore returns a Store on d.
func NewStore(d *db.DB, opts ...Option) *Store {
	s := &Store{db: d, now: time.Now, params: DefaultParams}
	for _, o := range opts {
		o(s)
	}
	return s
}

// User is a person who signs in to the dashboard. Users are installation-wide;
// what they may see comes from their memberships.
type User struct {
	ID        coterie.ID
	Email     string
	Name      string
	Disabled  bool
	CreatedAt time.Time
}

// auditView is what the audit log keeps of a user: never the password hash.
func (u *User) auditView() map[string]any {
	return map[string]any{"email": u.Email, "name": u.Name, "disabled": u.Disabled}
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func fromNullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// NormalizeEmail returns the form of an address that accounts are keyed by:
// trimmed and lower-case.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// validEmail normalises an address and rejects anything that is not a bare
// address (no display name, no angle brackets).
func validEmail(email string) (string, error) {
	e := NormalizeEmail(email)
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || len(e) > 254 {
		return "", coterie.Errorf(coterie.EINVALID, "%q is not an e-mail address", strings.TrimSpace(email))
	}
	return e, nil
}

func validName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if len(name) > 200 {
		return "", coterie.Errorf(coterie.EINVALID, "name is longer than 200 characters")
	}
	return name, nil
}

// newSecret returns 32 random bytes, base64url-encoded without padding.
func newSecret() string {
	var b [32]byte
	rand.Read(b[:]) // never fails since Go 1.24
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// hashSecret is how secret values are stored. Lookups go through a unique
// index on this hash, so timing reveals at most hash prefixes, never the
// value; a plain SHA-256 suffices because the values are 256-bit random.
func hashSecret(v string) string {
	h := sha256.Sum256([]byte(v))
	return hex.EncodeToString(h[:])
}

const userColumns = `id, email, name, disabled, created_at`

func scanUser(row interface{ Scan(...any) error }, extra ...any) (*User, error) {
	var u User
	var disabled int
	var created int64
	if err := row.Scan(append([]any{&u.ID, &u.Email, &u.Name, &disabled, &created}, extra...)...); err != nil {
		return nil, err
	}
	u.Disabled = disabled == 1
	u.CreatedAt = fromMS(created)
	return &u, nil
}

// NeedsSetup reports whether no user exists yet, so the dashboard must ask
// for the owner account.
func (s *Store) NeedsSetup(ctx context.Context) (bool, error) {
	var n int
	err := s.db.Write.QueryRowContext(ctx, `/* Auth.NeedsSetup */
		SELECT COUNT(*) FROM (SELECT 1 FROM app_user LIMIT 1) u`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("needs setup: %w", err)
	}
	return n == 0, nil
}

// CreateOwner creates the first user and makes them owner of the workspace
// of this name (created if needed). It works only while there is no user at
// all: afterwards it fails with ECONFLICT, even when two nodes race.
func (s *Store) CreateOwner(ctx context.Context, email, name, password, workspaceName string) (*User, *coterie.Workspace, error) {
	email, err := validEmail(email)
	if err != nil {
		return nil, nil, err
	}
	if name, err = validName(name); err != nil {
		return nil, nil, err
	}
	workspaceName = strings.TrimSpace(workspaceName)
	if workspaceName == "" {
		return nil, nil, coterie.Errorf(coterie.EINVALID, "workspace name is empty")
	}
	if err := CheckPasswordPolicy(password); err != nil {
		return nil, nil, err
	}
	hash, err := HashPassword(password, s.params)
	if err != nil {
		return nil, nil, err
	}
	setupDone := coterie.Errorf(coterie.ECONFLICT, "setup is already done: an account exists")
	now := s.now()
	var u *User
	var ws coterie.Workspace
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `/* Auth.CreateOwner */
			SELECT COUNT(*) FROM (SELECT 1 FROM app_user LIMIT 1) u`).Scan(&n); err != nil {
			return fmt.Errorf("create owner: %w", err)
		}
		if n > 0 {
			return setupDone
		}
		var err error
		if u, err = insertUser(ctx, tx, email, name, hash, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `/* Auth.CreateOwner */
			INSERT INTO auth_setup (id, owner_id, at) VALUES (1, $1, $2)`, u.ID, ms(now)); err != nil {
			if db.IsUniqueViolation(err) {
				return setupDone
			}
			return fmt.Errorf("create owner: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `/* Auth.CreateOwner */
			INSERT INTO workspace (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
			workspaceName, ms(now)); err != nil {
			return fmt.Errorf("create owner: workspace %q: %w", workspaceName, err)
		}
		var created int64
		if err := tx.QueryRowContext(ctx, `/* Auth.CreateOwner */
			SELECT id, name, created_at FROM workspace WHERE name = $1`, workspaceName).
			Scan(&ws.ID, &ws.Name, &created); err != nil {
			return fmt.Errorf("create owner: workspace %q: %w", workspaceName, err)
		}
		ws.CreatedAt = fromMS(created)
		if err := insertMembership(ctx, tx, ws.ID, u.ID, RoleOwner, now); err != nil {
			return err
		}
		if err := s.record(ctx, tx, AuditEntry{ActorUserID: u.ID, Action: "user.create",
			ObjectType: "user", ObjectID: u.ID, After: u.auditView()}); err != nil {
			return err
		}
		return s.record(ctx, tx, AuditEntry{WorkspaceID: ws.ID, ActorUserID: u.ID, Action: "member.add",
			ObjectType: "user", ObjectID: u.ID, After: memberView(u.ID, RoleOwner)})
	})
	if err != nil {
		return nil, nil, err
	}
	return u, &ws, nil
}

func insertUser(ctx context.Context, q db.Querier, email, name, hash string, now time.Time) (*User, error) {
	u := &User{Email: email, Name: name, CreatedAt: fromMS(ms(now))}
	err := q.QueryRowContext(ctx, `/* Auth.insertUser */
		INSERT INTO app_user (email, name, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
		RETURNING id`, email, name, hash, ms(now)).Scan(&u.ID)
	if db.IsUniqueViolation(err) {
		return nil, coterie.Errorf(coterie.ECONFLICT, "an account with e-mail %s already exists", email)
	}
	if err != nil {
		return nil, fmt.Errorf("create user %s: %w", email, err)
	}
	return u, nil
}

// FindUserByID returns the user with this id.
func (s *Store) FindUserByID(ctx context.Context, id coterie.ID) (*User, error) {
	return findUserByID(ctx, s.db.Read, id)
}

func findUserByID(ctx context.Context, q db.Querier, id coterie.ID) (*User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `/* Auth.FindUserByID */
		SELECT `+userColumns+` FROM app_user WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, coterie.Errorf(coterie.ENOTFOUND, "user %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("find user %d: %w", id, err)
	}
	return u, nil
}

// FindUserByEmail returns the user with this e-mail address (in any case).
func (s *Store) FindUserByEmail(ctx context.Context, email string) (*User, error) {
	u, _, err := findUserWithHash(ctx, s.db.Read, NormalizeEmail(email))
	return u, err
}

func findUserWithHash(ctx context.Context, q db.Querier, email string) (*User, string, error) {
	var hash string
	u, err := scanUser(q.QueryRowContext(ctx, `/* Auth.findUserWithHash */
		SELECT `+userColumns+`, password_hash FROM app_user WHERE email = $1`, email), &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", coterie.Errorf(coterie.ENOTFOUND, "no account with e-mail %s", email)
	}
	if err != nil {
		return nil, "", fmt.Errorf("find user %s: %w", email, err)
	}
	return u, hash, nil
}

// ChangePassword sets a new password after checking the current one, and
// ends every session of the user: whoever knew the old password is signed
// out everywhere. The caller signs the user in again.
func (s *Store) ChangePassword(ctx context.Context, userID coterie.ID, current, next string) error {
	var hash string
	err := s.db.Read.QueryRowContext(ctx, `/* Auth.ChangePassword */
		SELECT password_hash FROM app_user WHERE id = $1`, userID).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return coterie.Errorf(coterie.ENOTFOUND, "user %d not found", userID)
	}
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	ok, err := VerifyPassword(hash, current)
	if err != nil {
		return err
	}
	if !ok {
		return coterie.Errorf(coterie.EINVALID, "the current password is wrong")
	}
	if err := CheckPasswordPolicy(next); err != nil {
		return err
	}
	newHash, err := HashPassword(next, s.params)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		return s.setPassword(ctx, tx, userID, newHash, userID, "user.password_change")
	})
}

// setPassword stores a new hash, ends the user's sessions and records action.
func (s *Store) setPassword(ctx context.Context, tx *sql.Tx, userID coterie.ID, hash string, actor coterie.ID, action string) error {
	if _, err := tx.ExecContext(ctx, `/* Auth.setPassword */
		UPDATE app_user SET password_hash = $1, updated_at = $2 WHERE id = $3`, hash, ms(s.now()), userID); err != nil {
		return fmt.Errorf("set password of user %d: %w", userID, err)
	}
	n, err := deleteUserSessions(ctx, tx, userID)
	if err != nil {
		return err
	}
	return s.record(ctx, tx, AuditEntry{ActorUserID: actor, Action: action, ObjectType: "user", ObjectID: userID,
		After: map[string]any{"sessions_ended": n}})
}

// SetDisabled disables or re-enables an account (an operator's action, from
// the CLI). Disabling ends the user's sessions; a disabled user cannot sign
// in, and their sessions and invitations stop working.
func (s *Store) SetDisabled(ctx context.Context, userID coterie.ID, disabled bool) (*User, error) {
	var after *User
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		before, err := findUserByID(ctx, tx, userID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `/* Auth.SetDisabled */
			UPDATE app_user SET disabled = $1, updated_at = $2 WHERE id = $3`, boolInt(disabled), ms(s.now()), userID); err != nil {
			return fmt.Errorf("disable user %d: %w", userID, err)
		}
		if disabled {
			if _, err := deleteUserSessions(ctx, tx, userID); err != nil {
				return err
			}
		}
		a := *before
		a.Disabled = disabled
		after = &a
		return s.record(ctx, tx, AuditEntry{Action: "user.disable", ObjectType: "user", ObjectID: userID,
			Before: before.auditView(), After: after.auditView()})
	})
	if err != nil {
		return nil, err
	}
	return after, nil
}

// lockedError is the message a locked-out person sees. The time is rounded
// up to the minute so that "after 14:05" is never too early.
func lockedError(until time.Time) error {
	u := until.UTC()
	if t := u.Truncate(time.Minute); !t.Equal(u) {
		u = t.Add(time.Minute)
	}
	return coterie.Errorf(coterie.EFORBIDDEN, "too many failed logins; try again after %s UTC", u.Format("15:04"))
}

var errWrongLogin = coterie.Errorf(coterie.EINVALID, "wrong e-mail or password")

// Login checks an e-mail address and password from a client IP (may be
// empty) and returns the user. A wrong password and an unknown address give
// the same EINVALID error, after the same amount of hashing work. After
// MaxEmailFailures failures for one address (or MaxIPFailures from one IP)
// within LoginWindow, logins for it are refused with EFORBIDDEN for
// LockDuration, whatever the password.
func (s *Store) Login(ctx context.Context, email, password, ip string) (*User, error) {
	now := s.now()
	email = NormalizeEmail(email)
	ip = strings.TrimSpace(ip)
	if err := s.checkLocks(ctx, email, ip, now); err != nil {
		return nil, err
	}
	u, hash, err := findUserWithHash(ctx, s.db.Read, email)
	if err != nil && coterie.ErrorCode(err) != coterie.ENOTFOUND {
		return nil, err
	}
	if u == nil {
		// Hash anyway, so an unknown address takes as long as a known one.
		hash = dummyHash(s.params)
	}
	ok, err := VerifyPassword(hash, password)
	if err != nil {
		return nil, err
	}
	if u == nil || !ok {
		return nil, s.loginFailed(ctx, email, ip, u, now)
	}
	if u.Disabled {
		return nil, coterie.Errorf(coterie.EFORBIDDEN, "this account is disabled")
	}
	if _, err := s.db.Write.ExecContext(ctx, `/* Auth.Login */
		DELETE FROM login_failure WHERE kind = 'email' AND subject = $1`, email); err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	if NeedsRehash(hash, s.params) {
		// Upgrade hashes made with older parameters while the password is at hand.
		if h, err := HashPassword(password, s.params); err == nil {
			if _, err := s.db.Write.ExecContext(ctx, `/* Auth.Login */
				UPDATE app_user SET password_hash = $1 WHERE id = $2 AND password_hash = $3`, h, u.ID, hash); err != nil {
				return nil, fmt.Errorf("login: rehash: %w", err)
			}
		}
	}
	return u, nil
}

func (s *Store) checkLocks(ctx context.Context, email, ip string, now time.Time) error {
	rows, err := s.db.Read.QueryContext(ctx, `/* Auth.checkLocks */
		SELECT locked_until FROM login_lock
		WHERE ((kind = 'email' AND subject = $1) OR (kind = 'ip' AND subject = $2)) AND locked_until > $3
		ORDER BY locked_until DESC`, email, ip, ms(now))
	if err != nil {
		return fmt.Errorf("login: check lock: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		var until int64
		if err := rows.Scan(&until); err != nil {
			return fmt.Errorf("login: check lock: %w", err)
		}
		return lockedError(fromMS(until))
	}
	return rows.Err()
}

// loginFailed counts a failure against the address and the IP, locks either
// when it reaches its limit, and returns the error to show.
func (s *Store) loginFailed(ctx context.Context, email, ip string, u *User, now time.Time) error {
	var lockedUntil time.Time
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		subjects := []struct {
			kind, subject string
			limit         int
		}{{"email", email, MaxEmailFailures}, {"ip", ip, MaxIPFailures}}
		for _, sub := range subjects {
			if sub.subject == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, `/* Auth.loginFailed */
				INSERT INTO login_failure (kind, subject, at) VALUES ($1, $2, $3)`, sub.kind, sub.subject, ms(now)); err != nil {
				return fmt.Errorf("login: record failure: %w", err)
			}
			// Old rows of this subject go now, keeping the table small without a job.
			if _, err := tx.ExecContext(ctx, `/* Auth.loginFailed */
				DELETE FROM login_failure WHERE kind = $1 AND subject = $2 AND at <= $3`,
				sub.kind, sub.subject, ms(now.Add(-LoginWindow))); err != nil {
				return fmt.Errorf("login: prune failures: %w", err)
			}
			var n int
			if err := tx.QueryRowContext(ctx, `/* Auth.loginFailed */
				SELECT COUNT(*) FROM login_failure f
				WHERE f.kind = $1 AND f.subject = $2 AND f.at > $3
				AND NOT EXISTS (SELECT 1 FROM login_lock l
					WHERE l.kind = f.kind AND l.subject = f.subject AND l.locked_until > f.at)`,
				sub.kind, sub.subject, ms(now.Add(-LoginWindow))).Scan(&n); err != nil {
				return fmt.Errorf("login: count failures: %w", err)
			}
			if n < sub.limit {
				continue
			}
			until := now.Add(LockDuration)
			if _, err := tx.ExecContext(ctx, `/* Auth.loginFailed */
				INSERT INTO login_lock (kind, subject, locked_until) VALUES ($1, $2, $3)
				ON CONFLICT (kind, subject) DO UPDATE SET locked_until = excluded.locked_until`,
				sub.kind, sub.subject, ms(until)); err != nil {
				return fmt.Errorf("login: lock: %w", err)
			}
			lockedUntil = until
			e := AuditEntry{Action: "login.lockout", ObjectType: "login", After: map[string]any{
				sub.kind: sub.subject, "failures": n, "locked_until": until.UTC().Format(time.RFC3339)}}
			if sub.kind == "email" && u != nil {
				e.ObjectType, e.ObjectID = "user", u.ID
			}
			if err := s.record(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !lockedUntil.IsZero() {
		return lockedError(lockedUntil)
	}
	return errWrongLogin
}

// Prune deletes what has expired for good: sessions past their lifetime,
// login failures outside the window, and used or expired one-time links
// older than a day. A scheduled job calls it.
func (s *Store) Prune(ctx context.Context) error {
	now := s.now()
	day := ms(now.Add(-24 * time.Hour))
	stmts := []struct {
		sql  string
		args []any
	}{
		{`/* Auth.Prune */ DELETE FROM user_session WHERE last_seen_at <= $1 OR created_at <= $2`,
			[]any{ms(now.Add(-SessionIdle)), ms(now.Add(-SessionAbsolute))}},
		{`/* Auth.Prune */ DELETE FROM login_failure WHERE at <= $1`, []any{ms(now.Add(-LoginWindow))}},
		{`/* Auth.Prune */ DELETE FROM login_lock WHERE locked_until <= $1`, []any{day}},
		{`/* Auth.Prune */ DELETE FROM password_reset WHERE expires_at <= $1`, []any{day}},
		{`/* Auth.Prune */ DELETE FROM invitation WHERE expires_at <= $1 AND accepted_at IS NULL`, []any{day}},
	}
	for _, st := range stmts {
		if _, err := s.db.Write.ExecContext(ctx, st.sql, st.args...); err != nil {
			return fmt.Errorf("prune: %w", err)
		}
	}
	return nil
}
