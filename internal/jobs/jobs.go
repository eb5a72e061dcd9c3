// Package jobs runs background work that is persisted in the database: jobs
// with retries and exponential backoff, leases that let another node resume
// the work of a crashed one, recurring schedules and visible status and
// progress. Several processes may share one database; a job is claimed by one
// of them at a time.
package jobs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/db"
)

// Status is the state of a job.
type Status string

// Job statuses. Queued and running jobs are pending; the others are final.
const (
	Queued    Status = "queued"
	Running   Status = "running"
	Succeeded Status = "succeeded"
	Failed    Status = "failed"
	Cancelled Status = "cancelled"
)

// Statuses lists every status, in lifecycle order.
var Statuses = []Status{Queued, Running, Succeeded, Failed, Cancelled}

// DefaultMaxAttempts is the number of attempts a job gets when Enqueue is
// not told otherwise.
const DefaultMaxAttempts = 5

// maxBackoff caps the wait between attempts, so that a job with many
// attempts still retries within the hour.
const maxBackoff = time.Hour

// ErrNoJob is returned by Claim when no job is due.
var ErrNoJob = coterie.Errorf(coterie.ENOTFOUND, "no job is due")

// Job is one unit of background work.
type Job struct {
	ID coterie.ID
	// WorkspaceID is 0 for a system job.
	WorkspaceID coterie.ID
	Kind        string
	Payload     json.RawMessage
	Status      Status
	// Attempts counts the times the job was claimed, including the current
	// run.
	Attempts    int
	MaxAttempts int
	// RunAt is when the job is due (again, after a failed attempt).
	RunAt time.Time
	// LockedBy and LockedUntil are the lease of a running job.
	LockedBy    string
	LockedUntil time.Time
	// Progress is the last progress the handler reported; it survives a
	// retry or a hand-over, so a handler can resume from it. Nil if none.
	Progress json.RawMessage
	// Result is what the handler returned on success. Nil if none.
	Result json.RawMessage
	// Error is the error of the last failed attempt.
	Error string
	// UniqueKey, if set, makes Enqueue idempotent while a job with the same
	// key is queued or running.
	UniqueKey  string
	CreatedAt  time.Time
	StartedAt  time.Time
	FinishedAt time.Time
}

// Store keeps jobs and schedules in one database.
type Store struct {
	db      *db.DB
	now     func() time.Time
	backoff func(attempts int) time.Duration
}

// NewStore returns a Store on d.
func NewStore(d *db.DB) *Store {
	return &Store{db: d, now: time.Now, backoff: Backoff}
}

// DB returns the database the store runs on.
func (s *Store) DB() *db.DB { return s.db }

// Backoff is the wait before the next attempt of a job that failed its
// attempts-th attempt: 2^attempts seconds, capped at an hour, with ±25%
// jitter so that jobs failing together do not retry together.
func Backoff(attempts int) time.Duration {
	d := maxBackoff
	if attempts < 12 { // 2^12 s is past the cap
		d = time.Duration(math.Pow(2, float64(attempts))) * time.Second
	}
	if d > maxBackoff {
		d = maxBackoff
	}
	return time.Duration(float64(d) * (0.75 + 0.5*mrand.Float64()))
}

// NewOwner returns a lease owner name unique to this process: host, process
// id and a random suffix, so that a restarted process on the same host never
// mistakes its predecessor's leases for its own.
func NewOwner() string {
	host, _ := os.Hostname()
	if host == "" {
		host = "coterie"
	}
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// permanent marks an error that retrying cannot fix.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent wraps err so that Fail gives up at once instead of retrying: for
// input that will be as wrong on the next attempt, such as a malformed file.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

func isPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

func nullID(id coterie.ID) sql.NullInt64 {
	return sql.NullInt64{Int64: id, Valid: id != 0}
}

func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

// marshal encodes v as JSON, passing raw JSON through; nil stays NULL.
func marshal(v any) (sql.NullString, error) {
	switch v := v.(type) {
	case nil:
		return sql.NullString{}, nil
	case json.RawMessage:
		if v == nil {
			return sql.NullString{}, nil
		}
		if !json.Valid(v) {
			return sql.NullString{}, coterie.Errorf(coterie.EINVALID, "invalid JSON")
		}
		return sql.NullString{String: string(v), Valid: true}, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return sql.NullString{}, coterie.Errorf(coterie.EINVALID, "encode JSON: %v", err)
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

const jobColumns = `id, workspace_id, kind, payload_json, status, attempts, max_attempts, run_at,
	locked_by, locked_until, progress_json, result_json, error, unique_key, created_at, started_at, finished_at`

func scanJob(row interface{ Scan(...any) error }) (*Job, error) {
	var j Job
	var ws, lockedUntil, started, finished sql.NullInt64
	var lockedBy, progress, result, key sql.NullString
	var payload, status string
	var runAt, created int64
	if err := row.Scan(&j.ID, &ws, &j.Kind, &payload, &status, &j.Attempts, &j.MaxAttempts, &runAt,
		&lockedBy, &lockedUntil, &progress, &result, &j.Error, &key, &created, &started, &finished); err != nil {
		return nil, err
	}
	j.WorkspaceID = ws.Int64
	j.Payload = json.RawMessage(payload)
	j.Status = Status(status)
	j.RunAt = time.UnixMilli(runAt).UTC()
	j.LockedBy = lockedBy.String
	j.LockedUntil = fromMS(lockedUntil)
	if progress.Valid {
		j.Progress = json.RawMessage(progress.String)
	}
	if result.Valid {
		j.Result = json.RawMessage(result.String)
	}
	j.UniqueKey = key.String
	j.CreatedAt = time.UnixMilli(created).UTC()
	j.StartedAt = fromMS(started)
	j.FinishedAt = fromMS(finished)
	return &j, nil
}

// Enqueue adds a job and returns its id. Kind is required; a zero RunAt means
// now, a zero MaxAttempts means DefaultMaxAttempts, a nil Payload means {}.
// With a UniqueKey, enqueueing is idempotent while a job with that key is
// queued or running: the pending job's id is returned and nothing is added.
func (s *Store) Enqueue(ctx context.Context, j Job) (coterie.ID, error) {
	return s.enqueue(ctx, s.db.Write, j)
}

func (s *Store) enqueue(ctx context.Context, q db.Querier, j Job) (coterie.ID, error) {
	j.Kind = strings.TrimSpace(j.Kind)
	if j.Kind == "" {
		return 0, coterie.Errorf(coterie.EINVALID, "job kind is empty")
	}
	if j.MaxAttempts == 0 {
		j.MaxAttempts = DefaultMaxAttempts
	}
	if j.MaxAttempts < 0 {
		return 0, coterie.Errorf(coterie.EINVALID, "job max attempts is negative")
	}
	if j.Payload == nil {
		j.Payload = json.RawMessage(`{}`)
	}
	if !json.Valid(j.Payload) {
		return 0, coterie.Errorf(coterie.EINVALID, "job payload is not valid JSON")
	}
	now := s.now()
	if j.RunAt.IsZero() {
		j.RunAt = now
	}
	// The existing job may finish between the insert that found it and the
	// look-up of its id; then the key is free again and the insert retried.
	for range 3 {
		var id coterie.ID
		err := q.QueryRowContext(ctx, `/* Jobs.Enqueue */
			INSERT INTO job (workspace_id, kind, payload_json, max_attempts, run_at, unique_key, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (unique_key) WHERE status IN ('queued', 'running') DO NOTHING
			RETURNING id`,
			nullID(j.WorkspaceID), j.Kind, string(j.Payload), j.MaxAttempts, ms(j.RunAt), nullString(j.UniqueKey), ms(now)).Scan(&id)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("enqueue %s job: %w", j.Kind, err)
		}
		err = q.QueryRowContext(ctx, `/* Jobs.Enqueue */
			SELECT id FROM job WHERE unique_key = $1 AND status IN ('queued', 'running')`, j.UniqueKey).Scan(&id)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("enqueue %s job: find pending %q: %w", j.Kind, j.UniqueKey, err)
		}
	}
	return 0, coterie.Errorf(coterie.ECONFLICT, "job %q keeps changing; try again", j.UniqueKey)
}

// Get returns the job with this id.
func (s *Store) Get(ctx context.Context, id coterie.ID) (*Job, error) {
	j, err := scanJob(s.db.Read.QueryRowContext(ctx, `/* Jobs.Get */
		SELECT `+jobColumns+` FROM job WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, coterie.Errorf(coterie.ENOTFOUND, "job %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get job %d: %w", id, err)
	}
	return j, nil
}

// Filter selects jobs for List. Zero fields match everything.
type Filter struct {
	WorkspaceID coterie.ID
	Status      Status
	Kind        string
	// Limit caps the page; 0 means 50, and at most 1000 are returned.
	Limit int
	// Cursor continues a listing: pass the ID of the last job of the
	// previous page.
	Cursor coterie.ID
}

// List returns jobs matching f, newest first.
func (s *Store) List(ctx context.Context, f Filter) ([]Job, error) {
	where := []string{"1 = 1"}
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.WorkspaceID != 0 {
		add("workspace_id = $%d", f.WorkspaceID)
	}
	if f.Status != "" {
		add("status = $%d", string(f.Status))
	}
	if f.Kind != "" {
		add("kind = $%d", f.Kind)
	}
	if f.Cursor != 0 {
		add("id < $%d", f.Cursor)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 1000)
	args = append(args, limit)
	rows, err := s.db.Read.QueryContext(ctx, `/* Jobs.List */
		SELECT `+jobColumns+` FROM job WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	defer rows.Close()
	var out []Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		out = append(out, *j)
	}
	return out, rows.Err()
}

// Cancel stops a queued or running job. A running job's worker notices at its
// next heartbeat or progress report and stops. Cancelling a cancelled job
// does nothing; cancelling a finished one is a conflict.
func (s *Store) Cancel(ctx context.Context, id coterie.ID) error {
	res, err := s.db.Write.ExecContext(ctx, `/* Jobs.Cancel */
		UPDATE job SET status = 'cancelled', finished_at = $2, locked_by = NULL, locked_until = NULL
		WHERE id = $1 AND status IN ('queued', 'running')`, id, ms(s.now()))
	if err != nil {
		return fmt.Errorf("cancel job %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	j, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	if j.Status == Cancelled {
		return nil
	}
	return coterie.Errorf(coterie.ECONFLICT, "job %d already %s", id, j.Status)
}

// claimSkipLocked is the one engine difference in claiming: PostgreSQL
// nodes skip rows another node is claiming right now; SQLite has one writer
// at a time, so there is nothing to skip.
func (s *Store) claimSkipLocked() string {
	if s.db.Engine == db.Postgres {
		return ` FOR UPDATE SKIP LOCKED`
	}
	return ``
}

// Claim takes the oldest due job of one of these kinds (any kind if kinds is
// empty) for owner, with a lease of this length: a queued job whose run_at
// has come, or a running job whose lease expired because its node crashed or
// stopped. The claim counts as an attempt. It returns ErrNoJob when nothing
// is due. Two owners never hold one job at once.
func (s *Store) Claim(ctx context.Context, owner string, kinds []string, lease time.Duration) (*Job, error) {
	if owner == "" {
		return nil, coterie.Errorf(coterie.EINVALID, "lease owner is empty")
	}
	if lease < time.Millisecond {
		return nil, coterie.Errorf(coterie.EINVALID, "lease %v is too short", lease)
	}
	now := ms(s.now())
	// A job whose lease expired on its last allowed attempt is not run
	// again: it failed, most likely by crashing its node each time.
	if _, err := s.db.Write.ExecContext(ctx, `/* Jobs.Claim */
		UPDATE job SET status = 'failed', finished_at = $1, locked_by = NULL, locked_until = NULL,
			error = CASE WHEN error = '' THEN 'lease expired: the worker stopped without finishing'
				ELSE error || ' (then the lease expired: the worker stopped without finishing)' END
		WHERE status = 'running' AND locked_until < $1 AND attempts >= max_attempts`, now); err != nil {
		return nil, fmt.Errorf("claim job: expire leases: %w", err)
	}
	args := []any{owner, now + lease.Milliseconds(), now, lease.Milliseconds()}
	kindCond := ""
	if len(kinds) > 0 {
		ph := make([]string, len(kinds))
		for i, k := range kinds {
			args = append(args, k)
			ph[i] = fmt.Sprintf("$%d", len(args))
		}
		kindCond = ` AND kind IN (` + strings.Join(ph, ", ") + `)`
	}
	j, err := scanJob(s.db.Write.QueryRowContext(ctx, `/* Jobs.Claim */
		UPDATE job SET status = 'running', locked_by = $1, locked_until = $2, lease_ms = $4,
			attempts = attempts + 1, started_at = COALESCE(started_at, $3)
		WHERE id = (
			SELECT id FROM job
			WHERE ((status = 'queued' AND run_at <= $3) OR (status = 'running' AND locked_until < $3))`+kindCond+`
			ORDER BY run_at, id LIMIT 1`+s.claimSkipLocked()+`)
		RETURNING `+jobColumns, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoJob
	}
	if err != nil {
		return nil, fmt.Errorf("claim job: %w", err)
	}
	return j, nil
}

// lostLease explains why a worker's update of job id matched nothing.
func (s *Store) lostLease(ctx context.Context, id coterie.ID, owner string) error {
	j, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	if j.Status != Running {
		return coterie.Errorf(coterie.ECONFLICT, "job %d is %s, no longer running for %s", id, j.Status, owner)
	}
	return coterie.Errorf(coterie.ECONFLICT, "job %d lost its lease: now run by %s", id, j.LockedBy)
}

// Heartbeat renews owner's lease on a running job by the lease it was
// claimed with. It fails with ECONFLICT if the owner lost the lease (the job
// was cancelled or taken over), and the worker should then stop.
func (s *Store) Heartbeat(ctx context.Context, id coterie.ID, owner string) error {
	res, err := s.db.Write.ExecContext(ctx, `/* Jobs.Heartbeat */
		UPDATE job SET locked_until = $3 + lease_ms
		WHERE id = $1 AND status = 'running' AND locked_by = $2`, id, owner, ms(s.now()))
	if err != nil {
		return fmt.Errorf("heartbeat job %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return s.lostLease(ctx, id, owner)
	}
	return nil
}

// UpdateProgress records a running job's progress (any JSON-encodable value,
// such as {"files":3,"activities":1200}) and renews the lease. It fails with
// ECONFLICT if the owner lost the lease.
func (s *Store) UpdateProgress(ctx context.Context, id coterie.ID, owner string, progress any) error {
	p, err := marshal(progress)
	if err != nil {
		return err
	}
	res, err := s.db.Write.ExecContext(ctx, `/* Jobs.UpdateProgress */
		UPDATE job SET progress_json = $4, locked_until = $3 + lease_ms
		WHERE id = $1 AND status = 'running' AND locked_by = $2`, id, owner, ms(s.now()), p)
	if err != nil {
		return fmt.Errorf("update progress of job %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return s.lostLease(ctx, id, owner)
	}
	return nil
}

// Complete marks owner's running job succeeded with this result (any
// JSON-encodable value, or nil). It fails with ECONFLICT if the owner lost
// the lease: the work then belongs to whoever holds it now.
func (s *Store) Complete(ctx context.Context, id coterie.ID, owner string, result any) error {
	r, err := marshal(result)
	if err != nil {
		return err
	}
	res, err := s.db.Write.ExecContext(ctx, `/* Jobs.Complete */
		UPDATE job SET status = 'succeeded', result_json = $3, error = '', finished_at = $4,
			locked_by = NULL, locked_until = NULL
		WHERE id = $1 AND status = 'running' AND locked_by = $2`, id, owner, r, ms(s.now()))
	if err != nil {
		return fmt.Errorf("complete job %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return s.lostLease(ctx, id, owner)
	}
	return nil
}

// Fail records a failed attempt of owner's running job. The job is queued
// again after Backoff(attempts) until it has had max_attempts attempts or
// the error is Permanent; then it is failed for good. The error text is kept
// either way. It fails with ECONFLICT if the owner lost the lease.
func (s *Store) Fail(ctx context.Context, id coterie.ID, owner string, jobErr error) error {
	msg := "unknown error"
	if jobErr != nil {
		msg = jobErr.Error()
	}
	var attempts, maxAttempts int
	err := s.db.Write.QueryRowContext(ctx, `/* Jobs.Fail */
		SELECT attempts, max_attempts FROM job WHERE id = $1 AND status = 'running' AND locked_by = $2`,
		id, owner).Scan(&attempts, &maxAttempts)
	if errors.Is(err, sql.ErrNoRows) {
		return s.lostLease(ctx, id, owner)
	}
	if err != nil {
		return fmt.Errorf("fail job %d: %w", id, err)
	}
	now := s.now()
	status, runAt, finished := Queued, now.Add(s.backoff(attempts)), sql.NullInt64{}
	if attempts >= maxAttempts || isPermanent(jobErr) {
		status, runAt, finished = Failed, now, sql.NullInt64{Int64: ms(now), Valid: true}
	}
	// attempts in the condition: the lease may have expired and been taken
	// over by the same owner between the read and this write.
	res, err := s.db.Write.ExecContext(ctx, `/* Jobs.Fail */
		UPDATE job SET status = $4, run_at = $5, finished_at = $6, error = $7, locked_by = NULL, locked_until = NULL
		WHERE id = $1 AND status = 'running' AND locked_by = $2 AND attempts = $3`,
		id, owner, attempts, string(status), ms(runAt), finished, msg)
	if err != nil {
		return fmt.Errorf("fail job %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return s.lostLease(ctx, id, owner)
	}
	return nil
}

// Release hands owner's running job back without counting the attempt: it is
// queued again at once, for another node or the next start to resume. This
// is what a graceful shutdown does with jobs it cannot wait for.
func (s *Store) Release(ctx context.Context, id coterie.ID, owner string) error {
	res, err := s.db.Write.ExecContext(ctx, `/* Jobs.Release */
		UPDATE job SET status = 'queued', run_at = $3, attempts = attempts - 1, locked_by = NULL, locked_until = NULL
		WHERE id = $1 AND status = 'running' AND locked_by = $2`, id, owner, ms(s.now()))
	if err != nil {
		return fmt.Errorf("release job %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return s.lostLease(ctx, id, owner)
	}
	return nil
}

// Stats counts jobs by status; every status is present, zero or not.
func (s *Store) Stats(ctx context.Context) (map[Status]int64, error) {
	out := make(map[Status]int64, len(Statuses))
	for _, st := range Statuses {
		out[st] = 0
	}
	rows, err := s.db.Read.QueryContext(ctx, `/* Jobs.Stats */
		SELECT status, COUNT(*) FROM job GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("job stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("job stats: %w", err)
		}
		out[Status(st)] = n
	}
	return out, rows.Err()
}

// DeleteFinished deletes succeeded, failed and cancelled jobs that finished
// before t, and returns how many it deleted.
func (s *Store) DeleteFinished(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.Write.ExecContext(ctx, `/* Jobs.DeleteFinished */
		DELETE FROM job WHERE status IN ('succeeded', 'failed', 'cancelled') AND finished_at < $1`, ms(before))
	if err != nil {
		return 0, fmt.Errorf("delete finished jobs: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
