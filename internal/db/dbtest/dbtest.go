// Package dbtest gives each test a fresh, fully migrated database on every
// engine: SQLite in a temporary file, and PostgreSQL in a schema of its own
// on the server named by COTERIE_TEST_POSTGRES (scripts/test starts one).
// Without that variable the PostgreSQL run is skipped, except under CI,
// where it fails: a PostgreSQL-only bug must not be able to land.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/coteriehq/coterie/internal/db"
)

// EnvPostgres names the environment variable holding the PostgreSQL DSN
// tests use.
const EnvPostgres = "COTERIE_TEST_POSTGRES"

// Engines runs fn once per engine, as subtests named "sqlite" and "postgres",
// each with a fresh migrated database.
func Engines(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, New(t, db.SQLite))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, New(t, db.Postgres))
	})
}

// New returns a fresh migrated database of the given engine, closed and
// removed when the test ends.
func New(t testing.TB, engine db.Engine) *db.DB {
	t.Helper()
	dsn := DSN(t, engine)
	d, err := db.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open %s: %v", engine, err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s: %v", engine, err)
	}
	return d
}

// DSN returns the DSN of a fresh, empty database of the given engine (for
// tests that run the binary against it).
func DSN(t testing.TB, engine db.Engine) string {
	t.Helper()
	if engine == db.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "coterie.db")
	}
	base := os.Getenv(EnvPostgres)
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: CI must run the PostgreSQL tests (use scripts/test)", EnvPostgres)
		}
		t.Skipf("%s is not set: run scripts/test to test on PostgreSQL", EnvPostgres)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("postgres: create schema: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		a.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("postgres DSN: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
