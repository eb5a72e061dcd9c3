package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"github.com/coteriehq/coterie/internal/coterie"
)

// Handler runs one job. It should stop when ctx is done: the job was
// cancelled, its lease was lost, or the process is shutting down. progress
// records how far it got (any JSON-encodable value, kept with the job and
// shown to users; a retried or resumed job finds it in job.Progress); it
// returns an error once the job no longer belongs to this worker. A returned
// error fails the attempt (wrap it in Permanent to skip the retries); the
// result is stored with the job on success.
type Handler func(ctx context.Context, job *Job, progress func(any) error) (result any, err error)

// RunnerOptions tune a Runner. Zero fields take the defaults.
type RunnerOptions struct {
	// Concurrency is how many jobs run at once (default 2).
	Concurrency int
	// Poll is how often to look for due jobs and schedules when idle
	// (default 1s).
	Poll time.Duration
	// Lease is how long a claimed job stays with this runner without a
	// heartbeat; heartbeats come every Lease/3 (default 1m). After a crash,
	// another node resumes the job once the lease ran out.
	Lease time.Duration
	// ShutdownTimeout is how long a shutdown waits for running jobs before
	// handing them back (default 10s).
	ShutdownTimeout time.Duration
	// ProgressInterval is the least time between two progress writes of a
	// job; reports in between are coalesced (default 1s or Lease/3 if less).
	ProgressInterval time.Duration
	// Logger receives job failures and lost leases (default: discarded).
	Logger *slog.Logger
}

// Runner claims and runs jobs of the kinds it has handlers for, and enqueues
// scheduled jobs when due.
type Runner struct {
	store    *Store
	owner    string
	handlers map[string]Handler
	kinds    []string
	opts     RunnerOptions
	log      *slog.Logger
}

// NewRunner returns a Runner that claims jobs as owner, which must be unique
// among the processes sharing the database (see NewOwner).
func NewRunner(store *Store, owner string, handlers map[string]Handler, opts RunnerOptions) *Runner {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 2
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.Lease <= 0 {
		opts.Lease = time.Minute
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 10 * time.Second
	}
	if opts.ProgressInterval <= 0 {
		opts.ProgressInterval = min(time.Second, opts.Lease/3)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	kinds := make([]string, 0, len(handlers))
	for k := range handlers {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return &Runner{store: store, owner: owner, handlers: handlers, kinds: kinds, opts: opts,
		log: log.With("owner", owner)}
}

// Owner returns the name the runner claims jobs under.
func (r *Runner) Owner() string { return r.owner }

// Causes of a job's context ending, which decide what becomes of the job.
var (
	errShutdown  = errors.New("jobs: runner shutting down")
	errLeaseLost = errors.New("jobs: lease lost")
)

// dbTimeout bounds each bookkeeping statement, which runs on a context of
// its own so that a shutdown does not cut it off half-way.
const dbTimeout = 10 * time.Second

// Run claims and runs jobs until ctx is done, then shuts down gracefully:
// it stops claiming, waits up to ShutdownTimeout for running jobs, then
// cancels the rest and hands them back to the queue (their attempt is not
// counted) for another node or the next start to resume. It returns nil
// after a shutdown.
func (r *Runner) Run(ctx context.Context) error {
	if len(r.kinds) == 0 {
		return coterie.Errorf(coterie.EINVALID, "job runner has no handlers")
	}
	// Jobs outlive ctx for the grace period, so their context is cut off
	// from its cancellation (keeping its values) and cancelled separately.
	jobsCtx, stopJobs := context.WithCancelCause(context.WithoutCancel(ctx))
	defer stopJobs(errShutdown)
	var wg sync.WaitGroup
	slots := make(chan struct{}, r.opts.Concurrency)
	freed := make(chan struct{}, 1)
	var lastSchedules time.Time
	for ctx.Err() == nil {
		if time.Since(lastSchedules) >= r.opts.Poll {
			lastSchedules = time.Now()
			if _, err := r.store.EnqueueDue(ctx); err != nil && ctx.Err() == nil {
				r.log.Error("enqueue scheduled jobs", "err", err)
			}
		}
		for len(slots) < cap(slots) && ctx.Err() == nil {
			job, err := r.claim(ctx)
			if err != nil {
				if !errors.Is(err, ErrNoJob) {
					r.log.Error("claim job", "err", err)
				}
				break
			}
			slots <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.run(jobsCtx, job)
				<-slots
				select {
				case freed <- struct{}{}:
				default:
				}
			}()
		}
		t := time.NewTimer(r.opts.Poll)
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-freed:
		}
		t.Stop()
	}

	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(r.opts.ShutdownTimeout)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-t.C:
	}
	stopJobs(errShutdown)
	// A handler that ignores its context would hold Run forever; after a
	// lease's time its heartbeats have stopped, the lease has run out and
	// the job is another node's to resume anyway.
	t.Reset(r.opts.Lease)
	select {
	case <-done:
	case <-t.C:
		r.log.Warn("jobs did not stop after shutdown; leaving them to their leases")
	}
	return nil
}

// claim claims one job on a context that ctx's cancellation does not cut
// off half-way, which would leave a claimed job nobody knows about.
func (r *Runner) claim(ctx context.Context) (*Job, error) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dbTimeout)
	defer cancel()
	return r.store.Claim(cctx, r.owner, r.kinds, r.opts.Lease)
}

// progress coalesces a job's progress reports into at most one write per
// interval; the heartbeat and the end of the job write what is left.
type progress struct {
	mu      sync.Mutex
	pending json.RawMessage
	last    time.Time
}

// run runs one claimed job to its end and records the outcome.
func (r *Runner) run(parent context.Context, job *Job) {
	log := r.log.With("job", job.ID, "kind", job.Kind, "attempt", job.Attempts)
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	bg := context.WithoutCancel(parent)
	var p progress

	// flush writes pending progress, which also renews the lease; with
	// nothing pending it just renews the lease.
	flush := func(force bool) error {
		p.mu.Lock()
		defer p.mu.Unlock()
		if !force && (p.pending == nil || time.Since(p.last) < r.opts.ProgressInterval) {
			return nil
		}
		wctx, wcancel := context.WithTimeout(bg, dbTimeout)
		defer wcancel()
		var err error
		if p.pending != nil {
			err = r.store.UpdateProgress(wctx, job.ID, r.owner, p.pending)
		} else {
			err = r.store.Heartbeat(wctx, job.ID, r.owner)
		}
		if err == nil {
			p.pending, p.last = nil, time.Now()
		}
		return err
	}
	report := func(v any) error {
		if errors.Is(context.Cause(ctx), errLeaseLost) {
			return coterie.Errorf(coterie.ECONFLICT, "job %d no longer belongs to this worker", job.ID)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return coterie.Errorf(coterie.EINVALID, "encode progress: %v", err)
		}
		p.mu.Lock()
		p.pending = b
		p.mu.Unlock()
		err = flush(false)
		if coterie.ErrorCode(err) == coterie.ECONFLICT || coterie.ErrorCode(err) == coterie.ENOTFOUND {
			cancel(errLeaseLost)
		}
		return err
	}

	hbDone := make(chan struct{})
	hbStopped := make(chan struct{})
	go func() {
		defer close(hbStopped)
		tick := time.NewTicker(r.opts.Lease / 3)
		defer tick.Stop()
		renewed := time.Now()
		for {
			select {
			case <-hbDone:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			err := flush(true)
			switch {
			case err == nil:
				renewed = time.Now()
			case coterie.ErrorCode(err) == coterie.ECONFLICT || coterie.ErrorCode(err) == coterie.ENOTFOUND:
				log.Warn("job lost its lease; stopping it", "err", err)
				cancel(errLeaseLost)
				return
			case time.Since(renewed) >= r.opts.Lease:
				// The lease ran out while the database was unreachable:
				// another node may have the job now.
				log.Error("cannot renew job lease; stopping it", "err", err)
				cancel(errLeaseLost)
				return
			default:
				log.Warn("renew job lease", "err", err)
			}
		}
	}()

	result, err := r.call(ctx, job, report)
	close(hbDone)
	<-hbStopped

	cause := context.Cause(ctx)
	if errors.Is(cause, errLeaseLost) {
		return // cancelled, or someone else runs it now: nothing to record
	}
	wctx, wcancel := context.WithTimeout(bg, dbTimeout)
	defer wcancel()
	p.mu.Lock()
	pending := p.pending
	p.mu.Unlock()
	if pending != nil {
		if perr := r.store.UpdateProgress(wctx, job.ID, r.owner, pending); perr != nil {
			log.Warn("record final progress", "err", perr)
		}
	}
	var rerr error
	switch {
	case err == nil:
		rerr = r.store.Complete(wctx, job.ID, r.owner, result)
	case errors.Is(cause, errShutdown):
		log.Info("handing job back at shutdown")
		rerr = r.store.Release(wctx, job.ID, r.owner)
	default:
		log.Warn("job attempt failed", "err", err)
		rerr = r.store.Fail(wctx, job.ID, r.owner, err)
	}
	if rerr != nil {
		log.Error("record job outcome", "err", rerr)
	}
}

// call runs the handler, turning a panic into the attempt's error.
func (r *Runner) call(ctx context.Context, job *Job, report func(any) error) (result any, err error) {
	defer func() {
		if v := recover(); v != nil {
			r.log.Error("job handler panicked", "job", job.ID, "kind", job.Kind, "panic", v, "stack", string(debug.Stack()))
			result, err = nil, fmt.Errorf("panic: %v", v)
		}
	}()
	h := r.handlers[job.Kind]
	if h == nil {
		// Claim only asks for kinds with handlers; this is a safety net.
		return nil, Permanent(fmt.Errorf("no handler for job kind %q", job.Kind))
	}
	return h(ctx, job, report)
}
