package community_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/coteriehq/coterie/internal/community"
	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/db"
	"github.com/coteriehq/coterie/internal/db/dbtest"
	"github.com/coteriehq/coterie/internal/ingest"
)

// fakeFormat replays files of records, so store tests need no parser.
type fakeFormat struct {
	platform coterie.Platform
	files    []fakeFile
}

type fakeFile struct {
	name       string
	people     []ingest.Person
	activities []ingest.Activity
	err        *ingest.FileError
}

func (f fakeFormat) Name() string               { return "fake" }
func (f fakeFormat) Platform() coterie.Platform { return f.platform }
func (f fakeFormat) Read(ctx context.Context, path string, s ingest.Sink) error {
	for _, file := range f.files {
		if err := s.BeginFile(file.name); err != nil {
			return err
		}
		for _, p := range file.people {
			if err := s.Person(p); err != nil {
				return err
			}
		}
		for _, a := range file.activities {
			if err := s.Activity(a); err != nil {
				return err
			}
		}
		if err := s.EndFile(file.err); err != nil {
			return err
		}
	}
	return nil
}

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func msg(id, author string, minutes int) ingest.Activity {
	return ingest.Activity{ExternalID: id, Kind: coterie.KindMessage, ChannelID: "C1", OccurredAt: t0.Add(time.Duration(minutes) * time.Minute),
		Author: ingest.Person{ID: author, DisplayName: author}, Body: "hello " + id}
}

type env struct {
	st   *community.Store
	ws   *coterie.Workspace
	comm *coterie.Community
}

func newEnv(t *testing.T, d *db.DB) env {
	t.Helper()
	ctx := context.Background()
	st := community.NewStore(d)
	ws, err := st.EnsureWorkspace(ctx, "brand")
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.EnsureCommunity(ctx, ws.ID, "vegan beauty")
	if err != nil {
		t.Fatal(err)
	}
	return env{st: st, ws: ws, comm: c}
}

func (e env) run(t *testing.T, f fakeFormat) (community.ImportCounts, ingest.Result) {
	t.Helper()
	ctx := context.Background()
	src, err := e.st.EnsureSource(ctx, e.comm, f.platform, string(f.platform))
	if err != nil {
		t.Fatal(err)
	}
	w, err := e.st.NewWriter(ctx, e.comm, src)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ingest.Run(ctx, f, "fake", w, nil)
	if err != nil {
		t.Fatal(err)
	}
	counts, err := w.Finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return counts, res
}

func (e env) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := e.st.DB().Read.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestWriter_Idempotent(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := fakeFormat{platform: coterie.PlatformSlack, files: []fakeFile{{
			name: "a.json",
			activities: []ingest.Activity{
				msg("C1/1", "U1", 0), msg("C1/2", "U2", 1),
				{ExternalID: "C1/3", Kind: coterie.KindReply, ChannelID: "C1", OccurredAt: t0.Add(5 * time.Minute),
					Author: ingest.Person{ID: "U2"}, ParentID: "C1/1", ThreadRootID: "C1/1", ObjectAuthorID: "U1"},
			},
		}}}
		c1, _ := e.run(t, f)
		if c1.ActivitiesAdded != 3 || c1.MembersAdded != 2 || c1.IdentitiesAdded != 2 || c1.ChannelsAdded != 1 {
			t.Fatalf("first import: %+v", c1)
		}
		c2, _ := e.run(t, f)
		if c2.ActivitiesAdded != 0 || c2.ActivitiesSkippedExisting != 3 || c2.MembersAdded != 0 || c2.IdentitiesAdded != 0 {
			t.Fatalf("second import added something: %+v", c2)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM activity`); n != 3 {
			t.Fatalf("activities = %d, want 3", n)
		}
		// The reply is linked to its parent and to the parent's author.
		if n := e.count(t, `SELECT COUNT(*) FROM activity r JOIN activity p ON p.source_id = r.source_id AND p.external_id = r.parent_external_id
			WHERE r.external_id = 'C1/3' AND p.external_id = 'C1/1' AND r.object_member_id = p.member_id`); n != 1 {
			t.Fatalf("reply not linked to its parent")
		}
		var first, last int64
		e.st.DB().Read.QueryRow(`SELECT m.first_active_at, m.last_active_at FROM member m JOIN identity i ON i.member_id = m.id
			WHERE i.value = 'U2'`).Scan(&first, &last)
		if first != t0.Add(time.Minute).UnixMilli() || last != t0.Add(5*time.Minute).UnixMilli() {
			t.Fatalf("member span = %d..%d", first, last)
		}
	})
}

func TestWriter_DamagedFileLeavesNothing(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := fakeFormat{platform: coterie.PlatformSlack, files: []fakeFile{
			{name: "good1.json", activities: []ingest.Activity{msg("C1/1", "U1", 0)}},
			{name: "bad.json", activities: []ingest.Activity{msg("C1/2", "U9", 1), msg("C1/3", "U1", 2)},
				err: &ingest.FileError{File: "bad.json", Position: "offset 17", Message: "unexpected end of JSON input"}},
			{name: "good2.json", activities: []ingest.Activity{msg("C1/4", "U1", 3)}},
		}}
		counts, res := e.run(t, f)
		if res.Files != 2 || len(res.Errors) != 1 || res.Errors[0].File != "bad.json" || res.Errors[0].Position != "offset 17" {
			t.Fatalf("result = %+v", res)
		}
		if counts.ActivitiesAdded != 2 || counts.MembersAdded != 1 {
			t.Fatalf("counts = %+v", counts)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM activity WHERE external_id IN ('C1/2', 'C1/3')`); n != 0 {
			t.Fatalf("%d activities of the damaged file were kept", n)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM identity WHERE value = 'U9'`); n != 0 {
			t.Fatalf("the damaged file's new member was kept")
		}
	})
}

func TestWriter_VerifiedEmailJoinsPlatforms(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.run(t, fakeFormat{platform: coterie.PlatformSlack, files: []fakeFile{{name: "users.json",
			people:     []ingest.Person{{ID: "U1", Username: "jane", DisplayName: "Jane Doe", Email: "Jane.Doe+slack@googlemail.com", EmailVerified: true}},
			activities: []ingest.Activity{msg("C1/1", "U1", 0)}}}})
		// The same mailbox, verified, on another platform: the same member.
		e.run(t, fakeFormat{platform: coterie.PlatformCSV, files: []fakeFile{{name: "fb.csv",
			activities: []ingest.Activity{{ExternalID: "fb1", Kind: coterie.KindComment, OccurredAt: t0,
				Author: ingest.Person{ID: "fb-77", DisplayName: "Jane D.", Email: "janedoe@gmail.com", EmailVerified: true}}}}}})
		// An unverified match is not enough.
		e.run(t, fakeFormat{platform: coterie.PlatformDiscord, files: []fakeFile{{name: "d.json",
			activities: []ingest.Activity{{ExternalID: "d1", Kind: coterie.KindMessage, OccurredAt: t0,
				Author: ingest.Person{ID: "999", DisplayName: "Jane Doe", Email: "janedoe@gmail.com"}}}}}})
		if n := e.count(t, `SELECT COUNT(*) FROM member`); n != 2 {
			t.Fatalf("members = %d, want 2 (Slack+CSV merged, Discord apart)", n)
		}
		if n := e.count(t, `SELECT COUNT(DISTINCT member_id) FROM activity WHERE external_id IN ('C1/1', 'fb1')`); n != 1 {
			t.Fatalf("Slack and CSV activities belong to %d members, want 1", n)
		}
		sg, err := e.st.Suggestions(context.Background(), e.ws.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(sg) != 1 || sg[0].Score < 0.6 {
			t.Fatalf("suggestions = %+v, want the Discord Jane paired with the merged Jane", sg)
		}
	})
}

func TestStore_MergeUnmergeExact(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		e.run(t, fakeFormat{platform: coterie.PlatformSlack, files: []fakeFile{{name: "a", activities: []ingest.Activity{
			msg("C1/1", "U1", 0), msg("C1/2", "U2", 10), msg("C1/3", "U2", 20),
			{ExternalID: "C1/1/reaction/U2/+1", Kind: coterie.KindReaction, ChannelID: "C1", OccurredAt: t0.Add(30 * time.Minute),
				Author: ingest.Person{ID: "U2"}, ParentID: "C1/1", ObjectAuthorID: "U1"},
		}}}})
		before := snapshot(t, e)
		var m1, m2 coterie.ID
		d.Read.QueryRow(`SELECT member_id FROM identity WHERE value = 'U1'`).Scan(&m1)
		d.Read.QueryRow(`SELECT member_id FROM identity WHERE value = 'U2'`).Scan(&m2)
		mid, err := e.st.Merge(ctx, e.ws.ID, m1, m2)
		if err != nil {
			t.Fatal(err)
		}
		if n := e.count(t, `SELECT COUNT(DISTINCT member_id) FROM activity`); n != 1 {
			t.Fatalf("after merge, activities belong to %d members", n)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM activity WHERE object_member_id = $1`, m1); n != 1 {
			t.Fatalf("object member not rewritten")
		}
		if _, err := e.st.Merge(ctx, e.ws.ID, m1, m2); coterie.ErrorCode(err) != coterie.ECONFLICT {
			t.Fatalf("merging a merged member again: %v", err)
		}
		if err := e.st.Unmerge(ctx, e.ws.ID, mid); err != nil {
			t.Fatal(err)
		}
		if after := snapshot(t, e); after != before {
			t.Fatalf("unmerge is not exact:\nbefore %s\nafter  %s", before, after)
		}
		if err := e.st.Unmerge(ctx, e.ws.ID, mid); coterie.ErrorCode(err) != coterie.ECONFLICT {
			t.Fatalf("second unmerge: %v", err)
		}
		if err := e.st.NoMerge(ctx, e.ws.ID, m2, m1); err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.Merge(ctx, e.ws.ID, m1, m2); coterie.ErrorCode(err) != coterie.ECONFLICT {
			t.Fatalf("merge of a no-merge pair: %v", err)
		}
		if _, err := e.st.Merge(ctx, e.ws.ID, m1, 424242); coterie.ErrorCode(err) != coterie.ENOTFOUND {
			t.Fatalf("merge with a missing member: %v", err)
		}
	})
}

func TestStore_EraseIsFinal(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		f := fakeFormat{platform: coterie.PlatformSlack, files: []fakeFile{{name: "a",
			people: []ingest.Person{{ID: "U2", Email: "gone@example.org", EmailVerified: true}},
			activities: []ingest.Activity{msg("C1/1", "U1", 0), msg("C1/2", "U2", 10),
				{ExternalID: "C1/1/reaction/U2/+1", Kind: coterie.KindReaction, ChannelID: "C1", OccurredAt: t0.Add(30 * time.Minute),
					Author: ingest.Person{ID: "U2"}, ParentID: "C1/1", ObjectAuthorID: "U1"},
				{ExternalID: "C1/3", Kind: coterie.KindReply, ChannelID: "C1", OccurredAt: t0.Add(40 * time.Minute),
					Author: ingest.Person{ID: "U1"}, ParentID: "C1/2", ObjectAuthorID: "U2"}}}}}
		e.run(t, f)
		var m2 coterie.ID
		d.Read.QueryRow(`SELECT member_id FROM identity WHERE value = 'U2'`).Scan(&m2)
		res, err := e.st.Erase(ctx, e.ws.ID, m2)
		if err != nil {
			t.Fatal(err)
		}
		if res.Activities != 2 || res.Identities != 2 || res.Members != 1 {
			t.Fatalf("erase = %+v", res)
		}
		counts, _ := e.run(t, f)
		if counts.ActivitiesAdded != 0 || counts.MembersAdded != 0 || counts.ActivitiesSkippedErased != 2 {
			t.Fatalf("re-import after erasure: %+v", counts)
		}
		// Another platform with the same verified e-mail stays erased too.
		counts, _ = e.run(t, fakeFormat{platform: coterie.PlatformCSV, files: []fakeFile{{name: "b", activities: []ingest.Activity{
			{ExternalID: "x", Kind: coterie.KindComment, OccurredAt: t0, Author: ingest.Person{ID: "fb1", Email: "GONE@example.org", EmailVerified: true}}}}}})
		if counts.ActivitiesAdded != 0 || counts.ActivitiesSkippedErased != 1 {
			t.Fatalf("erased person came back through another platform: %+v", counts)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM activity WHERE object_member_id = $1 OR member_id = $1`, m2); n != 0 {
			t.Fatalf("%d activities still point at the erased member", n)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM activity`); n != 2 {
			t.Fatalf("activities left = %d, want 2 (U1's message and reply)", n)
		}
	})
}

// snapshot renders members, identities and the "who" of activities by
// natural keys, so two states compare independent of surrogate ids.
func snapshot(t *testing.T, e env) string {
	t.Helper()
	rows, err := e.st.DB().Read.Query(`SELECT a.external_id, COALESCE(i.value, ''), COALESCE(oi.value, ''),
		m.display_name, m.first_active_at, m.last_active_at, COALESCE(m.merged_into, 0)
		FROM activity a JOIN member m ON m.id = a.member_id JOIN identity i ON i.member_id = m.id AND i.kind = 'user_id'
		LEFT JOIN member om ON om.id = a.object_member_id LEFT JOIN identity oi ON oi.member_id = om.id AND oi.kind = 'user_id'
		ORDER BY a.external_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := ""
	for rows.Next() {
		var ext, who, obj, name string
		var first, last, merged int64
		if err := rows.Scan(&ext, &who, &obj, &name, &first, &last, &merged); err != nil {
			t.Fatal(err)
		}
		out += ext + ":" + who + ">" + obj + ":" + name + ":" + time.UnixMilli(first).String() + ":" + time.UnixMilli(last).String() + ";"
	}
	return out
}

func TestWriter_AutoMergeOnLaterVerifiedEmail(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		// Slack knows U1 without an e-mail; a CSV knows fb1 with a verified one.
		e.run(t, fakeFormat{platform: coterie.PlatformSlack, files: []fakeFile{{name: "a", activities: []ingest.Activity{msg("C1/1", "U1", 0)}}}})
		e.run(t, fakeFormat{platform: coterie.PlatformCSV, files: []fakeFile{{name: "b", activities: []ingest.Activity{
			{ExternalID: "x", Kind: coterie.KindComment, OccurredAt: t0.Add(-time.Hour), Author: ingest.Person{ID: "fb1", Email: "a@b.org", EmailVerified: true}}}}}})
		// Then Slack's users.json gives U1 that verified e-mail: one person.
		e.run(t, fakeFormat{platform: coterie.PlatformSlack, files: []fakeFile{{name: "c",
			activities: []ingest.Activity{msg("C1/2", "U1", 5)},
			people:     []ingest.Person{{ID: "U1", Email: "A@b.org", EmailVerified: true}}}}})
		if n := e.count(t, `SELECT COUNT(*) FROM member WHERE merged_into IS NULL`); n != 1 {
			t.Fatalf("live members = %d, want 1", n)
		}
		if n := e.count(t, `SELECT COUNT(DISTINCT member_id) FROM activity`); n != 1 {
			t.Fatalf("activities belong to %d members, want 1", n)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM merge_action WHERE reason LIKE 'automatic%'`); n != 1 {
			t.Fatalf("automatic merges recorded = %d, want 1", n)
		}
		var first int64
		d.Read.QueryRow(`SELECT first_active_at FROM member WHERE merged_into IS NULL`).Scan(&first)
		if first != t0.Add(-time.Hour).UnixMilli() {
			t.Fatalf("merged member's first activity = %d", first)
		}
	})
}

func TestWriter_BulkModeRebuildsMemberIndex(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		defer community.SetBulkAfter(3)()
		e := newEnv(t, d)
		var files []fakeFile
		for f := 0; f < 4; f++ {
			var acts []ingest.Activity
			for i := 0; i < 3; i++ {
				acts = append(acts, msg(fmt.Sprintf("C1/%d.%d", f, i), fmt.Sprintf("U%d", i), f*10+i))
			}
			files = append(files, fakeFile{name: fmt.Sprint(f), activities: acts})
		}
		// A small commit interval makes the writer commit, and so consider
		// bulk mode, between files.
		ctx := context.Background()
		src, _ := e.st.EnsureSource(ctx, e.comm, coterie.PlatformSlack, "slack")
		w, err := e.st.NewWriter(ctx, e.comm, src)
		if err != nil {
			t.Fatal(err)
		}
		w.SetCommitInterval(0)
		if _, err := ingest.Run(ctx, fakeFormat{platform: coterie.PlatformSlack, files: files}, "x", w, nil); err != nil {
			t.Fatal(err)
		}
		if !w.Bulk() {
			t.Fatalf("the import did not switch to bulk mode")
		}
		if _, err := w.Finish(ctx); err != nil {
			t.Fatal(err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM activity`); n != 12 {
			t.Fatalf("activities = %d, want 12", n)
		}
		idx := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'activity_member_time'`
		if d.Engine == db.Postgres {
			idx = `SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'activity_member_time' AND schemaname = current_schema()`
		}
		if n := e.count(t, idx); n != 1 {
			t.Fatalf("member index present %d times after the import, want 1", n)
		}
		var first int64
		d.Read.QueryRow(`SELECT m.first_active_at FROM member m JOIN identity i ON i.member_id = m.id WHERE i.value = 'U2'`).Scan(&first)
		if first != t0.Add(2*time.Minute).UnixMilli() {
			t.Fatalf("U2 first active %d", first)
		}
	})
}

func TestWriter_ProfilesSharingAVerifiedEmail(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		// Two accounts of one export with one verified mailbox are one
		// person; a third is someone else.
		e.run(t, fakeFormat{platform: coterie.PlatformSlack, files: []fakeFile{{name: "users.json",
			people: []ingest.Person{
				{ID: "U1", DisplayName: "Ana", Email: "ana@example.org", EmailVerified: true},
				{ID: "U2", DisplayName: "Ana (work)", Email: "ANA@example.org", EmailVerified: true},
				{ID: "U3", DisplayName: "Ben", Email: "ben@example.org", EmailVerified: true},
			},
			activities: []ingest.Activity{msg("C1/1", "U1", 0), msg("C1/2", "U2", 1), msg("C1/3", "U3", 2)}}}})
		if n := e.count(t, `SELECT COUNT(*) FROM member WHERE merged_into IS NULL`); n != 2 {
			t.Fatalf("members = %d, want 2", n)
		}
		if n := e.count(t, `SELECT COUNT(DISTINCT member_id) FROM activity WHERE external_id IN ('C1/1', 'C1/2')`); n != 1 {
			t.Fatalf("U1 and U2's messages belong to %d members, want 1", n)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM identity WHERE kind = 'user_id'`); n != 3 {
			t.Fatalf("account identities = %d, want 3", n)
		}
	})
}
