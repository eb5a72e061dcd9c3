// Package community stores workspaces, communities, sources, channels,
// members, identities and activities, and owns identity resolution, merges,
// unmerges and erasure.
package community

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/db"
)

// Store is the community data core on one database.
type Store struct {
	db  *db.DB
	now func() time.Time
}

// NewStore returns a Store on d.
func NewStore(d *db.DB) *Store {
	return &Store{db: d, now: time.Now}
}

// DB returns the database the store runs on.
func (s *Store) DB() *db.DB { return s.db }

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

// EnsureWorkspace returns the workspace with this name, creating it if needed.
func (s *Store) EnsureWorkspace(ctx context.Context, name string) (*coterie.Workspace, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, coterie.Errorf(coterie.EINVALID, "workspace name is empty")
	}
	if _, err := s.db.Write.ExecContext(ctx, `/* Community.EnsureWorkspace */
		INSERT INTO workspace (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
		name, ms(s.now())); err != nil {
		return nil, fmt.Errorf("ensure workspace %q: %w", name, err)
	}
	return s.FindWorkspaceByName(ctx, name)
}

// FindWorkspaceByName returns the workspace with this name.
func (s *Store) FindWorkspaceByName(ctx context.Context, name string) (*coterie.Workspace, error) {
	var w coterie.Workspace
	var created int64
	err := s.db.Write.QueryRowContext(ctx, `/* Community.FindWorkspaceByName */
		SELECT id, name, created_at FROM workspace WHERE name = $1`, name).Scan(&w.ID, &w.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, coterie.Errorf(coterie.ENOTFOUND, "workspace %q not found", name)
	}
	if err != nil {
		return nil, fmt.Errorf("find workspace %q: %w", name, err)
	}
	w.CreatedAt = time.UnixMilli(created).UTC()
	return &w, nil
}

// FindWorkspaces returns every workspace, by name.
func (s *Store) FindWorkspaces(ctx context.Context) ([]coterie.Workspace, error) {
	rows, err := s.db.Read.QueryContext(ctx, `/* Community.FindWorkspaces */
		SELECT id, name, created_at FROM workspace ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("find workspaces: %w", err)
	}
	defer rows.Close()
	var out []coterie.Workspace
	for rows.Next() {
		var w coterie.Workspace
		var created int64
		if err := rows.Scan(&w.ID, &w.Name, &created); err != nil {
			return nil, err
		}
		w.CreatedAt = time.UnixMilli(created).UTC()
		out = append(out, w)
	}
	return out, rows.Err()
}

// EnsureCommunity returns the community with this name in the workspace,
// creating it if needed.
func (s *Store) EnsureCommunity(ctx context.Context, workspaceID coterie.ID, name string) (*coterie.Community, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, coterie.Errorf(coterie.EINVALID, "community name is empty")
	}
	if _, err := s.db.Write.ExecContext(ctx, `/* Community.EnsureCommunity */
		INSERT INTO community (workspace_id, name, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (workspace_id, name) DO NOTHING`, workspaceID, name, ms(s.now())); err != nil {
		return nil, fmt.Errorf("ensure community %q: %w", name, err)
	}
	return s.FindCommunityByName(ctx, workspaceID, name)
}

const communityColumns = `id, workspace_id, name, interest, brand_link, timezone, created_at`

func scanCommunity(row interface{ Scan(...any) error }) (*coterie.Community, error) {
	var c coterie.Community
	var created int64
	if err := row.Scan(&c.ID, &c.WorkspaceID, &c.Name, &c.Interest, &c.BrandLink, &c.Timezone, &created); err != nil {
		return nil, err
	}
	c.CreatedAt = time.UnixMilli(created).UTC()
	return &c, nil
}

// FindCommunityByName returns the community with this name in the workspace.
func (s *Store) FindCommunityByName(ctx context.Context, workspaceID coterie.ID, name string) (*coterie.Community, error) {
	c, err := scanCommunity(s.db.Write.QueryRowContext(ctx, `/* Community.FindCommunityByName */
		SELECT `+communityColumns+` FROM community WHERE workspace_id = $1 AND name = $2`, workspaceID, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, coterie.Errorf(coterie.ENOTFOUND, "community %q not found", name)
	}
	if err != nil {
		return nil, fmt.Errorf("find community %q: %w", name, err)
	}
	return c, nil
}

// FindCommunities returns the communities of a workspace, by name.
func (s *Store) FindCommunities(ctx context.Context, workspaceID coterie.ID) ([]coterie.Community, error) {
	rows, err := s.db.Read.QueryContext(ctx, `/* Community.FindCommunities */
		SELECT `+communityColumns+` FROM community WHERE workspace_id = $1 ORDER BY name`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("find communities: %w", err)
	}
	defer rows.Close()
	var out []coterie.Community
	for rows.Next() {
		c, err := scanCommunity(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

// EnsureSource returns the source of a community for this platform and name,
// creating it if needed.
func (s *Store) EnsureSource(ctx context.Context, c *coterie.Community, platform coterie.Platform, name string) (*coterie.Source, error) {
	if _, err := s.db.Write.ExecContext(ctx, `/* Community.EnsureSource */
		INSERT INTO source (workspace_id, community_id, platform, name) VALUES ($1, $2, $3, $4)
		ON CONFLICT (community_id, platform, name) DO NOTHING`, c.WorkspaceID, c.ID, string(platform), name); err != nil {
		return nil, fmt.Errorf("ensure source %s/%s: %w", platform, name, err)
	}
	var src coterie.Source
	var last sql.NullInt64
	var p string
	err := s.db.Write.QueryRowContext(ctx, `/* Community.EnsureSource */
		SELECT id, workspace_id, community_id, platform, name, last_sync_at FROM source
		WHERE community_id = $1 AND platform = $2 AND name = $3`, c.ID, string(platform), name).
		Scan(&src.ID, &src.WorkspaceID, &src.CommunityID, &p, &src.Name, &last)
	if err != nil {
		return nil, fmt.Errorf("find source %s/%s: %w", platform, name, err)
	}
	src.Platform = coterie.Platform(p)
	src.LastSyncAt = fromMS(last)
	return &src, nil
}
