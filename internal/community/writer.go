package community

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/db"
	"github.com/coteriehq/coterie/internal/ingest"
)

// ImportCounts is what one import added.
type ImportCounts struct {
	ActivitiesAdded           int
	ActivitiesSkippedExisting int
	ActivitiesSkippedErased   int
	MembersAdded              int
	IdentitiesAdded           int
	ChannelsAdded             int
}

// Writer writes one import's records into a source, in transactions that
// hold whole files: each file is written under a savepoint and either kept
// whole or rolled back whole, and a transaction is committed only between
// files. A crash therefore never leaves part of a file, and re-running the
// import (activities are keyed by (source_id, external_id)) completes it.
type Writer struct {
	store   *Store
	comm    *coterie.Community
	src     *coterie.Source
	conn    *sql.Conn
	release func()
	inTx    bool
	// commitEvery bounds how long a transaction stays open (see
	// SetCommitInterval).
	commitEvery time.Duration

	// caches, valid inside the current transaction; cleared when a file is
	// rolled back, since its rows are gone.
	channels map[string]coterie.ID
	// declared holds the last declaration stored per channel: exports that
	// repeat a channel's declaration in every file (Slack channels missing
	// from channels.json) then cost no statement after the first.
	declared map[string]ingest.Channel
	actors   map[string]actor
	erased   map[string]bool
	// idents indexes the workspace's verified identities this source can
	// meet; fileIdents lists those stored by the current file.
	idents     map[string]identRef
	fileIdents []string
	fileMerged bool

	// done holds rows of files already complete, cur those of the file
	// being read; a damaged file drops cur and nothing else.
	done, cur []activityRow
	maxBatch  int
	// savepoint says whether the current file has written to the database
	// (and so opened a savepoint to roll back to).
	savepoint    bool
	rowsSinceTx  int
	lastCommit   time.Time
	counts       ImportCounts
	fileCounts   ImportCounts
	memberSpan   map[coterie.ID]*span
	sqliteStmts  map[int]driver.Stmt // multi-row inserts by row count, on the driver connection
	stmts        map[string]*sql.Stmt
	stageCreated bool
	// sourceWasEmpty says the source had no activity when the import began:
	// then no key of a batch can be stored yet unless this import stored it
	// (a key repeated in the export), which the copy's unique index catches.
	sourceWasEmpty bool
	// written counts rows this import inserted; tableRows is about how many
	// the table held when it began; bulk says the member index is dropped
	// until Finish (see maybeBulk).
	written, tableRows int64
	bulk               bool
	// people are profiles waiting to be stored together (see flushPeople).
	people []ingest.Person
}

// memberIndex is the member index of the activity table, as the migration
// creates it. A large import drops it and builds it again at the end.
const memberIndex = `CREATE INDEX IF NOT EXISTS activity_member_time ON activity (member_id, occurred_at)`

// bulkAfter rows into an import, when the import has also written
// more rows than the table held before it, the member index goes until the
// import ends. Its entries land at random places (members interleave), so
// keeping it costs a page write per row once the index outgrows the cache,
// and the import slows as the table grows; building it once at the end is a
// sort, linear in practice.
var bulkAfter int64 = 2000000

type actor struct {
	memberID   coterie.ID
	identityID coterie.ID
	erased     bool
	profiled   bool // a full Person record was applied in this import
}

type span struct {
	first, last, joined int64
}

type activityRow struct {
	channelID                     sql.NullInt64
	externalID, kind              string
	occurredAt                    int64
	memberID, identityID          sql.NullInt64
	objectMemberID, objectIdentID sql.NullInt64
	parentExt, rootExt            sql.NullString
	body, url, attachments, attrs string
	isEdited                      int
}

var activityColumns = []string{
	"workspace_id", "community_id", "source_id", "channel_id", "external_id", "kind", "occurred_at",
	"member_id", "identity_id", "object_member_id", "object_identity_id",
	"parent_external_id", "thread_root_external_id", "body", "url", "attachments_json", "attributes_json", "is_edited",
}

// A transaction is committed between files once it holds commitRows rows or
// is commitEvery old. Large transactions matter on SQLite: rows of one batch
// land on pages all over the member index, and every page a transaction
// touched is written to the WAL once per commit, so small commits multiply
// the writes.
const (
	commitRows         = 500000
	defaultCommitEvery = 10 * time.Second
)

// sqliteRowsPerStmt rows go into one multi-row INSERT on SQLite: large
// enough to amortise the statement, small enough to stay under SQLite's
// parameter limit.
const sqliteRowsPerStmt = 200

// NewWriter starts an import into src.
func (s *Store) NewWriter(ctx context.Context, c *coterie.Community, src *coterie.Source) (*Writer, error) {
	conn, release, err := s.db.Dedicated(ctx)
	if err != nil {
		return nil, fmt.Errorf("import: connect: %w", err)
	}
	w := &Writer{
		store: s, comm: c, src: src, conn: conn, release: release, commitEvery: defaultCommitEvery,
		channels: map[string]coterie.ID{}, declared: map[string]ingest.Channel{}, actors: map[string]actor{}, erased: map[string]bool{}, idents: map[string]identRef{},
		memberSpan: map[coterie.ID]*span{}, sqliteStmts: map[int]driver.Stmt{}, stmts: map[string]*sql.Stmt{},
		maxBatch: 2000,
	}
	if s.db.Engine == db.Postgres {
		w.maxBatch = 10000
	}
	rows, err := conn.QueryContext(ctx, `/* Community.NewWriter */
		SELECT platform, kind, value_normalized FROM erasure WHERE workspace_id = $1`, c.WorkspaceID)
	if err != nil {
		release()
		return nil, fmt.Errorf("import: read erasures: %w", err)
	}
	for rows.Next() {
		var p, k, v string
		if err := rows.Scan(&p, &k, &v); err != nil {
			rows.Close()
			release()
			return nil, err
		}
		w.erased[p+"\x00"+k+"\x00"+v] = true
	}
	rows.Close()
	if err := w.loadIdentities(ctx); err != nil {
		release()
		return nil, err
	}
	var any int
	err = conn.QueryRowContext(ctx, `/* Community.NewWriter */ SELECT COUNT(*) FROM (SELECT 1 FROM activity WHERE source_id = $1 LIMIT 1) x`, src.ID).Scan(&any)
	if err != nil {
		release()
		return nil, fmt.Errorf("import: read source: %w", err)
	}
	w.sourceWasEmpty = any == 0
	// An import killed in bulk mode left the index out: put it back.
	if _, err := conn.ExecContext(ctx, memberIndex); err != nil {
		release()
		return nil, fmt.Errorf("import: member index: %w", err)
	}
	if err := conn.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM activity`).Scan(&w.tableRows); err != nil {
		release()
		return nil, fmt.Errorf("import: read activity: %w", err)
	}
	return w, nil
}

func (w *Writer) isPG() bool { return w.store.db.Engine == db.Postgres }

func (w *Writer) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return w.conn.ExecContext(ctx, q, args...)
}

// prepared returns q prepared on the writer's connection, once: the
// per-person and per-channel statements run thousands of times an import.
func (w *Writer) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := w.stmts[q]; ok {
		return st, nil
	}
	st, err := w.conn.PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("import: prepare: %w", err)
	}
	w.stmts[q] = st
	return st, nil
}

// execP runs a statement through the prepared-statement cache.
func (w *Writer) execP(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := w.prepared(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// queryRowP runs a one-row query through the prepared-statement cache.
func (w *Writer) queryRowP(ctx context.Context, q string, args []any, dest ...any) error {
	st, err := w.prepared(ctx, q)
	if err != nil {
		return err
	}
	return st.QueryRowContext(ctx, args...).Scan(dest...)
}

func (w *Writer) begin(ctx context.Context) error {
	if w.inTx {
		return nil
	}
	q := "BEGIN"
	if !w.isPG() {
		q = "BEGIN IMMEDIATE"
	}
	if _, err := w.exec(ctx, q); err != nil {
		return fmt.Errorf("import: begin: %w", err)
	}
	w.inTx = true
	w.lastCommit = time.Now()
	return nil
}

func (w *Writer) commit(ctx context.Context) error {
	if !w.inTx {
		return nil
	}
	w.inTx = false
	if _, err := w.exec(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("import: commit: %w", err)
	}
	w.rowsSinceTx = 0
	return nil
}

// BeginFile opens a file unit. Rows of earlier files are written first
// when enough have gathered, so they never sit inside this file's savepoint.
func (w *Writer) BeginFile(ctx context.Context) error {
	if err := w.begin(ctx); err != nil {
		return err
	}
	w.fileCounts = ImportCounts{}
	w.savepoint = false
	if len(w.done) >= w.maxBatch {
		return w.flushDone(ctx)
	}
	return nil
}

// beforeWrite opens the current file's savepoint before its first write.
// Most small files write nothing but activity rows, which wait in memory, so
// they never need one.
func (w *Writer) beforeWrite(ctx context.Context) error {
	if w.savepoint {
		return nil
	}
	if err := w.begin(ctx); err != nil {
		return err
	}
	if _, err := w.exec(ctx, "SAVEPOINT file_unit"); err != nil {
		return fmt.Errorf("import: savepoint: %w", err)
	}
	w.savepoint = true
	return nil
}

// EndFile closes a file unit: kept when ok, rolled back otherwise. Between
// files the transaction is committed once it holds enough rows.
func (w *Writer) EndFile(ctx context.Context, ok bool) error {
	if !ok {
		w.people = nil
	} else if err := w.flushPeople(ctx); err != nil {
		return err
	}
	if ok {
		if w.savepoint {
			if _, err := w.exec(ctx, "RELEASE SAVEPOINT file_unit"); err != nil {
				return fmt.Errorf("import: release savepoint: %w", err)
			}
		}
		w.done = append(w.done, w.cur...)
		addCounts(&w.counts, w.fileCounts)
	} else if w.savepoint {
		if _, err := w.exec(ctx, "ROLLBACK TO SAVEPOINT file_unit"); err != nil {
			return fmt.Errorf("import: rollback file: %w", err)
		}
		if _, err := w.exec(ctx, "RELEASE SAVEPOINT file_unit"); err != nil {
			return fmt.Errorf("import: release savepoint: %w", err)
		}
		// Rows made in this file are gone; so must be what points at them.
		w.channels = map[string]coterie.ID{}
		w.declared = map[string]ingest.Channel{}
		w.actors = map[string]actor{}
		if len(w.fileIdents) > 0 || w.fileMerged {
			// The index holds identities the file stored, or moved by a
			// merge: read it again from what the database kept.
			w.idents = map[string]identRef{}
			if err := w.loadIdentities(ctx); err != nil {
				return err
			}
		}
	}
	w.fileIdents = w.fileIdents[:0]
	w.fileMerged = false
	w.cur = w.cur[:0]
	w.savepoint = false
	w.fileCounts = ImportCounts{}
	if w.rowsSinceTx+len(w.done) >= commitRows || time.Since(w.lastCommit) > w.commitEvery {
		if err := w.flushDone(ctx); err != nil {
			return err
		}
		if err := w.maybeBulk(ctx); err != nil {
			return err
		}
		return w.commit(ctx)
	}
	return nil
}

// buildMemberIndex builds the member index dropped by bulk mode. On SQLite
// the sort behind it goes to temporary files: kept in memory, as the
// connection's other temporary data is, it would take as much memory as the
// index itself.
func (w *Writer) buildMemberIndex(ctx context.Context) error {
	if !w.isPG() {
		// The sorter keeps runs of about the page cache's size in memory:
		// a smaller cache for the build bounds it.
		if _, err := w.exec(ctx, `PRAGMA temp_store = FILE`); err != nil {
			return fmt.Errorf("import: build member index: %w", err)
		}
		if _, err := w.exec(ctx, `PRAGMA cache_size = -16384`); err != nil {
			return fmt.Errorf("import: build member index: %w", err)
		}
		defer w.exec(ctx, `PRAGMA temp_store = MEMORY`)
		defer w.exec(ctx, `PRAGMA cache_size = -65536`)
	}
	if _, err := w.exec(ctx, memberIndex); err != nil {
		return fmt.Errorf("import: build member index: %w", err)
	}
	return nil
}

// Bulk reports whether the import dropped the member index to rebuild it
// at Finish (large imports).
func (w *Writer) Bulk() bool { return w.bulk }

// maybeBulk drops the member index once a large import has made
// it the bottleneck (see bulkAfter). It runs between files, and the commit
// that follows it releases the table lock PostgreSQL takes to drop an index.
func (w *Writer) maybeBulk(ctx context.Context) error {
	if w.bulk || w.written < bulkAfter || w.written <= w.tableRows {
		return nil
	}
	if _, err := w.exec(ctx, `DROP INDEX IF EXISTS activity_member_time`); err != nil {
		return fmt.Errorf("import: drop member index: %w", err)
	}
	w.bulk = true
	return nil
}

func addCounts(to *ImportCounts, c ImportCounts) {
	to.ActivitiesAdded += c.ActivitiesAdded
	to.ActivitiesSkippedExisting += c.ActivitiesSkippedExisting
	to.ActivitiesSkippedErased += c.ActivitiesSkippedErased
	to.MembersAdded += c.MembersAdded
	to.IdentitiesAdded += c.IdentitiesAdded
	to.ChannelsAdded += c.ChannelsAdded
}

// Channel records a channel of the source.
func (w *Writer) Channel(ctx context.Context, ch ingest.Channel) error {
	if err := w.flushPeople(ctx); err != nil {
		return err
	}
	_, err := w.ensureChannel(ctx, ch, true)
	return err
}

func (w *Writer) ensureChannel(ctx context.Context, ch ingest.Channel, declared bool) (coterie.ID, error) {
	if id, ok := w.channels[ch.ExternalID]; ok && (!declared || w.declared[ch.ExternalID] == ch) {
		return id, nil
	}
	if err := w.beforeWrite(ctx); err != nil {
		return 0, err
	}
	name := ch.Name
	if name == "" {
		name = ch.ExternalID
	}
	kind := ch.Kind
	if kind == "" {
		kind = "channel"
	}
	res, err := w.execP(ctx, `/* Community.EnsureChannel */
		INSERT INTO channel (workspace_id, source_id, external_id, name, kind, is_archived)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (source_id, external_id) DO NOTHING`,
		w.comm.WorkspaceID, w.src.ID, ch.ExternalID, name, kind, boolInt(ch.IsArchived))
	if err != nil {
		return 0, fmt.Errorf("import: channel %q: %w", ch.ExternalID, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		w.fileCounts.ChannelsAdded++
	} else if declared {
		// A declaration carries the channel's real name and state; an
		// earlier sighting in a message may have stored only its id.
		if _, err := w.exec(ctx, `/* Community.EnsureChannel */
			UPDATE channel SET name = $3, kind = $4, is_archived = $5
			WHERE source_id = $1 AND external_id = $2 AND (name <> $3 OR kind <> $4 OR is_archived <> $5)`,
			w.src.ID, ch.ExternalID, name, kind, boolInt(ch.IsArchived)); err != nil {
			return 0, fmt.Errorf("import: channel %q: %w", ch.ExternalID, err)
		}
	}
	var id coterie.ID
	if err := w.queryRowP(ctx, `/* Community.EnsureChannel */
		SELECT id FROM channel WHERE source_id = $1 AND external_id = $2`, []any{w.src.ID, ch.ExternalID}, &id); err != nil {
		return 0, fmt.Errorf("import: channel %q: %w", ch.ExternalID, err)
	}
	w.channels[ch.ExternalID] = id
	if declared {
		w.declared[ch.ExternalID] = ch
	}
	return id, nil
}

// Person records an account seen on the platform with its full profile.
func (w *Writer) Person(ctx context.Context, p ingest.Person) error {
	if p.ID == "" {
		return nil
	}
	if !w.isPG() {
		return w.queuePerson(ctx, p)
	}
	// On PostgreSQL a new member already takes one round trip (createMemberPG).
	_, err := w.resolve(ctx, p, true)
	return err
}

// Activity records one activity; it is written with the next flush.
func (w *Writer) Activity(ctx context.Context, a *ingest.Activity, enc ingest.Encoded) error {
	if len(w.people) > 0 {
		if err := w.flushPeople(ctx); err != nil {
			return err
		}
	}
	row := activityRow{
		externalID: a.ExternalID, kind: string(a.Kind), occurredAt: a.OccurredAt.UnixMilli(),
		body: a.Body, url: a.URL, isEdited: boolInt(a.IsEdited),
		attachments: enc.Attachments, attrs: enc.Attributes,
	}
	if a.ChannelID != "" {
		id, err := w.ensureChannel(ctx, ingest.Channel{ExternalID: a.ChannelID}, false)
		if err != nil {
			return err
		}
		row.channelID = sql.NullInt64{Int64: id, Valid: true}
	}
	if a.Author.ID != "" {
		act, err := w.resolve(ctx, a.Author, false)
		if err != nil {
			return err
		}
		if act.erased {
			w.fileCounts.ActivitiesSkippedErased++
			return nil
		}
		row.memberID = sql.NullInt64{Int64: act.memberID, Valid: true}
		row.identityID = sql.NullInt64{Int64: act.identityID, Valid: true}
		w.touch(act.memberID, row.occurredAt, a.Kind == coterie.KindJoin)
	}
	if a.ObjectAuthorID != "" {
		obj, err := w.resolve(ctx, ingest.Person{ID: a.ObjectAuthorID}, false)
		if err != nil {
			return err
		}
		if !obj.erased {
			row.objectMemberID = sql.NullInt64{Int64: obj.memberID, Valid: true}
			row.objectIdentID = sql.NullInt64{Int64: obj.identityID, Valid: true}
		}
	}
	if a.ParentID != "" {
		row.parentExt = sql.NullString{String: a.ParentID, Valid: true}
	}
	if a.ThreadRootID != "" {
		row.rootExt = sql.NullString{String: a.ThreadRootID, Valid: true}
	}
	w.cur = append(w.cur, row)
	if len(w.cur) >= w.maxBatch { // a large file: write it as it comes
		if err := w.beforeWrite(ctx); err != nil {
			return err
		}
		added, err := w.write(ctx, w.cur)
		if err != nil {
			return err
		}
		w.fileCounts.ActivitiesAdded += added
		w.fileCounts.ActivitiesSkippedExisting += len(w.cur) - added
		w.cur = w.cur[:0]
	}
	return nil
}

func (w *Writer) touch(member coterie.ID, at int64, join bool) {
	sp := w.memberSpan[member]
	if sp == nil {
		sp = &span{first: at, last: at}
		w.memberSpan[member] = sp
	}
	if at < sp.first {
		sp.first = at
	}
	if at > sp.last {
		sp.last = at
	}
	if join && (sp.joined == 0 || at < sp.joined) {
		sp.joined = at
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// flushDone writes the rows of complete files; it runs between files.
func (w *Writer) flushDone(ctx context.Context) error {
	if len(w.done) == 0 {
		return nil
	}
	if err := w.begin(ctx); err != nil {
		return err
	}
	added, err := w.write(ctx, w.done)
	if err != nil {
		return err
	}
	w.counts.ActivitiesAdded += added
	w.counts.ActivitiesSkippedExisting += len(w.done) - added
	w.done = w.done[:0]
	return nil
}

// write inserts rows, skipping those already stored, and returns how many
// were new.
func (w *Writer) write(ctx context.Context, rows []activityRow) (int, error) {
	var added int64
	var err error
	if w.isPG() {
		added, err = w.writePostgres(ctx, rows)
	} else {
		added, err = w.writeSQLite(ctx, rows)
	}
	if err != nil {
		return 0, err
	}
	w.rowsSinceTx += len(rows)
	w.written += added
	return int(added), nil
}

// sqliteInsert is a multi-row INSERT of n activities. The workspace,
// community and source are the same for every row of a writer, so they are
// written into the statement rather than bound: three fewer parameters a
// row. They are integers read from the database, never user text.
func sqliteInsert(n int, workspaceID, communityID, sourceID coterie.ID) string {
	var b strings.Builder
	b.WriteString("/* Community.ImportActivities */ INSERT INTO activity (")
	b.WriteString(strings.Join(activityColumns, ", "))
	b.WriteString(") VALUES ")
	row := fmt.Sprintf("(%d,%d,%d%s)", workspaceID, communityID, sourceID, strings.Repeat(",?", len(activityColumns)-3))
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		// Anonymous "?": the driver looks up numbered parameters by
		// name, which is quadratic in their count.
		b.WriteString(row)
	}
	b.WriteString(" ON CONFLICT (source_id, external_id) DO NOTHING")
	return b.String()
}

func (w *Writer) rowArgs(dst []any, r *activityRow) []any {
	return append(dst, w.comm.WorkspaceID, w.comm.ID, w.src.ID, r.channelID, r.externalID, r.kind, r.occurredAt,
		r.memberID, r.identityID, r.objectMemberID, r.objectIdentID, r.parentExt, r.rootExt,
		r.body, r.url, r.attachments, r.attrs, r.isEdited)
}

func nullInt(v sql.NullInt64) any {
	if v.Valid {
		return v.Int64
	}
	return nil
}

func nullString(v sql.NullString) any {
	if v.Valid {
		return v.String
	}
	return nil
}

// writeSQLite inserts rows with multi-row statements prepared on the driver
// connection itself: database/sql's per-argument conversion would cost more
// than the insert's own binding at millions of arguments an import.
func (w *Writer) writeSQLite(ctx context.Context, batch []activityRow) (int64, error) {
	var added int64
	err := w.conn.Raw(func(dc any) error {
		prep, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return fmt.Errorf("import: the SQLite driver cannot prepare statements")
		}
		args := make([]driver.NamedValue, 0, sqliteRowsPerStmt*(len(activityColumns)-3))
		for start := 0; start < len(batch); start += sqliteRowsPerStmt {
			end := min(start+sqliteRowsPerStmt, len(batch))
			n := end - start
			st, ok := w.sqliteStmts[n]
			if !ok {
				var err error
				if st, err = prep.PrepareContext(ctx, sqliteInsert(n, w.comm.WorkspaceID, w.comm.ID, w.src.ID)); err != nil {
					return fmt.Errorf("import: prepare insert: %w", err)
				}
				w.sqliteStmts[n] = st
			}
			args = args[:0]
			for i := start; i < end; i++ {
				r := &batch[i]
				for _, v := range [...]any{nullInt(r.channelID), r.externalID, r.kind,
					r.occurredAt, nullInt(r.memberID), nullInt(r.identityID), nullInt(r.objectMemberID), nullInt(r.objectIdentID),
					nullString(r.parentExt), nullString(r.rootExt), r.body, r.url, r.attachments, r.attrs, int64(r.isEdited)} {
					args = append(args, driver.NamedValue{Ordinal: len(args) + 1, Value: v})
				}
			}
			res, err := st.(driver.StmtExecContext).ExecContext(ctx, args)
			if err != nil {
				return fmt.Errorf("import: insert activities: %w", err)
			}
			k, _ := res.RowsAffected()
			added += k
		}
		return nil
	})
	return added, err
}

// writePostgres copies rows straight into the activity table: it asks
// which of the batch's keys are stored already and copies only the others,
// which is far cheaper than INSERT ... ON CONFLICT row by row. Should another
// writer store one of them in between, the copy fails as a whole, is rolled
// back to its savepoint, and the batch goes through a staging table and
// INSERT ... ON CONFLICT DO NOTHING instead.
func (w *Writer) writePostgres(ctx context.Context, batch []activityRow) (int64, error) {
	ids := make([]string, 0, len(batch))
	seen := make(map[string]bool, len(batch))
	fresh := make([][]any, 0, len(batch))
	if !w.sourceWasEmpty {
		for i := range batch {
			ids = append(ids, batch[i].externalID)
		}
		rows, err := w.conn.QueryContext(ctx, `/* Community.ImportActivities */
			SELECT external_id FROM activity WHERE source_id = $1 AND external_id = ANY($2)`, w.src.ID, ids)
		if err != nil {
			return 0, fmt.Errorf("import: look up activities: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return 0, err
			}
			seen[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("import: look up activities: %w", err)
		}
	}
	for i := range batch {
		if seen[batch[i].externalID] {
			continue
		}
		seen[batch[i].externalID] = true // a key twice in one export counts once
		fresh = append(fresh, w.rowArgs(make([]any, 0, len(activityColumns)), &batch[i]))
	}
	if len(fresh) == 0 {
		return 0, nil
	}
	if _, err := w.exec(ctx, "SAVEPOINT bulk_copy"); err != nil {
		return 0, fmt.Errorf("import: savepoint: %w", err)
	}
	err := db.PgxConn(w.conn, func(c *pgx.Conn) error {
		_, err := c.CopyFrom(ctx, pgx.Identifier{"activity"}, activityColumns, pgx.CopyFromRows(fresh))
		return err
	})
	if err == nil {
		if _, err := w.exec(ctx, "RELEASE SAVEPOINT bulk_copy"); err != nil {
			return 0, fmt.Errorf("import: release savepoint: %w", err)
		}
		return int64(len(fresh)), nil
	}
	if !db.IsUniqueViolation(err) {
		return 0, fmt.Errorf("import: copy activities: %w", err)
	}
	if _, err := w.exec(ctx, "ROLLBACK TO SAVEPOINT bulk_copy"); err != nil {
		return 0, fmt.Errorf("import: rollback copy: %w", err)
	}
	if _, err := w.exec(ctx, "RELEASE SAVEPOINT bulk_copy"); err != nil {
		return 0, fmt.Errorf("import: release savepoint: %w", err)
	}
	return w.writePostgresStaged(ctx, fresh)
}

func (w *Writer) writePostgresStaged(ctx context.Context, rows [][]any) (int64, error) {
	if !w.stageCreated {
		if _, err := w.exec(ctx, `CREATE TEMPORARY TABLE IF NOT EXISTS activity_stage (
			workspace_id BIGINT, community_id BIGINT, source_id BIGINT, channel_id BIGINT, external_id TEXT,
			kind TEXT, occurred_at BIGINT, member_id BIGINT, identity_id BIGINT, object_member_id BIGINT,
			object_identity_id BIGINT, parent_external_id TEXT, thread_root_external_id TEXT, body TEXT,
			url TEXT, attachments_json TEXT, attributes_json TEXT, is_edited INTEGER)`); err != nil {
			return 0, fmt.Errorf("import: stage table: %w", err)
		}
		w.stageCreated = true
	}
	err := db.PgxConn(w.conn, func(c *pgx.Conn) error {
		_, err := c.CopyFrom(ctx, pgx.Identifier{"activity_stage"}, activityColumns, pgx.CopyFromRows(rows))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("import: copy activities: %w", err)
	}
	cols := strings.Join(activityColumns, ", ")
	res, err := w.exec(ctx, `/* Community.ImportActivities */ INSERT INTO activity (`+cols+`)
		SELECT `+cols+` FROM activity_stage ON CONFLICT (source_id, external_id) DO NOTHING`)
	if err != nil {
		return 0, fmt.Errorf("import: insert activities: %w", err)
	}
	// TRUNCATE, not DELETE: temporary tables are never vacuumed, so deleted
	// rows would pile up and every later INSERT ... SELECT would scan them.
	if _, err := w.exec(ctx, `TRUNCATE activity_stage`); err != nil {
		return 0, fmt.Errorf("import: clear stage: %w", err)
	}
	return res.RowsAffected()
}

// SetCommitInterval bounds how long one transaction stays open. The default
// suits a command-line import, which has the database to itself; an import
// running inside the server sets a short one so that the server's own writes
// (sessions, job progress) wait at most that long for SQLite's lock.
func (w *Writer) SetCommitInterval(d time.Duration) { w.commitEvery = d }

// Finish commits the last files, brings members' activity dates up to date
// and closes the writer.
func (w *Writer) Finish(ctx context.Context) (ImportCounts, error) {
	defer w.Close()
	if err := w.flushDone(ctx); err != nil {
		return w.counts, err
	}
	if err := w.commit(ctx); err != nil {
		return w.counts, err
	}
	if err := w.begin(ctx); err != nil {
		return w.counts, err
	}
	if w.bulk {
		if err := w.buildMemberIndex(ctx); err != nil {
			return w.counts, err
		}
	}
	if err := w.updateSpans(ctx); err != nil {
		return w.counts, err
	}
	if _, err := w.exec(ctx, `UPDATE source SET last_sync_at = $2 WHERE id = $1`, w.src.ID, ms(w.store.now())); err != nil {
		return w.counts, fmt.Errorf("import: source sync time: %w", err)
	}
	if err := w.commit(ctx); err != nil {
		return w.counts, err
	}
	return w.counts, nil
}

// spansPerStmt members' dates go into one UPDATE: a statement per member
// would cost a round trip each on PostgreSQL.
const spansPerStmt = 200

// updateSpans widens each touched member's first and last activity and join
// time to cover what this import saw. Widening only, so a re-run after a
// crash gives the same dates as one uninterrupted run.
func (w *Writer) updateSpans(ctx context.Context) error {
	ids := make([]coterie.ID, 0, len(w.memberSpan))
	for id := range w.memberSpan {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for start := 0; start < len(ids); start += spansPerStmt {
		chunk := ids[start:min(start+spansPerStmt, len(ids))]
		var b strings.Builder
		args := make([]any, 0, 4*len(chunk))
		b.WriteString("/* Community.UpdateMemberSpans */ WITH v (id, f, l, j) AS (VALUES ")
		for i, id := range chunk {
			sp := w.memberSpan[id]
			var joined sql.NullInt64
			if sp.joined != 0 {
				joined = sql.NullInt64{Int64: sp.joined, Valid: true}
			}
			if i > 0 {
				b.WriteByte(',')
			}
			n := len(args)
			fmt.Fprintf(&b, "(CAST($%d AS BIGINT), CAST($%d AS BIGINT), CAST($%d AS BIGINT), CAST($%d AS BIGINT))", n+1, n+2, n+3, n+4)
			args = append(args, id, sp.first, sp.last, joined)
		}
		b.WriteString(`) UPDATE member SET
			first_active_at = CASE WHEN first_active_at IS NULL OR first_active_at > v.f THEN v.f ELSE first_active_at END,
			last_active_at = CASE WHEN last_active_at IS NULL OR last_active_at < v.l THEN v.l ELSE last_active_at END,
			joined_at = CASE WHEN v.j IS NOT NULL AND (joined_at IS NULL OR joined_at > v.j) THEN v.j ELSE joined_at END
			FROM v WHERE member.id = v.id`)
		if _, err := w.execP(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("import: member dates: %w", err)
		}
	}
	return nil
}

// Close rolls back anything uncommitted and releases the connection.
func (w *Writer) Close() {
	if w.conn == nil {
		return
	}
	if w.inTx {
		w.conn.ExecContext(context.Background(), "ROLLBACK")
		w.inTx = false
	}
	if len(w.sqliteStmts) > 0 {
		w.conn.Raw(func(any) error {
			for _, st := range w.sqliteStmts {
				st.Close()
			}
			return nil
		})
	}
	for _, st := range w.stmts {
		st.Close()
	}
	w.release()
	w.conn = nil
}
