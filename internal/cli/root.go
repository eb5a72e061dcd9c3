// Package cli is the coterie command line: it parses flags, opens the
// database and calls the capability packages. It holds no business logic.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/coteriehq/coterie/internal/community"
	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/db"
)

// Exit codes. They mean something to scripts.
const (
	ExitOK       = 0
	ExitFailure  = 1 // internal error, or an import with damaged files
	ExitUsage    = 2 // bad flags or arguments, invalid input
	ExitNotFound = 3
	ExitConflict = 4
)

// DefaultDB is where the embedded database lives unless told otherwise.
const DefaultDB = "coterie-data/coterie.db"

// Version is set by cmd/coterie from build flags.
var Version = "dev"

type app struct {
	dsn     string
	migrate bool
	stdout  io.Writer
	stderr  io.Writer
}

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// Main runs the command line and returns the process exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr}
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "coterie:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "coterie:", err)
	switch coterie.ErrorCode(err) {
	case coterie.EINVALID:
		return ExitUsage
	case coterie.ENOTFOUND:
		return ExitNotFound
	case coterie.ECONFLICT:
		return ExitConflict
	}
	var ue usageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	return ExitFailure
}

type usageError struct{ error }

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "coterie",
		Short:         "Coterie: community intelligence and programs for brands that grow micro communities",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	def := os.Getenv("COTERIE_DB")
	if def == "" {
		def = DefaultDB
	}
	root.PersistentFlags().StringVar(&a.dsn, "db", def,
		"database: a path or sqlite:PATH for embedded SQLite, postgres://... for PostgreSQL (env COTERIE_DB)")
	root.PersistentFlags().BoolVar(&a.migrate, "migrate", false,
		"apply pending migrations on PostgreSQL (SQLite is always migrated, after a backup copy)")
	root.AddCommand(a.importCmd(), a.membersCmd(), a.reportCmd(), a.serveCmd(), a.migrateCmd(), a.workspacesCmd())
	return root
}

// open opens and migrates the database: SQLite always (a backup copy is
// made first when the file already has data), PostgreSQL only when asked.
func (a *app) open(ctx context.Context) (*db.DB, error) {
	d, err := db.Open(ctx, a.dsn)
	if err != nil {
		return nil, err
	}
	pending, err := d.Pending(ctx)
	if err != nil {
		d.Close()
		return nil, err
	}
	if len(pending) == 0 {
		return d, nil
	}
	if d.Engine == db.Postgres && !a.migrate {
		d.Close()
		return nil, &exitError{code: ExitFailure, err: fmt.Errorf(
			"the PostgreSQL database has %d pending migration(s): run again with --migrate to apply them", len(pending))}
	}
	if d.Engine == db.SQLite {
		if err := backupBeforeMigrate(ctx, d, len(pending)); err != nil {
			d.Close()
			return nil, err
		}
	}
	if err := d.Migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// backupBeforeMigrate copies an SQLite database that already holds data
// before its schema is changed.
func backupBeforeMigrate(ctx context.Context, d *db.DB, pending int) error {
	all, err := d.Migrations()
	if err != nil {
		return err
	}
	if pending == len(all) {
		return nil // a new database: nothing to keep
	}
	_, path, _ := db.ParseDSN(d.DSN)
	dst := fmt.Sprintf("%s.%s.bak", path, time.Now().UTC().Format("20060102T150405Z"))
	if _, err := d.Write.ExecContext(ctx, `VACUUM INTO $1`, dst); err != nil {
		return fmt.Errorf("backup before migration: %w", err)
	}
	return nil
}

func (a *app) store(ctx context.Context) (*community.Store, func(), error) {
	d, err := a.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	return community.NewStore(d), func() { d.Close() }, nil
}

func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (a *app) migrateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a.migrate = true
			d, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer d.Close()
			fmt.Fprintln(a.stdout, "database is up to date")
			return nil
		},
	}
}

func (a *app) workspacesCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "workspaces",
		Short: "List workspaces and their communities",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, done, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			type entry struct {
				Workspace   string   `json:"workspace"`
				Communities []string `json:"communities"`
			}
			out := []entry{}
			wss, err := st.FindWorkspaces(cmd.Context())
			if err != nil {
				return err
			}
			for _, w := range wss {
				cs, err := st.FindCommunities(cmd.Context(), w.ID)
				if err != nil {
					return err
				}
				e := entry{Workspace: w.Name, Communities: []string{}}
				for _, c := range cs {
					e.Communities = append(e.Communities, c.Name)
				}
				out = append(out, e)
			}
			if asJSON {
				return a.printJSON(out)
			}
			for _, e := range out {
				fmt.Fprintln(a.stdout, e.Workspace)
				for _, c := range e.Communities {
					fmt.Fprintln(a.stdout, "  "+c)
				}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// dataDir is the folder of an SQLite DSN, for messages.
func dataDir(dsn string) string {
	if e, p, err := db.ParseDSN(dsn); err == nil && e == db.SQLite {
		return filepath.Dir(p)
	}
	return ""
}
