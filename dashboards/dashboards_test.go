package dashboards_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/meshslo/meshslo/dashboards"
	"github.com/meshslo/meshslo/generator/catalogue"
	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/generate"
	"github.com/meshslo/meshslo/generator/loader"
	"github.com/meshslo/meshslo/generator/promqltest"
	"github.com/meshslo/meshslo/generator/render"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/profiles"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current templates")

func load(t *testing.T, name string) (*config.Config, []rules.File) {
	t.Helper()
	l, errs := loader.Load(name)
	if l == nil || len(errs.Fatal(false)) > 0 {
		t.Fatalf("%s: %v", name, errs)
	}
	c, err := config.New(l.Profile)
	if err != nil {
		t.Fatal(err)
	}
	return c, rules.Build(c)
}

type built struct {
	c      *config.Config
	files  []rules.File
	boards map[string]dashboards.Dashboard
}

// builds keeps each built-in profile's dashboards for the whole test
// binary: the tests only read them.
var builds sync.Map

func build(t *testing.T, name string) (*config.Config, []rules.File, map[string]dashboards.Dashboard) {
	t.Helper()
	if b, ok := builds.Load(name); ok {
		b := b.(built)
		return b.c, b.files, b.boards
	}
	c, files := load(t, name)
	boards, err := dashboards.Embedded().Build(c, files)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]dashboards.Dashboard{}
	for _, d := range boards {
		out[d.Name] = d
	}
	builds.Store(name, built{c, files, out})
	return c, files, out
}

func parse(t *testing.T, d dashboards.Dashboard) *dashboards.Model {
	t.Helper()
	m, err := dashboards.Parse(d.JSON)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The medium profile's dashboards, byte for byte; update with
// go test ./dashboards -update and review the diff.
func TestGolden(t *testing.T) {
	_, _, boards := build(t, "medium")
	for _, name := range []string{"executive", "oncall", "debug"} {
		d, ok := boards[name]
		if !ok {
			t.Fatalf("no %s dashboard", name)
		}
		path := filepath.Join("testdata", name+".golden")
		if *update {
			if err := os.WriteFile(path, d.JSON, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./dashboards -update)", err)
		}
		if !bytes.Equal(d.JSON, want) {
			t.Errorf("%s differs from %s; run go test ./dashboards -update and review the diff", name, path)
		}
	}
}

func TestSameInputSameBytes(t *testing.T) {
	c, files := load(t, "large")
	a, err := dashboards.Embedded().Build(c, files)
	if err != nil {
		t.Fatal(err)
	}
	b, err := dashboards.Embedded().Build(c, files)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two builds of the same profile differ")
	}
}

// Every query of every built-in profile's dashboards names only metrics
// that exist (the catalogue) or that our rules record.
func TestQueriesNameOnlyCataloguedOrRecordedMetrics(t *testing.T) {
	for _, profile := range profiles.Names() {
		_, files, boards := build(t, profile)
		checkMetrics(t, profile, files, boards)
	}
}

// checkMetrics reports every dashboard query that names a metric neither
// catalogued nor recorded by the rules.
func checkMetrics(t *testing.T, profile string, files []rules.File, boards map[string]dashboards.Dashboard) {
	t.Helper()
	{
		recorded := map[string]bool{}
		for _, f := range files {
			for _, g := range f.Groups {
				for _, r := range g.Rules {
					recorded[r.Record] = r.Record != ""
				}
			}
		}
		for _, d := range boards {
			for _, q := range parse(t, d).Queries() {
				names, err := catalogue.MetricNames(q.Expr)
				if err != nil {
					t.Errorf("%s/%s %s: %v", profile, d.Name, q.Where, err)
					continue
				}
				if len(names) == 0 {
					t.Errorf("%s/%s %s selects no metric: %s", profile, d.Name, q.Where, q.Expr)
				}
				for _, n := range names {
					if err := catalogue.Check(n, recorded); err != nil {
						t.Errorf("%s/%s %s: %v", profile, d.Name, q.Where, err)
					}
				}
			}
		}
	}
}

// Each alert's threshold is drawn on the panels its descriptor names
// (rules.Threshold.Panels), at the very value the rule compares against;
// the rules' completeness test holds that value to the expression.
func TestPanelsDrawTheAlertThresholds(t *testing.T) {
	for _, profile := range profiles.Names() {
		_, files, boards := build(t, profile)
		drawn := 0
		for _, th := range rules.Thresholds(files) {
			for _, at := range th.Panels {
				dashboard, panel, _ := strings.Cut(at, "/")
				d, ok := boards[dashboard]
				if !ok {
					t.Errorf("%s: %s %s names dashboard %q, which is not generated", profile, th.Alert, th.Severity, dashboard)
					continue
				}
				steps := map[float64]bool{}
				found := false
				for _, p := range parse(t, d).AllPanels() {
					if p.Title == panel && p.FieldConfig.Defaults.Thresholds != nil {
						found = true
						for _, s := range p.FieldConfig.Defaults.Thresholds.Steps {
							if s.Value != nil {
								steps[*s.Value] = true
							}
						}
					}
				}
				if !found {
					t.Errorf("%s/%s: no panel %q with thresholds (named by %s %s)", profile, dashboard, panel, th.Alert, th.Severity)
					continue
				}
				drawn++
				if !steps[th.Value] {
					t.Errorf("%s/%s %q: alert %s %s fires at %v, which the panel does not draw (it draws %v)", profile, dashboard, panel, th.Alert, th.Severity, th.Value, keys(steps))
				}
			}
		}
		if drawn == 0 {
			t.Fatalf("%s: no threshold names a panel", profile)
		}
	}
}

// Every value the dashboards are given to draw is read by a template: a
// descriptor's Draw key that no template uses is a threshold nobody sees.
func TestEveryDrawnThresholdIsUsedByATemplate(t *testing.T) {
	src := dashboards.Embedded()
	var all strings.Builder
	for _, name := range src.Files() {
		all.WriteString(src.File(name))
	}
	c, files := load(t, "medium")
	in, err := dashboards.NewInput(c, files, nil)
	if err != nil {
		t.Fatal(err)
	}
	for section, values := range in.Thresholds {
		for name := range values {
			if !strings.Contains(all.String(), "."+name) {
				t.Errorf("thresholds.%s.%s is given to the dashboards but no template reads it", section, name)
			}
		}
	}
}

// comparedNumbers returns the numbers an expression compares against.
func comparedNumbers(t *testing.T, expr string) []float64 {
	t.Helper()
	out, err := promqltest.ComparedNumbers(expr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func keys(m map[float64]bool) []float64 {
	var out []float64
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// No threshold is invented in a template: every value drawn comes from the
// profile or config (0 is allowed: where a budget is spent).
func TestEveryThresholdComesFromTheConfig(t *testing.T) {
	for _, profile := range profiles.Names() {
		c, files, boards := build(t, profile)
		in, err := dashboards.NewInput(c, files, nil)
		if err != nil {
			t.Fatal(err)
		}
		allowed := map[float64]bool{0: true}
		var walk func(any)
		walk = func(v any) {
			switch x := v.(type) {
			case float64:
				allowed[x] = true
			case map[string]any:
				for _, e := range x {
					walk(e)
				}
			case []any:
				for _, e := range x {
					walk(e)
				}
			}
		}
		data, _ := json.Marshal(struct {
			T any `json:"t"`
			S any `json:"s"`
		}{in.Thresholds, in.SLOs})
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatal(err)
		}
		walk(v)
		for _, d := range boards {
			for _, p := range parse(t, d).AllPanels() {
				if p.FieldConfig.Defaults.Thresholds == nil {
					continue
				}
				for _, s := range p.FieldConfig.Defaults.Thresholds.Steps {
					if s.Value != nil && !allowed[*s.Value] {
						t.Errorf("%s/%s panel %q draws %v, which is no profile or config value", profile, d.Name, p.Title, *s.Value)
					}
				}
			}
		}
	}
}

func TestUIDsAndLinks(t *testing.T) {
	seen := map[string]string{}
	for _, profile := range profiles.Names() {
		_, _, boards := build(t, profile)
		if len(boards) != 3 {
			t.Errorf("%s: %d dashboards, want executive, oncall and debug", profile, len(boards))
		}
		uids := map[string]bool{}
		for _, d := range boards {
			if prev, dup := seen[d.UID]; dup {
				t.Errorf("%s/%s has the uid of %s", profile, d.Name, prev)
			}
			seen[d.UID] = profile + "/" + d.Name
			uids[d.UID] = true
			if d.UID != dashboards.UID(profile, d.Name) {
				t.Errorf("%s/%s: uid %s is not derived from profile and name", profile, d.Name, d.UID)
			}
		}
		for _, d := range boards {
			m := parse(t, d)
			if len(m.Links) != 2 {
				t.Errorf("%s/%s links to %d tiers, want the other 2", profile, d.Name, len(m.Links))
			}
			for _, l := range m.Links {
				if !uids[strings.TrimPrefix(l.URL, "/d/")] || l.URL == "/d/"+d.UID {
					t.Errorf("%s/%s links to %s, not another dashboard of the set", profile, d.Name, l.URL)
				}
			}
		}
	}
}

// Large meshes get no "All namespaces" on the dashboards that query raw
// per-request series, and per-service panels keep the top N.
func TestLargeProfilesStayFast(t *testing.T) {
	for _, profile := range profiles.Names() {
		c, _, boards := build(t, profile)
		large := c.Profile.Spec.Size == "large"
		for _, name := range []string{"oncall", "debug"} {
			m := parse(t, boards[name])
			var raw struct {
				Templating struct {
					List []struct {
						Name       string
						IncludeAll bool
					}
				}
			}
			if err := json.Unmarshal(boards[name].JSON, &raw); err != nil {
				t.Fatal(err)
			}
			for _, v := range raw.Templating.List {
				if v.Name == "namespace" && v.IncludeAll == large {
					t.Errorf("%s/%s: namespace variable includeAll=%v on a %s profile", profile, name, v.IncludeAll, c.Profile.Spec.Size)
				}
			}
			for _, q := range m.Queries() {
				if strings.Contains(q.Expr, "by (destination_service_namespace, destination_service_name") && !strings.Contains(q.Expr, "topk(") {
					t.Errorf("%s/%s %s: a per-service query without topk", profile, name, q.Where)
				}
			}
		}
	}
}

func TestConfigMaps(t *testing.T) {
	c, _, boards := build(t, "medium")
	out := outputFiles(t, c)
	data := out[render.ConfigMapsPath]
	if !bytes.HasPrefix(data, []byte("# "+render.Header("medium")+"\n")) {
		t.Errorf("%s does not start with the header", render.ConfigMapsPath)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	n := 0
	for {
		var node yaml.Node
		if err := dec.Decode(&node); err != nil {
			break
		}
		var cm struct {
			Kind     string
			Metadata struct {
				Name, Namespace string
				Labels          map[string]string
				Annotations     map[string]string
			}
			Data map[string]string
		}
		var obj map[string]any
		if err := node.Decode(&cm); err != nil {
			t.Fatal(err)
		}
		if err := node.Decode(&obj); err != nil {
			t.Fatal(err)
		}
		n++
		if cm.Kind != "ConfigMap" || cm.Metadata.Namespace != c.Profile.Spec.Prometheus.Namespace || cm.Metadata.Labels["grafana_dashboard"] != "1" {
			t.Errorf("ConfigMap %s: kind %s, namespace %s, labels %v", cm.Metadata.Name, cm.Kind, cm.Metadata.Namespace, cm.Metadata.Labels)
		}
		// The Grafana sidecar files it into the folder of the other routes.
		if got := cm.Metadata.Annotations[render.FolderAnnotation]; got != render.DashboardFolder {
			t.Errorf("ConfigMap %s: annotation %s is %q, want %q", cm.Metadata.Name, render.FolderAnnotation, got, render.DashboardFolder)
		}
		// A client-side kubectl apply stores the object as JSON in an
		// annotation; an object's annotations may hold 256 KiB. Keep a
		// margin of half for dashboards that grow.
		js, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		if len(js) > render.MaxAnnotations/2 {
			t.Errorf("ConfigMap %s is %d bytes as JSON: a client-side apply's annotation (256 KiB) is close", cm.Metadata.Name, len(js))
		}
		for key, js := range cm.Data {
			name := strings.TrimSuffix(strings.TrimPrefix(key, "meshslo-medium-"), ".json")
			if js != string(boards[name].JSON) {
				t.Errorf("ConfigMap %s key %s does not hold dashboard %s", cm.Metadata.Name, key, name)
			}
		}
	}
	if n != len(boards) {
		t.Errorf("%d ConfigMaps for %d dashboards", n, len(boards))
	}
	for _, d := range boards {
		if !bytes.Equal(out[render.DashboardPath(d.Name)], d.JSON) {
			t.Errorf("%s is not the dashboard", render.DashboardPath(d.Name))
		}
	}
}

// The values file with dashboards keeps the rule groups exactly as the
// rules-only renderer writes them, and adds the dashboards for Grafana.
func TestHelmValuesKeepRuleGroups(t *testing.T) {
	c, files, boards := build(t, "medium")
	out := outputFiles(t, c)
	plain, err := render.HelmValues(c, files)
	if err != nil {
		t.Fatal(err)
	}
	type values struct {
		Rules   any `yaml:"additionalPrometheusRulesMap"`
		Grafana struct {
			DashboardProviders map[string]struct {
				Providers []struct {
					Name    string
					Options struct{ Path string }
				}
			} `yaml:"dashboardProviders"`
			Dashboards map[string]map[string]struct{ JSON string }
		}
	}
	var with, without values
	if err := yaml.Unmarshal(out[render.HelmValuesPath], &with); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(plain, &without); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(with.Rules, without.Rules) {
		t.Error("the rule groups differ between the values file with and without dashboards")
	}
	provider := render.ResourceName(c)
	ps := with.Grafana.DashboardProviders["dashboardproviders.yaml"].Providers
	if len(ps) != 1 || ps[0].Name != provider || ps[0].Options.Path != "/var/lib/grafana/dashboards/"+provider {
		t.Errorf("dashboard providers: %+v", ps)
	}
	for name, d := range boards {
		if with.Grafana.Dashboards[provider][name].JSON != string(d.JSON) {
			t.Errorf("grafana.dashboards.%s.%s does not hold the dashboard", provider, name)
		}
	}
}

// go test -run '^$' -bench Build ./dashboards: evaluating the three
// templates for one profile (jsonnet, JSON re-encoding and checks).
func BenchmarkBuild(b *testing.B) {
	l, errs := loader.Load("large")
	if l == nil {
		b.Fatal(errs)
	}
	c, err := config.New(l.Profile)
	if err != nil {
		b.Fatal(err)
	}
	files := rules.Build(c)
	src := dashboards.Embedded()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := src.Build(c, files); err != nil {
			b.Fatal(err)
		}
	}
}

// A profile without SLOs still gets its three dashboards, without the SLO
// panels and without gaps.
func TestProfileWithoutSLOs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "noslo.yaml")
	profile := "apiVersion: meshslo/v1alpha1\nkind: MeshProfile\nmetadata: {name: noslo}\nspec: {size: small, slos: []}\n"
	if err := os.WriteFile(path, []byte(profile), 0o644); err != nil {
		t.Fatal(err)
	}
	c, files := load(t, path)
	if len(c.SLOs) != 0 {
		t.Skipf("the profile loader gives %d SLOs for slos: []", len(c.SLOs))
	}
	boards, err := dashboards.Embedded().Build(c, files)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range boards {
		m := parse(t, d)
		bottom := 0
		for _, p := range m.AllPanels() {
			if strings.Contains(p.Title, "burn rate") || strings.Contains(p.Title, "budget") {
				t.Errorf("%s: SLO panel %q without SLOs", d.Name, p.Title)
			}
			if p.GridPos.Y > bottom {
				t.Errorf("%s: panel %q starts at row %d, leaving a gap above it", d.Name, p.Title, p.GridPos.Y)
			}
			bottom = max(bottom, p.GridPos.Y+p.GridPos.H)
		}
	}
}

// outputFiles renders every output of the config's profile through the
// generator's one pipeline.
func outputFiles(t *testing.T, c *config.Config) map[string][]byte {
	t.Helper()
	out, err := generate.Run(c.Profile, nil, generate.Options{NoTests: true})
	if err != nil {
		t.Fatal(err)
	}
	return out.Files
}
