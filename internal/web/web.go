// Package web serves Coterie's dashboard. Templates are embedded and parsed
// at start-up, so a broken template fails the start, not a request.
package web

import (
	"context"
	"embed"
	"html/template"
	"log/slog"
	"net/http"

	"github.com/coteriehq/coterie/internal/community"
)

//go:embed templates/*.html
var templateFS embed.FS

// Server is the dashboard's HTTP handler.
type Server struct {
	store *community.Store
	log   *slog.Logger
	tmpl  *template.Template
	mux   *http.ServeMux
}

// New parses the templates and returns the handler.
func New(store *community.Store, log *slog.Logger) (*Server, error) {
	t, err := template.ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	s := &Server{store: store, log: log, tmpl: t, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /{$}", s.home)
	s.mux.HandleFunc("GET /healthz", s.healthz)
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2e9)
	defer cancel()
	if err := s.store.DB().Read.PingContext(ctx); err != nil {
		s.log.Error("healthz: database", "err", err)
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

type communityView struct{ Summary *community.Summary }

type workspaceView struct {
	Name        string
	Communities []communityView
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var data struct{ Workspaces []workspaceView }
	wss, err := s.store.FindWorkspaces(ctx)
	if err != nil {
		s.fail(w, err)
		return
	}
	for _, ws := range wss {
		v := workspaceView{Name: ws.Name}
		cs, err := s.store.FindCommunities(ctx, ws.ID)
		if err != nil {
			s.fail(w, err)
			return
		}
		for i := range cs {
			sum, err := s.store.Summarize(ctx, &cs[i])
			if err != nil {
				s.fail(w, err)
				return
			}
			v.Communities = append(v.Communities, communityView{Summary: sum})
		}
		data.Workspaces = append(data.Workspaces, v)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := s.tmpl.ExecuteTemplate(w, "home.html", data); err != nil {
		s.log.Error("render home", "err", err)
	}
}

func (s *Server) fail(w http.ResponseWriter, err error) {
	s.log.Error("request failed", "err", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}
