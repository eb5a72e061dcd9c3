package api

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/coteriehq/coterie/internal/auth"
	"github.com/coteriehq/coterie/internal/coterie"
)

type ctxKey struct{}

// tokenFrom returns the authenticated token of a request that passed
// authenticate.
func tokenFrom(r *http.Request) *auth.Token {
	return r.Context().Value(ctxKey{}).(*auth.Token)
}

// authenticate wraps a workspace route: it checks the bearer token, the
// token's rate budget, that {ws} is the token's workspace, and that the token
// allows the access the route needs, in that order.
func (s *server) authenticate(access auth.Action, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		value, ok := bearer(r)
		if !ok {
			s.error(w, r, coterie.Errorf(codeUnauthorized, "an API token is required: Authorization: Bearer ct_..."))
			return
		}
		tok, err := s.auth.TokenByValue(r.Context(), value)
		switch coterie.ErrorCode(err) {
		case "":
		case coterie.ENOTFOUND:
			s.error(w, r, coterie.Errorf(codeUnauthorized, "the API token is not valid"))
			return
		case coterie.EFORBIDDEN:
			// A revoked token is a credential that no longer works, not a
			// permission question: 401, so that clients ask for a new one.
			s.error(w, r, coterie.Errorf(codeUnauthorized, "the API token has been revoked"))
			return
		default:
			s.error(w, r, err)
			return
		}
		if wait := s.limiter.take(tok.ID); wait > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			s.error(w, r, coterie.Errorf(codeRateLimited, "too many requests for this token: retry in %s", wait.Round(1e6)))
			return
		}
		// Another workspace answers exactly like a missing one, so that a
		// token cannot even learn which workspace ids exist.
		ws, err := strconv.ParseInt(r.PathValue("ws"), 10, 64)
		if err != nil || ws != tok.WorkspaceID {
			s.error(w, r, errNotFound("workspace %s not found", r.PathValue("ws")))
			return
		}
		if !tok.Can(access) {
			s.error(w, r, coterie.Errorf(coterie.EFORBIDDEN, "this token's scope (%s) does not allow %s", tok.Scope, access))
			return
		}
		// Answers hold a workspace's private data: no shared cache may keep
		// them.
		w.Header().Set("Cache-Control", "no-store")
		next(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, tok)))
	}
}

// bearer returns the token of an "Authorization: Bearer ..." header.
func bearer(r *http.Request) (string, bool) {
	scheme, value, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	value = strings.TrimSpace(value)
	if !ok || !strings.EqualFold(scheme, "Bearer") || value == "" {
		return "", false
	}
	return value, true
}
