package web

import (
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/coteriehq/coterie/internal/auth"
	"github.com/coteriehq/coterie/internal/coterie"
)

// cookieName is the session cookie.
const cookieName = "coterie_session"

// reqCtx is what the middleware learned about a request: who is signed in
// and, under /w/{ws}/, the workspace and the user's role in it.
type reqCtx struct {
	user        *auth.User
	sess        *auth.Session
	csrf        string
	memberships []auth.Membership
	ws          *auth.Membership
	communities []coterie.Community
}

// page starts a view's data with the navigation filled in.
func (c *reqCtx) page(title, section string) *page {
	p := &page{Title: title, Section: section}
	if c == nil || c.user == nil {
		return p
	}
	p.User, p.CSRF, p.Memberships = c.user, c.csrf, c.memberships
	if c.ws != nil {
		p.Workspace, p.Role, p.Communities = c.ws, c.ws.Role, c.communities
	}
	return p
}

// handlerFunc is a dashboard handler: it returns domain errors, and the
// middleware maps them to a status and an error page.
type handlerFunc func(w http.ResponseWriter, r *http.Request, c *reqCtx) error

// checkSetup redirects to /setup while no account exists.
func (s *Server) checkSetup(w http.ResponseWriter, r *http.Request) (redirected bool, err error) {
	if s.setupDone.Load() {
		return false, nil
	}
	need, err := s.deps.Auth.NeedsSetup(r.Context())
	if err != nil {
		return false, err
	}
	if !need {
		s.setupDone.Store(true)
		return false, nil
	}
	if r.URL.Path != "/setup" {
		http.Redirect(w, r, "/setup", http.StatusSeeOther)
		return true, nil
	}
	return false, nil
}

// public serves pages for people who are not signed in: setup, login,
// invitations.
func (s *Server) public(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if done, err := s.checkSetup(w, r); err != nil || done {
			if err != nil {
				s.fail(w, r, nil, err)
			}
			return
		}
		c := &reqCtx{}
		if err := h(w, r, c); err != nil {
			s.fail(w, r, c, err)
		}
	})
}

// signedIn serves pages that need a session; others are sent to /login.
// State-changing requests must carry the session's CSRF token.
func (s *Server) signedIn(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := s.session(w, r)
		if !ok {
			return
		}
		if err := h(w, r, c); err != nil {
			s.fail(w, r, c, err)
		}
	})
}

// session resolves the signed-in user, or answers the request itself
// (redirect to setup or login, CSRF refusal) and returns false.
func (s *Server) session(w http.ResponseWriter, r *http.Request) (*reqCtx, bool) {
	if done, err := s.checkSetup(w, r); err != nil || done {
		if err != nil {
			s.fail(w, r, nil, err)
		}
		return nil, false
	}
	ck, err := r.Cookie(cookieName)
	if err != nil || ck.Value == "" {
		s.toLogin(w, r)
		return nil, false
	}
	ctx := r.Context()
	u, sess, err := s.deps.Auth.SessionUser(ctx, ck.Value)
	switch coterie.ErrorCode(err) {
	case "":
	case coterie.ENOTFOUND, coterie.EFORBIDDEN:
		// Expired, signed out elsewhere, or a disabled account.
		s.clearCookie(w)
		s.toLogin(w, r)
		return nil, false
	default:
		s.fail(w, r, nil, err)
		return nil, false
	}
	c := &reqCtx{user: u, sess: sess, csrf: auth.CSRFToken(sess)}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if err := auth.CheckCSRF(sess, r.PostFormValue("csrf")); err != nil {
			s.fail(w, r, nil, coterie.Errorf(coterie.EFORBIDDEN,
				"this form has expired or did not come from Coterie; reload the page and try again"))
			return nil, false
		}
	}
	if c.memberships, err = s.deps.Auth.FindMemberships(ctx, u.ID); err != nil {
		s.fail(w, r, nil, err)
		return nil, false
	}
	return c, true
}

// inWorkspace serves pages under /w/{ws}/ for members whose role allows the
// action. A workspace the user is not in, a missing one and a page the role
// may not see all answer 404, so nobody learns what exists elsewhere.
func (s *Server) inWorkspace(action auth.Action, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := s.session(w, r)
		if !ok {
			return
		}
		err := s.loadWorkspace(r, c, action)
		if err == nil {
			err = h(w, r, c)
		}
		if err != nil {
			s.fail(w, r, c, err)
		}
	})
}

func (s *Server) loadWorkspace(r *http.Request, c *reqCtx, action auth.Action) error {
	id, err := strconv.ParseInt(r.PathValue("ws"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	// The role comes from FindRole, not from the membership list, so the
	// decision is made by the auth store's rules (disabled users and all).
	role, err := s.deps.Auth.FindRole(r.Context(), id, c.user.ID)
	if err != nil {
		if coterie.ErrorCode(err) == coterie.ENOTFOUND {
			return errNotFound
		}
		return err
	}
	if !auth.Can(role, action) {
		return errNotFound
	}
	for i := range c.memberships {
		if c.memberships[i].WorkspaceID == id {
			m := c.memberships[i]
			m.Role = role
			c.ws = &m
		}
	}
	if c.ws == nil {
		return errNotFound
	}
	c.communities, err = s.deps.Community.FindCommunities(r.Context(), id)
	return err
}

// toLogin sends the browser to the login page, remembering where it was
// going when that was a page (not a form post).
func (s *Server) toLogin(w http.ResponseWriter, r *http.Request) {
	target := "/login"
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// safeNext returns next if it is a path on this site, else "/": a login
// link must not send people to another site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (s *Server) setCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: token, Path: "/",
		MaxAge:   int(auth.SessionAbsolute.Seconds()),
		HttpOnly: true, Secure: s.deps.Secure, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.deps.Secure, SameSite: http.SameSiteLaxMode,
	})
}

// signIn starts a session for the user and sets its cookie.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, userID coterie.ID) error {
	token, _, err := s.deps.Auth.CreateSession(r.Context(), userID)
	if err != nil {
		return err
	}
	s.setCookie(w, token)
	return nil
}

// clientIP is the peer address. Forwarded headers are not trusted: anyone
// could set them to dodge the per-IP login limit.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
