package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/coteriehq/coterie/internal/coterie"
)

// formValues keeps what a user typed, so a form shown again with an error
// does not make them type it again. Passwords are never echoed.
type formValues map[string]string

// formError reports whether err is one a user can fix in the form: the
// form is then shown again with the message and the error's status.
func formError(err error) bool {
	switch coterie.ErrorCode(err) {
	case coterie.EINVALID, coterie.EFORBIDDEN, coterie.ECONFLICT:
		return true
	}
	return false
}

func (s *Server) setupForm(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if s.setupDone.Load() {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	p := c.page("Welcome to Coterie", "")
	p.Data = formValues{}
	s.render(w, http.StatusOK, "setup", p)
	return nil
}

// setup creates the owner account and the first workspace, then signs the
// owner in and opens that workspace.
func (s *Server) setup(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if s.setupDone.Load() {
		return coterie.Errorf(coterie.ECONFLICT, "setup is already done; sign in instead")
	}
	v := formValues{
		"email": strings.TrimSpace(r.PostFormValue("email")), "name": strings.TrimSpace(r.PostFormValue("name")),
		"workspace": strings.TrimSpace(r.PostFormValue("workspace")),
	}
	u, ws, err := s.deps.Auth.CreateOwner(r.Context(), v["email"], v["name"], r.PostFormValue("password"), v["workspace"])
	if err != nil {
		if formError(err) {
			p := c.page("Welcome to Coterie", "")
			p.Error, p.Data = userMessage(err), v
			s.render(w, statusOf(err), "setup", p)
			return nil
		}
		return err
	}
	s.setupDone.Store(true)
	if err := s.signIn(w, r, u.ID); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/w/%d/", ws.ID), http.StatusSeeOther)
	return nil
}

type loginData struct {
	Email string
	Next  string
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	p := c.page("Sign in", "")
	p.Data = loginData{Next: safeNext(r.URL.Query().Get("next"))}
	s.render(w, http.StatusOK, "login", p)
	return nil
}

// login checks the password and starts a session. Wrong credentials and a
// lockout are shown in the form with the auth store's own message.
func (s *Server) login(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	d := loginData{Email: strings.TrimSpace(r.PostFormValue("email")), Next: safeNext(r.PostFormValue("next"))}
	u, err := s.deps.Auth.Login(r.Context(), d.Email, r.PostFormValue("password"), clientIP(r))
	if err != nil {
		if formError(err) {
			p := c.page("Sign in", "")
			p.Error, p.Data = userMessage(err), d
			s.render(w, statusOf(err), "login", p)
			return nil
		}
		return err
	}
	if err := s.signIn(w, r, u.ID); err != nil {
		return err
	}
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
	return nil
}

// logout ends the session in the database, not only in this browser.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if ck, err := r.Cookie(cookieName); err == nil {
		if err := s.deps.Auth.DeleteSession(r.Context(), ck.Value); err != nil && coterie.ErrorCode(err) != coterie.ENOTFOUND {
			return err
		}
	}
	s.clearCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

type inviteData struct {
	Token string
	Name  string
}

func (s *Server) inviteForm(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	p := c.page("Join a workspace", "")
	p.Data = inviteData{Token: r.PathValue("token")}
	s.render(w, http.StatusOK, "invite", p)
	return nil
}

// acceptInvite creates the invited account (or checks an existing one's
// password), adds the membership and signs the person in.
func (s *Server) acceptInvite(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	d := inviteData{Token: r.PathValue("token"), Name: strings.TrimSpace(r.PostFormValue("name"))}
	u, err := s.deps.Auth.AcceptInvite(r.Context(), d.Token, d.Name, r.PostFormValue("password"))
	if err != nil {
		if formError(err) || coterie.ErrorCode(err) == coterie.ENOTFOUND {
			p := c.page("Join a workspace", "")
			p.Error, p.Data = coterie.ErrorMessage(err), d
			s.render(w, statusOf(err), "invite", p)
			return nil
		}
		return err
	}
	if err := s.signIn(w, r, u.ID); err != nil {
		return err
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}
