package auth_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coteriehq/coterie/internal/auth"
	"github.com/coteriehq/coterie/internal/community"
	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/db"
	"github.com/coteriehq/coterie/internal/db/dbtest"
)

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable time source shared by the store under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// cheap keeps hashing fast in tests that are not about hashing cost.
var cheap = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

const (
	ownerEmail = "owner@brand.example"
	ownerPass  = "correct horse battery"
)

type env struct {
	st    *auth.Store
	clk   *clock
	d     *db.DB
	owner *auth.User
	ws    *coterie.Workspace
}

func newEnv(t *testing.T, d *db.DB, opts ...auth.Option) env {
	t.Helper()
	clk := &clock{t: t0}
	st := auth.NewStore(d, append([]auth.Option{auth.WithClock(clk.now), auth.WithParams(cheap)}, opts...)...)
	u, ws, err := st.CreateOwner(context.Background(), ownerEmail, "Olive Owner", ownerPass, "brand")
	if err != nil {
		t.Fatal(err)
	}
	return env{st: st, clk: clk, d: d, owner: u, ws: ws}
}

// addUser invites email into the workspace with role and accepts.
func (e env) addUser(t *testing.T, wsID coterie.ID, email string, role auth.Role) *auth.User {
	t.Helper()
	ctx := context.Background()
	tok, err := e.st.Invite(ctx, wsID, email, role, e.owner.ID)
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.st.AcceptInvite(ctx, tok, "Someone", "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func otherWorkspace(t *testing.T, d *db.DB, name string) *coterie.Workspace {
	t.Helper()
	ws, err := community.NewStore(d).EnsureWorkspace(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

// wantCode fails unless err carries the domain error code (and, if given,
// a message containing msg).
func wantCode(t *testing.T, err error, code, msg string) {
	t.Helper()
	if got := coterie.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
	if msg != "" && !strings.Contains(coterie.ErrorMessage(err), msg) {
		t.Fatalf("error %q does not say %q", coterie.ErrorMessage(err), msg)
	}
}

func TestHashPassword(t *testing.T) {
	phc := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	h1, err := auth.HashPassword("correct horse battery", auth.DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := auth.HashPassword("correct horse battery", auth.DefaultParams)
	t.Run("format", func(t *testing.T) {
		if !phc.MatchString(h1) {
			t.Fatalf("hash %q is not a PHC argon2id string", h1)
		}
	})
	t.Run("salted", func(t *testing.T) {
		if h1 == h2 {
			t.Fatal("two hashes of one password are equal: the salt is not random")
		}
	})
	tests := []struct {
		name, hash, password string
		want                 bool
		wantErr              bool
	}{
		{"right password", h1, "correct horse battery", true, false},
		{"right password, second hash", h2, "correct horse battery", true, false},
		{"wrong password", h1, "correct horse batterY", false, false},
		{"empty password", h1, "", false, false},
		{"other parameters verify", mustHash(t, "pw", cheap), "pw", true, false},
		{"tampered hash", h1[:len(h1)-4] + "AAAA", "correct horse battery", false, false},
		{"argon2i refused", strings.Replace(h1, "argon2id", "argon2i", 1), "correct horse battery", false, true},
		{"huge memory refused", strings.Replace(h1, "m=19456", "m=99999999", 1), "x", false, true},
		{"garbage", "plaintext", "plaintext", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := auth.VerifyPassword(tt.hash, tt.password)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Fatalf("VerifyPassword = %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("rehash on other parameters", func(t *testing.T) {
		if auth.NeedsRehash(h1, auth.DefaultParams) || !auth.NeedsRehash(h1, cheap) {
			t.Fatal("NeedsRehash does not compare the encoded parameters")
		}
	})
}

func mustHash(t *testing.T, pw string, p auth.Params) string {
	t.Helper()
	h, err := auth.HashPassword(pw, p)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestCheckPasswordPolicy(t *testing.T) {
	tests := []struct {
		password string
		ok       bool
	}{
		{"", false},
		{"elevenchars", false},
		{"twelve chars", true},
		{"ünïcödé-ok!!", true}, // 12 characters, more bytes
		{strings.Repeat("x", 2000), false},
	}
	for _, tt := range tests {
		err := auth.CheckPasswordPolicy(tt.password)
		if (err == nil) != tt.ok {
			t.Errorf("CheckPasswordPolicy(%.20q) = %v, want ok %v", tt.password, err, tt.ok)
		}
		if err != nil {
			wantCode(t, err, coterie.EINVALID, "")
		}
	}
}

func TestCan(t *testing.T) {
	// The whole permission table, so a change to it is a visible decision.
	want := map[auth.Role]string{
		auth.RoleOwner:   "read export write manage audit",
		auth.RoleAdmin:   "read export write manage audit",
		auth.RoleAnalyst: "read export",
		auth.RoleViewer:  "read",
		"stranger":       "",
	}
	for role, allowed := range want {
		for _, a := range auth.Actions {
			t.Run(string(role)+"/"+string(a), func(t *testing.T) {
				w := strings.Contains(" "+allowed+" ", " "+string(a)+" ")
				if got := auth.Can(role, a); got != w {
					t.Fatalf("Can(%s, %s) = %v, want %v", role, a, got, w)
				}
			})
		}
	}
}

func TestStore_CreateOwner(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st := auth.NewStore(d, auth.WithParams(cheap))
		t.Run("needs setup on a fresh install", func(t *testing.T) {
			need, err := st.NeedsSetup(ctx)
			if err != nil || !need {
				t.Fatalf("NeedsSetup = %v, %v; want true", need, err)
			}
		})
		t.Run("short password refused", func(t *testing.T) {
			_, _, err := st.CreateOwner(ctx, "a@b.example", "A", "short", "brand")
			wantCode(t, err, coterie.EINVALID, "at least 12 characters")
			if need, _ := st.NeedsSetup(ctx); !need {
				t.Fatal("a refused setup left a user behind")
			}
		})
		t.Run("bad e-mail refused", func(t *testing.T) {
			_, _, err := st.CreateOwner(ctx, "Olive <o@b.example>", "A", ownerPass, "brand")
			wantCode(t, err, coterie.EINVALID, "not an e-mail address")
		})
		var owner *auth.User
		t.Run("first owner", func(t *testing.T) {
			u, ws, err := st.CreateOwner(ctx, "  Owner@Brand.Example ", "Olive", ownerPass, "brand")
			if err != nil {
				t.Fatal(err)
			}
			owner = u
			if u.Email != ownerEmail {
				t.Errorf("email = %q, want it normalised to %q", u.Email, ownerEmail)
			}
			role, err := st.FindRole(ctx, ws.ID, u.ID)
			if err != nil || role != auth.RoleOwner {
				t.Fatalf("role = %q, %v; want owner", role, err)
			}
			if need, _ := st.NeedsSetup(ctx); need {
				t.Fatal("NeedsSetup still true after setup")
			}
		})
		t.Run("only once", func(t *testing.T) {
			_, _, err := st.CreateOwner(ctx, "intruder@evil.example", "Mallory", "another long password", "evil")
			wantCode(t, err, coterie.ECONFLICT, "already done")
			if _, err := st.FindUserByEmail(ctx, "intruder@evil.example"); coterie.ErrorCode(err) != coterie.ENOTFOUND {
				t.Fatalf("second setup created a user: %v", err)
			}
		})
		t.Run("owner can log in", func(t *testing.T) {
			u, err := st.Login(ctx, "OWNER@brand.example", ownerPass, "10.0.0.1")
			if err != nil || u.ID != owner.ID {
				t.Fatalf("Login = %v, %v", u, err)
			}
		})
	})
}

func TestStore_Login(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		tests := []struct {
			name, email, password string
			code                  string
		}{
			{"right password", ownerEmail, ownerPass, ""},
			{"address in other case", "Owner@BRAND.example", ownerPass, ""},
			{"wrong password", ownerEmail, "wrong horse battery", coterie.EINVALID},
			{"unknown e-mail", "nobody@brand.example", ownerPass, coterie.EINVALID},
			{"empty", "", "", coterie.EINVALID},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u, err := e.st.Login(ctx, tt.email, tt.password, "10.0.0.1")
				if tt.code == "" {
					if err != nil || u.ID != e.owner.ID {
						t.Fatalf("Login = %v, %v; want the owner", u, err)
					}
					return
				}
				// One message for both, so the form does not reveal which
				// addresses have accounts.
				wantCode(t, err, tt.code, "wrong e-mail or password")
				if coterie.ErrorMessage(err) != "wrong e-mail or password" {
					t.Fatalf("message %q reveals more than needed", coterie.ErrorMessage(err))
				}
			})
		}
		t.Run("disabled account", func(t *testing.T) {
			u := e.addUser(t, e.ws.ID, "gone@brand.example", auth.RoleViewer)
			if _, err := e.st.SetDisabled(ctx, u.ID, true); err != nil {
				t.Fatal(err)
			}
			_, err := e.st.Login(ctx, "gone@brand.example", "a long enough password", "")
			wantCode(t, err, coterie.EFORBIDDEN, "disabled")
		})
	})
}

func TestStore_Login_lockout(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		fail := func(t *testing.T, email, ip string) error {
			t.Helper()
			_, err := e.st.Login(ctx, email, "not the password!", ip)
			return err
		}
		t.Run("four failures only warn", func(t *testing.T) {
			for i := 0; i < auth.MaxEmailFailures-1; i++ {
				wantCode(t, fail(t, ownerEmail, "10.0.0.1"), coterie.EINVALID, "wrong e-mail or password")
			}
		})
		t.Run("fifth failure locks until a stated time", func(t *testing.T) {
			e.clk.set(t0.Add(30 * time.Second))
			wantCode(t, fail(t, ownerEmail, "10.0.0.2"), coterie.EFORBIDDEN,
				"too many failed logins; try again after 12:16 UTC")
		})
		t.Run("locked even with the right password", func(t *testing.T) {
			e.clk.set(t0.Add(15 * time.Minute))
			_, err := e.st.Login(ctx, ownerEmail, ownerPass, "10.0.0.3")
			wantCode(t, err, coterie.EFORBIDDEN, "try again after 12:16 UTC")
		})
		t.Run("other accounts are not locked", func(t *testing.T) {
			e.addUser(t, e.ws.ID, "analyst@brand.example", auth.RoleAnalyst)
			if _, err := e.st.Login(ctx, "analyst@brand.example", "a long enough password", "10.0.0.1"); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("a released account starts afresh", func(t *testing.T) {
			e.clk.set(t0.Add(30*time.Second + auth.LockDuration))
			wantCode(t, fail(t, ownerEmail, "10.0.0.1"), coterie.EINVALID, "wrong e-mail or password")
		})
		t.Run("released after 15 minutes", func(t *testing.T) {
			if _, err := e.st.Login(ctx, ownerEmail, ownerPass, "10.0.0.1"); err != nil {
				t.Fatalf("still locked after %v: %v", auth.LockDuration, err)
			}
		})
		t.Run("failures outside the window do not count", func(t *testing.T) {
			for i := 0; i < auth.MaxEmailFailures-1; i++ {
				e.clk.add(5 * time.Minute)
				wantCode(t, fail(t, ownerEmail, ""), coterie.EINVALID, "")
			}
		})
		t.Run("unknown addresses lock the same way", func(t *testing.T) {
			for i := 0; i < auth.MaxEmailFailures-1; i++ {
				wantCode(t, fail(t, "nobody@brand.example", ""), coterie.EINVALID, "wrong e-mail or password")
			}
			wantCode(t, fail(t, "nobody@brand.example", ""), coterie.EFORBIDDEN, "too many failed logins")
		})
		t.Run("lockout is audited", func(t *testing.T) {
			entries, _, err := e.st.ListAudit(ctx, 0, auth.AuditFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var n int
			for _, a := range entries {
				if a.Action == "login.lockout" {
					n++
				}
			}
			if n != 2 {
				t.Fatalf("%d lockout entries, want 2", n)
			}
		})
	})
}

func TestStore_Login_ipLockout(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		// A password spray: one guess per address, all from one IP.
		var err error
		for i := 0; i < auth.MaxIPFailures; i++ {
			_, err = e.st.Login(ctx, "user"+string(rune('a'+i%26))+string(rune('a'+i/26))+"@x.example", "guess guess guess", "203.0.113.9")
		}
		wantCode(t, err, coterie.EFORBIDDEN, "too many failed logins")
		_, err = e.st.Login(ctx, ownerEmail, ownerPass, "203.0.113.9")
		wantCode(t, err, coterie.EFORBIDDEN, "try again after 12:15 UTC")
		if _, err := e.st.Login(ctx, ownerEmail, ownerPass, "198.51.100.1"); err != nil {
			t.Fatalf("another IP is locked too: %v", err)
		}
	})
}

func TestStore_SessionUser(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		t.Run("valid", func(t *testing.T) {
			tok, _, err := e.st.CreateSession(ctx, e.owner.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(tok) != 43 {
				t.Fatalf("token %q is not 32 bytes in base64url", tok)
			}
			u, s, err := e.st.SessionUser(ctx, tok)
			if err != nil || u.ID != e.owner.ID || s.UserID != e.owner.ID {
				t.Fatalf("SessionUser = %v, %v, %v", u, s, err)
			}
			var n int
			if err := d.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM user_session WHERE token_hash = $1`, tok).Scan(&n); err != nil || n != 0 {
				t.Fatalf("the token is stored in clear (%d rows, %v)", n, err)
			}
		})
		t.Run("unknown token", func(t *testing.T) {
			_, _, err := e.st.SessionUser(ctx, "no-such-token")
			wantCode(t, err, coterie.ENOTFOUND, "")
		})
		t.Run("idle expiry", func(t *testing.T) {
			e.clk.set(t0)
			tok, _, _ := e.st.CreateSession(ctx, e.owner.ID)
			e.clk.set(t0.Add(auth.SessionIdle - time.Second))
			if _, _, err := e.st.SessionUser(ctx, tok); err != nil {
				t.Fatalf("expired too early: %v", err)
			}
			e.clk.add(auth.SessionIdle)
			_, _, err := e.st.SessionUser(ctx, tok)
			wantCode(t, err, coterie.EFORBIDDEN, "expired")
			_, _, err = e.st.SessionUser(ctx, tok)
			wantCode(t, err, coterie.ENOTFOUND, "")
		})
		t.Run("use slides, up to the absolute limit", func(t *testing.T) {
			e.clk.set(t0)
			tok, _, _ := e.st.CreateSession(ctx, e.owner.ID)
			for day := 10; day < 30; day += 10 {
				e.clk.set(t0.Add(time.Duration(day) * 24 * time.Hour))
				if _, s, err := e.st.SessionUser(ctx, tok); err != nil {
					t.Fatalf("day %d: %v", day, err)
				} else if day == 20 && !s.ExpiresAt.Equal(t0.Add(auth.SessionAbsolute)) {
					t.Fatalf("ExpiresAt = %v, want the absolute limit %v", s.ExpiresAt, t0.Add(auth.SessionAbsolute))
				}
			}
			e.clk.set(t0.Add(auth.SessionAbsolute))
			_, _, err := e.st.SessionUser(ctx, tok)
			wantCode(t, err, coterie.EFORBIDDEN, "expired")
		})
		t.Run("sign out", func(t *testing.T) {
			e.clk.set(t0)
			tok, _, _ := e.st.CreateSession(ctx, e.owner.ID)
			if err := e.st.DeleteSession(ctx, tok); err != nil {
				t.Fatal(err)
			}
			_, _, err := e.st.SessionUser(ctx, tok)
			wantCode(t, err, coterie.ENOTFOUND, "")
			wantCode(t, e.st.DeleteSession(ctx, tok), coterie.ENOTFOUND, "")
		})
		t.Run("password change ends every session", func(t *testing.T) {
			e.clk.set(t0)
			a, _, _ := e.st.CreateSession(ctx, e.owner.ID)
			b, _, _ := e.st.CreateSession(ctx, e.owner.ID)
			wantCode(t, e.st.ChangePassword(ctx, e.owner.ID, "not the password!", "new password here"), coterie.EINVALID, "current password")
			if _, _, err := e.st.SessionUser(ctx, a); err != nil {
				t.Fatalf("a refused change ended a session: %v", err)
			}
			if err := e.st.ChangePassword(ctx, e.owner.ID, ownerPass, "new password here"); err != nil {
				t.Fatal(err)
			}
			for _, tok := range []string{a, b} {
				_, _, err := e.st.SessionUser(ctx, tok)
				wantCode(t, err, coterie.ENOTFOUND, "")
			}
			if _, err := e.st.Login(ctx, ownerEmail, "new password here", ""); err != nil {
				t.Fatal(err)
			}
		})
	})
}

func TestCheckCSRF(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		tokA, created, _ := e.st.CreateSession(ctx, e.owner.ID)
		_, sessB, _ := e.st.CreateSession(ctx, e.owner.ID)
		_, sessA, err := e.st.SessionUser(ctx, tokA)
		if err != nil {
			t.Fatal(err)
		}
		csrf := auth.CSRFToken(sessA)
		if auth.CSRFToken(created) != csrf {
			t.Fatal("the CSRF token changes between requests of one session")
		}
		tests := []struct {
			name  string
			token string
			ok    bool
		}{
			{"own token", csrf, true},
			{"other session's token", auth.CSRFToken(sessB), false},
			{"empty", "", false},
			{"session token instead", tokA, false},
			{"truncated", csrf[:len(csrf)-1], false},
			{"not base64", "!!!", false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := auth.CheckCSRF(sessA, tt.token)
				if tt.ok {
					if err != nil {
						t.Fatal(err)
					}
					return
				}
				wantCode(t, err, coterie.EFORBIDDEN, "reload the page")
			})
		}
		t.Run("no session", func(t *testing.T) {
			wantCode(t, auth.CheckCSRF(nil, csrf), coterie.EFORBIDDEN, "")
		})
	})
}

func TestStore_ResetPassword(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		t.Run("unknown e-mail", func(t *testing.T) {
			_, err := e.st.CreateResetToken(ctx, "nobody@brand.example")
			wantCode(t, err, coterie.ENOTFOUND, "")
		})
		t.Run("single use", func(t *testing.T) {
			sess, _, _ := e.st.CreateSession(ctx, e.owner.ID)
			tok, err := e.st.CreateResetToken(ctx, "OWNER@brand.example")
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.st.ResetPassword(ctx, tok, "too short")
			wantCode(t, err, coterie.EINVALID, "at least 12")
			u, err := e.st.ResetPassword(ctx, tok, "a brand new password")
			if err != nil || u.ID != e.owner.ID {
				t.Fatalf("ResetPassword = %v, %v", u, err)
			}
			_, err = e.st.ResetPassword(ctx, tok, "yet another password")
			wantCode(t, err, coterie.EFORBIDDEN, "already been used")
			if _, err := e.st.Login(ctx, ownerEmail, "a brand new password", ""); err != nil {
				t.Fatalf("new password refused: %v", err)
			}
			_, err = e.st.Login(ctx, ownerEmail, ownerPass, "")
			wantCode(t, err, coterie.EINVALID, "")
			_, _, err = e.st.SessionUser(ctx, sess)
			wantCode(t, err, coterie.ENOTFOUND, "")
		})
		t.Run("expires after an hour", func(t *testing.T) {
			e.clk.set(t0)
			tok, _ := e.st.CreateResetToken(ctx, ownerEmail)
			e.clk.set(t0.Add(auth.ResetTTL))
			_, err := e.st.ResetPassword(ctx, tok, "a brand new password")
			wantCode(t, err, coterie.EFORBIDDEN, "expired")
		})
		t.Run("unknown token", func(t *testing.T) {
			_, err := e.st.ResetPassword(ctx, "made-up", "a brand new password")
			wantCode(t, err, coterie.ENOTFOUND, "not valid")
		})
		t.Run("lifts a lockout", func(t *testing.T) {
			e.clk.set(t0.Add(2 * time.Hour))
			for i := 0; i < auth.MaxEmailFailures; i++ {
				e.st.Login(ctx, ownerEmail, "not the password!", "")
			}
			tok, _ := e.st.CreateResetToken(ctx, ownerEmail)
			if _, err := e.st.ResetPassword(ctx, tok, "after the lockout"); err != nil {
				t.Fatal(err)
			}
			if _, err := e.st.Login(ctx, ownerEmail, "after the lockout", ""); err != nil {
				t.Fatalf("still locked after a reset: %v", err)
			}
		})
	})
}

func TestStore_AcceptInvite(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		other := otherWorkspace(t, d, "other brand")
		var analyst *auth.User
		t.Run("new user joins with the invited role", func(t *testing.T) {
			tok, err := e.st.Invite(ctx, e.ws.ID, "Ana@Brand.example", auth.RoleAnalyst, e.owner.ID)
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.st.AcceptInvite(ctx, tok, "Ana", "short")
			wantCode(t, err, coterie.EINVALID, "at least 12")
			analyst, err = e.st.AcceptInvite(ctx, tok, "Ana", "analyst password")
			if err != nil {
				t.Fatal(err)
			}
			if analyst.Email != "ana@brand.example" || analyst.Name != "Ana" {
				t.Fatalf("user = %+v", analyst)
			}
			role, err := e.st.FindRole(ctx, e.ws.ID, analyst.ID)
			if err != nil || role != auth.RoleAnalyst {
				t.Fatalf("role = %q, %v; want analyst", role, err)
			}
			if _, err := e.st.Login(ctx, "ana@brand.example", "analyst password", ""); err != nil {
				t.Fatal(err)
			}
			_, err = e.st.AcceptInvite(ctx, tok, "Ana", "analyst password")
			wantCode(t, err, coterie.EFORBIDDEN, "already been used")
		})
		t.Run("not a member elsewhere", func(t *testing.T) {
			_, err := e.st.FindRole(ctx, other.ID, analyst.ID)
			wantCode(t, err, coterie.ENOTFOUND, "")
		})
		t.Run("expires after 7 days", func(t *testing.T) {
			e.clk.set(t0)
			tok, err := e.st.Invite(ctx, e.ws.ID, "late@brand.example", auth.RoleViewer, e.owner.ID)
			if err != nil {
				t.Fatal(err)
			}
			e.clk.set(t0.Add(auth.InviteTTL))
			_, err = e.st.AcceptInvite(ctx, tok, "Late", "a long enough password")
			wantCode(t, err, coterie.EFORBIDDEN, "expired")
			e.clk.set(t0)
		})
		t.Run("already a member", func(t *testing.T) {
			_, err := e.st.Invite(ctx, e.ws.ID, "ana@brand.example", auth.RoleViewer, e.owner.ID)
			wantCode(t, err, coterie.ECONFLICT, "already a member")
		})
		t.Run("who may invite", func(t *testing.T) {
			admin := e.addUser(t, e.ws.ID, "admin@brand.example", auth.RoleAdmin)
			tests := []struct {
				name string
				ws   coterie.ID
				role auth.Role
				by   coterie.ID
				code string
			}{
				{"analyst cannot invite", e.ws.ID, auth.RoleViewer, analyst.ID, coterie.EFORBIDDEN},
				{"admin invites a viewer", e.ws.ID, auth.RoleViewer, admin.ID, ""},
				{"admin cannot invite an owner", e.ws.ID, auth.RoleOwner, admin.ID, coterie.EFORBIDDEN},
				{"owner invites an owner", e.ws.ID, auth.RoleOwner, e.owner.ID, ""},
				{"outsider sees no workspace", other.ID, auth.RoleViewer, e.owner.ID, coterie.ENOTFOUND},
				{"unknown role", e.ws.ID, "guru", e.owner.ID, coterie.EINVALID},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					_, err := e.st.Invite(ctx, tt.ws, "new-"+strings.ReplaceAll(tt.name, " ", "-")+"@brand.example", tt.role, tt.by)
					if tt.code == "" {
						if err != nil {
							t.Fatal(err)
						}
						return
					}
					wantCode(t, err, tt.code, "")
				})
			}
		})
		t.Run("existing user joins another workspace with their password", func(t *testing.T) {
			if err := e.st.SetRole(ctx, other.ID, e.owner.ID, auth.RoleOwner, e.owner.ID); coterie.ErrorCode(err) != coterie.ENOTFOUND {
				t.Fatalf("owner of one workspace could grant themselves another: %v", err)
			}
			// Make the owner owner of the other workspace the only legitimate way
			// available here: directly, as setup of that workspace would.
			if _, err := d.Write.ExecContext(ctx, `INSERT INTO membership (workspace_id, user_id, role, created_at) VALUES ($1, $2, 'owner', 0)`,
				other.ID, e.owner.ID); err != nil {
				t.Fatal(err)
			}
			tok, err := e.st.Invite(ctx, other.ID, "ana@brand.example", auth.RoleViewer, e.owner.ID)
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.st.AcceptInvite(ctx, tok, "Whoever", "guessing a password")
			wantCode(t, err, coterie.EINVALID, "wrong e-mail or password")
			u, err := e.st.AcceptInvite(ctx, tok, "Whoever", "analyst password")
			if err != nil || u.ID != analyst.ID || u.Name != "Ana" {
				t.Fatalf("AcceptInvite = %+v, %v; want the existing user unchanged", u, err)
			}
			for ws, want := range map[coterie.ID]auth.Role{e.ws.ID: auth.RoleAnalyst, other.ID: auth.RoleViewer} {
				if role, err := e.st.FindRole(ctx, ws, u.ID); err != nil || role != want {
					t.Fatalf("role in %d = %q, %v; want %q", ws, role, err, want)
				}
			}
			ms, err := e.st.FindMemberships(ctx, u.ID)
			if err != nil || len(ms) != 2 {
				t.Fatalf("memberships = %+v, %v", ms, err)
			}
		})
	})
}

func TestStore_SetRole(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		admin := e.addUser(t, e.ws.ID, "admin@brand.example", auth.RoleAdmin)
		viewer := e.addUser(t, e.ws.ID, "viewer@brand.example", auth.RoleViewer)
		tests := []struct {
			name   string
			user   coterie.ID
			role   auth.Role
			by     coterie.ID
			code   string
			remove bool
		}{
			{"viewer cannot promote themselves", viewer.ID, auth.RoleAdmin, viewer.ID, coterie.EFORBIDDEN, false},
			{"admin makes a viewer analyst", viewer.ID, auth.RoleAnalyst, admin.ID, "", false},
			{"admin cannot make an owner", viewer.ID, auth.RoleOwner, admin.ID, coterie.EFORBIDDEN, false},
			{"admin cannot demote the owner", e.owner.ID, auth.RoleViewer, admin.ID, coterie.EFORBIDDEN, false},
			{"last owner cannot step down", e.owner.ID, auth.RoleAdmin, e.owner.ID, coterie.ECONFLICT, false},
			{"last owner cannot be removed", e.owner.ID, "", e.owner.ID, coterie.ECONFLICT, true},
			{"owner removes the viewer", viewer.ID, "", e.owner.ID, "", true},
			{"removed twice", viewer.ID, "", e.owner.ID, coterie.ENOTFOUND, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var err error
				if tt.remove {
					err = e.st.RemoveMember(ctx, e.ws.ID, tt.user, tt.by)
				} else {
					err = e.st.SetRole(ctx, e.ws.ID, tt.user, tt.role, tt.by)
				}
				if tt.code != "" {
					wantCode(t, err, tt.code, "")
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				role, err := e.st.FindRole(ctx, e.ws.ID, tt.user)
				if tt.remove {
					wantCode(t, err, coterie.ENOTFOUND, "")
				} else if role != tt.role {
					t.Fatalf("role = %q, want %q", role, tt.role)
				}
			})
		}
		members, err := e.st.FindMembers(ctx, e.ws.ID)
		if err != nil || len(members) != 2 {
			t.Fatalf("members = %+v, %v; want owner and admin", members, err)
		}
	})
}

func TestStore_TokenByValue(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		other := otherWorkspace(t, d, "other brand")
		readVal, readTok, err := e.st.CreateToken(ctx, e.ws.ID, "dashboards", auth.ScopeRead, e.owner.ID)
		if err != nil {
			t.Fatal(err)
		}
		writeVal, _, err := e.st.CreateToken(ctx, e.ws.ID, "importer", auth.ScopeWrite, e.owner.ID)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("recognisable and hashed at rest", func(t *testing.T) {
			if !regexp.MustCompile(`^ct_[A-Za-z0-9_-]{43}$`).MatchString(readVal) {
				t.Fatalf("token value %q", readVal)
			}
			if !strings.HasPrefix(readVal, readTok.Prefix) || len(readTok.Prefix) < 6 {
				t.Fatalf("prefix %q does not identify %q", readTok.Prefix, readVal)
			}
			var n int
			if err := d.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_token WHERE token_hash = $1 OR prefix = $1 OR name = $1`,
				readVal).Scan(&n); err != nil || n != 0 {
				t.Fatalf("token value stored in clear (%d rows, %v)", n, err)
			}
		})
		t.Run("scopes", func(t *testing.T) {
			tests := []struct {
				value string
				scope auth.Scope
				can   string
			}{
				{readVal, auth.ScopeRead, "read export"},
				{writeVal, auth.ScopeWrite, "read export write"},
			}
			for _, tt := range tests {
				tok, err := e.st.TokenByValue(ctx, tt.value)
				if err != nil {
					t.Fatal(err)
				}
				if tok.Scope != tt.scope || tok.WorkspaceID != e.ws.ID || tok.LastUsedAt.IsZero() {
					t.Fatalf("token = %+v", tok)
				}
				for _, a := range auth.Actions {
					if want := strings.Contains(" "+tt.can+" ", " "+string(a)+" "); tok.Can(a) != want {
						t.Errorf("%s token Can(%s) = %v", tt.scope, a, !want)
					}
				}
			}
		})
		t.Run("unknown", func(t *testing.T) {
			for _, v := range []string{"ct_nope", "nope", ""} {
				_, err := e.st.TokenByValue(ctx, v)
				wantCode(t, err, coterie.ENOTFOUND, "")
			}
		})
		t.Run("analyst cannot create tokens", func(t *testing.T) {
			an := e.addUser(t, e.ws.ID, "ana@brand.example", auth.RoleAnalyst)
			_, _, err := e.st.CreateToken(ctx, e.ws.ID, "mine", auth.ScopeRead, an.ID)
			wantCode(t, err, coterie.EFORBIDDEN, "")
		})
		t.Run("bad scope", func(t *testing.T) {
			_, _, err := e.st.CreateToken(ctx, e.ws.ID, "x", "admin", e.owner.ID)
			wantCode(t, err, coterie.EINVALID, "scope")
		})
		t.Run("other workspace cannot revoke", func(t *testing.T) {
			if _, err := d.Write.ExecContext(ctx, `INSERT INTO membership (workspace_id, user_id, role, created_at) VALUES ($1, $2, 'owner', 0)`,
				other.ID, e.owner.ID); err != nil {
				t.Fatal(err)
			}
			wantCode(t, e.st.RevokeToken(ctx, other.ID, readTok.ID, e.owner.ID), coterie.ENOTFOUND, "")
		})
		t.Run("revoked", func(t *testing.T) {
			if err := e.st.RevokeToken(ctx, e.ws.ID, readTok.ID, e.owner.ID); err != nil {
				t.Fatal(err)
			}
			_, err := e.st.TokenByValue(ctx, readVal)
			wantCode(t, err, coterie.EFORBIDDEN, "revoked")
			wantCode(t, e.st.RevokeToken(ctx, e.ws.ID, readTok.ID, e.owner.ID), coterie.ECONFLICT, "")
			if _, err := e.st.TokenByValue(ctx, writeVal); err != nil {
				t.Fatalf("revoking one token broke another: %v", err)
			}
		})
		t.Run("list", func(t *testing.T) {
			toks, err := e.st.ListTokens(ctx, e.ws.ID)
			if err != nil || len(toks) != 2 {
				t.Fatalf("ListTokens = %+v, %v", toks, err)
			}
			if toks[0].Name != "importer" || toks[0].Revoked() || toks[1].Name != "dashboards" || !toks[1].Revoked() {
				t.Fatalf("ListTokens = %+v; want newest first with revocation shown", toks)
			}
			if toks, _ := e.st.ListTokens(ctx, other.ID); len(toks) != 0 {
				t.Fatalf("other workspace lists %d tokens", len(toks))
			}
		})
	})
}

func TestStore_ListAudit(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		other := otherWorkspace(t, d, "other brand")
		_, tok, err := e.st.CreateToken(ctx, e.ws.ID, "dashboards", auth.ScopeRead, e.owner.ID)
		if err != nil {
			t.Fatal(err)
		}
		e.clk.add(time.Minute)
		if err := e.st.RevokeToken(ctx, e.ws.ID, tok.ID, e.owner.ID); err != nil {
			t.Fatal(err)
		}
		t.Run("before and after", func(t *testing.T) {
			entries, _, err := e.st.ListAudit(ctx, e.ws.ID, auth.AuditFilter{Limit: 1})
			if err != nil || len(entries) != 1 {
				t.Fatalf("ListAudit = %v, %v", entries, err)
			}
			a := entries[0]
			if a.Action != "token.revoke" || a.ActorUserID != e.owner.ID || a.ObjectType != "token" || a.ObjectID != tok.ID ||
				!a.At.Equal(t0.Add(time.Minute)) {
				t.Fatalf("entry = %+v", a)
			}
			var before, after map[string]any
			if err := json.Unmarshal(a.Before.(json.RawMessage), &before); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(a.After.(json.RawMessage), &after); err != nil {
				t.Fatal(err)
			}
			if before["name"] != "dashboards" || before["revoked_at"] != nil || after["revoked_at"] != "2024-03-01T12:01:00Z" {
				t.Fatalf("before %v, after %v", before, after)
			}
		})
		t.Run("every change is there", func(t *testing.T) {
			entries, _, err := e.st.ListAudit(ctx, e.ws.ID, auth.AuditFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range entries {
				got = append(got, a.Action)
			}
			if strings.Join(got, " ") != "token.revoke token.create member.add" {
				t.Fatalf("actions = %v", got)
			}
		})
		t.Run("account-level events", func(t *testing.T) {
			if _, _, err := e.st.CreateSession(ctx, e.owner.ID); err != nil {
				t.Fatal(err)
			}
			entries, _, err := e.st.ListAudit(ctx, 0, auth.AuditFilter{})
			if err != nil || len(entries) != 2 || entries[0].Action != "session.create" || entries[1].Action != "user.create" {
				t.Fatalf("ListAudit(0) = %+v, %v", entries, err)
			}
			if strings.Contains(string(entries[1].After.(json.RawMessage)), "argon2") {
				t.Fatal("the audit log holds a password hash")
			}
		})
		t.Run("written in the caller's transaction", func(t *testing.T) {
			entry := auth.AuditEntry{WorkspaceID: other.ID, ActorTokenID: 42, Action: "member.merge",
				ObjectType: "member", ObjectID: 7, Before: map[string]int{"n": 1}, After: map[string]int{"n": 2}}
			rollback := d.InTx(ctx, func(tx *sql.Tx) error {
				if err := auth.Record(ctx, tx, entry); err != nil {
					t.Fatal(err)
				}
				return coterie.Errorf(coterie.ECONFLICT, "changed my mind")
			})
			wantCode(t, rollback, coterie.ECONFLICT, "")
			if entries, _, _ := e.st.ListAudit(ctx, other.ID, auth.AuditFilter{}); len(entries) != 0 {
				t.Fatalf("a rolled-back entry is in the log: %+v", entries)
			}
			if err := d.InTx(ctx, func(tx *sql.Tx) error { return auth.Record(ctx, tx, entry) }); err != nil {
				t.Fatal(err)
			}
			entries, _, _ := e.st.ListAudit(ctx, other.ID, auth.AuditFilter{})
			if len(entries) != 1 || entries[0].ActorTokenID != 42 || entries[0].ActorUserID != 0 ||
				string(entries[0].After.(json.RawMessage)) != `{"n":2}` {
				t.Fatalf("entries = %+v", entries)
			}
		})
		t.Run("cursor pages", func(t *testing.T) {
			for i := 0; i < 5; i++ {
				if err := auth.Record(ctx, d.Write, auth.AuditEntry{WorkspaceID: e.ws.ID, ActorUserID: e.owner.ID,
					Action: "settings.update", ObjectType: "workspace", ObjectID: int64(i)}); err != nil {
					t.Fatal(err)
				}
			}
			var ids []int64
			cursor, pages := "", 0
			for {
				page, next, err := e.st.ListAudit(ctx, e.ws.ID, auth.AuditFilter{Limit: 3, Before: cursor})
				if err != nil {
					t.Fatal(err)
				}
				pages++
				for _, a := range page {
					ids = append(ids, a.ID)
				}
				if next == "" {
					break
				}
				cursor = next
			}
			if len(ids) != 8 || pages != 3 {
				t.Fatalf("%d entries in %d pages, want 8 in 3", len(ids), pages)
			}
			for i := 1; i < len(ids); i++ {
				if ids[i] >= ids[i-1] {
					t.Fatalf("ids %v are not newest first without repeats", ids)
				}
			}
		})
		t.Run("bad cursor", func(t *testing.T) {
			_, _, err := e.st.ListAudit(ctx, e.ws.ID, auth.AuditFilter{Before: "abc"})
			wantCode(t, err, coterie.EINVALID, "cursor")
		})
	})
}

func TestStore_Prune(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		e := newEnv(t, d)
		old, _, _ := e.st.CreateSession(ctx, e.owner.ID)
		e.clk.add(auth.SessionIdle)
		live, _, _ := e.st.CreateSession(ctx, e.owner.ID)
		if err := e.st.Prune(ctx); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := d.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM user_session`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d sessions left (%v), want the live one only", n, err)
		}
		if _, _, err := e.st.SessionUser(ctx, live); err != nil {
			t.Fatalf("Prune removed a live session: %v", err)
		}
		_, _, err := e.st.SessionUser(ctx, old)
		wantCode(t, err, coterie.ENOTFOUND, "")
		t.Run("disabling a user ends their sessions", func(t *testing.T) {
			if _, err := e.st.SetDisabled(ctx, e.owner.ID, true); err != nil {
				t.Fatal(err)
			}
			_, _, err := e.st.SessionUser(ctx, live)
			wantCode(t, err, coterie.ENOTFOUND, "")
			_, _, err = e.st.CreateSession(ctx, e.owner.ID)
			wantCode(t, err, coterie.EFORBIDDEN, "disabled")
		})
	})
}
