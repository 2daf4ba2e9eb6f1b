package cost

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/rules"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	meshrules "github.com/meshslo/meshslo/generator/rules"
)

// The accuracy scenario: three days of a small mesh (three services, two
// pods each, one source workload, every Envoy bucket) whose traffic swings
// over the day and which goes through error and latency bursts sized to
// trip every burn-rate tier, evaluated every minute.
const (
	accScrape   = time.Minute
	accInterval = time.Minute
	accDuration = 72 * time.Hour
)

// burst raises a service's error or slow share over [From, To).
type burst struct {
	Service  int
	Latency  bool
	From, To time.Duration
	Share    float64
}

var accBursts = []burst{
	{Service: 0, From: 10 * time.Hour, To: 11*time.Hour + 30*time.Minute, Share: 0.03},               // 30x: pages over 1h and 6h
	{Service: 0, Latency: true, From: 20 * time.Hour, To: 21*time.Hour + 15*time.Minute, Share: 0.9}, // 18x: pages over 1h
	{Service: 1, From: 30 * time.Hour, To: 52 * time.Hour, Share: 0.0045},                            // 4.5x: tickets over 1d and 3d
	{Service: 1, Latency: true, From: 45 * time.Hour, To: 65 * time.Hour, Share: 0.2},                // 4x: tickets over 1d and 3d
	{Service: 2, From: 40 * time.Hour, To: 40*time.Hour + 6*time.Minute, Share: 0.2},                 // a sharp 6-minute spike
	{Service: 2, Latency: true, From: 30 * time.Hour, To: 35 * time.Hour, Share: 0.5},                // 10x: pages over 6h
	{Service: 2, From: 60 * time.Hour, To: 66 * time.Hour, Share: 0.009},                             // 9x: pages over 6h
}

func accTraffic(svc int, t time.Duration) load {
	base := []load{{RPS: 30, Errors: 0.0005, Slow: 0.01}, {RPS: 10, Errors: 0.0008, Slow: 0.02}, {RPS: 5, Errors: 0.0003, Slow: 0.005}}[svc]
	day := 2 * math.Pi * t.Hours() / 24
	l := load{RPS: base.RPS * (1 + 0.6*math.Sin(day+float64(svc))), Errors: base.Errors, Slow: base.Slow}
	for _, b := range accBursts {
		if b.Service == svc && t >= b.From && t < b.To {
			if b.Latency {
				l.Slow = b.Share
			} else {
				l.Errors = b.Share
			}
		}
	}
	return l
}

// TestBurnRateAccuracy runs the generated SLO rules and the exact rules
// (every window read straight from the raw counters, Sloth's shape) over
// the scenario with Prometheus's engine and rule manager, and checks that
//   - every error ratio stays within 1% of the exact value for the windows
//     of paging tiers and within 2% for ticket tiers and the period, the
//     exact value being the counters' increase over the window;
//   - every alert goes through the same states as under the exact rules,
//     each change within one evaluation interval (every SLO window, ticket
//     tiers included, is fed by a group evaluated at the profile's interval).
func TestBurnRateAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (burn-rate accuracy over days of samples); make test runs them")
	}
	ctx := context.Background()
	m := mesh{Pods: 6, Services: 3, Namespaces: 2, Sources: 1, Scrape: accScrape, Buckets: envoyBuckets, Seed: 7}
	db := openDB(t, accDuration)
	series, _, err := m.write(ctx, db, accTraffic, accDuration, true)
	if err != nil {
		t.Fatal(err)
	}
	c := builtinConfig(t, "small", accInterval)
	engine := newEngine()
	// Annotations are left out: expanding their templates at every step
	// would be most of the test's time and says nothing about timing.
	oursFiles := withoutAnnotations(sloFiles(t, c))
	ours := loadRuleSet(t, "ours", db, engine, renderFiles(t, c, oursFiles))
	exact := loadRuleSet(t, "exact", db, engine, renderFiles(t, c, slothFiles(c, oursFiles, true)))

	zero := time.Unix(0, 0).UTC()
	start, end := zero.Add(accInterval), zero.Add(accDuration)
	oursRec, err := ours.backfill(ctx, start, end, accInterval, nil)
	if err != nil {
		t.Fatal(err)
	}
	exactRec, err := exact.backfill(ctx, start, end, accInterval, nil)
	if err != nil {
		t.Fatal(err)
	}

	truth := newTruth(m, series)
	for _, s := range c.SLOs {
		for _, w := range meshrules.Windows(s) {
			tol, tier := tolerance(s, w)
			oursWorst := compareRatios(t, s, w, oursRec[meshrules.SLIErrorRatio(w)], truth, tol, true)
			exactWorst := compareRatios(t, s, w, exactRec[slothPrefix+":"+strings.TrimPrefix(meshrules.SLIErrorRatio(w), "slo:")], truth, tol, false)
			t.Logf("%-12s %-4s (%s, within %.0f%%): largest deviation from the counters: ours %.4f%%, exact rules (rate over raw counters) %.4f%%",
				s.Name, w, tier, tol*100, oursWorst*100, exactWorst*100)
		}
	}

	oursStates, exactStates := alertStates(ctx, t, ours, start, end), alertStates(ctx, t, exact, start, end)
	compareAlerts(t, c, oursStates, exactStates)
}

// tolerance is how far a window's ratio may be from the exact one: 1% for
// the windows of paging tiers, 2% for ticket tiers and the period.
func tolerance(s config.SLO, w profile.Duration) (float64, string) {
	for _, tr := range s.Tiers {
		if tr.Severity == profile.SeverityCritical && (tr.Long == w || tr.Short == w) {
			return 0.01, "page"
		}
	}
	if w == s.Window {
		return 0.02, "period"
	}
	return 0.02, "ticket"
}

// truth is the exact error ratio of a window, from the stored samples: the
// counters' increase between the samples an instant query sees at t-w and
// at t, summed over the service's series. Before the first sample a counter
// is zero: it starts with the mesh.
type truth struct {
	m mesh
	// bySLI lists, per SLI kind and service name, the series counting every
	// request and those counting errors (availability) or fast requests
	// (latency).
	all, part map[string]map[string][]*counter
}

func newTruth(m mesh, series []*counter) *truth {
	tr := &truth{m: m, all: map[string]map[string][]*counter{}, part: map[string]map[string][]*counter{}}
	for _, sli := range []string{profile.SLIAvailability, profile.SLILatency} {
		tr.all[sli], tr.part[sli] = map[string][]*counter{}, map[string][]*counter{}
	}
	for _, c := range series {
		svc := c.labels.Get("destination_service_name")
		switch name := c.labels.Get(labels.MetricName); {
		case name == "istio_requests_total":
			tr.all[profile.SLIAvailability][svc] = append(tr.all[profile.SLIAvailability][svc], c)
			if c.code == "503" {
				tr.part[profile.SLIAvailability][svc] = append(tr.part[profile.SLIAvailability][svc], c)
			}
		case name == "istio_request_duration_milliseconds_count":
			tr.all[profile.SLILatency][svc] = append(tr.all[profile.SLILatency][svc], c)
		case name == "istio_request_duration_milliseconds_bucket" && c.le == "250":
			tr.part[profile.SLILatency][svc] = append(tr.part[profile.SLILatency][svc], c)
		}
	}
	return tr
}

func (tr *truth) increase(cs []*counter, t, w time.Duration) float64 {
	var sum float64
	at := func(c *counter, x time.Duration) float64 {
		if x < c.first {
			return 0
		}
		return c.values[min(int((x-c.first)/tr.m.Scrape), len(c.values)-1)]
	}
	for _, c := range cs {
		sum += at(c, t) - at(c, t-w)
	}
	return sum
}

// ratio is the exact error ratio of s for the service named svc over w at t.
func (tr *truth) ratio(s config.SLO, svc string, t, w time.Duration) float64 {
	all, part := tr.increase(tr.all[s.SLI][svc], t, w), tr.increase(tr.part[s.SLI][svc], t, w)
	if s.SLI == profile.SLILatency {
		return (all - part) / all
	}
	return part / all
}

// compareRatios checks one window's recorded ratios against the truth and
// returns the largest relative deviation. Windows are compared once they
// are covered by rule evaluations and, for those longer than 12h, from 12h
// on (against the increase since the start of the data); fail says whether
// a deviation beyond tol is an error.
func compareRatios(t *testing.T, s config.SLO, w profile.Duration, recorded promql.Matrix, tr *truth, tol float64, fail bool) float64 {
	t.Helper()
	from := time.Duration(w) + 10*time.Minute
	if from > 12*time.Hour {
		from = 12 * time.Hour
	}
	worst, compared := 0.0, 0
	seen := map[string]bool{}
	for _, ser := range recorded {
		if ser.Metric.Get("slo") != s.Name {
			continue
		}
		svc := ser.Metric.Get("destination_service_name")
		seen[svc] = true
		reported := 0
		for _, p := range ser.Floats {
			at := time.Duration(p.T) * time.Millisecond
			if at < from {
				continue
			}
			want := tr.ratio(s, svc, at, time.Duration(w))
			dev := math.Abs(p.F - want)
			if want != 0 {
				dev /= want
			}
			if math.IsNaN(p.F) != math.IsNaN(want) || dev > tol {
				if fail && reported < 3 {
					t.Errorf("%s %s %s at %s: got %.6g, exact %.6g (%.3f%% off, allowed %.0f%%)", s.Name, svc, w, at, p.F, want, dev*100, tol*100)
				}
				reported++
			}
			if !math.IsNaN(dev) {
				worst = max(worst, dev)
			}
			compared++
		}
	}
	if fail && (len(seen) != 3 || compared == 0) {
		t.Errorf("%s %s: compared %d points over services %v, expected every service", s.Name, w, compared, seen)
	}
	return worst
}

// change is an alert entering a state (pending, firing or inactive) at a time.
type change struct {
	at    time.Duration
	state string
}

// alertStates evaluates the rule set's alerting rules every interval from
// start to end (the recordings are backfilled) with Prometheus's alerting
// rule, pending and firing logic included, and returns each alert's state
// changes, keyed by alert name (without the reference prefix) and labels.
// Each alert expression is evaluated once as a range query; the rule reads
// the result of each step from it.
func alertStates(ctx context.Context, t *testing.T, rs *ruleSet, start, end time.Time) map[string][]change {
	t.Helper()
	results := map[string]map[int64]promql.Vector{}
	var alerts []*rules.AlertingRule
	for _, g := range rs.groups {
		for _, r := range g.Rules() {
			ar, ok := r.(*rules.AlertingRule)
			if !ok {
				continue
			}
			alerts = append(alerts, ar)
			expr := ar.Query().String()
			if results[expr] != nil {
				continue
			}
			q, err := rs.engine.NewRangeQuery(ctx, rs.db, nil, expr, start, end, accInterval)
			if err != nil {
				t.Fatal(err)
			}
			res := q.Exec(ctx)
			m, err := res.Matrix()
			if err != nil {
				t.Fatalf("%s: %s: %v", rs.name, expr, err)
			}
			byTime := map[int64]promql.Vector{}
			for _, ser := range m {
				for _, p := range ser.Floats {
					byTime[p.T] = append(byTime[p.T], promql.Sample{Metric: ser.Metric, T: p.T, F: p.F})
				}
			}
			results[expr] = byTime
			q.Close()
		}
	}
	query := func(_ context.Context, q string, ts time.Time) (promql.Vector, error) {
		return results[q][ts.UnixMilli()], nil
	}

	out := map[string][]change{}
	last := map[string]string{}
	for ts := start; !ts.After(end); ts = ts.Add(accInterval) {
		now := map[string]string{}
		for _, ar := range alerts {
			if _, err := ar.Eval(ctx, 0, ts, query, nil, 0); err != nil {
				t.Fatalf("%s: %s: %v", rs.name, ar.Name(), err)
			}
			for _, a := range ar.ActiveAlerts() {
				now[alertKey(ar.Name(), a.Labels)] = a.State.String()
			}
		}
		at := ts.Sub(time.Unix(0, 0))
		for k, st := range now {
			if last[k] != st {
				out[k] = append(out[k], change{at, st})
			}
		}
		for k := range last {
			if _, ok := now[k]; !ok {
				out[k] = append(out[k], change{at, "inactive"})
			}
		}
		last = now
	}
	return out
}

func alertKey(name string, ls labels.Labels) string {
	name = strings.TrimPrefix(name, "Sloth")
	return fmt.Sprintf("%s{slo=%s, burn_window=%s, service=%s}", name, ls.Get("slo"), ls.Get("burn_window"), ls.Get("destination_service_name"))
}

// compareAlerts checks that ours go through the same state changes as the
// exact rules, each within one evaluation interval, and that the scenario
// trips every tier of every SLO.
func compareAlerts(t *testing.T, c *config.Config, ours, exact map[string][]change) {
	t.Helper()
	keys := map[string]bool{}
	for k := range ours {
		keys[k] = true
	}
	for k := range exact {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	fired := map[string]bool{}
	for _, k := range sorted {
		o, e := ours[k], exact[k]
		t.Logf("%s: ours %v, exact %v", k, o, e)
		if len(o) != len(e) {
			t.Errorf("%s: ours changed state %d times %v, the exact rules %d times %v", k, len(o), o, len(e), e)
			continue
		}
		for i := range o {
			if o[i].state != e[i].state || absDur(o[i].at-e[i].at) > accInterval {
				t.Errorf("%s: change %d: ours %s at %s, exact rules %s at %s (allowed: the same state within %s)",
					k, i, o[i].state, o[i].at, e[i].state, e[i].at, accInterval)
			}
			if o[i].state == "firing" {
				fired[k[:strings.Index(k, ", service=")]] = true
			}
		}
	}
	for _, s := range c.SLOs {
		for _, tr := range s.Tiers {
			k := fmt.Sprintf("IstioSLOErrorBudgetBurn{slo=%s, burn_window=%s", s.Name, tr.Long)
			if !fired[k] {
				t.Errorf("the scenario never fires %s}: it no longer tests that tier", k)
			}
		}
	}
}

func withoutAnnotations(files []meshrules.File) []meshrules.File {
	out := make([]meshrules.File, len(files))
	for i, f := range files {
		out[i] = f
		out[i].Groups = make([]meshrules.Group, len(f.Groups))
		for j, g := range f.Groups {
			out[i].Groups[j] = g
			out[i].Groups[j].Rules = make([]meshrules.Rule, len(g.Rules))
			for k, r := range g.Rules {
				r.Annotations = nil
				out[i].Groups[j].Rules[k] = r
			}
		}
	}
	return out
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
