package api

import (
	"net/http"

	"github.com/coteriehq/coterie/internal/coterie"
)

type undoResponse struct {
	MergeID coterie.ID `json:"merge_id"`
	Undone  bool       `json:"undone"`
}

// undoMerge answers POST /api/v1/workspaces/{ws}/merges/{id}/undo.
func (s *server) undoMerge(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.error(w, r, err)
		return
	}
	tok := tokenFrom(r)
	if err := s.community.Unmerge(r.Context(), tok.WorkspaceID, id); err != nil {
		s.error(w, r, err)
		return
	}
	s.audit(r, tok, "merge.undo", "merge", id, nil)
	writeJSON(w, http.StatusOK, undoResponse{MergeID: id, Undone: true})
}
