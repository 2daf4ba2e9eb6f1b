package preview_test

import (
	"bytes"
	"encoding/xml"
	"flag"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshslo/meshslo/dashboards"
	"github.com/meshslo/meshslo/dashboards/preview"
	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/loader"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/profiles"
)

var update = flag.Bool("update", false, "rewrite docs/dashboards/*.svg")

func build(t *testing.T, name string) []dashboards.Dashboard {
	t.Helper()
	l, errs := loader.Load(name)
	if l == nil {
		t.Fatal(errs)
	}
	c, err := config.New(l.Profile)
	if err != nil {
		t.Fatal(err)
	}
	boards, err := dashboards.Embedded().Build(c, rules.Build(c))
	if err != nil {
		t.Fatal(err)
	}
	return boards
}

// docs/dashboards holds the medium profile's previews; they must match
// the templates (update with go test ./dashboards/preview -update, or
// meshslo preview -p medium --out docs/dashboards).
func TestCommittedPreviewsAreCurrent(t *testing.T) {
	for _, d := range build(t, "medium") {
		svg, err := preview.SVG(d, dashboards.CheckOptionsFor("medium", d.Name).MaxRows)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("..", "..", "docs", "dashboards", d.Name+".svg")
		if *update {
			if err := os.WriteFile(path, svg, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(svg, want) {
			t.Errorf("%s is not current (%v); run go test ./dashboards/preview -update", path, err)
		}
	}
}

// What each panel's picture holds, on every built-in profile: the whole
// title and description in its tooltip, every threshold step's colour and
// value, every value mapping, and "no data" where values would be; no
// invented graph.
func TestPreviewShowsThresholdsMappingsAndNoData(t *testing.T) {
	for _, name := range profiles.Names() {
		for _, d := range build(t, name) {
			svg, err := preview.SVG(d, dashboards.CheckOptionsFor(name, d.Name).MaxRows)
			if err != nil {
				t.Fatal(err)
			}
			if err := xml.Unmarshal(svg, new(struct{})); err != nil {
				t.Fatalf("%s/%s: not well-formed XML: %v", name, d.Name, err)
			}
			if bytes.Contains(svg, []byte("<polyline")) {
				t.Errorf("%s/%s: a polyline, which looks like data", name, d.Name)
			}
			m, err := dashboards.Parse(d.JSON)
			if err != nil {
				t.Fatal(err)
			}
			// One <g> per panel, in panel order.
			groups := strings.Split(string(svg), "<g>")[1:]
			panels := m.AllPanels()
			if len(groups) != len(panels) {
				t.Fatalf("%s/%s: %d groups for %d panels", name, d.Name, len(groups), len(panels))
			}
			for i, p := range panels {
				g := groups[i]
				where := name + "/" + d.Name + " " + p.Title
				tip := p.Title
				if p.Description != "" {
					tip += "\n\n" + p.Description
				}
				if !strings.HasPrefix(g, "<title>"+html.EscapeString(tip)+"</title>") {
					t.Errorf("%s: the tooltip is not the full title and description", where)
				}
				if p.Type == "row" {
					continue
				}
				if !strings.Contains(g, preview.NoData) {
					t.Errorf("%s: no %q placeholder", where, preview.NoData)
				}
				if p.Type == "heatmap" {
					continue
				}
				steps := p.FieldConfig.Defaults.Thresholds
				if steps != nil && (p.Type == "table" || p.Type == "timeseries") && len(steps.Steps) == 1 {
					// Grafana shows a base colour alone on neither.
					steps = nil
				}
				if steps != nil {
					for j, s := range steps.Steps {
						// A gauge's arc starts at its min: a step that ends
						// there is never on it.
						if p.Type == "gauge" && j+1 < len(steps.Steps) && p.FieldConfig.Defaults.Min != nil &&
							steps.Steps[j+1].Value != nil && *steps.Steps[j+1].Value <= *p.FieldConfig.Defaults.Min {
							continue
						}
						if !strings.Contains(g, `"`+preview.Color(s.Color)+`"`) {
							t.Errorf("%s: threshold colour %s is not drawn", where, s.Color)
						}
					}
					for _, v := range preview.Thresholds(p) {
						if !strings.Contains(g, ">"+html.EscapeString(v)+"<") {
							t.Errorf("%s: threshold %s is not labelled", where, v)
						}
					}
				}
				for _, mp := range p.Mappings() {
					if !strings.Contains(g, html.EscapeString(mp.Match+" → "+mp.Result.Text)) || !strings.Contains(g, preview.Color(mp.Result.Color)) {
						t.Errorf("%s: mapping %s → %s is not shown", where, mp.Match, mp.Result.Text)
					}
				}
			}
		}
	}
}

// A title too long for its panel is wrapped onto a second line, and cut
// with an ellipsis only beyond that.
func TestLongTitlesWrap(t *testing.T) {
	title := "A title long enough that a panel four columns wide cannot hold it on one line, nor on two"
	js := `{"uid": "u", "title": "t", "schemaVersion": 42, "panels": [
	  {"id": 1, "type": "stat", "title": "` + title + `", "description": "d", "gridPos": {"x": 0, "y": 0, "w": 4, "h": 4},
	   "fieldConfig": {"defaults": {"unit": "short"}}}]}`
	svg, err := preview.SVG(dashboards.Dashboard{JSON: []byte(js)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	if !strings.Contains(s, "<title>"+title+"\n\nd</title>") {
		t.Error("the tooltip does not hold the whole title")
	}
	if n := strings.Count(s, `font-weight="bold" fill="#202226">`); n != 3 { // dashboard title + two lines
		t.Errorf("%d bold lines, want the dashboard title and two title lines:\n%s", n, s)
	}
	if !strings.Contains(s, "…</text>") {
		t.Error("the second line is not cut with an ellipsis")
	}
	if !strings.Contains(s, ">A title long enough that a</text>") {
		t.Errorf("the first line does not break at a space:\n%s", s)
	}
}
