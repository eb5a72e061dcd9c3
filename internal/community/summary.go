package community

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/coteriehq/coterie/internal/coterie"
)

// Summary is the shape of one community's imported data.
type Summary struct {
	Community     string         `json:"community"`
	Channels      int            `json:"channels"`
	Members       int            `json:"members"`
	HumanMembers  int            `json:"human_members"`
	Bots          int            `json:"bots"`
	Activities    map[string]int `json:"activities"`
	BotActivities int            `json:"bot_activities"`
	FirstActivity *time.Time     `json:"first_activity"`
	LastActivity  *time.Time     `json:"last_activity"`
}

// Summarize counts a community's channels, members and activities.
// Members are those with at least one activity of their own in the
// community; activities are counted by kind, bots' apart.
func (s *Store) Summarize(ctx context.Context, c *coterie.Community) (*Summary, error) {
	sum := &Summary{Community: c.Name, Activities: map[string]int{}}
	if err := s.db.Read.QueryRowContext(ctx, `/* Community.Summarize */
		SELECT COUNT(*) FROM channel ch JOIN source s ON s.id = ch.source_id WHERE s.community_id = $1`, c.ID).
		Scan(&sum.Channels); err != nil {
		return nil, fmt.Errorf("summary: channels: %w", err)
	}
	if err := s.db.Read.QueryRowContext(ctx, `/* Community.Summarize */
		SELECT COALESCE(SUM(CASE WHEN m.is_bot = 0 THEN 1 ELSE 0 END), 0), COALESCE(SUM(m.is_bot), 0)
		FROM member m WHERE m.id IN (SELECT DISTINCT member_id FROM activity WHERE community_id = $1)`, c.ID).
		Scan(&sum.HumanMembers, &sum.Bots); err != nil {
		return nil, fmt.Errorf("summary: members: %w", err)
	}
	sum.Members = sum.HumanMembers + sum.Bots
	rows, err := s.db.Read.QueryContext(ctx, `/* Community.Summarize */
		SELECT a.kind, COALESCE(m.is_bot, 0), COUNT(*) FROM activity a LEFT JOIN member m ON m.id = a.member_id
		WHERE a.community_id = $1 GROUP BY a.kind, COALESCE(m.is_bot, 0)`, c.ID)
	if err != nil {
		return nil, fmt.Errorf("summary: activities: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind string
		var bot, n int
		if err := rows.Scan(&kind, &bot, &n); err != nil {
			return nil, err
		}
		if bot == 1 {
			sum.BotActivities += n
		} else {
			sum.Activities[kind] += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var first, last sql.NullInt64
	if err := s.db.Read.QueryRowContext(ctx, `/* Community.Summarize */
		SELECT MIN(occurred_at), MAX(occurred_at) FROM activity WHERE community_id = $1`, c.ID).Scan(&first, &last); err != nil {
		return nil, fmt.Errorf("summary: span: %w", err)
	}
	if first.Valid {
		f, l := fromMS(first), fromMS(last)
		sum.FirstActivity, sum.LastActivity = &f, &l
	}
	return sum, nil
}
