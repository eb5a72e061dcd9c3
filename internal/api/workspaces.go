package api

import (
	"net/http"
	"time"

	"github.com/coteriehq/coterie/internal/coterie"
)

type workspaceJSON struct {
	ID        coterie.ID `json:"id"`
	Name      string     `json:"name"`
	CreatedAt time.Time  `json:"created_at"`
}

// getWorkspace answers GET /api/v1/workspaces/{ws}.
func (s *server) getWorkspace(w http.ResponseWriter, r *http.Request) {
	id := tokenFrom(r).WorkspaceID
	// The community store has no FindWorkspaceByID; workspaces are few.
	all, err := s.community.FindWorkspaces(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	for _, ws := range all {
		if ws.ID == id {
			writeJSON(w, http.StatusOK, workspaceJSON{ID: ws.ID, Name: ws.Name, CreatedAt: ws.CreatedAt.UTC()})
			return
		}
	}
	s.error(w, r, errNotFound("workspace %d not found", id))
}
