package generate_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/meshslo/meshslo/dashboards"
	"github.com/meshslo/meshslo/generator/generate"
	"github.com/meshslo/meshslo/generator/internal/realtools"
	"github.com/meshslo/meshslo/generator/profile"
)

// Every dashboard of every built-in profile, and of variants that take
// the other layouts (more SLOs than panels of their own on the executive
// and on-call tiers, SLOs of different periods, none, a pinned cluster,
// each CA mode), passes Grafana's own dashboard schema as
// grafana-foundation-sdk/go v0.0.22 encodes it (bin/grafana-schema-check,
// tools/grafana): strict decoding with the panel and datasource plugins
// registered, Validate, and a round trip through the SDK's types that
// loses no key or value. Keys the SDK adds (its defaults) are logged.
func TestDashboardsPassGrafanaSchema(t *testing.T) {
	bin := realtools.GrafanaSchemaCheck(t)
	dir := t.TempDir()
	var files []string
	write := func(profileName, name string, data []byte) {
		t.Helper()
		p := filepath.Join(dir, profileName+"-"+name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	for _, out := range builtins(t) {
		for _, p := range out.Paths() {
			if strings.HasPrefix(p, "dashboards/") {
				write(out.Profile, filepath.Base(p), out.Files[p])
			}
		}
	}
	// The variants build 21 more dashboards; -short checks the built-in ones.
	var variants []profile.Profile
	if !testing.Short() {
		variants = schemaVariants(t)
	}
	for _, v := range variants {
		b, err := generate.New(v, nil, generate.Options{NoTests: true})
		if err != nil {
			t.Fatalf("%s: %v", v.Metadata.Name, err)
		}
		for _, d := range b.Boards {
			write(v.Metadata.Name, d.Name+".json", d.JSON)
		}
	}

	cmd := exec.Command(bin, append([]string{"-json", "-schema", fmt.Sprint(dashboards.SchemaVersion)}, files...)...)
	stdout, err := cmd.Output()
	if _, exit := err.(*exec.ExitError); err != nil && !exit {
		t.Fatal(err)
	}
	var reports []struct {
		File   string   `json:"file"`
		Errors []string `json:"errors"`
		Added  []string `json:"added"`
	}
	if err := json.Unmarshal(stdout, &reports); err != nil {
		t.Fatalf("grafana-schema-check: %v (%v): %s", err, cmd.ProcessState, stdout)
	}
	if len(reports) != len(files) {
		t.Fatalf("%d reports for %d files", len(reports), len(files))
	}
	added := map[string]bool{}
	for _, r := range reports {
		for _, e := range r.Errors {
			t.Errorf("%s: %s", filepath.Base(r.File), e)
		}
		for _, a := range r.Added {
			added[a] = true
		}
	}
	keys := make([]string, 0, len(added))
	for k := range added {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t.Logf("%d dashboards checked; keys the SDK adds as defaults: %d %v", len(files), len(keys), keys)
	if cmd.ProcessState.ExitCode() != 0 && !t.Failed() {
		t.Fatalf("grafana-schema-check exited %d without a failing report", cmd.ProcessState.ExitCode())
	}
}

// schemaVariants are profiles that take the dashboard layouts the built-in
// ones do not.
func schemaVariants(t *testing.T) []profile.Profile {
	t.Helper()
	var out []profile.Profile
	add := func(name string, edit func(p *profile.Profile)) {
		p := profile.Defaults("medium")
		p.Metadata.Name = name
		edit(&p)
		if errs := profile.Validate(&p).Fatal(false); len(errs) > 0 {
			t.Fatalf("%s: %v", name, errs)
		}
		out = append(out, p)
	}
	slos := func(n int, windows ...string) func(p *profile.Profile) {
		return func(p *profile.Profile) {
			defaults := profile.DefaultSLOs()
			p.Spec.SLOs = []profile.SLO{}
			for i := range n {
				s := defaults[i%len(defaults)]
				s.Name = fmt.Sprintf("%s-svc%d", s.SLI, i)
				s.Selector = map[string]string{"destination_service_namespace": "ns", "destination_service_name": fmt.Sprintf("svc%d", i)}
				if len(windows) > 0 {
					w, err := profile.ParseDuration(windows[i%len(windows)])
					if err != nil {
						t.Fatal(err)
					}
					s.Window = w
				}
				p.Spec.SLOs = append(p.Spec.SLOs, s)
			}
		}
	}
	add("schema-no-slos", slos(0))
	add("schema-3-slos", slos(3))
	add("schema-6-slos-two-periods", slos(6, "30d", "28d"))
	add("schema-cluster", func(p *profile.Profile) { p.Spec.Mesh.Cluster = "eu-1" })
	for _, ca := range []string{"plugged", "cert-manager", "external"} {
		add("schema-ca-"+ca, func(p *profile.Profile) { p.Spec.Certificates.CA = ca })
	}
	return out
}
