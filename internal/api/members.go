package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/coteriehq/coterie/internal/auth"
	"github.com/coteriehq/coterie/internal/community"
	"github.com/coteriehq/coterie/internal/coterie"
)

var suggestionCSV = []string{"member_a", "member_b", "name_a", "name_b", "score", "reasons"}

func suggestionRow(sg community.Suggestion) []string {
	return []string{itoa(sg.MemberA), itoa(sg.MemberB), sg.NameA, sg.NameB,
		strconv.FormatFloat(sg.Score, 'f', -1, 64), strings.Join(sg.Reasons, "; ")}
}

// listSuggestions answers GET /api/v1/workspaces/{ws}/members/suggestions:
// likely duplicate members, best first, at most ?limit.
func (s *server) listSuggestions(w http.ResponseWriter, r *http.Request) {
	limit, err := queryLimit(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	sgs, err := s.community.Suggestions(r.Context(), tokenFrom(r).WorkspaceID, limit)
	if err != nil {
		s.error(w, r, err)
		return
	}
	respondList(s, w, r, "suggestions", sgs, nil, suggestionCSV, suggestionRow)
}

type mergeRequest struct {
	Primary   coterie.ID `json:"primary"`
	Secondary coterie.ID `json:"secondary"`
}

type mergeResponse struct {
	MergeID coterie.ID `json:"merge_id"`
}

// mergeMembers answers POST /api/v1/workspaces/{ws}/members/merge: member
// secondary is folded into member primary; the answer's merge_id undoes it.
func (s *server) mergeMembers(w http.ResponseWriter, r *http.Request) {
	var req mergeRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	if req.Primary <= 0 || req.Secondary <= 0 {
		s.error(w, r, errInvalid("primary and secondary must be member ids"))
		return
	}
	if req.Primary == req.Secondary {
		s.error(w, r, errInvalid("a member cannot be merged into itself"))
		return
	}
	tok := tokenFrom(r)
	id, err := s.community.Merge(r.Context(), tok.WorkspaceID, req.Primary, req.Secondary)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.audit(r, tok, "member.merge", "merge", id, req)
	writeJSON(w, http.StatusCreated, mergeResponse{MergeID: id})
}

// audit records a change made through a token. The change has committed by
// then, so a failure to record it is logged rather than reported as a failed
// request, which would invite the client to repeat a change that happened.
func (s *server) audit(r *http.Request, tok *auth.Token, action, objectType string, objectID coterie.ID, after any) {
	err := auth.Record(r.Context(), s.community.DB().Write, auth.AuditEntry{WorkspaceID: tok.WorkspaceID,
		ActorTokenID: tok.ID, Action: action, ObjectType: objectType, ObjectID: objectID, After: after})
	if err != nil {
		s.log.ErrorContext(r.Context(), "api: audit", "action", action, "object_id", objectID, "err", err)
	}
}
