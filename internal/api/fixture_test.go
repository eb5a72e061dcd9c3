package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coteriehq/coterie/internal/auth"
	"github.com/coteriehq/coterie/internal/community"
	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/db"
	"github.com/coteriehq/coterie/internal/ingest"
	"github.com/coteriehq/coterie/internal/jobs"
)

// cheap keeps password hashing fast: these tests are not about hashing.
var cheap = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// people replays the records of one import, so the tests need no parser.
type people struct {
	platform coterie.Platform
	persons  []ingest.Person
}

func (p people) Name() string               { return "fake" }
func (p people) Platform() coterie.Platform { return p.platform }
func (p people) Read(ctx context.Context, path string, s ingest.Sink) error {
	if err := s.BeginFile("fake"); err != nil {
		return err
	}
	for i, per := range p.persons {
		if err := s.Person(per); err != nil {
			return err
		}
		a := ingest.Activity{ExternalID: "m" + strconv.Itoa(i), Kind: coterie.KindMessage, ChannelID: "C1",
			OccurredAt: t0.Add(time.Duration(i) * time.Minute), Author: per, Body: "hello"}
		if err := s.Activity(a); err != nil {
			return err
		}
	}
	return s.EndFile(nil)
}

// side is one workspace of the fixture with the ids of its objects.
type side struct {
	ws        *coterie.Workspace
	comm      *coterie.Community
	members   []coterie.ID // in the order of the persons imported
	jobs      []coterie.ID // oldest first
	community string
}

// fixture is two workspaces, A and B, each with a community, two members
// who look like one person, and jobs; B also has a merge. Tokens of A: read,
// write, revoked; of B: write.
type fixture struct {
	d      *db.DB
	comm   *community.Store
	auth   *auth.Store
	jobs   *jobs.Store
	a, b   side
	mergeB coterie.ID
	tokens map[string]string // name -> value
	now    time.Time         // the rate limiter's clock
}

func newFixture(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{d: d, comm: community.NewStore(d), auth: auth.NewStore(d, auth.WithParams(cheap)), jobs: jobs.NewStore(d),
		tokens: map[string]string{}, now: t0}
	owner, wsA, err := f.auth.CreateOwner(ctx, "owner@a.example", "Olive", "a long enough password", "brand A")
	if err != nil {
		t.Fatal(err)
	}
	wsB, err := f.comm.EnsureWorkspace(ctx, "brand B")
	if err != nil {
		t.Fatal(err)
	}
	// Setting up workspace B's owner is not this package's business: do it
	// directly, as the setup of that workspace would.
	if _, err := d.Write.ExecContext(ctx, `INSERT INTO membership (workspace_id, user_id, role, created_at) VALUES ($1, $2, 'owner', 0)`,
		wsB.ID, owner.ID); err != nil {
		t.Fatal(err)
	}
	f.a = f.side(t, wsA, "vegan beauty", "Jane Doe", "jane@a.example")
	f.b = f.side(t, wsB, "knitting circle", "Bob Builder", "bob@b.example")
	if f.mergeB, err = f.comm.Merge(ctx, wsB.ID, f.b.members[0], f.b.members[1]); err != nil {
		t.Fatal(err)
	}
	for _, tk := range []struct {
		name  string
		ws    coterie.ID
		scope auth.Scope
	}{{"readA", wsA.ID, auth.ScopeRead}, {"writeA", wsA.ID, auth.ScopeWrite}, {"revokedA", wsA.ID, auth.ScopeWrite}, {"writeB", wsB.ID, auth.ScopeWrite}} {
		v, tok, err := f.auth.CreateToken(ctx, tk.ws, tk.name, tk.scope, owner.ID)
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[tk.name] = v
		if tk.name == "revokedA" {
			if err := f.auth.RevokeToken(ctx, tk.ws, tok.ID, owner.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.tokens["bogus"] = "ct_" + strings.Repeat("x", 43)
	return f
}

// side fills a workspace: a community with three members, the first two
// sharing a name and an unverified address (a merge suggestion), and five
// jobs.
func (f *fixture) side(t *testing.T, ws *coterie.Workspace, comm, name, email string) side {
	t.Helper()
	ctx := context.Background()
	c, err := f.comm.EnsureCommunity(ctx, ws.ID, comm)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range []people{
		{coterie.PlatformSlack, []ingest.Person{{ID: "U1", DisplayName: name, Email: email}, {ID: "U2", DisplayName: "Zed Other"}}},
		{coterie.PlatformDiscord, []ingest.Person{{ID: "999", DisplayName: name, Email: email}}},
	} {
		src, err := f.comm.EnsureSource(ctx, c, imp.platform, string(imp.platform))
		if err != nil {
			t.Fatal(err)
		}
		w, err := f.comm.NewWriter(ctx, c, src)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ingest.Run(ctx, imp, "fake", w, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Finish(ctx); err != nil {
			t.Fatal(err)
		}
	}
	s := side{ws: ws, comm: c, community: comm}
	for _, v := range []string{"U1", "999", "U2"} {
		var id coterie.ID
		if err := f.d.Read.QueryRow(`SELECT member_id FROM identity WHERE workspace_id = $1 AND value = $2`, ws.ID, v).Scan(&id); err != nil {
			t.Fatalf("member %s: %v", v, err)
		}
		s.members = append(s.members, id)
	}
	for i := range 5 {
		id, err := f.jobs.Enqueue(ctx, jobs.Job{WorkspaceID: ws.ID, Kind: "import", Payload: []byte(`{"n":` + strconv.Itoa(i) + `}`)})
		if err != nil {
			t.Fatal(err)
		}
		s.jobs = append(s.jobs, id)
	}
	return s
}

// handler returns the API with a rate limit high enough to stay out of the
// way, unless deps say otherwise.
func (f *fixture) handler(rate float64, burst int) http.Handler {
	return New(Deps{Community: f.comm, Auth: f.auth, Jobs: f.jobs, Rate: rate, Burst: burst, Now: func() time.Time { return f.now }})
}

// expand replaces the fixture's placeholders in s: {wsA}, {commB}, {jobA},
// {mA1} (first member of A), {mergeB}...
func (f *fixture) expand(s string) string {
	r := []string{"{mergeB}", itoa(f.mergeB)}
	for _, sd := range []struct {
		n string
		s side
	}{{"A", f.a}, {"B", f.b}} {
		r = append(r, "{ws"+sd.n+"}", itoa(sd.s.ws.ID), "{comm"+sd.n+"}", itoa(sd.s.comm.ID), "{job"+sd.n+"}", itoa(sd.s.jobs[0]))
		for i, m := range sd.s.members {
			r = append(r, "{m"+sd.n+strconv.Itoa(i+1)+"}", itoa(m))
		}
	}
	return strings.NewReplacer(r...).Replace(s)
}

// do sends one request with the named token ("" for none) and returns the
// response and its body.
func do(t *testing.T, h http.Handler, f *fixture, method, url, token, body string, header ...string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(f.expand(body))
	}
	req := httptest.NewRequest(method, f.expand(url), rd)
	if token != "" {
		v, ok := f.tokens[token]
		if !ok {
			t.Fatalf("no token %q in the fixture", token)
		}
		req.Header.Set("Authorization", "Bearer "+v)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result(), rec.Body.String()
}
