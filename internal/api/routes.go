package api

import (
	"net/http"

	"github.com/coteriehq/coterie/internal/auth"
)

// route is one API operation. The table serves two purposes: New registers
// the handlers from it, and a test compares it with the paths and methods of
// the OpenAPI document.
type route struct {
	method  string
	pattern string // net/http pattern; its {wildcards} are OpenAPI's path parameters
	// access is what the caller's token must allow: auth.ActRead for reads,
	// auth.ActWrite for changes; "" for public routes.
	access  auth.Action
	handler http.HandlerFunc
}

// routes returns every API route.
func (s *server) routes() []route {
	const ws = "/api/v1/workspaces/{ws}"
	return []route{
		{http.MethodGet, "/api/openapi.json", "", s.openAPI},
		{http.MethodGet, ws, auth.ActRead, s.getWorkspace},
		{http.MethodGet, ws + "/communities", auth.ActRead, s.listCommunities},
		{http.MethodGet, ws + "/communities/{id}/summary", auth.ActRead, s.communitySummary},
		{http.MethodGet, ws + "/jobs", auth.ActRead, s.listJobs},
		{http.MethodGet, ws + "/jobs/{id}", auth.ActRead, s.getJob},
		{http.MethodGet, ws + "/members/suggestions", auth.ActRead, s.listSuggestions},
		{http.MethodPost, ws + "/members/merge", auth.ActWrite, s.mergeMembers},
		{http.MethodPost, ws + "/merges/{id}/undo", auth.ActWrite, s.undoMerge},
	}
}
