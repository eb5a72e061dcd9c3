package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/db"
	"github.com/coteriehq/coterie/internal/db/dbtest"
)

// clock is a settable time source shared by the stores of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.UnixMilli(1_700_000_000_000).UTC()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newStore returns a store on d whose time is clk.
func newStore(d *db.DB, clk *clock) *Store {
	s := NewStore(d)
	s.now = clk.Now
	return s
}

// secondHandle opens another *db.DB on d's database, as a second process
// would.
func secondHandle(t *testing.T, d *db.DB) *db.DB {
	t.Helper()
	d2, err := db.Open(context.Background(), d.DSN)
	if err != nil {
		t.Fatalf("open second handle: %v", err)
	}
	t.Cleanup(func() { d2.Close() })
	return d2
}

func newWorkspace(t *testing.T, d *db.DB, name string) coterie.ID {
	t.Helper()
	var id coterie.ID
	if err := d.Write.QueryRow(`INSERT INTO workspace (name, created_at) VALUES ($1, 0) RETURNING id`, name).Scan(&id); err != nil {
		t.Fatalf("create workspace: %v", err)
	}
	return id
}

func mustEnqueue(t *testing.T, s *Store, j Job) coterie.ID {
	t.Helper()
	id, err := s.Enqueue(context.Background(), j)
	if err != nil {
		t.Fatalf("enqueue %+v: %v", j, err)
	}
	return id
}

func mustClaim(t *testing.T, s *Store, owner string, lease time.Duration, kinds ...string) *Job {
	t.Helper()
	j, err := s.Claim(context.Background(), owner, kinds, lease)
	if err != nil {
		t.Fatalf("claim by %s: %v", owner, err)
	}
	return j
}

func mustGet(t *testing.T, s *Store, id coterie.ID) *Job {
	t.Helper()
	j, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("get job %d: %v", id, err)
	}
	return j
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := coterie.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
}

func TestStore_Enqueue(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := newClock()
		s := newStore(d, clk)
		ws := newWorkspace(t, d, "acme")

		t.Run("defaults", func(t *testing.T) {
			id := mustEnqueue(t, s, Job{WorkspaceID: ws, Kind: "import"})
			j := mustGet(t, s, id)
			if j.Status != Queued || j.Attempts != 0 || j.MaxAttempts != DefaultMaxAttempts ||
				string(j.Payload) != `{}` || !j.RunAt.Equal(clk.Now()) || j.WorkspaceID != ws ||
				j.Progress != nil || j.Result != nil || !j.StartedAt.IsZero() {
				t.Fatalf("enqueued job = %+v", j)
			}
		})
		t.Run("system job without workspace", func(t *testing.T) {
			id := mustEnqueue(t, s, Job{Kind: "rollup", Payload: json.RawMessage(`{"day":1}`)})
			if j := mustGet(t, s, id); j.WorkspaceID != 0 || string(j.Payload) != `{"day":1}` {
				t.Fatalf("system job = %+v", j)
			}
		})

		invalid := []struct {
			name string
			job  Job
		}{
			{"empty kind", Job{Kind: " "}},
			{"payload not JSON", Job{Kind: "import", Payload: json.RawMessage(`{`)}},
			{"negative attempts", Job{Kind: "import", MaxAttempts: -1}},
		}
		for _, tc := range invalid {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.Enqueue(ctx, tc.job)
				wantCode(t, err, coterie.EINVALID)
			})
		}

		t.Run("unique key is idempotent while pending", func(t *testing.T) {
			first := mustEnqueue(t, s, Job{Kind: "sync", UniqueKey: "sync:1"})
			if again := mustEnqueue(t, s, Job{Kind: "sync", UniqueKey: "sync:1"}); again != first {
				t.Fatalf("second enqueue of a queued key = job %d, want %d", again, first)
			}
			j := mustClaim(t, s, "a", time.Minute, "sync")
			if again := mustEnqueue(t, s, Job{Kind: "sync", UniqueKey: "sync:1"}); again != first {
				t.Fatalf("enqueue of a running key = job %d, want %d", again, first)
			}
			if other := mustEnqueue(t, s, Job{Kind: "sync", UniqueKey: "sync:2"}); other == first {
				t.Fatalf("another key got the same job")
			}
			if err := s.Complete(ctx, j.ID, "a", nil); err != nil {
				t.Fatal(err)
			}
			if after := mustEnqueue(t, s, Job{Kind: "sync", UniqueKey: "sync:1"}); after == first {
				t.Fatalf("enqueue after the job finished returned the finished job")
			}
			n, err := s.List(ctx, Filter{Kind: "sync"})
			if err != nil || len(n) != 3 {
				t.Fatalf("sync jobs = %d, %v; want 3", len(n), err)
			}
		})
	})
}

func TestStore_Claim(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := newClock()
		s := newStore(d, clk)

		t.Run("nothing due", func(t *testing.T) {
			mustEnqueue(t, s, Job{Kind: "later", RunAt: clk.Now().Add(time.Hour)})
			_, err := s.Claim(ctx, "a", nil, time.Minute)
			if !errors.Is(err, ErrNoJob) {
				t.Fatalf("claim with nothing due = %v, want ErrNoJob", err)
			}
			wantCode(t, err, coterie.ENOTFOUND)
		})

		t.Run("oldest due first, only the kinds asked", func(t *testing.T) {
			newer := mustEnqueue(t, s, Job{Kind: "k1", RunAt: clk.Now().Add(-time.Second)})
			older := mustEnqueue(t, s, Job{Kind: "k1", RunAt: clk.Now().Add(-time.Minute)})
			other := mustEnqueue(t, s, Job{Kind: "k2", RunAt: clk.Now().Add(-time.Hour)})
			var got []coterie.ID
			for range 2 {
				got = append(got, mustClaim(t, s, "a", time.Minute, "k1", "k9").ID)
			}
			if got[0] != older || got[1] != newer {
				t.Fatalf("claimed %v, want [%d %d]", got, older, newer)
			}
			if _, err := s.Claim(ctx, "a", []string{"k1"}, time.Minute); !errors.Is(err, ErrNoJob) {
				t.Fatalf("third claim of k1 = %v, want ErrNoJob", err)
			}
			if j := mustClaim(t, s, "a", time.Minute, "k2"); j.ID != other {
				t.Fatalf("claimed %d, want %d", j.ID, other)
			}
		})

		t.Run("claim, progress, complete", func(t *testing.T) {
			id := mustEnqueue(t, s, Job{Kind: "import", Payload: json.RawMessage(`{"path":"x.zip"}`)})
			j := mustClaim(t, s, "node-a", time.Minute, "import")
			if j.ID != id || j.Status != Running || j.Attempts != 1 || j.LockedBy != "node-a" ||
				!j.LockedUntil.Equal(clk.Now().Add(time.Minute)) || !j.StartedAt.Equal(clk.Now()) ||
				string(j.Payload) != `{"path":"x.zip"}` {
				t.Fatalf("claimed job = %+v", j)
			}
			clk.Add(30 * time.Second)
			if err := s.UpdateProgress(ctx, id, "node-a", map[string]int{"files": 3, "activities": 1200}); err != nil {
				t.Fatal(err)
			}
			got := mustGet(t, s, id)
			if string(got.Progress) != `{"activities":1200,"files":3}` || !got.LockedUntil.Equal(clk.Now().Add(time.Minute)) {
				t.Fatalf("after progress: progress %s, lease until %v", got.Progress, got.LockedUntil)
			}
			if err := s.Complete(ctx, id, "node-a", map[string]int{"added": 1200}); err != nil {
				t.Fatal(err)
			}
			got = mustGet(t, s, id)
			if got.Status != Succeeded || string(got.Result) != `{"added":1200}` || got.LockedBy != "" ||
				!got.FinishedAt.Equal(clk.Now()) || string(got.Progress) != `{"activities":1200,"files":3}` {
				t.Fatalf("completed job = %+v", got)
			}
			wantCode(t, s.Complete(ctx, id, "node-a", nil), coterie.ECONFLICT)
		})

		t.Run("unknown job", func(t *testing.T) {
			wantCode(t, s.Complete(ctx, 999999, "a", nil), coterie.ENOTFOUND)
			_, err := s.Get(ctx, 999999)
			wantCode(t, err, coterie.ENOTFOUND)
		})
	})
}

func TestStore_Claim_leaseExpiry(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := newClock()
		s := newStore(d, clk)

		t.Run("another owner takes over a silent job", func(t *testing.T) {
			id := mustEnqueue(t, s, Job{Kind: "import"})
			mustClaim(t, s, "crashed", 10*time.Second, "import")
			if _, err := s.Claim(ctx, "b", []string{"import"}, time.Minute); !errors.Is(err, ErrNoJob) {
				t.Fatalf("claim while the lease holds = %v, want ErrNoJob", err)
			}
			clk.Add(9 * time.Second)
			if err := s.Heartbeat(ctx, id, "crashed"); err != nil {
				t.Fatal(err)
			}
			clk.Add(9 * time.Second) // within the renewed lease
			if _, err := s.Claim(ctx, "b", []string{"import"}, time.Minute); !errors.Is(err, ErrNoJob) {
				t.Fatalf("claim within a renewed lease = %v, want ErrNoJob", err)
			}
			clk.Add(2 * time.Second) // the owner stopped heartbeating
			j := mustClaim(t, s, "b", time.Minute, "import")
			if j.ID != id || j.LockedBy != "b" || j.Attempts != 2 {
				t.Fatalf("taken-over job = %+v", j)
			}
			wantCode(t, s.Complete(ctx, id, "crashed", nil), coterie.ECONFLICT)
			wantCode(t, s.Fail(ctx, id, "crashed", errors.New("late")), coterie.ECONFLICT)
			wantCode(t, s.UpdateProgress(ctx, id, "crashed", 1), coterie.ECONFLICT)
			wantCode(t, s.Heartbeat(ctx, id, "crashed"), coterie.ECONFLICT)
			if err := s.Complete(ctx, id, "b", nil); err != nil {
				t.Fatalf("new owner's complete: %v", err)
			}
		})

		t.Run("lease lost on the last attempt fails the job", func(t *testing.T) {
			id := mustEnqueue(t, s, Job{Kind: "crashy", MaxAttempts: 1})
			mustClaim(t, s, "a", time.Second, "crashy")
			clk.Add(2 * time.Second)
			if _, err := s.Claim(ctx, "b", []string{"crashy"}, time.Minute); !errors.Is(err, ErrNoJob) {
				t.Fatalf("claim of an exhausted job = %v, want ErrNoJob", err)
			}
			j := mustGet(t, s, id)
			if j.Status != Failed || j.Error == "" || j.LockedBy != "" {
				t.Fatalf("exhausted job = %+v", j)
			}
		})
	})
}

func TestStore_Fail(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := newClock()
		s := newStore(d, clk)

		t.Run("retries with backoff, then fails", func(t *testing.T) {
			id := mustEnqueue(t, s, Job{Kind: "flaky", MaxAttempts: 3})
			for attempt := 1; attempt <= 3; attempt++ {
				j := mustClaim(t, s, "a", time.Minute, "flaky")
				if j.ID != id || j.Attempts != attempt {
					t.Fatalf("attempt %d claimed %+v", attempt, j)
				}
				if err := s.Fail(ctx, id, "a", fmt.Errorf("boom %d", attempt)); err != nil {
					t.Fatal(err)
				}
				j = mustGet(t, s, id)
				if attempt == 3 {
					if j.Status != Failed || j.Error != "boom 3" || !j.FinishedAt.Equal(clk.Now()) {
						t.Fatalf("after the last attempt: %+v", j)
					}
					break
				}
				wait := j.RunAt.Sub(clk.Now())
				base := time.Duration(1<<attempt) * time.Second
				if j.Status != Queued || j.Error != fmt.Sprintf("boom %d", attempt) || j.LockedBy != "" ||
					wait < base*3/4 || wait > base*5/4 {
					t.Fatalf("after attempt %d: status %s, error %q, retry in %v (want about %v)", attempt, j.Status, j.Error, wait, base)
				}
				clk.Add(wait - time.Millisecond)
				if _, err := s.Claim(ctx, "a", []string{"flaky"}, time.Minute); !errors.Is(err, ErrNoJob) {
					t.Fatalf("claim before the backoff ended = %v, want ErrNoJob", err)
				}
				clk.Add(time.Millisecond)
			}
			if _, err := s.Claim(ctx, "a", []string{"flaky"}, time.Minute); !errors.Is(err, ErrNoJob) {
				t.Fatalf("claim of a failed job = %v, want ErrNoJob", err)
			}
		})

		t.Run("permanent error fails at once", func(t *testing.T) {
			id := mustEnqueue(t, s, Job{Kind: "parse"})
			mustClaim(t, s, "a", time.Minute, "parse")
			if err := s.Fail(ctx, id, "a", Permanent(errors.New("line 3: bad date"))); err != nil {
				t.Fatal(err)
			}
			if j := mustGet(t, s, id); j.Status != Failed || j.Error != "line 3: bad date" || j.Attempts != 1 {
				t.Fatalf("permanently failed job = %+v", j)
			}
		})
	})
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempts int
		base     time.Duration
	}{{1, 2 * time.Second}, {5, 32 * time.Second}, {20, time.Hour}, {1000, time.Hour}} {
		for range 20 {
			if got := Backoff(tc.attempts); got < tc.base*3/4 || got > tc.base*5/4 {
				t.Fatalf("Backoff(%d) = %v, want %v ±25%%", tc.attempts, got, tc.base)
			}
		}
	}
}

func TestStore_Cancel(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := newClock()
		s := newStore(d, clk)

		t.Run("queued job never runs", func(t *testing.T) {
			id := mustEnqueue(t, s, Job{Kind: "q"})
			if err := s.Cancel(ctx, id); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Claim(ctx, "a", []string{"q"}, time.Minute); !errors.Is(err, ErrNoJob) {
				t.Fatalf("claim after cancel = %v, want ErrNoJob", err)
			}
			if j := mustGet(t, s, id); j.Status != Cancelled || j.FinishedAt.IsZero() {
				t.Fatalf("cancelled job = %+v", j)
			}
			if err := s.Cancel(ctx, id); err != nil {
				t.Fatalf("second cancel = %v, want nil", err)
			}
		})
		t.Run("running job's worker is told to stop", func(t *testing.T) {
			id := mustEnqueue(t, s, Job{Kind: "r"})
			mustClaim(t, s, "a", time.Minute, "r")
			if err := s.Cancel(ctx, id); err != nil {
				t.Fatal(err)
			}
			wantCode(t, s.Heartbeat(ctx, id, "a"), coterie.ECONFLICT)
			wantCode(t, s.Complete(ctx, id, "a", nil), coterie.ECONFLICT)
			if j := mustGet(t, s, id); j.Status != Cancelled {
				t.Fatalf("status = %s, want cancelled", j.Status)
			}
		})
		t.Run("finished job", func(t *testing.T) {
			id := mustEnqueue(t, s, Job{Kind: "f"})
			mustClaim(t, s, "a", time.Minute, "f")
			if err := s.Complete(ctx, id, "a", nil); err != nil {
				t.Fatal(err)
			}
			wantCode(t, s.Cancel(ctx, id), coterie.ECONFLICT)
		})
		t.Run("unknown job", func(t *testing.T) {
			wantCode(t, s.Cancel(ctx, 424242), coterie.ENOTFOUND)
		})
	})
}

func TestStore_Release(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := newClock()
		s := newStore(d, clk)
		id := mustEnqueue(t, s, Job{Kind: "long"})
		mustClaim(t, s, "a", time.Minute, "long")
		if err := s.UpdateProgress(ctx, id, "a", map[string]int{"files": 2}); err != nil {
			t.Fatal(err)
		}
		if err := s.Release(ctx, id, "a"); err != nil {
			t.Fatal(err)
		}
		j := mustGet(t, s, id)
		if j.Status != Queued || j.Attempts != 0 || j.LockedBy != "" || !j.LockedUntil.IsZero() {
			t.Fatalf("released job = %+v", j)
		}
		j = mustClaim(t, s, "b", time.Minute, "long")
		if j.ID != id || j.Attempts != 1 || string(j.Progress) != `{"files":2}` {
			t.Fatalf("resumed job = %+v, want attempt 1 with the saved progress", j)
		}
		wantCode(t, s.Release(ctx, id, "a"), coterie.ECONFLICT)
	})
}

func TestStore_List(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newStore(d, newClock())
		wsA, wsB := newWorkspace(t, d, "a"), newWorkspace(t, d, "b")
		var aIDs []coterie.ID
		for i := range 5 {
			aIDs = append(aIDs, mustEnqueue(t, s, Job{WorkspaceID: wsA, Kind: []string{"import", "score"}[i%2]}))
		}
		bID := mustEnqueue(t, s, Job{WorkspaceID: wsB, Kind: "import"})
		mustClaim(t, s, "x", time.Minute, "score") // aIDs[1] runs

		ids := func(js []Job) []coterie.ID {
			var out []coterie.ID
			for _, j := range js {
				out = append(out, j.ID)
			}
			return out
		}
		for _, tc := range []struct {
			name string
			f    Filter
			want []coterie.ID
		}{
			{"workspace, newest first", Filter{WorkspaceID: wsA}, []coterie.ID{aIDs[4], aIDs[3], aIDs[2], aIDs[1], aIDs[0]}},
			{"other workspace", Filter{WorkspaceID: wsB}, []coterie.ID{bID}},
			{"kind", Filter{WorkspaceID: wsA, Kind: "score"}, []coterie.ID{aIDs[3], aIDs[1]}},
			{"status", Filter{Status: Running}, []coterie.ID{aIDs[1]}},
			{"first page", Filter{WorkspaceID: wsA, Limit: 2}, []coterie.ID{aIDs[4], aIDs[3]}},
			{"next page", Filter{WorkspaceID: wsA, Limit: 2, Cursor: aIDs[3]}, []coterie.ID{aIDs[2], aIDs[1]}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.List(ctx, tc.f)
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(ids(got)) != fmt.Sprint(tc.want) {
					t.Fatalf("List(%+v) = %v, want %v", tc.f, ids(got), tc.want)
				}
			})
		}
	})
}

func TestStore_Stats(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newStore(d, newClock())
		for range 3 {
			mustEnqueue(t, s, Job{Kind: "k"})
		}
		j := mustClaim(t, s, "a", time.Minute)
		if err := s.Complete(ctx, j.ID, "a", nil); err != nil {
			t.Fatal(err)
		}
		mustClaim(t, s, "a", time.Minute)
		got, err := s.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[Status]int64{Queued: 1, Running: 1, Succeeded: 1, Failed: 0, Cancelled: 0}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("Stats = %v, want %v", got, want)
		}
	})
}

func TestStore_DeleteFinished(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := newClock()
		s := newStore(d, clk)
		old := mustEnqueue(t, s, Job{Kind: "k"})
		mustClaim(t, s, "a", time.Minute)
		if err := s.Complete(ctx, old, "a", nil); err != nil {
			t.Fatal(err)
		}
		pending := mustEnqueue(t, s, Job{Kind: "k", RunAt: clk.Now().Add(time.Hour)})
		clk.Add(48 * time.Hour)
		n, err := s.DeleteFinished(ctx, clk.Now().Add(-24*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("DeleteFinished = %d, %v; want 1", n, err)
		}
		if _, err := s.Get(ctx, old); coterie.ErrorCode(err) != coterie.ENOTFOUND {
			t.Fatalf("old job still there: %v", err)
		}
		mustGet(t, s, pending)
	})
}

func TestStore_EnqueueDue(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clk := newClock()
		// Two stores on two handles: two nodes racing for the same period.
		s1, s2 := newStore(d, clk), newStore(secondHandle(t, d), clk)
		start := clk.Now()
		if err := s1.SetSchedule(ctx, Schedule{Name: "rollup", Kind: "rollup", Every: time.Hour}); err != nil {
			t.Fatal(err)
		}
		// Declaring it again at the next start neither moves nor duplicates it.
		clk.Add(time.Minute)
		if err := s2.SetSchedule(ctx, Schedule{Name: "rollup", Kind: "rollup", Every: time.Hour,
			Payload: json.RawMessage(`{"v":2}`)}); err != nil {
			t.Fatal(err)
		}

		race := func() []coterie.ID {
			var mu sync.Mutex
			var all []coterie.ID
			var wg sync.WaitGroup
			for i := range 8 {
				s := []*Store{s1, s2}[i%2]
				wg.Go(func() {
					ids, err := s.EnqueueDue(ctx)
					if err != nil {
						t.Errorf("EnqueueDue: %v", err)
					}
					mu.Lock()
					all = append(all, ids...)
					mu.Unlock()
				})
			}
			wg.Wait()
			return all
		}

		if got := race(); len(got) != 1 {
			t.Fatalf("first period enqueued %d jobs, want 1", len(got))
		}
		if got := race(); len(got) != 0 {
			t.Fatalf("same period again enqueued %d jobs, want 0", len(got))
		}
		scs, err := s1.Schedules(ctx)
		if err != nil || len(scs) != 1 || !scs[0].NextRunAt.Equal(start.Add(time.Hour)) || string(scs[0].Payload) != `{"v":2}` {
			t.Fatalf("schedules = %+v, %v; want next run an hour after the start", scs, err)
		}

		// Down for three periods: one job, not three, and the next run lies ahead.
		clk.Add(3*time.Hour + 30*time.Minute)
		if got := race(); len(got) != 1 {
			t.Fatalf("after a long pause enqueued %d jobs, want 1", len(got))
		}
		scs, _ = s1.Schedules(ctx)
		if want := start.Add(4 * time.Hour); !scs[0].NextRunAt.Equal(want) {
			t.Fatalf("next run = %v, want %v", scs[0].NextRunAt, want)
		}
		jobs, err := s1.List(ctx, Filter{Kind: "rollup"})
		if err != nil || len(jobs) != 2 || string(jobs[0].Payload) != `{"v":2}` {
			t.Fatalf("rollup jobs = %+v, %v; want 2 with the latest payload", jobs, err)
		}

		if err := s1.DeleteSchedule(ctx, "rollup"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s1.DeleteSchedule(ctx, "rollup"), coterie.ENOTFOUND)
		wantCode(t, s1.SetSchedule(ctx, Schedule{Name: "x", Kind: "x"}), coterie.EINVALID)
	})
}
