package api

import (
	"net/http"
	"time"

	"github.com/coteriehq/coterie/internal/coterie"
)

type communityJSON struct {
	ID        coterie.ID `json:"id"`
	Name      string     `json:"name"`
	Interest  string     `json:"interest"`
	BrandLink string     `json:"brand_link"`
	Timezone  string     `json:"timezone"`
	CreatedAt time.Time  `json:"created_at"`
}

var communityCSV = []string{"id", "name", "interest", "brand_link", "timezone", "created_at"}

func communityRow(c communityJSON) []string {
	return []string{itoa(c.ID), c.Name, c.Interest, c.BrandLink, c.Timezone, csvTime(&c.CreatedAt)}
}

// listCommunities answers GET /api/v1/workspaces/{ws}/communities.
func (s *server) listCommunities(w http.ResponseWriter, r *http.Request) {
	cs, err := s.community.FindCommunities(r.Context(), tokenFrom(r).WorkspaceID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := make([]communityJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, communityJSON{ID: c.ID, Name: c.Name, Interest: c.Interest, BrandLink: c.BrandLink,
			Timezone: c.Timezone, CreatedAt: c.CreatedAt.UTC()})
	}
	respondList(s, w, r, "communities", out, nil, communityCSV, communityRow)
}

// communitySummary answers GET /api/v1/workspaces/{ws}/communities/{id}/summary.
func (s *server) communitySummary(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.error(w, r, err)
		return
	}
	// The community store has no FindCommunityByID; a workspace has few
	// communities, and looking only among its own keeps other workspaces'
	// communities invisible.
	cs, err := s.community.FindCommunities(r.Context(), tokenFrom(r).WorkspaceID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	for i := range cs {
		if cs[i].ID == id {
			sum, err := s.community.Summarize(r.Context(), &cs[i])
			if err != nil {
				s.error(w, r, err)
				return
			}
			writeJSON(w, http.StatusOK, sum)
			return
		}
	}
	s.error(w, r, errNotFound("community %d not found", id))
}
