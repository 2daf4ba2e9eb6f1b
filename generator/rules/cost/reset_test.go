package cost

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"

	"github.com/meshslo/meshslo/generator/profile"
	meshrules "github.com/meshslo/meshslo/generator/rules"
)

// TestCounterResetUndercount measures what the raw 5m tile (x - x offset
// 5m where it is not negative, increase() over the 5m where it is)
// loses at a counter reset, against the counters' exact increase with
// Prometheus's reset rule (a drop means the counter restarted from zero)
// and against increase() over the raw counters, at a reset, a failed
// scrape, a Prometheus outage and a quiet series turning busy. It also
// logs what the cheaper tiles (tileAlternatives) would count. Label sets are the mesh's
// (the destination sidecar's istio_requests_total as scraped). The rules
// are the small profile's, evaluated every minute; samples every minute.
func TestCounterResetUndercount(t *testing.T) {
	cases := []struct {
		name string
		// value of the counter at minute i (0..120).
		value func(i int) float64
		// most the 1h window may lose, in requests.
		maxLoss float64
		// minutes without a sample: a failed scrape writes a staleness
		// marker instead (Prometheus scrape/scrape.go: "A failed scrape is
		// the same as an empty scrape, we still call sl.append to trigger
		// stale markers"); a Prometheus that was down writes nothing.
		stale, gap []int
	}{
		{"steady, no reset", func(i int) float64 { return 60 * float64(i) }, 0, nil, nil},
		// An Envoy restart at 89m30s: 30 requests counted since the
		// restart by the 90m scrape; the 1h window's tile (85m, 90m] falls
		// back to increase() (8 requests lost; a two-sample tile without
		// the fallback, tried and reverted, lost 270).
		{"Envoy restart", func(i int) float64 {
			if i < 90 {
				return 60 * float64(i)
			}
			return 30 + 60*float64(i-90)
		}, 300, nil, nil},
		// A quiet counter (7 at 85m and 89m) restarted and passed its old
		// value within the 5m (40 at 90m): taken for growth of 33, as the
		// exact count with Prometheus's reset rule takes it too.
		{"reset passing the old value", func(i int) float64 {
			if i < 90 {
				return float64(i) / 12
			}
			return 40 + float64(i-90)
		}, 10, nil, nil},
		// One failed scrape at 90m: the 90m tile's x and the 95m tile's
		// x offset 5m find its marker; both fall back to increase() over
		// the samples around it.
		{"failed scrape", func(i int) float64 { return 60 * float64(i) }, 60, []int{90}, nil},
		// Prometheus down from 70m to 85m: no samples, no evaluations.
		// The tiles it did not record are missing from the window (the
		// README's "Prometheus outages longer than the 5-minute lookback").
		{"Prometheus down 15m", func(i int) float64 { return 60 * float64(i) }, 1200, nil, minutes(70, 85)},
		// A quiet series (1 request until 60m) that then takes 60 a
		// minute, as a new pod's or a new error code's series does: ours
		// is exact (x offset 5m finds the 1). The scaled range's first
		// tile has a first sample far below its increase, and increase()
		// then extrapolates to the counter's zero point, not to the
		// range's start.
		{"quiet, then busy", func(i int) float64 {
			if i <= 60 {
				return 1
			}
			return 1 + 60*float64(i-60)
		}, 0, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			m := mesh{Pods: 1, Services: 1, Namespaces: 1, Sources: 1, Scrape: time.Minute}
			var lset labels.Labels
			for _, c := range m.series() {
				if c.labels.Get(labels.MetricName) == "istio_requests_total" && c.code == "200" {
					lset = c.labels
				}
			}
			db := openDB(t, 3*time.Hour)
			app := db.Appender(ctx)
			var truth float64
			for i := 0; i <= 120; i++ {
				v := math.Floor(tc.value(i))
				if i > 60 {
					// The exact increase over (60m, 120m]: a drop counts
					// the new value, Prometheus's reset rule. Envoy counts
					// on while Prometheus is down.
					if prev := math.Floor(tc.value(i - 1)); v >= prev {
						truth += v - prev
					} else {
						truth += v
					}
				}
				sample := v
				switch {
				case slices.Contains(tc.gap, i):
					continue
				case slices.Contains(tc.stale, i):
					sample = math.Float64frombits(value.StaleNaN)
				}
				if _, err := app.Append(0, lset, (time.Duration(i) * time.Minute).Milliseconds(), sample); err != nil {
					t.Fatal(err)
				}
			}
			// The 1h window read at 120m: its tiles span the samples from
			// 60m to 120m.
			if err := app.Commit(); err != nil {
				t.Fatal(err)
			}
			c := builtinConfig(t, "small", time.Minute)
			rs := loadRuleSet(t, "ours", db, newEngine(), renderFiles(t, c, sloFiles(t, c)[:1]))
			// Evaluated by the rule manager every minute, as Prometheus does:
			// a series a rule stops returning gets a staleness marker.
			zero := time.Unix(0, 0).UTC()
			for ts := time.Minute; ts <= 120*time.Minute; ts += time.Minute {
				if slices.Contains(tc.gap, int(ts/time.Minute)) {
					continue
				}
				if _, _, err := rs.cycle(ctx, zero.Add(ts)); err != nil {
					t.Fatal(err)
				}
			}
			rq, err := newEngine().NewInstantQuery(ctx, db, nil, meshrules.SLIRequestsRate(profile.Duration(time.Hour))+`{slo="availability"} * 3600`, zero.Add(120*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			defer rq.Close()
			got := math.NaN()
			if v, err := rq.Exec(ctx).Vector(); err == nil && len(v) == 1 {
				got = v[0].F
			}
			// Prometheus's own increase() over the same hour, raw counters.
			q, err := newEngine().NewInstantQuery(ctx, db, nil, `sum(increase(istio_requests_total[1h]))`, zero.Add(120*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close()
			vec, err := q.Exec(ctx).Vector()
			if err != nil || len(vec) != 1 {
				t.Fatalf("increase(): %v %v", vec, err)
			}
			// The cheaper tiles (tileAlternatives): their 12 tiles of the
			// same hour.
			alt := make([]float64, len(tileAlternatives))
			for j, a := range tileAlternatives {
				for k := 0; k < 12; k++ {
					at := zero.Add(120*time.Minute - time.Duration(k)*5*time.Minute)
					if slices.Contains(tc.gap, int(at.Sub(zero)/time.Minute)) {
						continue
					}
					lq, err := newEngine().NewInstantQuery(ctx, db, nil, "sum("+strings.ReplaceAll(a.expr, "X", "istio_requests_total")+")", at)
					if err != nil {
						t.Fatal(err)
					}
					if v, err := lq.Exec(ctx).Vector(); err == nil && len(v) == 1 {
						alt[j] += v[0].F
					}
					lq.Close()
				}
			}
			loss := truth - got
			var alts string
			for j, a := range tileAlternatives {
				alts += fmt.Sprintf(", tiles of %s %.0f", a.name, alt[j])
			}
			t.Logf("%s: requests over (60m, 120m]: exact %.0f, ours (12 back-to-back 5m tiles) %.0f (%.0f lost, %.2f%%), increase() over the raw counter %.1f%s",
				tc.name, truth, got, loss, 100*loss/truth, vec[0].F, alts)
			if math.IsNaN(got) || loss < 0 || loss > tc.maxLoss {
				t.Errorf("%s: ours counts %.0f requests in the hour, exact %.0f: lost %.0f, allowed 0 to %.0f", tc.name, got, truth, loss, tc.maxLoss)
			}
		})
	}
}

// tileAlternatives are the cheaper single-branch tiles the test logs beside
// ours (at its 60s scrape): without a range read, x where x offset 5m has
// no sample, which counts a series' whole lifetime each time x offset 5m
// finds none; and one increase() over 5m plus one scrape interval scaled
// back to 5m, whose range holds exactly the samples x and x offset 5m see
// (so it is exact at resets too) but which extrapolates a series whose
// first sample is small to its zero point, and a range whose first sample
// failed to its start.
var tileAlternatives = []struct{ name, expr string }{
	{"(x - x offset 5m >= 0) or x", "(X - X offset 5m >= 0) or X"},
	{"increase(x[6m]) * 300 / 360", "increase(X[6m]) * 300 / 360"},
}

// minutes lists the minutes from first to last, both included.
func minutes(first, last int) []int {
	var out []int
	for i := first; i <= last; i++ {
		out = append(out, i)
	}
	return out
}
