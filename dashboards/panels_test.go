package dashboards_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/meshslo/meshslo/dashboards"
	"github.com/meshslo/meshslo/generator/generate"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/profiles"
)

// The fixes of issue 16 hold on every built-in profile: schema 42,
// editable, no row descriptions, mTLS coverage once on the executive tier,
// heatmaps with their units in their options, the required options of
// each panel type, and variables with a current value.
func TestGrafanaModel(t *testing.T) {
	for _, name := range profiles.Names() {
		_, _, boards := build(t, name)
		for _, d := range boards {
			var raw struct {
				SchemaVersion int   `json:"schemaVersion"`
				Editable      *bool `json:"editable"`
				ID            any   `json:"id"`
				Panels        []map[string]any
				Templating    struct {
					List []map[string]any
				}
			}
			if err := json.Unmarshal(d.JSON, &raw); err != nil {
				t.Fatal(err)
			}
			where := name + "/" + d.Name
			if raw.SchemaVersion != dashboards.SchemaVersion || raw.Editable == nil || !*raw.Editable || raw.ID != nil {
				t.Errorf("%s: schemaVersion %d, editable %v, id %v", where, raw.SchemaVersion, raw.Editable, raw.ID)
			}
			required := map[string][]string{
				"stat":    {"showPercentChange", "percentChangeColorMode", "orientation", "reduceOptions"},
				"gauge":   {"sizing", "minVizWidth", "minVizHeight", "orientation", "reduceOptions"},
				"table":   {"frameIndex", "showHeader"},
				"heatmap": {"showValue", "exemplars", "yAxis", "cellValues", "color", "legend", "tooltip"},
			}
			for _, p := range raw.Panels {
				typ, title := p["type"].(string), p["title"]
				if typ == "row" {
					if _, ok := p["description"]; ok {
						t.Errorf("%s row %q has a description", where, title)
					}
					continue
				}
				opts, _ := p["options"].(map[string]any)
				for _, k := range required[typ] {
					if _, ok := opts[k]; !ok {
						t.Errorf("%s %s %q has no options.%s", where, typ, title, k)
					}
				}
				if typ == "heatmap" {
					defaults := p["fieldConfig"].(map[string]any)["defaults"].(map[string]any)
					if _, ok := defaults["unit"]; ok {
						t.Errorf("%s heatmap %q has a field config unit", where, title)
					}
					if u := opts["yAxis"].(map[string]any)["unit"]; u != "ms" && u != "s" {
						t.Errorf("%s heatmap %q: y axis unit %v, want the buckets' (ms or s)", where, title, u)
					}
				}
			}
			for _, v := range raw.Templating.List {
				cur, _ := v["current"].(map[string]any)
				if _, ok := cur["text"]; !ok {
					t.Errorf("%s variable %v has no current.text", where, v["name"])
				}
				if _, ok := cur["value"]; !ok {
					t.Errorf("%s variable %v has no current.value", where, v["name"])
				}
			}
		}
		mtls := 0
		for _, p := range parse(t, boards["executive"]).AllPanels() {
			for _, q := range p.Targets {
				if strings.Contains(q.Expr, `connection_security_policy="mutual_tls"`) {
					mtls++
				}
			}
		}
		if mtls != 1 {
			t.Errorf("%s/executive: mTLS coverage is drawn %d times, want once", name, mtls)
		}
	}
}

// The executive SLI beside the error budget is over the SLO period (the
// budget's window), across services, traffic-weighted: errors and
// requests of the period summed first.
func TestExecutiveSLIIsOverTheSLOPeriod(t *testing.T) {
	c, _, boards := build(t, "medium")
	m := parse(t, boards["executive"])
	for _, s := range c.SLOs {
		var stat *dashboards.Panel
		for _, p := range m.AllPanels() {
			if p.Type == "stat" && strings.HasPrefix(p.Title, s.Name+": ") && !strings.Contains(p.Title, "burn rate") {
				stat = &p
			}
		}
		if stat == nil {
			t.Fatalf("no SLI stat for %s", s.Name)
		}
		w := s.Window.String()
		want := fmt.Sprintf(`1 - sum(slo:sli_errors:rate%s{slo="%s"}) / sum(slo:sli_requests:rate%s{slo="%s"})`, w, s.Name, w, s.Name)
		if stat.Targets[0].Expr != want {
			t.Errorf("%s SLI stat: %s, want %s", s.Name, stat.Targets[0].Expr, want)
		}
		if !strings.Contains(stat.Description, w+" window") {
			t.Errorf("%s SLI stat description does not name the %s window: %s", s.Name, w, stat.Description)
		}
	}
}

// With more SLOs than the executive tier has panels for, the table's SLI
// column gives each SLO its own period: the longest first, then each
// shorter one for the SLOs the longer ones have no series of.
func TestExecutiveTableSLIOverEachPeriod(t *testing.T) {
	p := profile.Defaults("medium")
	p.Metadata.Name = "periods"
	defaults := profile.DefaultSLOs()
	p.Spec.SLOs = nil
	for i, w := range []string{"28d", "30d", "7d", "30d"} {
		s := defaults[i%2]
		s.Name = fmt.Sprintf("slo%d", i)
		d, err := profile.ParseDuration(w)
		if err != nil {
			t.Fatal(err)
		}
		s.Window = d
		p.Spec.SLOs = append(p.Spec.SLOs, s)
	}
	if errs := profile.Validate(&p).Fatal(false); len(errs) > 0 {
		t.Fatal(errs)
	}
	boards := buildProfile(t, p)
	var expr, column string
	for _, panel := range parse(t, boards["executive"]).AllPanels() {
		if panel.Title == "SLOs by error budget left" {
			expr = panel.Targets[0].Expr
		}
	}
	if !strings.Contains(string(boards["executive"].JSON), `"SLI (30d, 28d, 7d)"`) {
		column = "missing"
	}
	want := strings.Join([]string{
		"1 - sum by (slo) (slo:sli_errors:rate30d) / sum by (slo) (slo:sli_requests:rate30d)",
		"1 - sum by (slo) (slo:sli_errors:rate28d) / sum by (slo) (slo:sli_requests:rate28d)",
		"1 - sum by (slo) (slo:sli_errors:rate7d) / sum by (slo) (slo:sli_requests:rate7d)",
	}, "\nor\n")
	if expr != want || column != "" {
		t.Errorf("SLI column query:\n%s\nwant\n%s\n(column name %s)", expr, want, column)
	}
}

// buildProfile builds the dashboards of a profile that is not built in.
func buildProfile(t *testing.T, p profile.Profile) map[string]dashboards.Dashboard {
	t.Helper()
	b, err := generate.New(p, nil, generate.Options{NoTests: true})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]dashboards.Dashboard{}
	for _, d := range b.Boards {
		out[d.Name] = d
	}
	return out
}
