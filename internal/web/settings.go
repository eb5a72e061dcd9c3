package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/coteriehq/coterie/internal/auth"
	"github.com/coteriehq/coterie/internal/coterie"
)

// Settings pages are for members who may manage the workspace; the
// middleware answers 404 to anyone else.

func (s *Server) settingsIndex(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	http.Redirect(w, r, fmt.Sprintf("/w/%d/settings/members", c.ws.WorkspaceID), http.StatusSeeOther)
	return nil
}

// settingsPage renders a settings view; a non-nil err is shown in the
// page's form with its status, for errors the user can act on.
func (s *Server) settingsPage(w http.ResponseWriter, c *reqCtx, view, title string, data any, err error) error {
	status := http.StatusOK
	p := c.page(title, "settings")
	if err != nil {
		if !formError(err) {
			return err
		}
		status, p.Error = statusOf(err), userMessage(err)
	}
	p.Data = data
	s.render(w, status, view, p)
	return nil
}

func parseID(s string) (coterie.ID, error) {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || id <= 0 {
		return 0, coterie.Errorf(coterie.EINVALID, "%q is not an id", s)
	}
	return id, nil
}

func (s *Server) settingsURL(c *reqCtx, page string) string {
	return fmt.Sprintf("/w/%d/settings/%s", c.ws.WorkspaceID, page)
}

type membersData struct {
	Members []auth.Member
	Self    coterie.ID
}

func (s *Server) members(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return s.membersView(w, r, c, nil)
}

func (s *Server) membersView(w http.ResponseWriter, r *http.Request, c *reqCtx, formErr error) error {
	ms, err := s.deps.Auth.FindMembers(r.Context(), c.ws.WorkspaceID)
	if err != nil {
		return err
	}
	return s.settingsPage(w, c, "members", "Members and roles", membersData{Members: ms, Self: c.user.ID}, formErr)
}

// setRole changes a member's role; the auth store enforces who may make or
// unmake an owner.
func (s *Server) setRole(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	uid, err := parseID(r.PostFormValue("user"))
	if err == nil {
		err = s.deps.Auth.SetRole(r.Context(), c.ws.WorkspaceID, uid, auth.Role(r.PostFormValue("role")), c.user.ID)
	}
	if err != nil {
		return s.membersView(w, r, c, err)
	}
	http.Redirect(w, r, s.settingsURL(c, "members"), http.StatusSeeOther)
	return nil
}

func (s *Server) removeMember(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	uid, err := parseID(r.PathValue("user"))
	if err == nil {
		err = s.deps.Auth.RemoveMember(r.Context(), c.ws.WorkspaceID, uid, c.user.ID)
	}
	if err != nil {
		return s.membersView(w, r, c, err)
	}
	http.Redirect(w, r, s.settingsURL(c, "members"), http.StatusSeeOther)
	return nil
}

type invitationsData struct {
	Email string
	Role  auth.Role
	// Link is the one-time invitation link, present only in the response
	// to the request that created it.
	Link string
}

func (s *Server) invitations(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return s.settingsPage(w, c, "invitations", "Invitations", invitationsData{Role: auth.RoleViewer}, nil)
}

// invite creates an invitation and shows its link this once; it is not
// stored in a readable form, so it cannot be shown again.
func (s *Server) invite(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	d := invitationsData{Email: strings.TrimSpace(r.PostFormValue("email")), Role: auth.Role(r.PostFormValue("role"))}
	token, err := s.deps.Auth.Invite(r.Context(), c.ws.WorkspaceID, d.Email, d.Role, c.user.ID)
	if err == nil {
		d.Link = absURL(r, "/invite/"+token)
	}
	return s.settingsPage(w, c, "invitations", "Invitations", d, err)
}

// absURL makes a link to copy into an e-mail: it needs the host.
func absURL(r *http.Request, path string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

type tokensData struct {
	Tokens []auth.Token
	Name   string
	// Value is the new token, present only in the response to its creation.
	Value string
}

func (s *Server) tokens(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	return s.tokensView(w, r, c, tokensData{}, nil)
}

func (s *Server) tokensView(w http.ResponseWriter, r *http.Request, c *reqCtx, d tokensData, formErr error) error {
	ts, err := s.deps.Auth.ListTokens(r.Context(), c.ws.WorkspaceID)
	if err != nil {
		return err
	}
	d.Tokens = ts
	return s.settingsPage(w, c, "tokens", "API tokens", d, formErr)
}

// createToken creates an API token and shows its value this once.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	d := tokensData{Name: strings.TrimSpace(r.PostFormValue("name"))}
	value, _, err := s.deps.Auth.CreateToken(r.Context(), c.ws.WorkspaceID, d.Name, auth.Scope(r.PostFormValue("scope")), c.user.ID)
	if err == nil {
		d.Value, d.Name = value, ""
	}
	return s.tokensView(w, r, c, d, err)
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := parseID(r.PathValue("token"))
	if err != nil {
		return errNotFound
	}
	if err := s.deps.Auth.RevokeToken(r.Context(), c.ws.WorkspaceID, id, c.user.ID); err != nil {
		if coterie.ErrorCode(err) == coterie.ENOTFOUND {
			return errNotFound
		}
		return s.tokensView(w, r, c, tokensData{}, err)
	}
	http.Redirect(w, r, s.settingsURL(c, "tokens"), http.StatusSeeOther)
	return nil
}

type auditRow struct {
	auth.AuditEntry
	Actor string
}

type auditData struct {
	Entries []auditRow
	Next    string
}

// audit shows a page of the workspace's audit log, newest first.
func (s *Server) audit(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	es, next, err := s.deps.Auth.ListAudit(r.Context(), c.ws.WorkspaceID, auth.AuditFilter{Limit: 100, Before: r.URL.Query().Get("before")})
	if err != nil {
		if coterie.ErrorCode(err) == coterie.EINVALID {
			return errNotFound // a forged cursor
		}
		return err
	}
	// Name actors by the members' addresses; a former member shows as #id.
	ms, err := s.deps.Auth.FindMembers(r.Context(), c.ws.WorkspaceID)
	if err != nil {
		return err
	}
	names := map[coterie.ID]string{}
	for _, m := range ms {
		names[m.ID] = m.Email
	}
	d := auditData{Next: next}
	for _, e := range es {
		row := auditRow{AuditEntry: e}
		switch {
		case e.ActorUserID != 0 && names[e.ActorUserID] != "":
			row.Actor = names[e.ActorUserID]
		case e.ActorUserID != 0:
			row.Actor = fmt.Sprintf("user #%d", e.ActorUserID)
		case e.ActorTokenID != 0:
			row.Actor = fmt.Sprintf("API token #%d", e.ActorTokenID)
		default:
			row.Actor = "system"
		}
		d.Entries = append(d.Entries, row)
	}
	return s.settingsPage(w, c, "audit", "Audit log", d, nil)
}
