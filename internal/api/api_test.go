package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coteriehq/coterie/internal/auth"
	"github.com/coteriehq/coterie/internal/db"
	"github.com/coteriehq/coterie/internal/db/dbtest"
)

// scenario is one request and what its answer must and must not contain.
// URLs and bodies use the fixture's placeholders ({wsA}, {mB1}, ...).
type scenario struct {
	name      string
	method    string
	url       string
	token     string // a fixture token name, "" for none
	body      string
	header    []string // name, value pairs
	status    int
	want      []string
	wantNot   []string
	wantCType string // a prefix of Content-Type, "" for JSON
}

func (sc scenario) run(t *testing.T, f *fixture, h http.Handler) {
	t.Helper()
	res, body := do(t, h, f, sc.method, sc.url, sc.token, sc.body, sc.header...)
	if res.StatusCode != sc.status {
		t.Fatalf("%s %s: status %d, want %d; body %s", sc.method, f.expand(sc.url), res.StatusCode, sc.status, body)
	}
	ctype := sc.wantCType
	if ctype == "" {
		ctype = "application/json"
	}
	if res.StatusCode == 200 && sc.token != "" && res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q on a workspace's data, want no-store", res.Header.Get("Cache-Control"))
	}
	if got := res.Header.Get("Content-Type"); !strings.HasPrefix(got, ctype) {
		t.Errorf("Content-Type %q, want %s", got, ctype)
	}
	for _, w := range sc.want {
		if w = f.expand(w); !strings.Contains(body, w) {
			t.Errorf("body lacks %q: %s", w, body)
		}
	}
	for _, w := range sc.wantNot {
		if w = f.expand(w); strings.Contains(body, w) {
			t.Errorf("body has %q: %s", w, body)
		}
	}
}

func TestAPI_Scenarios(t *testing.T) {
	const a = "/api/v1/workspaces/{wsA}"
	scenarios := []scenario{
		{name: "openapi needs no token", method: "GET", url: "/api/openapi.json", status: 200, want: []string{`"openapi": "3.0`}},
		{name: "no token", method: "GET", url: a, status: 401, want: []string{`"code":"unauthorized"`}, wantNot: []string{"brand A"}},
		{name: "not a bearer token", method: "GET", url: a, header: []string{"Authorization", "Basic b3duZXI6cHc="}, status: 401, want: []string{`"code":"unauthorized"`}},
		{name: "unknown token", method: "GET", url: a, token: "bogus", status: 401, want: []string{`"code":"unauthorized"`}, wantNot: []string{"brand A"}},
		{name: "revoked token", method: "GET", url: a, token: "revokedA", status: 401, want: []string{"revoked"}, wantNot: []string{"brand A"}},
		{name: "revoked token cannot merge", method: "POST", url: a + "/members/merge", token: "revokedA", body: `{"primary":{mA1},"secondary":{mA2}}`, status: 401, wantNot: []string{"merge_id"}},
		{name: "workspace", method: "GET", url: a, token: "readA", status: 200, want: []string{`"name":"brand A"`, `"id":{wsA}`}},
		{name: "workspace id not a number", method: "GET", url: "/api/v1/workspaces/abc", token: "readA", status: 404, want: []string{`"code":"not_found"`}},
		{name: "communities", method: "GET", url: a + "/communities", token: "readA", status: 200,
			want: []string{`"items":[`, `"name":"vegan beauty"`}, wantNot: []string{"knitting"}},
		{name: "summary", method: "GET", url: a + "/communities/{commA}/summary", token: "readA", status: 200,
			want: []string{`"community":"vegan beauty"`, `"members":3`, `"message":3`}},
		{name: "summary of a missing community", method: "GET", url: a + "/communities/987654/summary", token: "readA", status: 404, want: []string{`"code":"not_found"`, "community 987654"}},
		{name: "jobs", method: "GET", url: a + "/jobs", token: "readA", status: 200, want: []string{`"id":{jobA}`, `"status":"queued"`, `"next_cursor":""`}},
		{name: "one job", method: "GET", url: a + "/jobs/{jobA}", token: "readA", status: 200, want: []string{`"kind":"import"`, `"progress":null`}},
		{name: "missing job", method: "GET", url: a + "/jobs/987654", token: "readA", status: 404, want: []string{`"code":"not_found"`}},
		{name: "jobs by status", method: "GET", url: a + "/jobs?status=failed", token: "readA", status: 200, want: []string{`"items":[]`}},
		{name: "jobs by unknown status", method: "GET", url: a + "/jobs?status=lost", token: "readA", status: 400, want: []string{`"code":"invalid"`}},
		{name: "jobs limit too big", method: "GET", url: a + "/jobs?limit=501", token: "readA", status: 400, want: []string{"limit"}},
		{name: "jobs bad cursor", method: "GET", url: a + "/jobs?cursor=zzz", token: "readA", status: 400, want: []string{"cursor"}},
		{name: "suggestions", method: "GET", url: a + "/members/suggestions", token: "readA", status: 200,
			want: []string{`"name_a":"Jane Doe"`, `"member_a"`}, wantNot: []string{"Bob Builder", "Zed Other"}},
		{name: "read token cannot merge", method: "POST", url: a + "/members/merge", token: "readA", body: `{"primary":{mA1},"secondary":{mA2}}`,
			status: 403, want: []string{`"code":"forbidden"`}, wantNot: []string{"merge_id"}},
		{name: "read token cannot undo", method: "POST", url: a + "/merges/1/undo", token: "readA", status: 403, want: []string{`"code":"forbidden"`}},
		{name: "empty body", method: "POST", url: a + "/members/merge", token: "writeA", status: 400, want: []string{"empty"}},
		{name: "malformed body", method: "POST", url: a + "/members/merge", token: "writeA", body: `{"primary":`, status: 400, want: []string{`"code":"invalid"`}},
		{name: "misspelt field", method: "POST", url: a + "/members/merge", token: "writeA", body: `{"primary":{mA1},"secundary":{mA2}}`, status: 400, want: []string{"secundary"}},
		{name: "merge into itself", method: "POST", url: a + "/members/merge", token: "writeA", body: `{"primary":{mA1},"secondary":{mA1}}`, status: 400, want: []string{"itself"}},
		{name: "merge a missing member", method: "POST", url: a + "/members/merge", token: "writeA", body: `{"primary":{mA1},"secondary":987654}`, status: 404, want: []string{`"code":"not_found"`}},
		{name: "undo a missing merge", method: "POST", url: a + "/merges/987654/undo", token: "writeA", status: 404, want: []string{`"code":"not_found"`}},
		{name: "wrong method", method: "DELETE", url: a, token: "writeA", status: 404, want: []string{`"code":"not_found"`}},
		{name: "unknown route", method: "GET", url: a + "/nothing", token: "readA", status: 404, want: []string{`"code":"not_found"`}},
		{name: "unknown format", method: "GET", url: a + "/communities?format=xml", token: "readA", status: 400, want: []string{"format"}},
		{name: "communities as csv", method: "GET", url: a + "/communities?format=csv", token: "readA", status: 200, wantCType: "text/csv",
			want: []string{"id,name,interest,brand_link,timezone,created_at\n", "{commA},vegan beauty,"}, wantNot: []string{"knitting", "{"}},
		{name: "csv by Accept", method: "GET", url: a + "/members/suggestions", token: "readA", header: []string{"Accept", "text/html, text/csv;q=0.9"},
			status: 200, wantCType: "text/csv", want: []string{"member_a,member_b,name_a,name_b,score,reasons\n", "Jane Doe"}},
		{name: "jobs as csv", method: "GET", url: a + "/jobs?format=csv", token: "readA", status: 200, wantCType: "text/csv",
			want: []string{"id,kind,status,attempts", "{jobA},import,queued,"}},
	}
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		h := f.handler(1000, 1000)
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) { sc.run(t, f, h) })
		}
	})
}

// TestAPI_MergeAndUndo: a write token merges two members, the suggestion
// goes away, the audit log names the token, and the undo brings it back.
func TestAPI_MergeAndUndo(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		h := f.handler(1000, 1000)
		const a = "/api/v1/workspaces/{wsA}"
		res, body := do(t, h, f, "POST", a+"/members/merge", "writeA", `{"primary":{mA1},"secondary":{mA2}}`)
		if res.StatusCode != 201 {
			t.Fatalf("merge: %d %s", res.StatusCode, body)
		}
		var m struct {
			MergeID int64 `json:"merge_id"`
		}
		if err := json.Unmarshal([]byte(body), &m); err != nil || m.MergeID == 0 {
			t.Fatalf("merge answer %s: %v", body, err)
		}
		scenario{name: "merged pair no longer suggested", method: "GET", url: a + "/members/suggestions", token: "readA", status: 200,
			wantNot: []string{"Jane Doe"}}.run(t, f, h)
		scenario{name: "merge again", method: "POST", url: a + "/members/merge", token: "writeA", body: `{"primary":{mA1},"secondary":{mA2}}`,
			status: 409, want: []string{`"code":"conflict"`}}.run(t, f, h)

		entries, _, err := f.auth.ListAudit(context.Background(), f.a.ws.ID, auth.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(entries, func(e auth.AuditEntry) bool {
			return e.Action == "member.merge" && e.ObjectID == m.MergeID && e.ActorTokenID != 0
		}) {
			t.Errorf("the audit log has no merge by the token: %+v", entries)
		}

		undo := fmt.Sprintf("%s/merges/%d/undo", a, m.MergeID)
		scenario{name: "undo", method: "POST", url: undo, token: "writeA", status: 200, want: []string{`"undone":true`}}.run(t, f, h)
		scenario{name: "suggested again", method: "GET", url: a + "/members/suggestions", token: "readA", status: 200,
			want: []string{"Jane Doe"}}.run(t, f, h)
		scenario{name: "undo twice", method: "POST", url: undo, token: "writeA", status: 409, want: []string{`"code":"conflict"`}}.run(t, f, h)
	})
}

// wildcard matches the {name} parameters of a route pattern.
var wildcard = regexp.MustCompile(`\{(\w+)\}`)

// TestAPI_WorkspaceIsolation enumerates every route of the table: a write
// token of workspace A gets 404 on each route of workspace B, and on A's
// routes naming B's objects, and B's data is unchanged afterwards.
func TestAPI_WorkspaceIsolation(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		h := f.handler(1000, 1000)
		// B's object behind each route's {id}, and B's members for bodies.
		ids := map[string]string{
			"/api/v1/workspaces/{ws}/communities/{id}/summary": "{commB}",
			"/api/v1/workspaces/{ws}/jobs/{id}":                "{jobB}",
			"/api/v1/workspaces/{ws}/merges/{id}/undo":         "{mergeB}",
		}
		bodies := map[string]string{
			"/api/v1/workspaces/{ws}/members/merge": `{"primary":{mB1},"secondary":{mB3}}`,
		}
		before := do2(t, h, f, "GET", "/api/v1/workspaces/{wsB}/members/suggestions", "writeB")

		checked := 0
		for _, rt := range (&server{}).routes() {
			if rt.access == "" {
				continue
			}
			url := rt.pattern
			for _, m := range wildcard.FindAllStringSubmatch(rt.pattern, -1) {
				switch m[1] {
				case "ws":
				case "id":
					id, ok := ids[rt.pattern]
					if !ok {
						t.Fatalf("route %s %s: say which object of B its {id} is", rt.method, rt.pattern)
					}
					url = strings.Replace(url, "{id}", id, 1)
				default:
					t.Fatalf("route %s %s: unknown parameter {%s}", rt.method, rt.pattern, m[1])
				}
			}
			body := bodies[rt.pattern]
			if rt.method != http.MethodGet && body == "" && !strings.Contains(rt.pattern, "{id}") {
				t.Fatalf("route %s %s: give it a body naming B's objects", rt.method, rt.pattern)
			}
			for _, ws := range []string{"{wsB}", "{wsA}"} {
				u := strings.Replace(url, "{ws}", ws, 1)
				if ws == "{wsA}" && u == strings.Replace(rt.pattern, "{ws}", ws, 1) && body == "" {
					continue // names no object of B: nothing to hide
				}
				name := rt.method + " " + u
				t.Run(name, func(t *testing.T) {
					scenario{method: rt.method, url: u, token: "writeA", body: body, status: 404,
						want:    []string{`"code":"not_found"`},
						wantNot: []string{"brand B", "knitting", "Bob Builder", "merge_id"}}.run(t, f, h)
				})
				checked++
			}
		}
		if checked < 10 {
			t.Fatalf("only %d requests checked: the route table lost routes?", checked)
		}
		if after := do2(t, h, f, "GET", "/api/v1/workspaces/{wsB}/members/suggestions", "writeB"); after != before {
			t.Errorf("B's members changed:\nbefore %s\nafter  %s", before, after)
		}
		// B's merge was not undone by A: B itself can still undo it.
		scenario{method: "POST", url: "/api/v1/workspaces/{wsB}/merges/{mergeB}/undo", token: "writeB", status: 200}.run(t, f, h)
	})
}

// do2 returns the body of a request that must succeed.
func do2(t *testing.T, h http.Handler, f *fixture, method, url, token string) string {
	t.Helper()
	res, body := do(t, h, f, method, url, token, "")
	if res.StatusCode != 200 {
		t.Fatalf("%s %s: %d %s", method, url, res.StatusCode, body)
	}
	return body
}

// TestAPI_JobsPagination pages through A's five jobs two at a time: every
// job once, newest first, then no next cursor; B's jobs never show.
func TestAPI_JobsPagination(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		h := f.handler(1000, 1000)
		var got []int64
		var sizes []int
		cursor := ""
		for page := 0; ; page++ {
			if page > 5 {
				t.Fatal("pagination does not end")
			}
			body := do2(t, h, f, "GET", "/api/v1/workspaces/{wsA}/jobs?limit=2&cursor="+cursor, "readA")
			var l struct {
				Items []struct {
					ID int64 `json:"id"`
				} `json:"items"`
				NextCursor *string `json:"next_cursor"`
			}
			if err := json.Unmarshal([]byte(body), &l); err != nil {
				t.Fatal(err)
			}
			if l.NextCursor == nil {
				t.Fatalf("no next_cursor in %s", body)
			}
			sizes = append(sizes, len(l.Items))
			for _, it := range l.Items {
				got = append(got, it.ID)
			}
			if cursor = *l.NextCursor; cursor == "" {
				break
			}
		}
		want := slices.Clone(f.a.jobs)
		slices.Reverse(want)
		if !slices.Equal(got, want) || !slices.Equal(sizes, []int{2, 2, 1}) {
			t.Fatalf("pages %v of jobs %v, want [2 2 1] of %v", sizes, got, want)
		}
	})
}

// TestAPI_CSV reads an export back with encoding/csv: a header row, then one
// row per item, fields with commas intact.
func TestAPI_CSV(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		if _, err := f.comm.EnsureCommunity(context.Background(), f.a.ws.ID, `Knits, "purls" and more`); err != nil {
			t.Fatal(err)
		}
		h := f.handler(1000, 1000)
		res, body := do(t, h, f, "GET", "/api/v1/workspaces/{wsA}/communities", "readA", "", "Accept", "text/csv")
		if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Disposition"), "communities.csv") {
			t.Fatalf("status %d, disposition %q", res.StatusCode, res.Header.Get("Content-Disposition"))
		}
		rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || !slices.Equal(rows[0], communityCSV) {
			t.Fatalf("rows %q", rows)
		}
		if rows[1][1] != `Knits, "purls" and more` || rows[2][1] != "vegan beauty" {
			t.Errorf("names %q and %q", rows[1][1], rows[2][1])
		}
		if _, err := time.Parse(time.RFC3339, rows[1][5]); err != nil {
			t.Errorf("created_at %q: %v", rows[1][5], err)
		}

		res, _ = do(t, h, f, "GET", "/api/v1/workspaces/{wsA}/jobs?format=csv&limit=2", "readA", "")
		if res.Header.Get("X-Next-Cursor") == "" {
			t.Errorf("a CSV page of jobs has no X-Next-Cursor")
		}
	})
}

// TestAPI_RateLimit: a token gets its burst, then 429 with Retry-After,
// other tokens are unaffected, and the budget refills with time.
func TestAPI_RateLimit(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		h := f.handler(1, 3)
		url := "/api/v1/workspaces/{wsA}"
		for i := range 3 {
			if res, body := do(t, h, f, "GET", url, "readA", ""); res.StatusCode != 200 {
				t.Fatalf("request %d within the burst: %d %s", i+1, res.StatusCode, body)
			}
		}
		res, body := do(t, h, f, "GET", url, "readA", "")
		if res.StatusCode != 429 || !strings.Contains(body, `"code":"rate_limited"`) || res.Header.Get("Retry-After") != "1" {
			t.Fatalf("over the burst: %d, Retry-After %q, %s", res.StatusCode, res.Header.Get("Retry-After"), body)
		}
		if res, _ := do(t, h, f, "GET", url, "writeA", ""); res.StatusCode != 200 {
			t.Fatalf("another token was limited too: %d", res.StatusCode)
		}
		f.now = f.now.Add(time.Second)
		if res, _ := do(t, h, f, "GET", url, "readA", ""); res.StatusCode != 200 {
			t.Fatalf("after a second: %d", res.StatusCode)
		}
		if res, _ := do(t, h, f, "GET", url, "readA", ""); res.StatusCode != 429 {
			t.Fatalf("a second refills one request, not more: %d", res.StatusCode)
		}
	})
}
