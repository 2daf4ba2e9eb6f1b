package dashboards_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/promql/promqltest"

	"github.com/meshslo/meshslo/dashboards"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/profiles"
)

// topk and bottomk in a range query rank at every step, so a graph of
// topk(10, ...) shows every series that was in the top 10 at some step.
// Every panel that keeps a few series keeps the same ones at every step:
// the query is "expr and on (labels) topk(n, rank)", and rank is
// evaluated once, at the end of the range (@ end()).
func TestTopNQueriesRankOnceOverTheRange(t *testing.T) {
	for _, name := range profiles.Names() {
		_, _, boards := build(t, name)
		checkTopN(t, name, boards)
	}
	// The cert-manager panel is built from dashboards.Input.
	p := profile.Defaults("medium")
	p.Metadata.Name = "cert-manager"
	p.Spec.Certificates.CA = "cert-manager"
	if n := checkTopN(t, "cert-manager", buildProfile(t, p)); n == 0 {
		t.Fatal("no top-N query found")
	}
}

func checkTopN(t *testing.T, profileName string, boards map[string]dashboards.Dashboard) int {
	t.Helper()
	found := 0
	for _, d := range boards {
		for _, q := range parse(t, d).Queries() {
			expr, err := parser.NewParser(parser.Options{}).ParseExpr(q.Expr)
			if err != nil {
				t.Fatal(err)
			}
			ranked := map[*parser.AggregateExpr]bool{}
			parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
				b, ok := node.(*parser.BinaryExpr)
				if !ok || b.Op != parser.LAND {
					return nil
				}
				agg, ok := b.RHS.(*parser.AggregateExpr)
				if !ok || (agg.Op != parser.TOPK && agg.Op != parser.BOTTOMK) {
					return nil
				}
				ranked[agg] = true
				if b.VectorMatching == nil || !b.VectorMatching.On || len(b.VectorMatching.MatchingLabels) == 0 {
					t.Errorf("%s/%s %s: the top-N set must be matched on its labels: %s", profileName, d.Name, q.Where, q.Expr)
				}
				if !atEnd(agg) {
					t.Errorf("%s/%s %s: the top-N rank must be evaluated once, at end(): %s", profileName, d.Name, q.Where, q.Expr)
				}
				return nil
			})
			parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
				if agg, ok := node.(*parser.AggregateExpr); ok && (agg.Op == parser.TOPK || agg.Op == parser.BOTTOMK) {
					found++
					if !ranked[agg] {
						t.Errorf("%s/%s %s: %s ranks at every step of a range query (shows more than its n series): %s", profileName, d.Name, q.Where, agg.Op, q.Expr)
					}
				}
				return nil
			})
		}
	}
	return found
}

// atEnd reports whether every selector under node is read at end().
func atEnd(node parser.Node) bool {
	ok, any := true, false
	parser.Inspect(node, func(n parser.Node, _ []parser.Node) error {
		if vs, is := n.(*parser.VectorSelector); is {
			any = true
			ok = ok && vs.StartOrEnd == parser.END
		}
		return nil
	})
	return ok && any
}

// Against the real Prometheus engine: 30 services each fail in a
// 4-minute window of their own over two hours. The old query,
// topk(10, ...) per step, draws all 30; the dashboard's draws 10, the same
// 10 at every step, those with most errors over the range.
func TestTopNShowsAtMostNSeriesOverARange(t *testing.T) {
	_, _, boards := build(t, "medium")
	var expr string
	for _, p := range parse(t, boards["oncall"]).AllPanels() {
		if p.Title == "5xx responses per service" {
			expr = p.Targets[0].Expr
		}
	}
	if expr == "" {
		t.Fatal("no 5xx responses per service panel")
	}
	const services, minutes = 30, 120
	var load strings.Builder
	load.WriteString("load 1m\n")
	for i := range services {
		// Labels as Istio's stats filter exports them, scraped by the
		// kube-prometheus-stack PodMonitor (namespace, pod of the target).
		// Service i fails at 10+i per second during minutes 4i to 4i+3,
		// after which its counter stays flat; every service serves 200s.
		errs := fmt.Sprintf("0+0x%d 0+%dx4 %d+0x%d", 4*i, 60*(10+i), 240*(10+i), minutes-4*i-4)
		for _, code := range []struct{ code, values string }{{"503", errs}, {"200", fmt.Sprintf("0+600x%d", minutes)}} {
			fmt.Fprintf(&load, `  istio_requests_total{reporter="destination", source_workload="frontend", source_workload_namespace="web", source_principal="spiffe://cluster.local/ns/web/sa/frontend", destination_workload="svc%[1]d", destination_workload_namespace="shop", destination_principal="spiffe://cluster.local/ns/shop/sa/svc%[1]d", destination_service="svc%[1]d.shop.svc.cluster.local", destination_service_name="svc%[1]d", destination_service_namespace="shop", destination_canonical_service="svc%[1]d", destination_canonical_revision="latest", request_protocol="http", response_code="%[2]s", grpc_response_status="", response_flags="-", connection_security_policy="mutual_tls", namespace="shop", pod="svc%[1]d-0", container="istio-proxy", job="shop/istio-sidecars"} %[3]s`+"\n", i, code.code, code.values)
		}
	}
	storage := promqltest.LoadedStorage(t, load.String())
	// The server always enables the @ modifier (prometheus/prometheus
	// cmd/prometheus/main.go: EnableAtModifier: true); the engine's zero
	// value does not.
	engine := promqltest.NewTestEngineWithOpts(t, promql.EngineOpts{MaxSamples: 1e7, Timeout: time.Minute, LookbackDelta: 5 * time.Minute, EnableAtModifier: true})
	start, end := time.Unix(0, 0).Add(5*time.Minute), time.Unix(0, 0).Add(minutes*time.Minute)
	fill := strings.NewReplacer(`"$namespace"`, `".*"`, `"$service"`, `".*"`, "$__rate_interval", "4m",
		"$__range", fmt.Sprintf("%ds", int(end.Sub(start).Seconds())))
	series := func(q string) map[string]float64 {
		t.Helper()
		rq, err := engine.NewRangeQuery(context.Background(), storage, nil, fill.Replace(q), start, end, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		res := rq.Exec(context.Background())
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		m, err := res.Matrix()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, s := range m {
			peak := 0.0
			for _, p := range s.Floats {
				peak = max(peak, p.F)
			}
			out[s.Metric.Get("destination_service_name")] = peak
		}
		return out
	}
	old := series(`topk(10, sum by (destination_service_namespace, destination_service_name) (rate(istio_requests_total{reporter="destination", response_code=~"5..", destination_service_namespace=~"$namespace", destination_service_name=~"$service"}[$__rate_interval])))`)
	if len(old) <= 10 {
		t.Fatalf("the per-step topk drew %d series; the data should make it draw more than 10", len(old))
	}
	got := series(expr)
	if len(got) != 10 {
		t.Fatalf("the dashboard's query drew %d series over the range, want 10: %v", len(got), got)
	}
	// The 10 with most errors over the range: services 20 to 29 fail
	// fastest (10+i per second for the same 4 minutes).
	for i := 20; i < services; i++ {
		if _, ok := got[fmt.Sprintf("svc%d", i)]; !ok {
			t.Errorf("svc%d (most errors) is not drawn: %v", i, got)
		}
	}
	t.Logf("per-step topk(10) drew %d series over 2h; the dashboard's query %d", len(old), len(got))
}
