package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/coteriehq/coterie/internal/community"
	"github.com/coteriehq/coterie/internal/coterie"
	"github.com/coteriehq/coterie/internal/jobs"
)

// home opens the user's only workspace, or lists them to choose from.
func (s *Server) home(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	if len(c.memberships) == 1 {
		http.Redirect(w, r, fmt.Sprintf("/w/%d/", c.memberships[0].WorkspaceID), http.StatusSeeOther)
		return nil
	}
	s.render(w, http.StatusOK, "home", c.page("Your workspaces", ""))
	return nil
}

type communityRow struct {
	Community coterie.Community
	Summary   *community.Summary
}

// summaries returns the figures of each community in the list.
func (s *Server) summaries(r *http.Request, cs []coterie.Community) ([]communityRow, error) {
	rows := make([]communityRow, 0, len(cs))
	for i := range cs {
		sum, err := s.deps.Community.Summarize(r.Context(), &cs[i])
		if err != nil {
			return nil, err
		}
		rows = append(rows, communityRow{Community: cs[i], Summary: sum})
	}
	return rows, nil
}

// overview shows the workspace's communities with their figures, or how to
// import the first one.
func (s *Server) overview(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	rows, err := s.summaries(r, c.communities)
	if err != nil {
		return err
	}
	p := c.page(c.ws.WorkspaceName, "overview")
	p.Data = rows
	s.render(w, http.StatusOK, "overview", p)
	return nil
}

// communityPage shows one community of the workspace. A community of another
// workspace is not in c.communities, so it is a 404 like a missing one.
func (s *Server) communityPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	id, err := strconv.ParseInt(r.PathValue("community"), 10, 64)
	if err != nil {
		return errNotFound
	}
	for i := range c.communities {
		if c.communities[i].ID != id {
			continue
		}
		rows, err := s.summaries(r, c.communities[i:i+1])
		if err != nil {
			return err
		}
		p := c.page(c.communities[i].Name, "overview")
		p.Community = &c.communities[i]
		p.Data = rows[0]
		s.render(w, http.StatusOK, "community", p)
		return nil
	}
	return errNotFound
}

// jobsPage lists the workspace's background jobs, newest first.
func (s *Server) jobsPage(w http.ResponseWriter, r *http.Request, c *reqCtx) error {
	js, err := s.deps.Jobs.List(r.Context(), jobs.Filter{WorkspaceID: c.ws.WorkspaceID, Limit: 100})
	if err != nil {
		return err
	}
	p := c.page("Jobs", "jobs")
	p.Data = js
	s.render(w, http.StatusOK, "jobs", p)
	return nil
}
