package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/coteriehq/coterie/internal/auth"
	"github.com/coteriehq/coterie/internal/coterie"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageNames are the views handlers render. Loading fails when one is
// missing, so a typo shows at start-up rather than on a user's request.
var pageNames = []string{
	"home", "overview", "community", "jobs",
	"members", "invitations", "tokens", "audit",
	"setup", "login", "invite", "error",
}

// asset is one embedded static file, served under a name that carries its
// content hash so that it can be cached for good.
type asset struct {
	body []byte
	typ  string
}

type views struct {
	pages  map[string]*template.Template
	assets map[string]asset  // by hashed name, e.g. "style.1a2b3c4d5e.css"
	urls   map[string]string // plain name to URL, e.g. "style.css" -> "/static/style.1a2b3c4d5e.css"
}

func loadViews() (*views, error) {
	v := &views{pages: map[string]*template.Template{}, assets: map[string]asset{}, urls: map[string]string{}}
	err := fs.WalkDir(staticFS, "static", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		name := path.Base(p)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:5]) + ext
		typ := mime.TypeByExtension(ext)
		if typ == "" {
			typ = "application/octet-stream"
		}
		v.assets[hashed] = asset{body: b, typ: typ}
		v.urls[name] = "/static/" + hashed
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	funcs := template.FuncMap{
		"asset": func(name string) (string, error) {
			u, ok := v.urls[name]
			if !ok {
				return "", fmt.Errorf("no static file %q", name)
			}
			return u, nil
		},
		"date": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04")
		},
		"progress": formatJSON,
		"json": func(v any) string {
			switch v := v.(type) {
			case nil:
				return ""
			case json.RawMessage:
				return formatJSON(v)
			default:
				b, err := json.Marshal(v)
				if err != nil {
					return fmt.Sprint(v)
				}
				return formatJSON(b)
			}
		},
		"can":   func(r auth.Role, a string) bool { return auth.Can(r, auth.Action(a)) },
		"roles": func() []auth.Role { return auth.Roles },
	}
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	for _, name := range pageNames {
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(templateFS, "templates/"+name+".html"); err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		v.pages[name] = t
	}
	return v, nil
}

// serveStatic serves an embedded file by its hashed name. The content of a
// name never changes, so browsers may keep it for a year.
func (v *views) serveStatic(w http.ResponseWriter, r *http.Request) {
	a, ok := v.assets[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.typ)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(a.body)
}

// formatJSON shows a JSON object such as a job's progress as "key: value"
// pairs in key order, which reads better than raw JSON in a table.
func formatJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return string(raw)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		val := m[k]
		if val == nil || val == "" {
			continue
		}
		if f, ok := val.(float64); ok && f == float64(int64(f)) {
			val = int64(f)
		}
		parts = append(parts, fmt.Sprintf("%s: %v", k, val))
	}
	return strings.Join(parts, ", ")
}

// page is what every view receives: the layout's navigation and the view's
// own data.
type page struct {
	Title       string
	Section     string // the navigation entry to mark as current
	User        *auth.User
	CSRF        string
	Memberships []auth.Membership
	Workspace   *auth.Membership
	Role        auth.Role
	Communities []coterie.Community
	Community   *coterie.Community
	Error       string // a message for the form, from an EINVALID or similar error
	Data        any
}

// render writes a view. It renders into a buffer first, so a failing
// template gives a clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, status int, name string, p *page) {
	t, ok := s.views.pages[name]
	if !ok {
		s.log.Error("render: unknown view", "view", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.log.Error("render", "view", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// errNotFound is what a missing page, a missing object and a workspace the
// user does not belong to all look like.
var errNotFound = coterie.Errorf(coterie.ENOTFOUND, "page not found")

// statusOf is the one mapping from domain error codes to HTTP statuses.
func statusOf(err error) int {
	switch coterie.ErrorCode(err) {
	case coterie.ENOTFOUND:
		return http.StatusNotFound
	case coterie.EINVALID:
		return http.StatusBadRequest
	case coterie.EFORBIDDEN:
		return http.StatusForbidden
	case coterie.ECONFLICT:
		return http.StatusConflict
	default:
		return http.StatusInternalServerError
	}
}

// userMessage is the text a user may see for err. Internal errors are
// logged by the caller and shown as a generic sentence; not-found never
// says what was looked for, so other workspaces stay invisible.
func userMessage(err error) string {
	switch coterie.ErrorCode(err) {
	case coterie.ENOTFOUND:
		return "This page does not exist, or you do not have access to it."
	case coterie.EINVALID, coterie.EFORBIDDEN, coterie.ECONFLICT:
		return coterie.ErrorMessage(err)
	default:
		return "Something went wrong on our side. The error has been logged."
	}
}

// fail renders the error page for err, logging internal errors.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, c *reqCtx, err error) {
	status := statusOf(err)
	if status == http.StatusInternalServerError {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	p := &page{Title: http.StatusText(status), Error: userMessage(err)}
	if c != nil {
		p = c.page(p.Title, "")
		p.Error = userMessage(err)
	}
	p.Data = status
	s.render(w, status, "error", p)
}
