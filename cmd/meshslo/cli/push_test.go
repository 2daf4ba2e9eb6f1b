package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/meshslo/meshslo/dashboards"
)

// The push command end to end against a stand-in for Grafana's folder and
// dashboard API (package dashboards/grafana tests the payload in detail).
func TestPushCommand(t *testing.T) {
	var mu sync.Mutex
	uploaded := map[string]int{} // uid -> folder id
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		auth = append(auth, r.Header.Get("Authorization"))
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/api/folders":
			if r.Method == http.MethodGet {
				fmt.Fprint(w, `[{"id": 3, "uid": "x", "title": "Mesh"}]`)
				return
			}
			t.Errorf("push created a folder that exists: %s", body)
		case "/api/dashboards/db":
			var req struct {
				Dashboard struct{ UID string }
				FolderID  int
				Overwrite bool
			}
			if err := json.Unmarshal(body, &req); err != nil || !req.Overwrite {
				t.Errorf("dashboard request %s: %v", body, err)
			}
			uploaded[req.Dashboard.UID] = req.FolderID
			fmt.Fprintf(w, `{"uid": %q, "url": "/d/%s/x", "version": 1, "status": "success"}`, req.Dashboard.UID, req.Dashboard.UID)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()

	t.Setenv(TokenEnv, "")
	if code, _, stderr := run(t, "push", "--grafana-url", srv.URL); code != ExitUsage || !strings.Contains(stderr, TokenEnv) {
		t.Fatalf("without a token: exit %d, %s", code, stderr)
	}
	t.Setenv(TokenEnv, "s3cret")
	if code, _, stderr := run(t, "push"); code != ExitUsage || !strings.Contains(stderr, "--grafana-url") {
		t.Fatalf("without a URL: exit %d, %s", code, stderr)
	}
	code, stdout, stderr := run(t, "push", "--grafana-url", srv.URL, "--folder", "Mesh", "-p", "small", "-p", "large")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "6 dashboard(s) in folder \"Mesh\"") {
		t.Errorf("stdout: %s", stdout)
	}
	for _, p := range []string{"small", "large"} {
		for _, n := range []string{"executive", "oncall", "debug"} {
			if uploaded[dashboards.UID(p, n)] != 3 {
				t.Errorf("%s/%s not uploaded to folder 3: %v", p, n, uploaded)
			}
		}
	}
	for _, a := range auth {
		if a != "Bearer s3cret" {
			t.Fatalf("request with Authorization %q", a)
		}
	}
}

// generate --templates adds a team's dashboard next to the built-in ones;
// preview draws them.
func TestTemplatesAndPreviewCommands(t *testing.T) {
	dir := t.TempDir()
	tpl := filepath.Join(dir, "tpl")
	if err := os.Mkdir(tpl, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, tpl, "team.jsonnet", `
local g = import 'grafana.libsonnet';
local mesh = import 'mesh.libsonnet';
function(meshslo) mesh.dashboard(meshslo, 'team', 'Team', 'Our view.', [], [
  g.line(4, [g.stat('Services', 'Services istiod knows.', 'short', [g.target('max(pilot_services)')])]),
])`)
	out := filepath.Join(dir, "out")
	if code, _, stderr := run(t, "generate", "-p", "small", "--out", out, "--templates", tpl); code != ExitOK {
		t.Fatalf("generate --templates: exit %d: %s", code, stderr)
	}
	for _, f := range []string{"team.json", "executive.json"} {
		if _, err := os.Stat(filepath.Join(out, "small", "dashboards", f)); err != nil {
			t.Error(err)
		}
	}
	// The next run without --templates uses the built-in set again.
	if code, stdout, _ := run(t, "generate", "-p", "small", "--out", out, "--check"); code != ExitDrift || !strings.Contains(stdout, "team.json") {
		t.Errorf("after --templates, a plain check: exit %d, %s", code, stdout)
	}
	if code, _, stderr := run(t, "generate", "-p", "small", "--out", out, "--templates", filepath.Join(dir, "none")); code != ExitInvalid || !strings.Contains(stderr, "--templates") {
		t.Errorf("missing templates dir: exit %d, %s", code, stderr)
	}
	svgs := filepath.Join(dir, "svg")
	if code, stdout, stderr := run(t, "preview", "-p", "small", "--templates", tpl, "--out", svgs); code != ExitOK || !strings.Contains(stdout, "team.svg") {
		t.Fatalf("preview: exit %d: %s %s", code, stdout, stderr)
	}
}
