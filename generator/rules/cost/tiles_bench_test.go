package cost

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql"
)

// tileShapes are ways to write the raw 5m tile of the availability SLI
// (istio_requests_total per service and response code), each with what it
// costs and gets right; BenchmarkTileShapes measures them side by side.
var tileShapes = []struct{ name, expr string }{
	{"shipped", "(X - X offset 5m >= 0) or increase(X[5m])"},
	{"increase", "increase(X[5m])"},
	{"anchored", "increase(X[5m] anchored)"},
	{"difference", "X - X offset 5m"},
	{"lean", "(X - X offset 5m >= 0) or X"},
	// and "scaled-range", increase() over 5m plus the scrape interval
	// times 5m over that range, which BenchmarkTileShapes builds from the
	// scrape interval.
}

// BenchmarkTileShapes times one instant query of each tile shape over the
// bench mesh (MESHSLO_BENCH_PODS, default 200) and reports the samples the
// engine counts for it, beside the lower bound's rate over 5m.
func BenchmarkTileShapes(b *testing.B) {
	pods := 200
	if os.Getenv("MESHSLO_BENCH_PODS") != "" {
		pods = benchSizes(b)[0].pods
	}
	ctx := context.Background()
	m := mesh{Pods: pods, Services: pods / 10, Namespaces: 5, Sources: 2, Scrape: benchScrapeInterval(b), Buckets: benchBuckets, Seed: 1}
	history := time.Hour
	db := openDB(b, history)
	if _, _, err := m.write(ctx, db, steadyTraffic, history, false); err != nil {
		b.Fatal(err)
	}
	end := time.Unix(0, 0).UTC().Add(history)
	engine := newEngine()
	const sel = `istio_requests_total{reporter="destination"}`
	// The scaled range: 5m plus one scrape interval holds exactly the
	// samples from x offset 5m's to x's; increase() extrapolates their
	// difference to the whole range, which the factor takes back.
	r := 5*time.Minute + m.Scrape
	scaled := fmt.Sprintf("increase(X[%s]) * 300 / %g", model.Duration(r), r.Seconds())
	shapes := append([]struct{ name, expr string }{{"lower-bound", "rate(X[5m])"}}, tileShapes...)
	shapes = append(shapes, struct{ name, expr string }{"scaled-range", scaled})
	query := func(qs string) int64 {
		q, err := engine.NewInstantQuery(ctx, db, promql.NewPrometheusQueryOpts(false, 0), qs, end)
		if err != nil {
			b.Fatal(err)
		}
		defer q.Close()
		if res := q.Exec(ctx); res.Err != nil {
			b.Fatal(res.Err)
		}
		return q.Stats().Samples.TotalSamples
	}
	// Every shape once first, so the first measured pays no cold start.
	for _, sh := range shapes {
		query(strings.ReplaceAll(sh.expr, "X", sel))
	}
	for _, sh := range shapes {
		qs := "sum by (destination_service_namespace, destination_service_name, response_code) (" + strings.ReplaceAll(sh.expr, "X", sel) + ")"
		b.Run(sh.name, func(b *testing.B) {
			var samples int64
			for b.Loop() {
				samples = query(qs)
			}
			b.ReportMetric(float64(samples), "samples")
			b.ReportMetric(float64(samples)/float64(m.Pods*m.Sources*2), "samples/series")
		})
	}
}
