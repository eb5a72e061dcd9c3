package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/coteriehq/coterie/internal/auth"
	"github.com/coteriehq/coterie/internal/community"
	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/db"
	"github.com/coteriehq/coterie/internal/db/dbtest"
	"github.com/coteriehq/coterie/internal/jobs"
	"github.com/coteriehq/coterie/internal/web"
)

// cheap argon2id parameters keep the tests fast; production uses
// auth.DefaultParams.
var cheap = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

const (
	ownerEmail = "owner@acme.test"
	ownerPass  = "correct horse battery"
)

type env struct {
	srv  *httptest.Server
	comm *community.Store
	auth *auth.Store
	jobs *jobs.Store
}

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	e := &env{comm: community.NewStore(d), auth: auth.NewStore(d, auth.WithParams(cheap)), jobs: jobs.NewStore(d)}
	h, err := web.New(web.Deps{Community: e.comm, Auth: e.auth, Jobs: e.jobs,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

// browser is a client with its own cookie jar, like one person's browser.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (e *env) browser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, base: e.srv.URL, c: &http.Client{Jar: jar}}
}

type response struct {
	code int
	path string // the path after redirects
	body string
}

func (b *browser) do(req *http.Request) response {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return response{code: resp.StatusCode, path: resp.Request.URL.Path, body: string(body)}
}

func (b *browser) get(path string) response {
	b.t.Helper()
	req, err := http.NewRequest("GET", b.base+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) response {
	b.t.Helper()
	req, err := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the CSRF token from a signed-in page, as a form would.
func (b *browser) csrf() string {
	b.t.Helper()
	r := b.get("/")
	m := csrfRE.FindStringSubmatch(r.body)
	if m == nil {
		b.t.Fatalf("no csrf field on %s (%d):\n%s", r.path, r.code, r.body)
	}
	return m[1]
}

func (b *browser) login(email, password string) response {
	b.t.Helper()
	return b.post("/login", url.Values{"email": {email}, "password": {password}})
}

// setup completes first-run setup and returns the owner's browser and the
// first workspace's URL prefix.
func (e *env) setup(t *testing.T) (*browser, string) {
	t.Helper()
	b := e.browser(t)
	r := b.post("/setup", url.Values{"email": {ownerEmail}, "name": {"Olive Owner"},
		"password": {ownerPass}, "workspace": {"Acme Beauty"}})
	if r.code != 200 || !regexp.MustCompile(`^/w/\d+/$`).MatchString(r.path) {
		t.Fatalf("setup = %d at %s, want the new workspace's overview:\n%s", r.code, r.path, r.body)
	}
	return b, strings.TrimSuffix(r.path, "/")
}

// wsID is the workspace id in a "/w/{id}" prefix.
func wsID(t *testing.T, prefix string) coterie.ID {
	t.Helper()
	var id coterie.ID
	if _, err := fmt.Sscanf(prefix, "/w/%d", &id); err != nil {
		t.Fatalf("%q: %v", prefix, err)
	}
	return id
}

func mustContain(t *testing.T, r response, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(r.body, w) {
			t.Fatalf("%s (%d) lacks %q:\n%s", r.path, r.code, w, r.body)
		}
	}
}

func TestServer_Probes(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.browser(t)
		for _, tc := range []struct{ path, body string }{{"/healthz", "ok\n"}, {"/readyz", "ready\n"}} {
			if r := b.get(tc.path); r.code != 200 || r.body != tc.body || r.path != tc.path {
				t.Errorf("%s = %d %q at %s, want 200 %q without a setup redirect", tc.path, r.code, r.body, r.path, tc.body)
			}
		}
	})
}

func TestServer_Setup(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		b := e.browser(t)
		for _, p := range []string{"/", "/login", "/w/1/", "/nope"} {
			if r := b.get(p); r.path != "/setup" || r.code != 200 {
				t.Fatalf("before setup, %s ends at %s (%d), want /setup", p, r.path, r.code)
			}
		}
		// A bad form comes back with the reason and what was typed.
		r := b.post("/setup", url.Values{"email": {ownerEmail}, "password": {"short"}, "workspace": {"Acme"}})
		if r.code != 400 {
			t.Fatalf("short password: %d, want 400", r.code)
		}
		mustContain(t, r, "at least 12", ownerEmail)

		owner, ws := e.setup(t)
		mustContain(t, owner.get(ws+"/"), "Acme Beauty", "No community in this workspace yet", "coterie import")

		// Setup happens once: afterwards strangers are sent to sign in.
		stranger := e.browser(t)
		for _, p := range []string{"/setup", "/", ws + "/"} {
			if r := stranger.get(p); r.path != "/login" {
				t.Fatalf("after setup, %s ends at %s, want /login", p, r.path)
			}
		}
		if r := stranger.post("/setup", url.Values{"email": {"evil@x.test"}, "password": {ownerPass}, "workspace": {"X"}}); r.code != 409 {
			t.Fatalf("second setup = %d, want 409", r.code)
		}
		// Signing out ends the session; the pages ask for a sign-in again.
		owner.post("/logout", url.Values{"csrf": {owner.csrf()}})
		if r := owner.get(ws + "/"); r.path != "/login" {
			t.Fatalf("after sign-out, overview ends at %s, want /login", r.path)
		}
		// Signing in returns to the page that asked for it.
		owner.get(ws + "/jobs")
		r = owner.post("/login?"+url.Values{"next": {ws + "/jobs"}}.Encode(), url.Values{"email": {ownerEmail}, "password": {ownerPass}, "next": {ws + "/jobs"}})
		if r.code != 200 || r.path != ws+"/jobs" {
			t.Fatalf("login = %d at %s, want the jobs page", r.code, r.path)
		}
	})
}

func TestServer_Login(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.setup(t)
		b := e.browser(t)
		r := b.login(ownerEmail, "wrong password!")
		if r.code != 400 || r.path != "/login" {
			t.Fatalf("wrong password = %d at %s, want 400 on the login page", r.code, r.path)
		}
		mustContain(t, r, "wrong e-mail or password", ownerEmail)
		if r := b.get("/"); r.path != "/login" {
			t.Fatalf("after a failed login, / ends at %s, want /login", r.path)
		}
		// Four more failures lock the address, and then even the right
		// password is refused with the lockout message.
		for i := 2; i <= auth.MaxEmailFailures; i++ {
			r = b.login(ownerEmail, "wrong password!")
		}
		if r.code != 403 {
			t.Fatalf("failure %d = %d, want 403", auth.MaxEmailFailures, r.code)
		}
		mustContain(t, r, "too many failed logins")
		r = b.login(ownerEmail, ownerPass)
		if r.code != 403 || r.path != "/login" {
			t.Fatalf("right password while locked = %d at %s, want 403", r.code, r.path)
		}
		mustContain(t, r, "too many failed logins; try again after")
	})
}

func TestServer_CSRF(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		owner, ws := e.setup(t)
		other := e.browser(t)
		other.login(ownerEmail, ownerPass)
		otherToken := other.csrf()
		for _, tc := range []struct {
			name, path string
			form       url.Values
		}{
			{"no token", ws + "/settings/tokens", url.Values{"name": {"ci"}, "scope": {"read"}}},
			{"wrong token", ws + "/settings/tokens", url.Values{"name": {"ci"}, "scope": {"read"}, "csrf": {"nope"}}},
			{"another session's token", ws + "/settings/tokens", url.Values{"name": {"ci"}, "scope": {"read"}, "csrf": {otherToken}}},
			{"logout without token", "/logout", url.Values{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if r := owner.post(tc.path, tc.form); r.code != 403 {
					t.Fatalf("POST %s = %d, want 403", tc.path, r.code)
				}
			})
		}
		// Without a session there is no token yet: a cross-site post to the
		// login form is refused on the browser's own headers.
		req, err := http.NewRequest("POST", e.srv.URL+"/login", strings.NewReader("email=owner%40acme.test&password=x"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", "https://evil.test")
		if r := e.browser(t).do(req); r.code != 403 {
			t.Fatalf("cross-site login post = %d, want 403", r.code)
		}
		toks, err := e.auth.ListTokens(context.Background(), wsID(t, ws))
		if err != nil || len(toks) != 0 {
			t.Fatalf("tokens after refused posts = %d (%v), want none", len(toks), err)
		}
		if r := owner.get(ws + "/"); r.path != ws+"/" {
			t.Fatalf("owner was signed out by a forged logout: at %s", r.path)
		}
	})
}

// TestServer_Isolation checks that a viewer of workspace A sees no settings
// and nothing of workspace B, which answers exactly like a missing one.
func TestServer_Isolation(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		owner, wsA := e.setup(t)
		ctx := context.Background()
		wsB, err := e.comm.EnsureWorkspace(ctx, "Bravo Fashion")
		if err != nil {
			t.Fatal(err)
		}
		cB, err := e.comm.EnsureCommunity(ctx, wsB.ID, "Vintage designers")
		if err != nil {
			t.Fatal(err)
		}
		// The owner invites a viewer through the dashboard.
		r := owner.post(wsA+"/settings/invitations", url.Values{"csrf": {owner.csrf()}, "email": {"vic@acme.test"}, "role": {"viewer"}})
		link := regexp.MustCompile(`value="(https?://[^"]+/invite/[^"]+)"`).FindStringSubmatch(r.body)
		if r.code != 200 || link == nil {
			t.Fatalf("invite = %d, want the link:\n%s", r.code, r.body)
		}
		viewer := e.browser(t)
		u, _ := url.Parse(link[1])
		if r := viewer.post(u.Path, url.Values{"name": {"Vic Viewer"}, "password": {"viewer password 1"}}); r.code != 200 || r.path != wsA+"/" {
			t.Fatalf("accept invitation = %d at %s, want workspace A:\n%s", r.code, r.path, r.body)
		}
		if r := viewer.get(wsA + "/"); r.code != 200 || strings.Contains(r.body, "/settings/") || strings.Contains(r.body, "Bravo") {
			t.Fatalf("viewer's overview = %d; it must not link settings nor name workspace B:\n%s", r.code, r.body)
		}
		if r := viewer.get(wsA + "/jobs"); r.code != 200 {
			t.Fatalf("viewer's jobs page = %d, want 200", r.code)
		}
		csrf := viewer.csrf()
		b := fmt.Sprintf("/w/%d", wsB.ID)
		missing := "/w/999999"
		type req struct{ method, path string }
		var reqs []req
		settings := []req{
			{"GET", "/settings/"}, {"GET", "/settings/members"}, {"GET", "/settings/invitations"},
			{"GET", "/settings/tokens"}, {"GET", "/settings/audit"},
			{"POST", "/settings/members"}, {"POST", "/settings/members/1/remove"}, {"POST", "/settings/invitations"},
			{"POST", "/settings/tokens"}, {"POST", "/settings/tokens/1/revoke"},
		}
		for _, s := range settings {
			reqs = append(reqs, req{s.method, wsA + s.path})
		}
		pages := append([]req{{"GET", "/"}, {"GET", "/jobs"}, {"GET", fmt.Sprintf("/c/%d/", cB.ID)}}, settings...)
		for _, prefix := range []string{b, missing} {
			for _, p := range pages {
				reqs = append(reqs, req{p.method, prefix + p.path})
			}
		}
		// B's community through A's URL is no way in either.
		reqs = append(reqs, req{"GET", fmt.Sprintf("%s/c/%d/", wsA, cB.ID)})
		var notFoundBody string
		for _, rq := range reqs {
			t.Run(rq.method+" "+rq.path, func(t *testing.T) {
				var r response
				if rq.method == "GET" {
					r = viewer.get(rq.path)
				} else {
					r = viewer.post(rq.path, url.Values{"csrf": {csrf}, "user": {"1"}, "role": {"owner"},
						"email": {"x@acme.test"}, "name": {"x"}, "scope": {"write"}})
				}
				if r.code != 404 {
					t.Fatalf("%d, want 404", r.code)
				}
				if strings.Contains(r.body, "Bravo") || strings.Contains(r.body, "Vintage") {
					t.Fatalf("the 404 page names workspace B's data:\n%s", r.body)
				}
				if notFoundBody == "" {
					notFoundBody = r.body
				}
			})
		}
		// The viewer's attempts changed nothing.
		ms, err := e.auth.FindMembers(ctx, wsID(t, wsA))
		if err != nil || len(ms) != 2 {
			t.Fatalf("members of A = %d (%v), want 2", len(ms), err)
		}
		for _, m := range ms {
			if m.Email == "vic@acme.test" && m.Role != auth.RoleViewer {
				t.Fatalf("viewer's role became %s", m.Role)
			}
		}
		// The owner of A is not a member of B either.
		if r := owner.get(b + "/"); r.code != 404 {
			t.Fatalf("owner of A on B = %d, want 404", r.code)
		}
	})
}

func TestServer_Tokens(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		owner, ws := e.setup(t)
		r := owner.post(ws+"/settings/tokens", url.Values{"csrf": {owner.csrf()}, "name": {"nightly export"}, "scope": {"read"}})
		m := regexp.MustCompile(`value="(ct_[A-Za-z0-9_-]+)"`).FindStringSubmatch(r.body)
		if r.code != 200 || m == nil {
			t.Fatalf("create token = %d, want its value shown:\n%s", r.code, r.body)
		}
		value := m[1]
		tok, err := e.auth.TokenByValue(context.Background(), value)
		if err != nil || tok.Name != "nightly export" || tok.Scope != auth.ScopeRead {
			t.Fatalf("the shown value is not the token: %+v, %v", tok, err)
		}
		r = owner.get(ws + "/settings/tokens")
		mustContain(t, r, "nightly export", tok.Prefix)
		if strings.Contains(r.body, value) {
			t.Fatal("the token's value is shown a second time")
		}
		// An empty name is refused in the form.
		r = owner.post(ws+"/settings/tokens", url.Values{"csrf": {owner.csrf()}, "name": {""}, "scope": {"read"}})
		if r.code != 400 || !strings.Contains(r.body, `role="alert"`) {
			t.Fatalf("token without a name = %d, want 400 with the message:\n%s", r.code, r.body)
		}
		r = owner.post(fmt.Sprintf("%s/settings/tokens/%d/revoke", ws, tok.ID), url.Values{"csrf": {owner.csrf()}})
		if r.code != 200 || r.path != ws+"/settings/tokens" {
			t.Fatalf("revoke = %d at %s", r.code, r.path)
		}
		mustContain(t, r, "revoked")
		if _, err := e.auth.TokenByValue(context.Background(), value); coterie.ErrorCode(err) != coterie.EFORBIDDEN {
			t.Fatalf("revoked token still works: %v", err)
		}
		if r := owner.post(fmt.Sprintf("%s/settings/tokens/%d/revoke", ws, tok.ID), url.Values{"csrf": {owner.csrf()}}); r.code != 409 {
			t.Fatalf("revoking twice = %d, want 409", r.code)
		}
	})
}

func TestServer_Audit(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		owner, ws := e.setup(t)
		owner.post(ws+"/settings/tokens", url.Values{"csrf": {owner.csrf()}, "name": {"ci"}, "scope": {"write"}})
		owner.post(ws+"/settings/invitations", url.Values{"csrf": {owner.csrf()}, "email": {"ana@acme.test"}, "role": {"analyst"}})
		r := owner.get(ws + "/settings/audit")
		if r.code != 200 {
			t.Fatalf("audit = %d", r.code)
		}
		mustContain(t, r, "token.create", "invitation.create", ownerEmail)
	})
}

func TestServer_Overview(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		owner, ws := e.setup(t)
		ctx := context.Background()
		wss, err := e.comm.FindWorkspaces(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c, err := e.comm.EnsureCommunity(ctx, wss[0].ID, "Vegan <skincare>")
		if err != nil {
			t.Fatal(err)
		}
		r := owner.get(ws + "/")
		mustContain(t, r, "Vegan &lt;skincare&gt;", fmt.Sprintf(`href="%s/c/%d/"`, ws, c.ID))
		mustContain(t, owner.get(fmt.Sprintf("%s/c/%d/", ws, c.ID)), "No activity imported yet")

		if _, err := e.jobs.Enqueue(ctx, jobs.Job{WorkspaceID: wss[0].ID, Kind: "import"}); err != nil {
			t.Fatal(err)
		}
		mustContain(t, owner.get(ws+"/jobs"), "import", "queued")

		// The stylesheet is served under its hashed name with long caching.
		css := regexp.MustCompile(`href="(/static/style\.[0-9a-f]+\.css)"`).FindStringSubmatch(r.body)
		if css == nil {
			t.Fatal("no hashed stylesheet link")
		}
		resp, err := http.Get(e.srv.URL + css[1])
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
			t.Fatalf("stylesheet = %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
	})
}

func TestServer_Members(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		owner, ws := e.setup(t)
		ctx := context.Background()
		ou, err := e.auth.FindUserByEmail(ctx, ownerEmail)
		if err != nil {
			t.Fatal(err)
		}
		ownerID := ou.ID
		token, err := e.auth.Invite(ctx, wsID(t, ws), "ana@acme.test", auth.RoleViewer, ownerID)
		if err != nil {
			t.Fatal(err)
		}
		ana, err := e.auth.AcceptInvite(ctx, token, "Ana", "analyst password")
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name   string
			user   coterie.ID
			role   string
			status int
			want   string
		}{
			{"viewer to analyst", ana.ID, "analyst", 200, "Ana"},
			{"unknown role", ana.ID, "god", 400, "unknown role"},
			{"last owner steps down", ownerID, "admin", 409, "at least one owner"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := owner.post(ws+"/settings/members", url.Values{"csrf": {owner.csrf()},
					"user": {fmt.Sprint(tc.user)}, "role": {tc.role}})
				if r.code != tc.status {
					t.Fatalf("%d, want %d:\n%s", r.code, tc.status, r.body)
				}
				mustContain(t, r, tc.want)
			})
		}
		if role, err := e.auth.FindRole(ctx, wsID(t, ws), ana.ID); err != nil || role != auth.RoleAnalyst {
			t.Fatalf("Ana's role = %s (%v), want analyst", role, err)
		}
		// Analysts read but do not manage: settings stay invisible to them.
		b := e.browser(t)
		b.login("ana@acme.test", "analyst password")
		if r := b.get(ws + "/settings/members"); r.code != 404 {
			t.Fatalf("analyst on settings = %d, want 404", r.code)
		}
		r := owner.post(fmt.Sprintf("%s/settings/members/%d/remove", ws, ana.ID), url.Values{"csrf": {owner.csrf()}})
		if r.code != 200 || strings.Contains(r.body, "ana@acme.test") {
			t.Fatalf("remove = %d, Ana still listed:\n%s", r.code, r.body)
		}
		if r := b.get(ws + "/"); r.code != 404 {
			t.Fatalf("removed member on the overview = %d, want 404", r.code)
		}
	})
}

func TestServer_Cookie(t *testing.T) {
	for _, secure := range []bool{false, true} {
		t.Run(fmt.Sprintf("secure=%v", secure), func(t *testing.T) {
			d := dbtest.New(t, db.SQLite)
			h, err := web.New(web.Deps{Community: community.NewStore(d), Auth: auth.NewStore(d, auth.WithParams(cheap)),
				Jobs: jobs.NewStore(d), Secure: secure})
			if err != nil {
				t.Fatal(err)
			}
			form := url.Values{"email": {ownerEmail}, "password": {ownerPass}, "workspace": {"Acme"}}
			req := httptest.NewRequest("POST", "/setup", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			cs := rec.Result().Cookies()
			if rec.Code != http.StatusSeeOther || len(cs) != 1 {
				t.Fatalf("setup = %d with %d cookies, want a redirect with the session cookie", rec.Code, len(cs))
			}
			c := cs[0]
			if c.Name != "coterie_session" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure != secure || c.Value == "" {
				t.Fatalf("cookie = %+v, want coterie_session, HttpOnly, SameSite=Lax, Secure=%v", c, secure)
			}
		})
	}
}

func TestServer_InternalError(t *testing.T) {
	d := dbtest.New(t, db.SQLite)
	logs := &strings.Builder{}
	e := &env{comm: community.NewStore(d), auth: auth.NewStore(d, auth.WithParams(cheap)), jobs: jobs.NewStore(d)}
	h, err := web.New(web.Deps{Community: e.comm, Auth: e.auth, Jobs: e.jobs, Log: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(h)
	defer e.srv.Close()
	owner, ws := e.setup(t)
	d.Close() // every query now fails with the driver's error
	r := owner.get(ws + "/")
	if r.code != 500 || !strings.Contains(r.body, "Something went wrong") || strings.Contains(r.body, "closed") {
		t.Fatalf("overview on a closed database = %d, want 500 without the internal text:\n%s", r.code, r.body)
	}
	if !strings.Contains(logs.String(), "closed") {
		t.Fatalf("the internal error was not logged: %s", logs)
	}
	if r := owner.get("/readyz"); r.code != 503 {
		t.Fatalf("/readyz on a closed database = %d, want 503", r.code)
	}
	if r := owner.get("/healthz"); r.code != 200 {
		t.Fatalf("/healthz = %d, want 200: the process itself is alive", r.code)
	}
}
