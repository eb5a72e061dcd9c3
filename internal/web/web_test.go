package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coteriehq/coterie/internal/community"
	"github.com/coteriehq/coterie/internal/db"
	"github.com/coteriehq/coterie/internal/db/dbtest"
	"github.com/coteriehq/coterie/internal/web"
)

func get(t *testing.T, srv *httptest.Server, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServer_Pages(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		st := community.NewStore(d)
		h, err := web.New(st, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		defer srv.Close()

		if code, body := get(t, srv, "/healthz"); code != 200 || body != "ok\n" {
			t.Fatalf("/healthz = %d %q", code, body)
		}
		if code, body := get(t, srv, "/"); code != 200 || !strings.Contains(body, "No community yet") {
			t.Fatalf("empty home = %d, want the empty state:\n%s", code, body)
		}
		ctx := context.Background()
		ws, _ := st.EnsureWorkspace(ctx, "Acme <Beauty>")
		st.EnsureCommunity(ctx, ws.ID, "Vegan skincare")
		code, body := get(t, srv, "/")
		if code != 200 || !strings.Contains(body, "Vegan skincare") || !strings.Contains(body, "Acme &lt;Beauty&gt;") {
			t.Fatalf("home = %d, want the workspace (escaped) and its community:\n%s", code, body)
		}
		if code, _ := get(t, srv, "/nope"); code != 404 {
			t.Fatalf("/nope = %d, want 404", code)
		}
	})
}
