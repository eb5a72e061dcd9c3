// Package web serves Coterie's dashboard: server-rendered HTML from embedded
// templates and static files, signed-in sessions with CSRF tokens, and pages
// scoped to a workspace under /w/{workspaceID}/. Templates are parsed at
// start-up, so a broken template fails the start, not a request. Handlers
// decode, call the capability packages and render; they never write SQL.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/coteriehq/coterie/internal/auth"
	"github.com/coteriehq/coterie/internal/community"
	"github.com/coteriehq/coterie/internal/jobs"
)

// Deps are the handles the dashboard works with.
type Deps struct {
	Community *community.Store
	Auth      *auth.Store
	Jobs      *jobs.Store
	// Log receives internal errors, whose text is never shown to users.
	Log *slog.Logger
	// Secure marks the session cookie Secure: set it when the dashboard is
	// reached over HTTPS (directly or behind a proxy).
	Secure bool
}

// Server is the dashboard's HTTP handler.
type Server struct {
	deps    Deps
	log     *slog.Logger
	views   *views
	handler http.Handler
	// setupDone caches the end of first-run setup: once a user exists,
	// there is no way back, so the check stops costing a query.
	setupDone atomic.Bool
}

// New parses the templates, hashes the static assets and returns the
// handler. It fails when a dependency is missing or a template is broken.
func New(d Deps) (*Server, error) {
	if d.Community == nil || d.Auth == nil || d.Jobs == nil {
		return nil, errors.New("web: Community, Auth and Jobs stores are required")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	v, err := loadViews()
	if err != nil {
		return nil, err
	}
	s := &Server{deps: d, log: d.Log, views: v}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /static/{file}", s.views.serveStatic)

	mux.Handle("GET /setup", s.public(s.setupForm))
	mux.Handle("POST /setup", s.public(s.setup))
	mux.Handle("GET /login", s.public(s.loginForm))
	mux.Handle("POST /login", s.public(s.login))
	mux.Handle("GET /invite/{token}", s.public(s.inviteForm))
	mux.Handle("POST /invite/{token}", s.public(s.acceptInvite))

	mux.Handle("POST /logout", s.signedIn(s.logout))
	mux.Handle("GET /{$}", s.signedIn(s.home))

	mux.Handle("GET /w/{ws}/{$}", s.inWorkspace(auth.ActRead, s.overview))
	mux.Handle("GET /w/{ws}/c/{community}/{$}", s.inWorkspace(auth.ActRead, s.communityPage))
	mux.Handle("GET /w/{ws}/jobs", s.inWorkspace(auth.ActRead, s.jobsPage))
	mux.Handle("GET /w/{ws}/settings/{$}", s.inWorkspace(auth.ActManage, s.settingsIndex))
	mux.Handle("GET /w/{ws}/settings/members", s.inWorkspace(auth.ActManage, s.members))
	mux.Handle("POST /w/{ws}/settings/members", s.inWorkspace(auth.ActManage, s.setRole))
	mux.Handle("POST /w/{ws}/settings/members/{user}/remove", s.inWorkspace(auth.ActManage, s.removeMember))
	mux.Handle("GET /w/{ws}/settings/invitations", s.inWorkspace(auth.ActManage, s.invitations))
	mux.Handle("POST /w/{ws}/settings/invitations", s.inWorkspace(auth.ActManage, s.invite))
	mux.Handle("GET /w/{ws}/settings/tokens", s.inWorkspace(auth.ActManage, s.tokens))
	mux.Handle("POST /w/{ws}/settings/tokens", s.inWorkspace(auth.ActManage, s.createToken))
	mux.Handle("POST /w/{ws}/settings/tokens/{token}/revoke", s.inWorkspace(auth.ActManage, s.revokeToken))
	mux.Handle("GET /w/{ws}/settings/audit", s.inWorkspace(auth.ActAudit, s.audit))

	// Anything else is a 404 page, after setup and sign-in, so that the
	// shape of the URL space is not visible to strangers.
	mux.Handle("/", s.signedIn(func(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
		return errNotFound
	}))
	// Session CSRF tokens guard every signed-in form; this also refuses
	// cross-site posts where there is no session yet (login, setup).
	s.handler = http.NewCrossOriginProtection().Handler(mux)
	return s, nil
}

// ServeHTTP serves the dashboard.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// healthz says the process is up; it checks nothing else, so an orchestrator
// does not restart a healthy process because the database is slow.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte("ok\n"))
}

// readyz says the process can serve: the database answers.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Cache-Control", "no-store")
	if err := s.deps.Community.DB().Read.PingContext(ctx); err != nil {
		s.log.Error("readyz: database", "err", err)
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ready\n"))
}
