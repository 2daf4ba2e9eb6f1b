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
	"time"

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

// slowGrafana answers as Grafana does, each body dripped: its first byte,
// then the rest after delay. With endless set, GET /api/folders never ends.
func slowGrafana(t *testing.T, delay time.Duration, endless bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		var answer string
		switch r.URL.Path {
		case "/api/folders":
			answer = `[{"id": 3, "uid": "x", "title": "Istio"}]`
		case "/api/dashboards/db":
			answer = `{"uid": "u", "url": "/d/u/x", "version": 1, "status": "success"}`
		default:
			w.WriteHeader(http.StatusNotFound)
			return
		}
		fmt.Fprint(w, answer[:1])
		w.(http.Flusher).Flush()
		for endless && r.URL.Path == "/api/folders" {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(delay):
				fmt.Fprint(w, " ")
				w.(http.Flusher).Flush()
			}
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(delay):
		}
		fmt.Fprint(w, answer[1:])
	}))
	t.Cleanup(srv.Close)
	return srv
}

// --timeout bounds the whole push: four answers of 150 ms each outlast
// 400 ms though each is quicker, and an answer that never ends is cut.
func TestPushTimeout(t *testing.T) {
	t.Setenv(TokenEnv, "tok")
	cases := []struct {
		name    string
		delay   time.Duration
		endless bool
		timeout string
	}{
		{"each answer in time, all together too slow", 150 * time.Millisecond, false, "400ms"},
		{"an answer that drips forever", 10 * time.Millisecond, true, "300ms"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := slowGrafana(t, tc.delay, tc.endless)
			code, _, stderr := run(t, "push", "--grafana-url", srv.URL, "-p", "small", "--timeout", tc.timeout)
			prefix := "meshslo: push to " + srv.URL + ": gave up after --timeout " + tc.timeout + ": "
			if code != ExitInvalid || !strings.HasPrefix(stderr, prefix) || !strings.HasSuffix(stderr, ": context deadline exceeded\n") {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit %d and\n%s…: context deadline exceeded", code, stderr, ExitInvalid, prefix)
			}
		})
	}
}

// Flags push refuses before it builds or sends anything; credentials in the
// URL never reach the output.
func TestPushUsageErrors(t *testing.T) {
	var mu sync.Mutex
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		mu.Unlock()
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	withUser := strings.Replace(srv.URL, "http://", "http://meshuser:hunter2@", 1)
	t.Setenv(TokenEnv, "tok")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"zero timeout", []string{"--grafana-url", srv.URL, "--timeout", "0s"}, "meshslo: push: --timeout must be positive, such as 30s or 2m (got 0s)\n"},
		{"negative timeout", []string{"--grafana-url", srv.URL, "--timeout", "-1s"}, "meshslo: push: --timeout must be positive, such as 30s or 2m (got -1s)\n"},
		{"credentials in the URL", []string{"--grafana-url", withUser},
			"meshslo: push: --grafana-url " + srv.URL + " holds credentials (user:password@), which would show in shell history and process listings; set GRAFANA_TOKEN to user:password instead\n"},
		{"credentials in a URL that does not parse", []string{"--grafana-url", "http://meshuser:hun%zzter2@127.0.0.1"}, "meshslo: push: --grafana-url: not a URL\n"},
		{"not http", []string{"--grafana-url", "ftp://grafana"}, "meshslo: push: --grafana-url: \"ftp://grafana\" is not an http:// or https:// URL with a host\n"},
		{"no host", []string{"--grafana-url", "grafana.example.com"}, "meshslo: push: --grafana-url: \"grafana.example.com\" is not an http:// or https:// URL with a host\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, append([]string{"push", "-p", "small"}, tc.args...)...)
			if code != ExitUsage || stderr != tc.want || stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr\n%q\nwant exit %d, stderr\n%q", code, stdout, stderr, ExitUsage, tc.want)
			}
		})
	}
	if requests != 0 {
		t.Errorf("%d request(s) sent", requests)
	}
}

// A user:password token never shows, not even in the errors of net/http,
// which name the URL the sdk puts it into.
func TestPushBasicAuthNotPrinted(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // connection refused
	t.Setenv(TokenEnv, "meshuser:hunter2")
	code, stdout, stderr := run(t, "push", "--grafana-url", srv.URL, "-p", "small")
	addr := strings.TrimPrefix(srv.URL, "http://")
	want := "meshslo: push to " + srv.URL + ": listing folders: GET " + srv.URL + "/api/folders: dial tcp " + addr + ": connect: connection refused\n"
	if code != ExitInvalid || stderr != want || stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr\n%q\nwant exit %d, stderr\n%q", code, stdout, stderr, ExitInvalid, want)
	}
}
