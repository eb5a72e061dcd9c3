package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/jobs"
)

type jobJSON struct {
	ID          coterie.ID      `json:"id"`
	Kind        string          `json:"kind"`
	Status      jobs.Status     `json:"status"`
	Attempts    int             `json:"attempts"`
	MaxAttempts int             `json:"max_attempts"`
	Progress    json.RawMessage `json:"progress"`
	Result      json.RawMessage `json:"result"`
	Error       string          `json:"error"`
	RunAt       *time.Time      `json:"run_at"`
	CreatedAt   *time.Time      `json:"created_at"`
	StartedAt   *time.Time      `json:"started_at"`
	FinishedAt  *time.Time      `json:"finished_at"`
}

func toJobJSON(j *jobs.Job) jobJSON {
	return jobJSON{ID: j.ID, Kind: j.Kind, Status: j.Status, Attempts: j.Attempts, MaxAttempts: j.MaxAttempts,
		Progress: j.Progress, Result: j.Result, Error: j.Error, RunAt: timePtr(j.RunAt),
		CreatedAt: timePtr(j.CreatedAt), StartedAt: timePtr(j.StartedAt), FinishedAt: timePtr(j.FinishedAt)}
}

var jobCSV = []string{"id", "kind", "status", "attempts", "max_attempts", "error", "run_at", "created_at", "started_at", "finished_at"}

func jobRow(j jobJSON) []string {
	return []string{itoa(j.ID), j.Kind, string(j.Status), itoa(int64(j.Attempts)), itoa(int64(j.MaxAttempts)), j.Error,
		csvTime(j.RunAt), csvTime(j.CreatedAt), csvTime(j.StartedAt), csvTime(j.FinishedAt)}
}

// listJobs answers GET /api/v1/workspaces/{ws}/jobs, newest first, a page at
// a time: ?limit=50&cursor=... with next_cursor in the answer. ?status= and
// ?kind= filter.
func (s *server) listJobs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := queryLimit(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	cursor, err := decodeCursor(q.Get("cursor"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	st := jobs.Status(q.Get("status"))
	if st != "" && !slices.Contains(jobs.Statuses, st) {
		s.error(w, r, errInvalid("status must be one of %v", jobs.Statuses))
		return
	}
	// One more than the page tells whether a next page exists without
	// sending clients to an empty one.
	js, err := s.jobs.List(r.Context(), jobs.Filter{WorkspaceID: tokenFrom(r).WorkspaceID, Status: st,
		Kind: q.Get("kind"), Limit: limit + 1, Cursor: cursor})
	if err != nil {
		s.error(w, r, err)
		return
	}
	next := ""
	if len(js) > limit {
		js = js[:limit]
		next = encodeCursor(js[limit-1].ID)
	}
	out := make([]jobJSON, 0, len(js))
	for i := range js {
		out = append(out, toJobJSON(&js[i]))
	}
	respondList(s, w, r, "jobs", out, &next, jobCSV, jobRow)
}

// getJob answers GET /api/v1/workspaces/{ws}/jobs/{id}.
func (s *server) getJob(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.error(w, r, err)
		return
	}
	j, err := s.jobs.Get(r.Context(), id)
	if err == nil && j.WorkspaceID != tokenFrom(r).WorkspaceID {
		// Another workspace's job (or a system job) is not found, the same
		// answer as for an id that does not exist.
		err = errNotFound("job %d not found", id)
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toJobJSON(j))
}
