package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/db"
	"github.com/coteriehq/coterie/internal/db/dbtest"
)

// fast are runner options for tests: quick polls and short leases.
var fast = RunnerOptions{Concurrency: 2, Poll: 10 * time.Millisecond, Lease: 300 * time.Millisecond,
	ShutdownTimeout: 2 * time.Second, ProgressInterval: time.Millisecond}

// start runs r until the returned stop is called (or the test ends) and
// stop returns once Run has returned.
func start(t *testing.T, r *Runner) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// waitJob waits until job id satisfies ok and returns it.
func waitJob(t *testing.T, s *Store, id coterie.ID, ok func(*Job) bool) *Job {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		j := mustGet(t, s, id)
		if ok(j) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d never reached the expected state; last %+v", id, j)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func finished(j *Job) bool {
	return j.Status == Succeeded || j.Status == Failed || j.Status == Cancelled
}

func TestRunner_Run(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := NewStore(d)
		s.backoff = func(int) time.Duration { return 0 }
		var mu sync.Mutex
		calls := map[coterie.ID]int{}
		running := make(chan coterie.ID, 10)
		r := NewRunner(s, "node-a", map[string]Handler{
			"ok": func(ctx context.Context, j *Job, progress func(any) error) (any, error) {
				if err := progress(map[string]int{"files": 1}); err != nil {
					return nil, err
				}
				return map[string]string{"echo": string(j.Payload)}, nil
			},
			"flaky": func(ctx context.Context, j *Job, progress func(any) error) (any, error) {
				mu.Lock()
				calls[j.ID]++
				n := calls[j.ID]
				mu.Unlock()
				if n == 1 {
					return nil, errors.New("network is down")
				}
				return n, nil
			},
			"panics": func(ctx context.Context, j *Job, progress func(any) error) (any, error) {
				var m map[string]int
				m["x"] = 1 // a nil-map write: a bug in a handler
				return nil, nil
			},
			"blocks": func(ctx context.Context, j *Job, progress func(any) error) (any, error) {
				running <- j.ID
				<-ctx.Done()
				return nil, ctx.Err()
			},
		}, fast)
		start(t, r)

		for _, tc := range []struct {
			name  string
			job   Job
			check func(t *testing.T, j *Job)
		}{
			{"success keeps result and progress", Job{Kind: "ok", Payload: json.RawMessage(`{"a":1}`)},
				func(t *testing.T, j *Job) {
					if j.Status != Succeeded || string(j.Progress) != `{"files":1}` || string(j.Result) != `{"echo":"{\"a\":1}"}` {
						t.Fatalf("job = %+v", j)
					}
				}},
			{"failure is retried", Job{Kind: "flaky"},
				func(t *testing.T, j *Job) {
					if j.Status != Succeeded || j.Attempts != 2 || string(j.Result) != `2` {
						t.Fatalf("job = %+v", j)
					}
				}},
			{"panic is recorded as a failure", Job{Kind: "panics", MaxAttempts: 1},
				func(t *testing.T, j *Job) {
					if j.Status != Failed || !strings.Contains(j.Error, "panic: assignment to entry in nil map") {
						t.Fatalf("job = %+v", j)
					}
				}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				id := mustEnqueue(t, s, tc.job)
				tc.check(t, waitJob(t, s, id, finished))
			})
		}

		t.Run("cancel stops a running job", func(t *testing.T) {
			id := mustEnqueue(t, s, Job{Kind: "blocks"})
			if got := <-running; got != id {
				t.Fatalf("running job %d, want %d", got, id)
			}
			if err := s.Cancel(ctx, id); err != nil {
				t.Fatal(err)
			}
			// The handler stops at the next heartbeat and leaves the job
			// cancelled, not failed; its slot is free for other work.
			next := mustEnqueue(t, s, Job{Kind: "ok"})
			next2 := mustEnqueue(t, s, Job{Kind: "ok"})
			waitJob(t, s, next, finished)
			waitJob(t, s, next2, finished)
			if j := mustGet(t, s, id); j.Status != Cancelled || j.Error != "" {
				t.Fatalf("cancelled job = %+v", j)
			}
		})
	})
}

func TestRunner_Run_resume(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := NewStore(d)
		id := mustEnqueue(t, s, Job{Kind: "import"})
		// A node claims the job, saves a checkpoint and dies.
		mustClaim(t, s, "crashed", 200*time.Millisecond, "import")
		if err := s.UpdateProgress(ctx, id, "crashed", map[string]int{"files": 7}); err != nil {
			t.Fatal(err)
		}
		claimedAt := time.Now()
		var resumedAt time.Time
		start(t, NewRunner(NewStore(secondHandle(t, d)), "node-b", map[string]Handler{
			"import": func(ctx context.Context, j *Job, progress func(any) error) (any, error) {
				resumedAt = time.Now()
				var p struct{ Files int }
				json.Unmarshal(j.Progress, &p)
				return map[string]int{"resumed_from": p.Files, "attempt": j.Attempts}, nil
			},
		}, fast))
		j := waitJob(t, s, id, finished)
		if j.Status != Succeeded || string(j.Result) != `{"attempt":2,"resumed_from":7}` {
			t.Fatalf("resumed job = %+v", j)
		}
		if resumedAt.Sub(claimedAt) < 150*time.Millisecond {
			t.Fatalf("job resumed %v after the claim, before the lease ran out", resumedAt.Sub(claimedAt))
		}
	})
}

func TestRunner_Run_shutdown(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		s := NewStore(d)
		started := make(chan string, 2)
		release := make(chan struct{})
		handlers := map[string]Handler{
			"long": func(ctx context.Context, j *Job, progress func(any) error) (any, error) {
				started <- "long"
				if j.Attempts > 1 || j.Progress != nil {
					return "resumed", nil
				}
				progress(map[string]int{"files": 4})
				<-ctx.Done()
				return nil, ctx.Err()
			},
			"short": func(ctx context.Context, j *Job, progress func(any) error) (any, error) {
				started <- "short"
				<-release
				return "done", nil
			},
		}
		opts := fast
		opts.ShutdownTimeout = 300 * time.Millisecond
		long := mustEnqueue(t, s, Job{Kind: "long"})
		short := mustEnqueue(t, s, Job{Kind: "short"})
		stop := start(t, NewRunner(s, "node-a", handlers, opts))
		<-started
		<-started

		done := make(chan struct{})
		go func() { stop(); close(done) }()
		time.Sleep(50 * time.Millisecond)
		close(release) // the short job finishes within the shutdown deadline
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return after the shutdown deadline")
		}

		if j := mustGet(t, s, short); j.Status != Succeeded || string(j.Result) != `"done"` {
			t.Fatalf("short job after shutdown = %+v, want succeeded", j)
		}
		j := mustGet(t, s, long)
		if j.Status != Queued || j.Attempts != 0 || j.LockedBy != "" || string(j.Progress) != `{"files":4}` || j.Error != "" {
			t.Fatalf("long job after shutdown = %+v, want handed back with its progress", j)
		}

		// The next start resumes it.
		start(t, NewRunner(NewStore(secondHandle(t, d)), "node-b", handlers, opts))
		j = waitJob(t, s, long, finished)
		if j.Status != Succeeded || j.Attempts != 1 || string(j.Result) != `"resumed"` {
			t.Fatalf("long job after restart = %+v", j)
		}
	})
}

func TestRunner_Run_schedules(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := NewStore(d)
		every := 150 * time.Millisecond
		if err := s.SetSchedule(ctx, Schedule{Name: "tick", Kind: "tick", Every: every}); err != nil {
			t.Fatal(err)
		}
		noop := map[string]Handler{"tick": func(context.Context, *Job, func(any) error) (any, error) { return nil, nil }}
		opts := fast
		opts.Poll = 5 * time.Millisecond
		begin := time.Now()
		stopA := start(t, NewRunner(s, "node-a", noop, opts))
		stopB := start(t, NewRunner(NewStore(secondHandle(t, d)), "node-b", noop, opts))
		time.Sleep(5*every + every/2)
		stopA()
		stopB()
		elapsed := time.Since(begin)

		jobs, err := s.List(ctx, Filter{Kind: "tick", Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		keys := map[string]bool{}
		for _, j := range jobs {
			if keys[j.UniqueKey] {
				t.Fatalf("period %s enqueued twice", j.UniqueKey)
			}
			keys[j.UniqueKey] = true
		}
		if max := int(elapsed/every) + 1; len(jobs) < 3 || len(jobs) > max {
			t.Fatalf("%d scheduled jobs in %v with a period of %v, want 3 to %d", len(jobs), elapsed, every, max)
		}
	})
}

func TestRunner_Run_twoNodes(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := NewStore(d)
		const n = 200
		var mu sync.Mutex
		runs := map[coterie.ID]int{}
		byOwner := map[string]int{}
		handler := func(owner string) Handler {
			return func(ctx context.Context, j *Job, progress func(any) error) (any, error) {
				mu.Lock()
				runs[j.ID]++
				byOwner[owner]++
				mu.Unlock()
				time.Sleep(time.Millisecond) // long enough for the nodes to overlap
				return nil, nil
			}
		}
		ids := make([]coterie.ID, n)
		for i := range ids {
			ids[i] = mustEnqueue(t, s, Job{Kind: "work"})
		}
		opts := fast
		opts.Concurrency = 4
		opts.Poll = 5 * time.Millisecond
		start(t, NewRunner(s, "node-a", map[string]Handler{"work": handler("node-a")}, opts))
		start(t, NewRunner(NewStore(secondHandle(t, d)), "node-b", map[string]Handler{"work": handler("node-b")}, opts))

		deadline := time.Now().Add(15 * time.Second)
		for {
			st, err := s.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st[Succeeded] == n {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after 15s: %v", st)
			}
			time.Sleep(20 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, id := range ids {
			if runs[id] != 1 {
				t.Errorf("job %d ran %d times, want once", id, runs[id])
			}
		}
		t.Logf("jobs per node: %v", byOwner)
	})
}
