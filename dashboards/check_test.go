package dashboards_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshslo/meshslo/dashboards"
	"github.com/meshslo/meshslo/generator/generate"
)

// A minimal valid dashboard, changed per case by string replacement.
const okDashboard = `{
  "uid": "u", "title": "t", "description": "HEADER rest", "schemaVersion": 42,
  "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus"}]},
  "panels": [
    {"id": 1, "type": "row", "title": "r", "gridPos": {"x": 0, "y": 0, "w": 24, "h": 1}},
    {"id": 2, "type": "timeseries", "title": "a", "description": "d", "gridPos": {"x": 0, "y": 1, "w": 12, "h": 8},
     "datasource": {"type": "prometheus", "uid": "${datasource}"},
     "targets": [{"refId": "A", "expr": "sum(rate(up{namespace=~\"$namespace\"}[$__rate_interval]))"}],
     "fieldConfig": {"defaults": {"unit": "short"}}},
    {"id": 3, "type": "stat", "title": "b", "description": "d", "gridPos": {"x": 12, "y": 1, "w": 12, "h": 8},
     "datasource": {"type": "prometheus", "uid": "${datasource}"},
     "targets": [{"refId": "A", "expr": "avg_over_time(up[$__range:])"}],
     "fieldConfig": {"defaults": {"unit": "percentunit"}}},
    {"id": 4, "type": "heatmap", "title": "h", "description": "d", "gridPos": {"x": 0, "y": 9, "w": 24, "h": 8},
     "datasource": {"type": "prometheus", "uid": "${datasource}"},
     "targets": [{"refId": "A", "expr": "sum by (le) (increase(x_bucket[$__rate_interval]))"}],
     "fieldConfig": {"defaults": {}}, "options": {"yAxis": {"unit": "ms"}, "cellValues": {"unit": "short"}}}
  ]
}`

func TestCheck(t *testing.T) {
	cases := []struct {
		name, old, new string
		opts           dashboards.CheckOptions
		want           string // substring of a problem; empty: no problem
	}{
		{name: "valid"},
		{name: "old schema", old: `"schemaVersion": 42`, new: `"schemaVersion": 39`, want: "schemaVersion is 39, expected 42"},
		{name: "overlap", old: `"x": 12, "y": 1`, new: `"x": 6, "y": 1`, want: `panel 3 "b" overlaps panel 2 "a"`},
		{name: "off grid", old: `"x": 12, "y": 1, "w": 12`, new: `"x": 13, "y": 1, "w": 12`, want: "off the 24-column grid"},
		{name: "duplicate id", old: `"id": 3`, new: `"id": 2`, want: "has the id of"},
		{name: "no unit", old: `"unit": "percentunit"`, new: `"unit": ""`, want: `"b" has no unit`},
		{name: "no description", old: `"title": "a", "description": "d"`, new: `"title": "a", "description": " "`, want: `"a" has no description`},
		{name: "row with a description", old: `"title": "r",`, new: `"title": "r", "description": "d",`, want: `"r" is a row with a description, which Grafana's schema has not`},
		{name: "heatmap without axis unit", old: `"yAxis": {"unit": "ms"}`, new: `"yAxis": {}`, want: `"h" is a heatmap without options.yAxis.unit`},
		{name: "heatmap without cell unit", old: `"cellValues": {"unit": "short"}`, new: `"cellValues": {}`, want: `"h" is a heatmap without`},
		{name: "heatmap unit in the field config", old: `"fieldConfig": {"defaults": {}}`, new: `"fieldConfig": {"defaults": {"unit": "ms"}}`, want: `"h" is a heatmap with a field config unit`},
		{name: "bad PromQL", old: `avg_over_time(up[$__range:])`, new: `avg_over_time(up[$__range:]`, want: `panel 3 "b" query A`},
		{name: "fixed datasource", old: `"uid": "${datasource}"}`, new: `"uid": "prom"}`, want: "must use the ${datasource} variable"},
		{name: "no datasource variable", old: `"name": "datasource"`, new: `"name": "ds"`, want: "no datasource variable"},
		{name: "too tall", opts: dashboards.CheckOptions{MaxRows: 8}, want: "ends at row 9; this dashboard must fit 8 rows"},
		{name: "header", opts: dashboards.CheckOptions{Header: "Code generated"}, want: "must start with the generated-file header"},
		{name: "bad variable query", old: `"query": "prometheus"}]`,
			new:  `"query": "prometheus"}, {"name": "ns", "type": "query", "definition": "label_values(up{a=}, namespace)"}]`,
			want: "variable ns"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			js := okDashboard
			if tc.old != "" {
				if !strings.Contains(js, tc.old) {
					t.Fatalf("case does not apply: %q", tc.old)
				}
				js = strings.Replace(js, tc.old, tc.new, 1)
			}
			problems := dashboards.Check(dashboards.Dashboard{JSON: []byte(js)}, tc.opts)
			if tc.want == "" {
				if len(problems) > 0 {
					t.Fatalf("unexpected problems: %v", problems)
				}
				return
			}
			if !strings.Contains(strings.Join(problems, "\n"), tc.want) {
				t.Fatalf("want a problem containing %q, got %v", tc.want, problems)
			}
		})
	}
}

func TestSubstitute(t *testing.T) {
	got := dashboards.Substitute(`rate(x{a=~"$namespace", b="${service}", c="[[cluster]]"}[$__rate_interval]) offset $__range`)
	want := `rate(x{a=~"sample", b="sample", c="sample"}[5m]) offset 1h`
	if got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A team's directory replaces templates by name and adds dashboards; the
// built-in libraries stay importable.
func TestTemplatesDir(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "team.jsonnet", `
local g = import 'grafana.libsonnet';
local mesh = import 'mesh.libsonnet';
function(meshslo) mesh.dashboard(meshslo, 'team', 'Team', 'Our own view.', [], [
  g.line(6, [g.stat('Proxies', 'Connected proxies.', 'short', [g.target('sum(pilot_xds)')])]),
])`)
	write(t, dir, "executive.jsonnet", `
local g = import 'grafana.libsonnet';
local mesh = import 'mesh.libsonnet';
function(meshslo) mesh.dashboard(meshslo, 'executive', 'Ours', 'Replaced.', [], [
  g.line(4, [g.stat('Services', 'Services.', 'short', [g.target('max(pilot_services)')])]),
])`)
	write(t, dir, "notes.txt", "ignored")
	src, err := dashboards.Embedded().WithDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(src.Names(), ","); got != "debug,executive,oncall,team" {
		t.Fatalf("names %s", got)
	}
	c, files := load(t, "small")
	boards, err := src.Build(c, files)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]dashboards.Dashboard{}
	for _, d := range boards {
		byName[d.Name] = d
	}
	if byName["executive"].Title != "Istio mesh small / Ours" || byName["team"].UID != dashboards.UID("small", "team") {
		t.Fatalf("executive %q, team uid %q", byName["executive"].Title, byName["team"].UID)
	}

	out, err := generate.Run(c.Profile, nil, generate.Options{Templates: &src, NoTests: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := out.Files["dashboards/team.json"]; !ok {
		t.Fatal("generate ignores the templates it is given")
	}
	out, err = generate.Run(c.Profile, nil, generate.Options{NoTests: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := out.Files["dashboards/team.json"]; ok {
		t.Fatal("a run without templates used the team templates of another")
	}
}

func TestTemplatesDirErrors(t *testing.T) {
	c, files := load(t, "small")
	cases := []struct {
		name, file, content, want string
	}{
		{"bad name", "My Board.jsonnet", "{}", "a dashboard template name must match"},
		{"jsonnet error", "broken.jsonnet", "function(meshslo) meshslo.nope", "broken.jsonnet"},
		{"overlapping panels", "overlap.jsonnet", `
local g = import 'grafana.libsonnet';
local mesh = import 'mesh.libsonnet';
function(meshslo) mesh.dashboard(meshslo, 'overlap', 'O', 'x', [], [
  g.line(4, [g.stat('A', 'a', 'short', [g.target('up')]) { w:: 16 }, g.stat('B', 'b', 'short', [g.target('up')]) { w:: 16 }]),
])`, "columns wide"},
		{"too many panels in a line", "crowded.jsonnet", `
local g = import 'grafana.libsonnet';
local mesh = import 'mesh.libsonnet';
function(meshslo) mesh.dashboard(meshslo, 'crowded', 'C', 'x', [], [
  g.line(4, [g.stat('P' + i, 'p', 'short', [g.target('up')]) for i in std.range(1, 30)]),
])`, "less than one of the 24 columns"},
		{"bad query", "query.jsonnet", `
local g = import 'grafana.libsonnet';
local mesh = import 'mesh.libsonnet';
function(meshslo) mesh.dashboard(meshslo, 'query', 'Q', 'x', [], [
  g.line(4, [g.stat('A', 'a', 'short', [g.target('sum(up')])]),
])`, `panel 1 "A" query A`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, tc.file, tc.content)
			src, err := dashboards.Embedded().WithDir(dir)
			if err == nil {
				_, err = src.Build(c, files)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error containing %q, got %v", tc.want, err)
			}
		})
	}
	if _, err := dashboards.Embedded().WithDir(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("a missing directory is accepted")
	}
}

// The layout places any number of rows and lines without deep recursion:
// jsonnet's stack holds 500 calls, and a lazily accumulated layout used
// one per line.
func TestLayoutOfThousandsOfLines(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (thousands of panels); make test runs them")
	}
	dir := t.TempDir()
	write(t, dir, "long.jsonnet", `
local g = import 'grafana.libsonnet';
local mesh = import 'mesh.libsonnet';
function(meshslo) mesh.dashboard(meshslo, 'long', 'L', 'x', [], std.flattenArrays([
  [g.row('R' + i), g.line(2, [g.stat('A' + i, 'a', 'short', [g.target('up')]), g.stat('B' + i, 'b', 'short', [g.target('up')]) { w:: 6 }])]
  for i in std.range(1, 600)
]))`)
	src, err := dashboards.Embedded().WithDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, files := load(t, "small")
	boards, err := src.Build(c, files)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range boards {
		if d.Name != "long" {
			continue
		}
		m, err := dashboards.Parse(d.JSON)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Panels) != 1800 {
			t.Fatalf("%d panels, want 1800", len(m.Panels))
		}
		last := m.Panels[len(m.Panels)-1]
		if want := (dashboards.GridPos{X: 18, Y: 1798, W: 6, H: 2}); last.ID != 1800 || last.GridPos != want {
			t.Errorf("last panel: id %d at %+v, want id 1800 at %+v", last.ID, last.GridPos, want)
		}
	}
}
