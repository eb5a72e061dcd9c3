// Package db opens Coterie's database on SQLite or PostgreSQL from one DSN,
// tunes it, applies the embedded migrations and hides the few dialect
// differences. Capability packages own their SQL and run it through DB.
package db

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// Engine names a database engine.
type Engine string

// Engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// DB is an open database. On SQLite, Write is a single connection (SQLite
// allows one writer; queuing writers in the pool is cheaper than retrying
// SQLITE_BUSY) and Read a pool of readers. On PostgreSQL both are one pool.
type DB struct {
	Engine Engine
	DSN    string
	Write  *sql.DB
	Read   *sql.DB
	pool   *pgxpool.Pool
}

// ParseDSN tells the engine of a DSN and returns the engine-specific part:
// "postgres://..." or "postgresql://..." select PostgreSQL; "sqlite:PATH" or a
// plain path select SQLite.
func ParseDSN(dsn string) (Engine, string, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return Postgres, dsn, nil
	case strings.HasPrefix(dsn, "sqlite:"):
		p := strings.TrimPrefix(dsn, "sqlite:")
		p = strings.TrimPrefix(p, "//")
		if p == "" {
			return "", "", fmt.Errorf("db: empty SQLite path in %q", dsn)
		}
		return SQLite, p, nil
	case dsn == "":
		return "", "", fmt.Errorf("db: no database given")
	case strings.Contains(dsn, "://"):
		return "", "", fmt.Errorf("db: unknown database scheme in %q (use a path, sqlite:PATH or postgres://...)", dsn)
	default:
		return SQLite, dsn, nil
	}
}

// Open opens the database named by dsn. It does not migrate.
func Open(ctx context.Context, dsn string) (*DB, error) {
	engine, target, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	switch engine {
	case Postgres:
		return openPostgres(ctx, dsn, target)
	default:
		return openSQLite(ctx, dsn, target)
	}
}

func sqliteURL(path string, readOnly bool) string {
	// busy_timeout comes first so that every later pragma already waits
	// instead of failing on a locked database.
	q := "_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
		"&_pragma=foreign_keys(1)&_pragma=temp_store(MEMORY)&_pragma=cache_size(-65536)"
	if readOnly {
		q += "&_pragma=query_only(1)"
	} else {
		// Writers take the write lock at BEGIN, so a transaction never fails
		// half-way when it upgrades from reader to writer.
		q += "&_txlock=immediate"
	}
	return "file:" + path + "?" + q
}

func openSQLite(ctx context.Context, dsn, path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("db: create %s: %w", dir, err)
		}
	}
	w, err := sql.Open("sqlite", sqliteURL(path, false))
	if err != nil {
		return nil, fmt.Errorf("db: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("db: open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", sqliteURL(path, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("db: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	return &DB{Engine: SQLite, DSN: dsn, Write: w, Read: r}, nil
}

func openPostgres(ctx context.Context, dsn, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("db: parse postgres DSN: %w", err)
	}
	if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("db: open postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("db: connect postgres: %w", err)
	}
	sdb := stdlib.OpenDBFromPool(pool)
	return &DB{Engine: Postgres, DSN: dsn, Write: sdb, Read: sdb, pool: pool}, nil
}

// Dedicated returns a write connection of its own, for a long write such as
// an import, and a function that releases it. On SQLite it is a separate
// connection: the shared writer connection stays free for the rest of the
// process (sessions, job progress), whose writes then wait on SQLite's lock
// (busy_timeout) only while the long write commits, instead of queuing
// behind the whole import. On PostgreSQL it is a connection of the pool.
func (d *DB) Dedicated(ctx context.Context) (*sql.Conn, func(), error) {
	if d.Engine == Postgres {
		c, err := d.Write.Conn(ctx)
		if err != nil {
			return nil, nil, err
		}
		return c, func() { c.Close() }, nil
	}
	_, path, err := ParseDSN(d.DSN)
	if err != nil {
		return nil, nil, err
	}
	pool, err := sql.Open("sqlite", sqliteURL(path, false))
	if err != nil {
		return nil, nil, fmt.Errorf("db: open %s: %w", path, err)
	}
	pool.SetMaxOpenConns(1)
	c, err := pool.Conn(ctx)
	if err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("db: open %s: %w", path, err)
	}
	return c, func() { c.Close(); pool.Close() }, nil
}

// Close closes every pool.
func (d *DB) Close() error {
	err := d.Write.Close()
	if d.Read != d.Write {
		if e := d.Read.Close(); err == nil {
			err = e
		}
	}
	if d.pool != nil {
		d.pool.Close()
	}
	return err
}

// PgxConn returns the native pgx connection behind a database/sql connection
// of a PostgreSQL DB, for CopyFrom. Statements sent on it run in the same
// session, and so inside any transaction open on conn.
func PgxConn(conn *sql.Conn, fn func(*pgx.Conn) error) error {
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("db: not a PostgreSQL connection")
		}
		return fn(c.Conn())
	})
}

// Querier is what *sql.DB, *sql.Tx and *sql.Conn have in common.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// InTx runs fn in a write transaction, committing when fn returns nil.
func (d *DB) InTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

// IsUniqueViolation reports whether err is a unique-constraint violation on
// either engine.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505")
}
