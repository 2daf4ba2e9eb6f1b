package rules

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
)

func d(s string) profile.Duration {
	v, err := profile.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return v
}

// sloConfig is the medium profile with one availability SLO over period,
// the given burn tiers (default ones when nil) and evaluation interval.
func sloConfig(t *testing.T, period, interval string, tiers []profile.BurnRate) *config.Config {
	t.Helper()
	p := profile.Defaults("medium")
	p.Metadata.Name = "test"
	p.Spec.Prometheus.EvaluationInterval = d(interval)
	p.Spec.SLOs = []profile.SLO{{Name: "availability", SLI: profile.SLIAvailability, Objective: 99.9, Window: d(period)}}
	if tiers != nil {
		p.Spec.BurnRates = tiers
	}
	if errs := profile.Validate(&p).Fatal(false); len(errs) > 0 {
		t.Fatalf("invalid test profile: %v", errs)
	}
	c, err := config.New(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// plan renders a window plan as "window<-tile*terms" ("5m<-raw" for the raw
// counters), helpers in brackets.
func plan(ps []windowSource) string {
	var out []string
	for _, p := range ps {
		s := p.Window.String() + "<-raw"
		if p.Tile != 0 {
			s = fmt.Sprintf("%s<-%s*%d", p.Window, p.Tile, p.Terms)
		}
		if !p.Public {
			s = "[" + s + "]"
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func TestWindowPlan(t *testing.T) {
	tier := func(long, short string) profile.BurnRate {
		return profile.BurnRate{Severity: profile.SeverityWarning, BudgetShare: 0.1, Long: d(long), Short: d(short), For: d("1h")}
	}
	for _, tc := range []struct {
		name, period, interval string
		tiers                  []profile.BurnRate
		want                   string
	}{
		{"default tiers every 30s", "30d", "30s", nil,
			"5m<-raw 30m<-5m*6 1h<-30m*2 2h<-1h*2 6h<-2h*3 1d<-6h*4 3d<-1d*3 30d<-3d*10"},
		{"a 28d period needs a 7d tile", "28d", "1m", nil,
			"5m<-raw 30m<-5m*6 1h<-30m*2 2h<-1h*2 6h<-2h*3 1d<-6h*4 3d<-1d*3 [7d<-1d*7] 28d<-7d*4"},
		{"a prime number of days is added up day by day", "13d", "1m", []profile.BurnRate{tier("1d", "1h")},
			"5m<-raw 1h<-5m*12 [12h<-1h*12] 1d<-12h*2 13d<-1d*13"},
		{"windows shorter than the base read the raw counters; others tile", "1d", "30s", []profile.BurnRate{tier("7m", "1m"), tier("45m", "5m")},
			"1m<-raw 5m<-raw 7m<-1m*7 45m<-5m*9 [6h<-45m*8] 1d<-6h*4"},
		{"tiles are whole multiples of the interval", "30d", "2m", nil,
			"5m<-raw 30m<-raw 1h<-30m*2 2h<-1h*2 6h<-2h*3 1d<-6h*4 3d<-1d*3 30d<-3d*10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := sloConfig(t, tc.period, tc.interval, tc.tiers)
			ps := windowPlan(c.SLOs[0], c.Profile.Spec.Prometheus.EvaluationInterval)
			if got := plan(ps); got != tc.want {
				t.Errorf("plan:\n got  %s\n want %s", got, tc.want)
			}
			// Whatever the plan, tiles must add up to their window exactly,
			// fall on past evaluations and be recorded before they are read.
			recorded := map[profile.Duration]bool{}
			for _, p := range ps {
				if p.Tile != 0 {
					if p.Tile*profile.Duration(p.Terms) != p.Window || p.Tile%c.Profile.Spec.Prometheus.EvaluationInterval != 0 || !recorded[p.Tile] {
						t.Errorf("%s from %d x %s: not an exact, aligned tiling of recorded windows", p.Window, p.Terms, p.Tile)
					}
				}
				recorded[p.Window] = true
			}
			for _, w := range Windows(c.SLOs[0]) {
				if !recorded[w] {
					t.Errorf("window %s is not recorded", w)
				}
			}
		})
	}
}

// TestSLORecordingsParse checks every SLO expression with the PromQL parser
// for plans with helpers, raw windows and latency SLIs.
func TestSLORecordingsParse(t *testing.T) {
	c := sloConfig(t, "28d", "2m", []profile.BurnRate{
		{Severity: profile.SeverityCritical, BudgetShare: 0.02, Long: d("1h"), Short: d("1m"), For: d("2m")},
		{Severity: profile.SeverityWarning, BudgetShare: 0.1, Long: d("7d"), Short: d("45m"), For: d("1h")},
	})
	c.Profile.Spec.Mesh.Cluster = "eu-1"
	lat := c.SLOs[0]
	lat.Name, lat.SLI, lat.Threshold = "latency", profile.SLILatency, profile.Duration(250*time.Millisecond)
	c.SLOs = append(c.SLOs, lat)
	b := &builder{c: c}
	p := parser.NewParser(parser.Options{})
	names := map[string]bool{}
	for _, f := range []File{b.sloRecordings(), b.sloAlerts()} {
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				if _, err := p.ParseExpr(r.Expr); err != nil {
					t.Errorf("%s %s%s: %v\n%s", g.Name, r.Record, r.Alert, err, r.Expr)
				}
				if r.Record != "" {
					names[r.Record] = true
				}
				if strings.Contains(r.Expr, "sum by") && !strings.Contains(r.Expr, "cluster") {
					t.Errorf("%s: %s drops the cluster label: %s", g.Name, r.Record, r.Expr)
				}
			}
		}
	}
	for _, s := range c.SLOs {
		for _, w := range Windows(s) {
			if !names[SLIErrorRatio(w)] {
				t.Errorf("%s is not recorded", SLIErrorRatio(w))
			}
		}
	}
}

// TestSLOWindowsShared checks the shared window rules: SLOs that tile a
// window the same way share one rule for it (without an slo matcher when
// all do), SLOs that tile it differently get their own, every series is
// recorded by exactly one rule, and every rule reads only names recorded
// before it in the group for every SLO it serves.
func TestSLOWindowsShared(t *testing.T) {
	c := sloConfig(t, "30d", "1m", nil)
	other := c.SLOs[0]
	other.Name, other.Window = "monthly", d("28d")
	c.SLOs = append(c.SLOs, other)
	b := &builder{c: c}
	f := b.sloRecordings()
	if len(f.Groups) != 1 {
		t.Fatalf("expected one group, got %d", len(f.Groups))
	}
	p := parser.NewParser(parser.Options{})
	recorded := map[string]map[string]bool{} // name -> SLOs it is recorded for
	byName := map[string][]Rule{}
	for _, r := range f.Groups[0].Rules {
		var serves []string
		for _, s := range c.SLOs {
			if r.Serves(s.Name) {
				serves = append(serves, s.Name)
			}
		}
		if len(serves) == 0 {
			t.Errorf("%s (%s) serves no SLO", r.Record, r.Expr)
			continue
		}
		expr, err := p.ParseExpr(r.Expr)
		if err != nil {
			t.Fatalf("%s: %v", r.Record, err)
		}
		parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
			if vs, ok := n.(*parser.VectorSelector); ok && strings.HasPrefix(vs.Name, "slo:") {
				for _, s := range serves {
					if !recorded[vs.Name][s] {
						t.Errorf("%s for SLO %s reads %s before any rule records it for that SLO", r.Record, s, vs.Name)
					}
				}
			}
			return nil
		})
		if recorded[r.Record] == nil {
			recorded[r.Record] = map[string]bool{}
		}
		for _, s := range serves {
			if recorded[r.Record][s] && r.Record != SLOErrorBudget {
				t.Errorf("%s is recorded twice for SLO %s", r.Record, s)
			}
			recorded[r.Record][s] = true
		}
		byName[r.Record] = append(byName[r.Record], r)
	}
	for _, tc := range []struct {
		name string
		want []string // the expression's slo matcher of each rule, "" for none
	}{
		{errorsRatePrefix + "1h", []string{""}},
		{SLIErrorRatio(d("1d")), []string{""}},
		{errorsRatePrefix + "30d", []string{`slo="availability"`}},
		{errorsRatePrefix + "28d", []string{`slo="monthly"`}},
		{errorsRatePrefix + "7d", []string{`slo="monthly"`}},
		{SLIErrorRatio(d("30d")), []string{`slo="availability"`}},
	} {
		rules := byName[tc.name]
		if len(rules) != len(tc.want) {
			t.Errorf("%s: %d rules, want %d", tc.name, len(rules), len(tc.want))
			continue
		}
		for i, r := range rules {
			has := strings.Contains(r.Expr, "slo=")
			if (tc.want[i] == "") == has || (has && !strings.Contains(r.Expr, tc.want[i])) {
				t.Errorf("%s: expression %q, want slo matcher %q", tc.name, r.Expr, tc.want[i])
			}
		}
	}
}
