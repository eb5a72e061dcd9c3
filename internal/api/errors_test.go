package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coteriehq/coterie/internal/coterie"
)

// TestServer_Error: each domain code gets its status and keeps its message;
// any other error is a 500 whose detail goes to the log and never to the
// client.
func TestServer_Error(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status int
		code   string
		msg    string
	}{
		{"not found", coterie.Errorf(coterie.ENOTFOUND, "job 7 not found"), 404, "not_found", "job 7 not found"},
		{"invalid", fmt.Errorf("wrapped: %w", coterie.Errorf(coterie.EINVALID, "limit too big")), 400, "invalid", "limit too big"},
		{"conflict", coterie.Errorf(coterie.ECONFLICT, "already undone"), 409, "conflict", "already undone"},
		{"forbidden", coterie.Errorf(coterie.EFORBIDDEN, "read scope"), 403, "forbidden", "read scope"},
		{"unauthorized", coterie.Errorf(codeUnauthorized, "no token"), 401, "unauthorized", "no token"},
		{"rate limited", coterie.Errorf(codeRateLimited, "slow down"), 429, "rate_limited", "slow down"},
		{"internal", fmt.Errorf("summary: pq: relation \"secret_table\" does not exist"), 500, "internal", "internal error"},
		{"unknown code", coterie.Errorf("weird", "secret_table detail"), 500, "internal", "internal error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			s := &server{log: slog.New(slog.NewTextHandler(&logs, nil))}
			rec := httptest.NewRecorder()
			s.error(rec, httptest.NewRequest("GET", "/api/v1/workspaces/1", nil), tc.err)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
			var body errorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if body.Error.Code != tc.code || body.Error.Message != tc.msg {
				t.Errorf("error %+v, want %s %q", body.Error, tc.code, tc.msg)
			}
			if tc.status == 500 {
				if strings.Contains(rec.Body.String(), "secret_table") {
					t.Errorf("internal detail sent to the client: %s", rec.Body)
				}
				if !strings.Contains(logs.String(), "secret_table") {
					t.Errorf("internal error not logged: %q", logs.String())
				}
			}
		})
	}
}
