package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/coteriehq/coterie/internal/coterie"
)

// Schedule enqueues a job of Kind every Every.
type Schedule struct {
	// Name identifies the schedule; it is also the prefix of the unique key
	// of the jobs it enqueues.
	Name string
	// WorkspaceID is 0 for a system schedule; its jobs carry it.
	WorkspaceID coterie.ID
	Kind        string
	Payload     json.RawMessage
	Every       time.Duration
	// NextRunAt is when the next job is due.
	NextRunAt time.Time
}

// SetSchedule creates or updates a schedule. A new schedule with a zero
// NextRunAt is due at once. Updating keeps the existing NextRunAt, so that
// declaring the same schedules at every start does not postpone them.
func (s *Store) SetSchedule(ctx context.Context, sc Schedule) error {
	sc.Name = strings.TrimSpace(sc.Name)
	sc.Kind = strings.TrimSpace(sc.Kind)
	if sc.Name == "" || sc.Kind == "" {
		return coterie.Errorf(coterie.EINVALID, "schedule name and kind are required")
	}
	if sc.Every < time.Millisecond {
		return coterie.Errorf(coterie.EINVALID, "schedule %q: interval %v is too short", sc.Name, sc.Every)
	}
	if sc.Payload == nil {
		sc.Payload = json.RawMessage(`{}`)
	}
	if !json.Valid(sc.Payload) {
		return coterie.Errorf(coterie.EINVALID, "schedule %q: payload is not valid JSON", sc.Name)
	}
	if sc.NextRunAt.IsZero() {
		sc.NextRunAt = s.now()
	}
	if _, err := s.db.Write.ExecContext(ctx, `/* Jobs.SetSchedule */
		INSERT INTO job_schedule (name, workspace_id, kind, payload_json, every_ms, next_run_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (name) DO UPDATE SET workspace_id = excluded.workspace_id, kind = excluded.kind,
			payload_json = excluded.payload_json, every_ms = excluded.every_ms`,
		sc.Name, nullID(sc.WorkspaceID), sc.Kind, string(sc.Payload), sc.Every.Milliseconds(), ms(sc.NextRunAt)); err != nil {
		return fmt.Errorf("set schedule %q: %w", sc.Name, err)
	}
	return nil
}

const scheduleColumns = `name, workspace_id, kind, payload_json, every_ms, next_run_at`

func scanSchedule(row interface{ Scan(...any) error }) (*Schedule, error) {
	var sc Schedule
	var ws sql.NullInt64
	var payload string
	var every, next int64
	if err := row.Scan(&sc.Name, &ws, &sc.Kind, &payload, &every, &next); err != nil {
		return nil, err
	}
	sc.WorkspaceID = ws.Int64
	sc.Payload = json.RawMessage(payload)
	sc.Every = time.Duration(every) * time.Millisecond
	sc.NextRunAt = time.UnixMilli(next).UTC()
	return &sc, nil
}

// Schedules returns every schedule, by name.
func (s *Store) Schedules(ctx context.Context) ([]Schedule, error) {
	rows, err := s.db.Read.QueryContext(ctx, `/* Jobs.Schedules */
		SELECT `+scheduleColumns+` FROM job_schedule ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list schedules: %w", err)
	}
	defer rows.Close()
	var out []Schedule
	for rows.Next() {
		sc, err := scanSchedule(rows)
		if err != nil {
			return nil, fmt.Errorf("list schedules: %w", err)
		}
		out = append(out, *sc)
	}
	return out, rows.Err()
}

// DeleteSchedule removes a schedule; jobs it already enqueued stay.
func (s *Store) DeleteSchedule(ctx context.Context, name string) error {
	res, err := s.db.Write.ExecContext(ctx, `/* Jobs.DeleteSchedule */
		DELETE FROM job_schedule WHERE name = $1`, name)
	if err != nil {
		return fmt.Errorf("delete schedule %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return coterie.Errorf(coterie.ENOTFOUND, "schedule %q not found", name)
	}
	return nil
}

// EnqueueDue enqueues one job for every schedule that is due and moves the
// schedule to its next run after now; runs missed while no node was up are
// not caught up one by one. Many nodes may call it at once: a schedule's
// next_run_at is advanced only if it still holds the value read, in the same
// transaction as the enqueue, so each period is enqueued once. It returns
// the ids of the jobs it enqueued.
func (s *Store) EnqueueDue(ctx context.Context) ([]coterie.ID, error) {
	now := s.now()
	rows, err := s.db.Read.QueryContext(ctx, `/* Jobs.EnqueueDue */
		SELECT `+scheduleColumns+` FROM job_schedule WHERE next_run_at <= $1 ORDER BY next_run_at`, ms(now))
	if err != nil {
		return nil, fmt.Errorf("due schedules: %w", err)
	}
	var due []Schedule
	for rows.Next() {
		sc, err := scanSchedule(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("due schedules: %w", err)
		}
		due = append(due, *sc)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("due schedules: %w", err)
	}
	var ids []coterie.ID
	for _, sc := range due {
		prev := ms(sc.NextRunAt)
		every := sc.Every.Milliseconds()
		periods := (ms(now)-prev)/every + 1
		next := prev + periods*every
		err := s.db.InTx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `/* Jobs.EnqueueDue */
				UPDATE job_schedule SET next_run_at = $3 WHERE name = $1 AND next_run_at = $2`, sc.Name, prev, next)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return errScheduleTaken
			}
			id, err := s.enqueue(ctx, tx, Job{
				WorkspaceID: sc.WorkspaceID,
				Kind:        sc.Kind,
				Payload:     sc.Payload,
				RunAt:       now,
				UniqueKey:   "schedule:" + sc.Name + "@" + strconv.FormatInt(prev, 10),
			})
			if err != nil {
				return err
			}
			ids = append(ids, id)
			return nil
		})
		if errors.Is(err, errScheduleTaken) {
			continue // another node enqueued this period
		}
		if err != nil {
			return ids, fmt.Errorf("enqueue schedule %q: %w", sc.Name, err)
		}
	}
	return ids, nil
}

var errScheduleTaken = errors.New("schedule advanced by another node")
