package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coteriehq/coterie/bench/gen"
	"github.com/coteriehq/coterie/internal/db"
	"github.com/coteriehq/coterie/internal/db/dbtest"
)

// binary is the coterie command built once for these end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "coterie-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "coterie")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build coterie: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func command(dsn string, args ...string) *exec.Cmd {
	full := append([]string{"--db", dsn}, args...)
	if strings.HasPrefix(dsn, "postgres") {
		full = append([]string{"--migrate"}, full...)
	}
	return exec.Command(binary, full...)
}

func mustRun(t *testing.T, dsn string, args ...string) []byte {
	t.Helper()
	var stderr bytes.Buffer
	cmd := command(dsn, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("coterie %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

func generate(t *testing.T, format string, messages int) (string, gen.Counts) {
	t.Helper()
	out := filepath.Join(t.TempDir(), format)
	if format == gen.FormatReddit {
		out += ".ndjson"
	}
	counts, err := gen.Generate(gen.Options{Format: format, Messages: messages, Seed: 7, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	return out, counts
}

// TestImport_GeneratedExports checks each importer, end to end through the
// binary, against the counts the generator says it wrote.
func TestImport_GeneratedExports(t *testing.T) {
	for _, format := range []string{gen.FormatSlack, gen.FormatDiscord, gen.FormatReddit} {
		t.Run(format, func(t *testing.T) {
			path, want := generate(t, format, 3000)
			for _, engine := range []db.Engine{db.SQLite, db.Postgres} {
				t.Run(string(engine), func(t *testing.T) {
					dsn := dbtest.DSN(t, engine)
					var imp struct {
						ActivitiesAdded int               `json:"activities_added"`
						Errors          []json.RawMessage `json:"errors"`
					}
					if err := json.Unmarshal(mustRun(t, dsn, "import", format, path, "--community", "gen", "--json"), &imp); err != nil {
						t.Fatal(err)
					}
					if imp.ActivitiesAdded != want.Activities || len(imp.Errors) != 0 {
						t.Fatalf("added %d activities with errors %s; generator wrote %d", imp.ActivitiesAdded, imp.Errors, want.Activities)
					}
					var sum struct {
						Activities    map[string]int `json:"activities"`
						BotActivities int            `json:"bot_activities"`
					}
					if err := json.Unmarshal(mustRun(t, dsn, "report", "summary", "--community", "gen", "--json"), &sum); err != nil {
						t.Fatal(err)
					}
					msg, reply := "message", "reply"
					if format == gen.FormatReddit {
						msg, reply = "post", "comment"
					}
					got := [6]int{sum.Activities[msg], sum.Activities[reply], sum.Activities["reaction"], sum.Activities["join"], sum.Activities["leave"], sum.BotActivities}
					exp := [6]int{want.Messages, want.Replies, want.Reactions, want.Joins, want.Leaves, want.BotMessages}
					if got != exp {
						t.Fatalf("summary %s/%s/reaction/join/leave/bot = %v, generator wrote %v", msg, reply, got, exp)
					}
				})
			}
		})
	}
}

// TestImport_KillAndRerun kills the import with SIGKILL at moments spread
// over its run, runs it again, and compares the database with the one a
// single uninterrupted run gives.
func TestImport_KillAndRerun(t *testing.T) {
	path, _ := generate(t, gen.FormatSlack, 40000)
	for _, engine := range []db.Engine{db.SQLite, db.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			ref := dbtest.DSN(t, engine)
			start := time.Now()
			mustRun(t, ref, "import", "slack", path, "--community", "kill")
			took := time.Since(start)
			want := dump(t, ref)
			kills := []float64{0.05, 0.3, 0.55, 0.8, 0.95}
			killedMidway := 0
			for _, frac := range kills {
				dsn := dbtest.DSN(t, engine)
				// Create the schema first, so the kill lands in the import.
				mustRun(t, dsn, "migrate")
				cmd := command(dsn, "import", "slack", path, "--community", "kill")
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Duration(frac * float64(took)))
				cmd.Process.Signal(syscall.SIGKILL)
				err := cmd.Wait()
				if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					killedMidway++
				} else if err != nil {
					t.Fatalf("import failed before the kill: %v", err)
				}
				mustRun(t, dsn, "import", "slack", path, "--community", "kill")
				if got := dump(t, dsn); got != want {
					t.Fatalf("after a kill at %.0f%% and a rerun the database differs:\n%s", frac*100, firstDiff(want, got))
				}
			}
			if killedMidway < 3 {
				t.Fatalf("only %d of %d imports were killed mid-way; the test did not test", killedMidway, len(kills))
			}
		})
	}
}

// dump renders the whole database by natural keys, sorted, so that two
// databases with the same content compare equal whatever their ids.
func dump(t *testing.T, dsn string) string {
	t.Helper()
	d, err := db.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// A member is named by its identities.
	memberKey := `(SELECT MIN(i.platform || ':' || i.kind || ':' || i.value) FROM identity i WHERE i.member_id = %s)`
	queries := []string{
		`SELECT w.name || '|' || c.name || '|' || c.timezone FROM community c JOIN workspace w ON w.id = c.workspace_id`,
		`SELECT s.platform || '|' || s.name FROM source s`,
		`SELECT ch.external_id || '|' || ch.name || '|' || ch.kind || '|' || ch.is_archived FROM channel ch`,
		`SELECT ` + fmt.Sprintf(memberKey, "m.id") + ` || '|' || m.display_name || '|' || m.is_bot || '|' ||
			COALESCE(m.joined_at, 0) || '|' || COALESCE(m.first_active_at, 0) || '|' || COALESCE(m.last_active_at, 0) || '|' ||
			m.attributes_json || '|' || COALESCE(m.merged_into, 0) FROM member m`,
		`SELECT i.platform || '|' || i.kind || '|' || i.value || '|' || i.value_normalized || '|' || i.verified || '|' ||
			` + fmt.Sprintf(memberKey, "i.member_id") + ` FROM identity i`,
		`SELECT a.external_id || '|' || a.kind || '|' || a.occurred_at || '|' || COALESCE(ch.external_id, '') || '|' ||
			COALESCE(` + fmt.Sprintf(memberKey, "a.member_id") + `, '') || '|' || COALESCE(` + fmt.Sprintf(memberKey, "a.object_member_id") + `, '') || '|' ||
			COALESCE(a.parent_external_id, '') || '|' || COALESCE(a.thread_root_external_id, '') || '|' || a.body || '|' || a.url || '|' ||
			a.attachments_json || '|' || a.attributes_json || '|' || a.is_edited
			FROM activity a LEFT JOIN channel ch ON ch.id = a.channel_id`,
	}
	var b strings.Builder
	for _, q := range queries {
		lines := queryLines(t, d.Read, q)
		sort.Strings(lines)
		fmt.Fprintf(&b, "== %d rows\n%s\n", len(lines), strings.Join(lines, "\n"))
	}
	return b.String()
}

func queryLines(t *testing.T, q *sql.DB, query string) []string {
	t.Helper()
	rows, err := q.Query(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s.String)
	}
	return out
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n want %s\n got  %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d", len(al), len(bl))
}

// TestServe starts the binary on a free port and reads its pages, as a
// newcomer does after `coterie serve`.
func TestServe(t *testing.T) {
	for _, engine := range []db.Engine{db.SQLite, db.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			dsn := dbtest.DSN(t, engine)
			mustRun(t, dsn, "import", "slack", "../../../shared/data/slack/houstondatavis", "--community", "Houston data-vis")
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			cmd := command(dsn, "serve", "--addr", addr)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				cmd.Process.Signal(syscall.SIGTERM)
				cmd.Wait()
			}()
			deadline := time.Now().Add(15 * time.Second)
			for {
				resp, err := http.Get("http://" + addr + "/healthz")
				if err == nil {
					resp.Body.Close()
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("serve did not answer: %v\n%s", err, stderr.String())
				}
				time.Sleep(100 * time.Millisecond)
			}
			jar, _ := cookiejar.New(nil)
			client := &http.Client{Jar: jar}
			// First run: every page leads to the owner's setup.
			resp, err := client.Get("http://" + addr + "/")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.Request.URL.Path != "/setup" {
				t.Fatalf("first page is %s, want /setup", resp.Request.URL.Path)
			}
			resp, err = client.PostForm("http://"+addr+"/setup", url.Values{
				"email": {"owner@example.org"}, "name": {"Owner"}, "password": {"a long enough password"}, "workspace": {"default"}})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body := string(b)
			if !strings.Contains(body, "Houston data-vis") || !strings.Contains(body, "message: 1031") {
				t.Fatalf("after setup, the overview lacks the imported community and its counts (%s):\n%s", resp.Request.URL, body)
			}
			resp, err = http.Get("http://" + addr + "/readyz")
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("/readyz: %v %v", err, resp)
			}
			resp.Body.Close()
		})
	}
}
