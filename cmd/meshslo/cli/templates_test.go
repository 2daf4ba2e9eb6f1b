package cli

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// A team template with a fixed uid gives every profile the same dashboard
// uid: generate and push refuse the run and write or upload nothing.
func TestTemplatesDuplicateUIDAcrossProfiles(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (child-process evaluation over profiles); make test runs them")
	}
	dir := t.TempDir()
	tpl := filepath.Join(dir, "tpl")
	if err := os.Mkdir(tpl, 0o755); err != nil {
		t.Fatal(err)
	}
	team := writeFile(t, tpl, "team.jsonnet", `
local g = import 'grafana.libsonnet';
local mesh = import 'mesh.libsonnet';
function(meshslo) mesh.dashboard(meshslo, 'team', 'Team', 'Our view.', [], [
  g.line(4, [g.stat('Services', 'Services istiod knows.', 'short', [g.target('max(pilot_services)')])]),
]) + { uid: 'team' }`)
	clash := `dashboard template ` + team + ` (profile medium) gives uid "team", which dashboard template ` + team + ` (profile small) already gives; Grafana keeps one dashboard per uid`

	out := filepath.Join(dir, "out")
	code, _, stderr := run(t, "generate", "-p", "small", "-p", "medium", "--out", out, "--templates", tpl)
	if want := "meshslo: " + clash + "; nothing was written\n"; code != ExitInvalid || stderr != want {
		t.Errorf("generate: exit %d\n%s\nwant\n%s", code, stderr, want)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("generate wrote %s: %v", out, err)
	}
	if code, _, stderr := run(t, "generate", "-p", "small", "--out", out, "--templates", tpl); code != ExitOK {
		t.Errorf("one profile: exit %d: %s", code, stderr)
	}

	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests++ }))
	defer srv.Close()
	t.Setenv(TokenEnv, "s3cret")
	code, _, stderr = run(t, "push", "--grafana-url", srv.URL, "-p", "small", "-p", "medium", "--templates", tpl)
	if want := "meshslo: " + clash + "; nothing was uploaded\n"; code != ExitInvalid || stderr != want {
		t.Errorf("push: exit %d\n%s\nwant\n%s", code, stderr, want)
	}
	if requests != 0 {
		t.Errorf("push sent %d requests", requests)
	}
}

// generate --templates refuses a link to a file outside the directory: the
// environment (GRAFANA_TOKEN) never lands in a dashboard.
func TestTemplatesLinkRefused(t *testing.T) {
	dir := t.TempDir()
	tpl := filepath.Join(dir, "tpl")
	if err := os.Mkdir(tpl, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(tpl, "mesh.libsonnet")
	if err := os.Symlink("/proc/self/environ", link); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	code, _, stderr := run(t, "generate", "-p", "small", "--out", out, "--templates", tpl)
	if want := "meshslo: " + link + ": is a symbolic link; --templates reads only regular files inside the directory\n"; code != ExitInvalid || stderr != want {
		t.Errorf("exit %d\n%s\nwant\n%s", code, stderr, want)
	}
}
