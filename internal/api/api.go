// Package api serves Coterie's REST API under /api/v1: JSON over HTTP for
// developers and analysts, authenticated with per-workspace API tokens.
// Handlers only decode, validate, call a capability package and respond;
// every error goes through one mapper from domain error codes to statuses.
//
// The route table (routes) both registers the handlers and is checked by a
// test against the embedded OpenAPI document, so the two cannot drift.
package api

import (
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/coteriehq/coterie/internal/auth"
	"github.com/coteriehq/coterie/internal/community"
	"github.com/coteriehq/coterie/internal/jobs"
)

// Default rate limit per API token: a steady 20 requests a second with bursts
// of 40, enough for a script paging through lists, small enough that one
// runaway client cannot starve a 2-core server.
const (
	DefaultRate  = 20
	DefaultBurst = 40
)

// Deps are the capabilities the API calls. Community, Auth and Jobs are
// required; the rest have defaults.
type Deps struct {
	Community *community.Store
	Auth      *auth.Store
	Jobs      *jobs.Store
	// Log receives internal errors, whose detail is never sent to clients
	// (default: discarded).
	Log *slog.Logger
	// Rate and Burst set each token's request budget: Rate requests a second
	// on average, Burst at once (defaults DefaultRate and DefaultBurst).
	Rate  float64
	Burst int
	// Now is the clock of the rate limiter (default time.Now); tests move it.
	Now func() time.Time
}

// server holds the dependencies the handlers share.
type server struct {
	community *community.Store
	auth      *auth.Store
	jobs      *jobs.Store
	log       *slog.Logger
	limiter   *limiter
}

// New returns the handler for everything under /api/, to be mounted at
// "/api/".
func New(d Deps) http.Handler {
	s := &server{community: d.Community, auth: d.Auth, jobs: d.Jobs, log: d.Log}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	rate, burst, now := d.Rate, d.Burst, d.Now
	if rate <= 0 {
		rate = DefaultRate
	}
	if burst <= 0 {
		burst = DefaultBurst
	}
	if now == nil {
		now = time.Now
	}
	s.limiter = newLimiter(rate, burst, now)

	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		h := rt.handler
		if rt.access != "" {
			h = s.authenticate(rt.access, h)
		}
		mux.Handle(rt.method+" "+rt.pattern, h)
	}
	// Anything else under /api/ answers in the API's error format rather
	// than the mux's plain text.
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.error(w, r, errNotFound("no such API route: %s %s", r.Method, r.URL.Path))
	})
	return mux
}
