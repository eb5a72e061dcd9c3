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

	"github.com/coteriehq/coterie/internal/community"
	"github.com/coteriehq/coterie/internal/web"
)

func (a *app) serveCmd() *cobra.Command {
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
			h, err := web.New(community.NewStore(d), log)
			if err != nil {
				return err
			}
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
			log.Info("coterie stopped")
			return nil
		},
	}
	c.Flags().StringVar(&addr, "addr", addr, "address to listen on (env COTERIE_ADDR)")
	return c
}
