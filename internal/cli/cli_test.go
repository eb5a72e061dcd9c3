package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/coteriehq/coterie/internal/cli"
	"github.com/coteriehq/coterie/internal/db"
	"github.com/coteriehq/coterie/internal/db/dbtest"
)

const houston = "../../../shared/data/slack/houstondatavis"

type result struct {
	stdout, stderr string
	code           int
}

// coterie runs the command line in-process against dsn.
func coterie(t *testing.T, dsn string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"--db", dsn}, args...)
	if strings.HasPrefix(dsn, "postgres") {
		full = append([]string{"--migrate"}, full...)
	}
	code := cli.Main(context.Background(), full, &out, &errb)
	return result{out.String(), errb.String(), code}
}

type importJSON struct {
	Format                    string `json:"format"`
	Files                     int    `json:"files"`
	ActivitiesAdded           int    `json:"activities_added"`
	ActivitiesSkippedExisting int    `json:"activities_skipped_existing"`
	MembersAdded              int    `json:"members_added"`
	IdentitiesAdded           int    `json:"identities_added"`
	Errors                    []struct {
		File, Position, Message string
	} `json:"errors"`
}

func decodeOne(t *testing.T, s string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, s)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one JSON value:\n%s", s)
	}
}

func engines(t *testing.T, fn func(t *testing.T, dsn string)) {
	for _, e := range []db.Engine{db.SQLite, db.Postgres} {
		t.Run(string(e), func(t *testing.T) { fn(t, dbtest.DSN(t, e)) })
	}
}

func TestImport_SlackHoustonDataVis(t *testing.T) {
	engines(t, func(t *testing.T, dsn string) {
		r := coterie(t, dsn, "import", "slack", houston, "--community", "houston", "--json")
		if r.code != 0 {
			t.Fatalf("import exit %d: %s", r.code, r.stderr)
		}
		var first importJSON
		decodeOne(t, r.stdout, &first)
		if first.Format != "slack" || len(first.Errors) != 0 {
			t.Fatalf("import = %+v", first)
		}
		// 1,031 messages + 320 joins + 3 leaves + 199 reactions.
		if first.ActivitiesAdded != 1553 || first.ActivitiesSkippedExisting != 0 {
			t.Fatalf("activities added %d, skipped %d; want 1553, 0", first.ActivitiesAdded, first.ActivitiesSkippedExisting)
		}
		if first.MembersAdded != 71 {
			t.Fatalf("members added = %d, want the 71 users of users.json", first.MembersAdded)
		}

		r = coterie(t, dsn, "report", "summary", "--community", "houston", "--json")
		if r.code != 0 {
			t.Fatalf("summary exit %d: %s", r.code, r.stderr)
		}
		var sum struct {
			Community     string         `json:"community"`
			Channels      int            `json:"channels"`
			Members       int            `json:"members"`
			HumanMembers  int            `json:"human_members"`
			Bots          int            `json:"bots"`
			Activities    map[string]int `json:"activities"`
			FirstActivity string         `json:"first_activity"`
			LastActivity  string         `json:"last_activity"`
		}
		decodeOne(t, r.stdout, &sum)
		want := map[string]int{"message": 1031, "join": 320, "leave": 3, "reaction": 199}
		for k, n := range want {
			if sum.Activities[k] != n {
				t.Errorf("activities[%s] = %d, want %d", k, sum.Activities[k], n)
			}
		}
		if sum.Activities["reply"] != 0 {
			t.Errorf("replies = %d, want 0", sum.Activities["reply"])
		}
		if sum.Channels != 16 || sum.Bots != 0 || sum.Members != sum.HumanMembers {
			t.Errorf("summary = %+v", sum)
		}
		if !strings.HasPrefix(sum.FirstActivity, "2015-06-") || !strings.HasPrefix(sum.LastActivity, "2016-07-") {
			t.Errorf("span %s .. %s", sum.FirstActivity, sum.LastActivity)
		}
		d, err := db.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		var authors int
		d.Read.QueryRow(`SELECT COUNT(DISTINCT a.member_id) FROM activity a JOIN member m ON m.id = a.member_id
			WHERE a.kind = 'message' AND m.is_bot = 0`).Scan(&authors)
		if authors != 32 {
			t.Errorf("distinct human message authors = %d, want 32", authors)
		}

		// The same export again adds nothing.
		r = coterie(t, dsn, "import", "slack", houston, "--community", "houston", "--json")
		var second importJSON
		decodeOne(t, r.stdout, &second)
		if r.code != 0 || second.ActivitiesAdded != 0 || second.MembersAdded != 0 || second.IdentitiesAdded != 0 ||
			second.ActivitiesSkippedExisting != 1553 {
			t.Fatalf("second import (exit %d) = %+v", r.code, second)
		}
	})
}

// copyTree copies the export so a test can damage one file of it.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestImport_DamagedFile(t *testing.T) {
	engines(t, func(t *testing.T, dsn string) {
		dir := t.TempDir()
		copyTree(t, houston, dir)
		// general/2015-06-05.json holds messages; cut it mid-way.
		bad := filepath.Join(dir, "general", "2015-06-05.json")
		b, err := os.ReadFile(bad)
		if err != nil {
			t.Fatal(err)
		}
		var msgs []json.RawMessage
		if err := json.Unmarshal(b, &msgs); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(bad, b[:len(b)/2], 0o644); err != nil {
			t.Fatal(err)
		}
		r := coterie(t, dsn, "import", "slack", dir, "--community", "houston", "--json")
		if r.code != 1 {
			t.Fatalf("exit %d, want 1; stderr %s", r.code, r.stderr)
		}
		var got importJSON
		decodeOne(t, r.stdout, &got)
		if len(got.Errors) != 1 || got.Errors[0].File != "general/2015-06-05.json" ||
			!strings.HasPrefix(got.Errors[0].Position, "offset ") || got.Errors[0].Message == "" {
			t.Fatalf("errors = %+v", got.Errors)
		}
		if got.ActivitiesAdded >= 1553 || got.ActivitiesAdded < 1553-len(msgs)*3 {
			t.Fatalf("activities added = %d", got.ActivitiesAdded)
		}
		// The repaired file then goes in, and only it.
		if err := os.WriteFile(bad, b, 0o644); err != nil {
			t.Fatal(err)
		}
		r = coterie(t, dsn, "import", "slack", dir, "--community", "houston", "--json")
		var fixed importJSON
		decodeOne(t, r.stdout, &fixed)
		if r.code != 0 || got.ActivitiesAdded+fixed.ActivitiesAdded != 1553 {
			t.Fatalf("after repair: exit %d, added %d + %d, want 1553 in all", r.code, got.ActivitiesAdded, fixed.ActivitiesAdded)
		}
	})
}

func TestCLI_Usage(t *testing.T) {
	dsn := dbtest.DSN(t, db.SQLite)
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown format", []string{"import", "myspace", houston, "--community", "x"}, 2, "unknown format"},
		{"missing community", []string{"import", "slack", houston}, 2, "--community"},
		{"missing path", []string{"import", "slack", "/nonexistent/export", "--community", "x"}, 2, "/nonexistent/export"},
		{"bad flag", []string{"import", "--frobnicate"}, 2, "frobnicate"},
		{"unknown workspace", []string{"report", "summary", "--workspace", "nope", "--community", "x"}, 3, "not found"},
		{"bad member id", []string{"members", "merge", "a", "2"}, 2, "not a member"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := coterie(t, dsn, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)", r.code, tc.code, r.stderr, tc.want)
			}
		})
	}
}

func TestImport_FormatOptions(t *testing.T) {
	dsn := dbtest.DSN(t, db.SQLite)
	dir := t.TempDir()
	chat := filepath.Join(dir, "WhatsApp Chat with Vegan Beauty.txt")
	if err := os.WriteFile(chat, []byte("12/03/24, 09:15 - Ana: Hello all\n12/03/24, 09:16 - Ben: Hi Ana\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := coterie(t, dsn, "import", "whatsapp", chat, "--community", "vb", "--timezone", "America/New_York", "--json")
	if r.code != 0 {
		t.Fatalf("whatsapp import: exit %d %s", r.code, r.stderr)
	}
	r = coterie(t, dsn, "report", "summary", "--community", "vb", "--json")
	var sum struct {
		FirstActivity string `json:"first_activity"`
	}
	decodeOne(t, r.stdout, &sum)
	// 09:15 in New York on 12 March 2024 (daylight time) is 13:15 UTC.
	if !strings.HasPrefix(sum.FirstActivity, "2024-03-12T13:15:00") {
		t.Fatalf("first activity %s, want 2024-03-12T13:15:00Z", sum.FirstActivity)
	}

	csvPath := filepath.Join(dir, "fb.csv")
	os.WriteFile(csvPath, []byte("Post ID,Posted At,Member,Body,Notes\np1,2024-03-01T10:00:00Z,Ana,Hello,private\n"), 0o644)
	r = coterie(t, dsn, "import", "csv", csvPath, "--community", "fb", "--columns", "Post ID=id,Posted At=time,Member=author_name,Body=text,Notes=", "--json")
	var imp importJSON
	decodeOne(t, r.stdout, &imp)
	if r.code != 0 || imp.ActivitiesAdded != 1 {
		t.Fatalf("csv import with --columns: exit %d, %+v, %s", r.code, imp, r.stderr)
	}
	for _, tc := range []struct{ flag, value, want string }{
		{"--timezone", "Mars/Olympus", "not a known time zone"},
		{"--columns", "Body=txt", "not a column"},
		{"--columns", "Body", "not THEIRS=OURS"},
	} {
		r = coterie(t, dsn, "import", "csv", csvPath, "--community", "fb", tc.flag, tc.value)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s %s: exit %d, stderr %q", tc.flag, tc.value, r.code, r.stderr)
		}
	}
}

func TestCLI_PostgresNeedsMigrateFlag(t *testing.T) {
	dsn := dbtest.DSN(t, db.Postgres)
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), []string{"--db", dsn, "workspaces"}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "--migrate") {
		t.Fatalf("exit %d, stderr %q: want a refusal naming --migrate", code, errb.String())
	}
	if r := coterie(t, dsn, "workspaces", "--json"); r.code != 0 || strings.TrimSpace(r.stdout) != "[]" {
		t.Fatalf("with --migrate: exit %d, %q", r.code, r.stdout)
	}
}

func TestCLI_SQLiteBackupBeforeMigration(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.db")
	if r := coterie(t, "sqlite:"+path, "import", "slack", houston, "--community", "h"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	// Pretend the last migration is new: the next start must copy the file first.
	d, err := db.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	d.Write.Exec(`DELETE FROM schema_migration WHERE version = (SELECT MAX(version) FROM schema_migration)`)
	all, _ := d.Migrations()
	d.Close()
	if len(all) < 2 {
		t.Skip("needs two migrations")
	}
	// The re-applied migration itself fails (its tables exist); the copy
	// must have been made before it ran.
	coterie(t, "sqlite:"+path, "workspaces")
	matches, _ := filepath.Glob(path + ".*.bak")
	if len(matches) != 1 {
		t.Fatalf("backups before migrating: %v, want one", matches)
	}
	b, err := db.Open(context.Background(), "sqlite:"+matches[0])
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var n int
	if err := b.Read.QueryRow(`SELECT COUNT(*) FROM activity`).Scan(&n); err != nil || n != 1553 {
		t.Fatalf("backup holds %d activities (%v), want 1553", n, err)
	}
}

func TestCLI_MembersFlow(t *testing.T) {
	engines(t, func(t *testing.T, dsn string) {
		dir := t.TempDir()
		csvPath := filepath.Join(dir, "fb.csv")
		// Slack's first user again, through an unverified copy of his
		// e-mail: a suggestion, not a merge.
		os.WriteFile(csvPath, []byte("id,time,author_id,author_name,author_email,text\n"+
			"c1,2016-01-02T10:00:00Z,fb-1,Aaron A.,member000@example.org,Hello from Facebook\n"), 0o644)
		for _, args := range [][]string{
			{"import", "slack", houston, "--community", "h"},
			{"import", "csv", csvPath, "--community", "fb"},
		} {
			if r := coterie(t, dsn, args...); r.code != 0 {
				t.Fatalf("%v: %s", args, r.stderr)
			}
		}
		r := coterie(t, dsn, "members", "suggestions", "--json")
		type suggestion struct {
			MemberA int64  `json:"member_a"`
			MemberB int64  `json:"member_b"`
			NameB   string `json:"name_b"`
		}
		find := func(out string) *suggestion {
			var sg []suggestion
			if err := json.Unmarshal([]byte(out), &sg); err != nil {
				t.Fatalf("suggestions: %v %s", err, out)
			}
			for i := range sg {
				if sg[i].NameB == "Aaron A." {
					return &sg[i]
				}
			}
			return nil
		}
		// (houstondatavis itself holds one more: "Stephen Rasey" and
		// "Stephen Rasy", by their usernames.)
		s := find(r.stdout)
		if s == nil {
			t.Fatalf("no suggestion pairs the Facebook account with Slack's: %s", r.stdout)
		}
		a, b := strconv.FormatInt(s.MemberA, 10), strconv.FormatInt(s.MemberB, 10)
		r = coterie(t, dsn, "members", "merge", a, b, "--json")
		var m struct {
			MergeID int64 `json:"merge_id"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &m); r.code != 0 || err != nil || m.MergeID == 0 {
			t.Fatalf("merge: exit %d %s %s", r.code, r.stdout, r.stderr)
		}
		if r = coterie(t, dsn, "members", "suggestions", "--json"); find(r.stdout) != nil {
			t.Fatalf("after merge, suggestions = %s", r.stdout)
		}
		if r = coterie(t, dsn, "members", "unmerge", strconv.FormatInt(m.MergeID, 10)); r.code != 0 {
			t.Fatalf("unmerge: %s", r.stderr)
		}
		if r = coterie(t, dsn, "members", "unmerge", strconv.FormatInt(m.MergeID, 10)); r.code != 4 {
			t.Fatalf("second unmerge: exit %d, want 4", r.code)
		}
		if r = coterie(t, dsn, "members", "no-merge", a, b); r.code != 0 {
			t.Fatalf("no-merge: %s", r.stderr)
		}
		if r = coterie(t, dsn, "members", "suggestions", "--json"); find(r.stdout) != nil {
			t.Fatalf("after no-merge, suggestions = %s", r.stdout)
		}
		if r = coterie(t, dsn, "members", "merge", a, b); r.code != 4 {
			t.Fatalf("merge of a no-merge pair: exit %d, want 4", r.code)
		}
		// Erase the Facebook account; its comment stays out on re-import.
		fbMember := b
		if r = coterie(t, dsn, "members", "erase", fbMember, "--json"); r.code != 0 {
			t.Fatalf("erase: %s", r.stderr)
		}
		r = coterie(t, dsn, "import", "csv", csvPath, "--community", "fb", "--json")
		var imp struct {
			Added  int `json:"activities_added"`
			Erased int `json:"activities_skipped_erased"`
		}
		decodeOne(t, r.stdout, &imp)
		if imp.Added != 0 || imp.Erased != 1 {
			t.Fatalf("re-import after erase: %+v", imp)
		}
		if r = coterie(t, dsn, "members", "erase", "999999"); r.code != 3 {
			t.Fatalf("erase of a missing member: exit %d, want 3", r.code)
		}
	})
}
