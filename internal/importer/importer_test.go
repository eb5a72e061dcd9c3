package importer_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/coteriehq/coterie/internal/community"
	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/db"
	"github.com/coteriehq/coterie/internal/db/dbtest"
	"github.com/coteriehq/coterie/internal/importer"
	"github.com/coteriehq/coterie/internal/jobs"
)

const houston = "../../../shared/data/slack/houstondatavis"

func TestPrepare_Invalid(t *testing.T) {
	cases := []struct {
		name string
		req  importer.Request
	}{
		{"unknown format", importer.Request{Format: "myspace", Path: houston, Community: "c"}},
		{"no community", importer.Request{Format: "slack", Path: houston}},
		{"missing path", importer.Request{Format: "slack", Path: "/nonexistent", Community: "c"}},
		{"bad zone", importer.Request{Format: "whatsapp", Path: houston, Community: "c", Timezone: "Nowhere/Land"}},
		{"bad column", importer.Request{Format: "csv", Path: houston, Community: "c", Columns: map[string]string{"A": "nope"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := importer.Prepare(tc.req); coterie.ErrorCode(err) != coterie.EINVALID {
				t.Fatalf("Prepare = %v, want EINVALID", err)
			}
		})
	}
}

// TestHandler_ImportJob runs an import as a background job, as the
// dashboard's import page does, and reads its result and progress.
func TestHandler_ImportJob(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st := community.NewStore(d)
		js := jobs.NewStore(d)
		ws, err := st.EnsureWorkspace(ctx, "default")
		if err != nil {
			t.Fatal(err)
		}
		req := importer.Request{Format: "slack", Path: houston, Workspace: "default", Community: "houston"}
		id, err := importer.Enqueue(ctx, js, ws.ID, req)
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := importer.Enqueue(ctx, js, ws.ID, req); again != id {
			t.Fatalf("the same import queued twice made jobs %d and %d", id, again)
		}
		runCtx, stop := context.WithCancel(ctx)
		r := jobs.NewRunner(js, jobs.NewOwner(), map[string]jobs.Handler{importer.JobKind: importer.Handler(st)},
			jobs.RunnerOptions{Poll: 20 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
		done := make(chan error, 1)
		go func() { done <- r.Run(runCtx) }()
		defer func() { stop(); <-done }()
		var job *jobs.Job
		for deadline := time.Now().Add(60 * time.Second); ; {
			if job, err = js.Get(ctx, id); err != nil {
				t.Fatal(err)
			}
			if job.Status == jobs.Succeeded || job.Status == jobs.Failed {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job still %s", job.Status)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if job.Status != jobs.Succeeded {
			t.Fatalf("job %s: %s", job.Status, job.Error)
		}
		var sum importer.Summary
		if err := json.Unmarshal(job.Result, &sum); err != nil {
			t.Fatal(err)
		}
		if sum.ActivitiesAdded != 1553 || len(sum.Errors) != 0 {
			t.Fatalf("result = %+v", sum)
		}
		var prog struct{ Files, Activities int }
		if err := json.Unmarshal(job.Progress, &prog); err != nil || prog.Activities == 0 {
			t.Fatalf("progress = %s (%v)", job.Progress, err)
		}

		// A job whose request can never work fails at once, with the reason.
		bad, err := js.Enqueue(ctx, jobs.Job{WorkspaceID: ws.ID, Kind: importer.JobKind, Payload: []byte(`{"format":"slack","path":"/nonexistent","community":"x"}`)})
		if err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(30 * time.Second); ; {
			if job, err = js.Get(ctx, bad); err != nil {
				t.Fatal(err)
			}
			if job.Status == jobs.Failed {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("bad job still %s", job.Status)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if job.Attempts != 1 || job.Error == "" {
			t.Fatalf("bad job: attempts %d, error %q", job.Attempts, job.Error)
		}
	})
}
