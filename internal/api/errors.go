package api

import (
	"net/http"

	"github.com/coteriehq/coterie/internal/coterie"
)

// Codes of the API's own errors, next to the domain codes of package coterie.
const (
	codeUnauthorized = "unauthorized" // no valid API token: 401
	codeRateLimited  = "rate_limited" // the token's budget is spent: 429
)

// errorBody is the JSON of every error response:
// {"error":{"code":"not_found","message":"..."}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func errNotFound(format string, args ...any) error {
	return coterie.Errorf(coterie.ENOTFOUND, format, args...)
}

func errInvalid(format string, args ...any) error {
	return coterie.Errorf(coterie.EINVALID, format, args...)
}

// status maps an error code to its HTTP status. It is the only place that
// does: handlers return domain errors and never choose a status themselves.
func status(code string) int {
	switch code {
	case coterie.ENOTFOUND:
		return http.StatusNotFound
	case coterie.EINVALID:
		return http.StatusBadRequest
	case coterie.ECONFLICT:
		return http.StatusConflict
	case coterie.EFORBIDDEN:
		return http.StatusForbidden
	case codeUnauthorized:
		return http.StatusUnauthorized
	case codeRateLimited:
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

// error answers with err in the API's error format. Internal errors are
// logged with their detail and answered with a generic message, since their
// text may reveal SQL, paths or other users' data.
func (s *server) error(w http.ResponseWriter, r *http.Request, err error) {
	code := coterie.ErrorCode(err)
	st := status(code)
	msg := coterie.ErrorMessage(err)
	if st == http.StatusInternalServerError {
		code, msg = coterie.EINTERNAL, "internal error"
		s.log.ErrorContext(r.Context(), "api: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if st == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="coterie"`)
	}
	writeJSON(w, st, errorBody{Error: errorDetail{Code: code, Message: msg}})
}
