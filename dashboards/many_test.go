package dashboards_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/meshslo/meshslo/dashboards"
	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
)

// sloProfile is the medium defaults with n SLOs, one per service of
// namespace ns (svc0, svc1, ...), alternating the default availability
// and latency SLOs: the shape of a profile that lists its services.
func sloProfile(tb testing.TB, n int) (*config.Config, []rules.File) {
	tb.Helper()
	p := profile.Defaults("medium")
	p.Metadata.Name = fmt.Sprintf("slos-%d", n)
	defaults := profile.DefaultSLOs()
	p.Spec.SLOs = []profile.SLO{}
	for i := range n {
		s := defaults[i%len(defaults)]
		s.Name = fmt.Sprintf("%s-svc%d", s.SLI, i)
		s.Selector = map[string]string{"destination_service_namespace": "ns", "destination_service_name": fmt.Sprintf("svc%d", i)}
		p.Spec.SLOs = append(p.Spec.SLOs, s)
	}
	if errs := profile.Validate(&p).Fatal(false); len(errs) > 0 {
		tb.Fatalf("%d SLOs: %v", n, errs)
	}
	c, err := config.New(p)
	if err != nil {
		tb.Fatal(err)
	}
	return c, rules.Build(c)
}

// Any number of SLOs gives dashboards that pass every check (Build runs
// Check: grid, overlaps, units, descriptions, PromQL), name only known
// metrics, keep the executive tier on one screen and stay a readable size.
func TestManySLOs(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (many SLOs); make test runs them")
	}
	for _, n := range []int{0, 1, 3, 5, 9, 10, 25, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			c, files := sloProfile(t, n)
			list, err := dashboards.Embedded().Build(c, files)
			if err != nil {
				t.Fatal(err)
			}
			boards := map[string]dashboards.Dashboard{}
			for _, d := range list {
				boards[d.Name] = d
			}
			checkMetrics(t, c.Profile.Metadata.Name, files, boards)
			for _, d := range list {
				m := parse(t, d)
				panels := m.AllPanels()
				// Panels per SLO only while they stay a few: a dashboard of
				// hundreds of panels is neither readable nor fast.
				if len(panels) > 60 {
					t.Errorf("%s has %d panels", d.Name, len(panels))
				}
				for _, p := range panels {
					if p.Type != "row" && p.GridPos.W < 4 {
						t.Errorf("%s: panel %q is %d columns wide, too narrow to read", d.Name, p.Title, p.GridPos.W)
					}
				}
			}
			if n > 0 {
				// Every SLO can be found on the executive and on-call tiers:
				// by name in a per-SLO panel, or in a panel across SLOs.
				for _, name := range []string{"executive", "oncall"} {
					js := string(boards[name].JSON)
					if !strings.Contains(js, c.SLOs[0].Name) && !strings.Contains(js, "by (slo)") {
						t.Errorf("%s shows no SLO", name)
					}
				}
			}
		})
	}
}

// go test -run '^$' -bench BuildSLOs -benchmem ./dashboards: evaluating
// the three templates for profiles of 2, 25 and 1,000 SLOs (one per
// service), jsonnet, JSON re-encoding and checks; the rules are built once.
func BenchmarkBuildSLOs(b *testing.B) {
	for _, n := range []int{2, 25, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			c, files := sloProfile(b, n)
			src := dashboards.Embedded()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := src.Build(c, files); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// With more SLOs than panels of their own, the panels across SLOs still
// draw every burn-rate factor the alerts fire on, and on-call can pick
// one SLO for its windows.
func TestManySLOsDrawTheBurnFactors(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (many SLOs); make test runs them")
	}
	c, files := sloProfile(t, 25)
	list, err := dashboards.Embedded().Build(c, files)
	if err != nil {
		t.Fatal(err)
	}
	boards := map[string]*dashboards.Model{}
	for _, d := range list {
		boards[d.Name] = parse(t, d)
	}
	var factors, current []float64
	for _, r := range rules.Alerts(files) {
		if r.Alert == "IstioSLOErrorBudgetBurn" {
			// The factor, not the traffic guard's request count the
			// expression also compares against.
			factors = append(factors, r.Threshold.Value)
		}
	}
	for _, s := range c.SLOs {
		current = append(current, s.Tiers[0].Factor)
	}
	cases := []struct {
		dashboard, panel string
		want             []float64
	}{
		{"oncall", "Burn rate 1h: 10 fastest-burning SLOs", factors},
		{"oncall", "$slo: burn rate per window", factors},
		{"executive", "Burn rate 1h: 10 fastest-burning SLOs", current},
		{"executive", "Error budget left: 10 SLOs with least", []float64{0}},
	}
	for _, tc := range cases {
		drawn := map[float64]bool{}
		found := false
		for _, p := range boards[tc.dashboard].AllPanels() {
			if p.Title == tc.panel && p.FieldConfig.Defaults.Thresholds != nil {
				found = true
				for _, s := range p.FieldConfig.Defaults.Thresholds.Steps {
					if s.Value != nil {
						drawn[*s.Value] = true
					}
				}
			}
		}
		if !found {
			t.Errorf("%s: no panel %q with thresholds", tc.dashboard, tc.panel)
			continue
		}
		for _, v := range tc.want {
			if !drawn[v] {
				t.Errorf("%s %q does not draw %v (it draws %v)", tc.dashboard, tc.panel, v, keys(drawn))
			}
		}
	}
	var sloVariable bool
	for _, v := range boards["oncall"].Templating.List {
		sloVariable = sloVariable || v.Name == "slo"
	}
	if !sloVariable {
		t.Error("oncall has no slo variable to pick an SLO from")
	}
}

// SLOs of different selectors record different services: the service
// variables list every SLO's, not the first SLO's alone.
func TestServiceVariablesListEverySLO(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (many SLOs); make test runs them")
	}
	c, files := sloProfile(t, 3)
	list, err := dashboards.Embedded().Build(c, files)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range list {
		for _, v := range parse(t, d).Templating.List {
			if (v.Name == "namespace" || v.Name == "service") && strings.Contains(v.Definition, "slo=") {
				t.Errorf("%s: variable %s reads one SLO only: %s", d.Name, v.Name, v.Definition)
			}
		}
	}
}
