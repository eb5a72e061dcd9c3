package api

import (
	_ "embed"
	"net/http"
)

// openapiJSON is the OpenAPI 3.0 description of the routes in routes.go.
// TestOpenAPI_MatchesRoutes keeps the two in step.
//
//go:embed openapi.json
var openapiJSON []byte

// openAPI answers GET /api/openapi.json. It needs no token, so that clients
// and tools can be generated before anyone has one.
func (s *server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openapiJSON)
}
