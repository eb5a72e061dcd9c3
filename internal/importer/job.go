package importer

import (
	"context"
	"encoding/json"
	"time"

	"github.com/coteriehq/coterie/internal/community"
	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/ingest"
	"github.com/coteriehq/coterie/internal/jobs"
)

// JobKind is the kind of the background job that runs an import.
const JobKind = "import"

// Enqueue queues an import as a background job of the workspace. The same
// request queued twice while the first is waiting or running is one job.
func Enqueue(ctx context.Context, js *jobs.Store, workspaceID coterie.ID, r Request) (coterie.ID, error) {
	if _, err := Prepare(r); err != nil {
		return 0, err
	}
	payload, err := json.Marshal(r)
	if err != nil {
		return 0, err
	}
	return js.Enqueue(ctx, jobs.Job{
		WorkspaceID: workspaceID, Kind: JobKind, Payload: payload,
		UniqueKey: "import:" + string(payload),
	})
}

// Handler runs queued imports. An import is idempotent, so a job handed
// back by a stopped server, or retried after a crash, simply runs again:
// what the first run stored is skipped, and the rest goes in.
func Handler(st *community.Store) jobs.Handler {
	return func(ctx context.Context, job *jobs.Job, progress func(any) error) (any, error) {
		var r Request
		if err := json.Unmarshal(job.Payload, &r); err != nil {
			return nil, jobs.Permanent(coterie.Errorf(coterie.EINVALID, "import job %d: bad request: %v", job.ID, err))
		}
		// Progress is written by its own goroutine, latest first: the
		// import calls back while its transaction holds SQLite's write
		// lock, so writing from the callback would wait on itself.
		latest := make(chan map[string]any, 1)
		var progressErr error
		wrote := make(chan struct{})
		go func() {
			defer close(wrote)
			for p := range latest {
				if err := progress(p); err != nil && progressErr == nil {
					progressErr = err
				}
			}
		}()
		// The server shares the database with this import: short
		// transactions keep its other writes waiting briefly.
		sum, err := Run(ctx, st, r, Options{CommitEvery: time.Second}, func(p ingest.Progress) {
			next := map[string]any{"files": p.Files, "activities": p.Activities, "file": p.File}
			for {
				select {
				case latest <- next:
					return
				default:
					select { // drop the older report waiting to be written
					case <-latest:
					default:
					}
				}
			}
		})
		close(latest)
		<-wrote
		if coterie.ErrorCode(err) == coterie.EINVALID {
			return nil, jobs.Permanent(err) // as wrong on the next attempt
		}
		if err != nil {
			return nil, err
		}
		return sum, progressErr
	}
}
