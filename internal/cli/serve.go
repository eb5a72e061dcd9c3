package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/coteriehq/coterie/internal/api"
	"github.com/coteriehq/coterie/internal/auth"
	"github.com/coteriehq/coterie/internal/community"
	"github.com/coteriehq/coterie/internal/importer"
	"github.com/coteriehq/coterie/internal/jobs"
	"github.com/coteriehq/coterie/internal/web"
)

func (a *app) serveCmd() *cobra.Command {
	var secure bool
	addr := os.Getenv("COTERIE_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the dashboard (on embedded SQLite unless --db says otherwise)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			log := slog.New(slog.NewTextHandler(a.stderr, nil))
			d, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer d.Close()
			st := community.NewStore(d)
			as := auth.NewStore(d)
			js := jobs.NewStore(d)
			dash, err := web.New(web.Deps{Community: st, Auth: as, Jobs: js, Log: log, Secure: secure})
			if err != nil {
				return err
			}
			h := http.NewServeMux()
			h.Handle("/api/", api.New(api.Deps{Community: st, Auth: as, Jobs: js, Log: log}))
			h.Handle("/", dash)
			// Background jobs (imports) run in this process; with several
			// processes on one PostgreSQL they share the queue.
			runner := jobs.NewRunner(js, jobs.NewOwner(),
				map[string]jobs.Handler{importer.JobKind: importer.Handler(st)},
				jobs.RunnerOptions{Logger: log})
			jobsDone := make(chan error, 1)
			jobsCtx, stopJobs := context.WithCancel(context.Background())
			defer stopJobs()
			go func() { jobsDone <- runner.Run(jobsCtx) }()
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", addr, err)
			}
			srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
			log.Info("coterie is serving", "url", "http://"+ln.Addr().String(), "db", string(d.Engine), "data", dataDir(a.dsn))
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(ln) }()
			select {
			case err := <-errc:
				return err
			case <-ctx.Done():
			}
			shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			// Running jobs finish, or are handed back for the next start.
			stopJobs()
			if err := <-jobsDone; err != nil && !errors.Is(err, context.Canceled) {
				log.Error("jobs", "err", err)
			}
			log.Info("coterie stopped")
			return nil
		},
	}
	c.Flags().StringVar(&addr, "addr", addr, "address to listen on (env COTERIE_ADDR)")
	c.Flags().BoolVar(&secure, "secure-cookies", os.Getenv("COTERIE_SECURE_COOKIES") == "true",
		"mark session cookies Secure: set it when users reach Coterie over HTTPS (env COTERIE_SECURE_COOKIES=true)")
	return c
}
