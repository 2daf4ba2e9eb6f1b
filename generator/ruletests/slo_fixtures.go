package ruletests

// The SLO tests' fixtures: the destination services, the labels of their
// request metrics and recorded series, and the input series for a bad share
// over time.

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/generator/selector"
)

// requestsPerSecond is the destination service's traffic in the SLO tests.
const requestsPerSecond = 120

// clientErrorShare is the share of 4xx responses: the client's errors,
// never the service's.
const clientErrorShare = 0.1

// service is the destination service the SLO tests send traffic to.
type service struct {
	namespace, name string
	pods            []string
	sources         []struct{ namespace, workload, pod string }
	// budget is the service's error budget: the SLO's, or its own when the
	// SLO lists its services.
	budget float64
	// title names the service in test group names.
	title string
}

// serviceNames name the destination services of the SLO tests, one per case.
var serviceNames = []string{"cart", "checkout", "catalog", "ledger", "fraud", "search", "reviews", "shipping", "inventory", "pricing", "wishlist", "orders"}

func testService(name string) service { return testServiceIn("shop", name) }

func testServiceIn(namespace, name string) service {
	return service{
		namespace: namespace, name: name, title: name,
		pods: []string{name + "-v1-7c9d8b6f5-" + podSuffix(0), name + "-v1-7c9d8b6f5-" + podSuffix(1)},
		sources: []struct{ namespace, workload, pod string }{
			{"web", "frontend", "frontend-6f8b7d9c5-" + podSuffix(2)},
			{"shop", "checkout", "checkout-5d7c9b8f6-" + podSuffix(3)},
		},
	}
}

// requestLabels are the labels Istio's stats plugin puts on a request metric,
// plus the scrape labels of the proxy that reported it.
func (b *builder) requestLabels(s config.SLO, svc service, reporter string, src struct{ namespace, workload, pod string }, dstPod string) lbls {
	if g := s.Gateway; g != nil {
		// Every request of a gateway SLO comes from the gateway: its own
		// proxy reports it, and the destination sees it coming from there.
		src = gatewaySource(*g)
	}
	policy := "mutual_tls"
	scraped := b.envoy(svc.namespace, dstPod, svc.name, 40)
	if reporter == "source" {
		policy = "unknown"
		scraped = b.envoy(src.namespace, src.pod, src.workload, 41)
	}
	l := scraped.with(
		"reporter", reporter,
		"source_workload", src.workload, "source_workload_namespace", src.namespace,
		"source_principal", "spiffe://cluster.local/ns/"+src.namespace+"/sa/"+src.workload,
		"source_app", src.workload, "source_version", "v1", "source_canonical_service", src.workload,
		"source_canonical_revision", "v1", "source_cluster", "Kubernetes",
		"destination_workload", svc.name+"-v1", "destination_workload_namespace", svc.namespace,
		"destination_principal", "spiffe://cluster.local/ns/"+svc.namespace+"/sa/"+svc.name,
		"destination_app", svc.name, "destination_version", "v1",
		"destination_service", svc.name+"."+svc.namespace+".svc.cluster.local",
		"destination_service_name", svc.name, "destination_service_namespace", svc.namespace,
		"destination_canonical_service", svc.name, "destination_canonical_revision", "v1",
		"destination_cluster", "Kubernetes", "request_protocol", "http", "response_flags", "-",
		"connection_security_policy", policy,
	)
	l = b.fitted(l, fitting(s), "istio_requests_total")
	if reporter != s.Reporter {
		l = l.with("reporter", reporter)
	}
	return l
}

// fitting is what a test service's series must match of s's selector:
// all of it but the service matchers an SLO's list adds (ListedMatchers).
// Each test service keeps its own name, and the one it does not list must
// not match.
func fitting(s config.SLO) selector.Matchers {
	var out selector.Matchers
	for _, m := range s.Requests {
		if !slices.Contains(s.ListedMatchers, m) {
			out = append(out, m)
		}
	}
	return out
}

// sliLabels are the labels of the SLO's recorded series for the test service.
func (b *builder) sliLabels(s config.SLO, svc service) lbls {
	l := b.requestLabels(s, svc, s.Reporter, svc.sources[0], svc.pods[0])
	out := l.only(rules.ServiceLabels...)
	if m := b.c.Profile.Spec.Mesh; m.Cluster != "" {
		out[m.ClusterLabel] = l[m.ClusterLabel]
	}
	out["slo"] = s.Name
	for k, v := range s.Labels {
		out[k] = v
	}
	return out
}

// traffic is the SLO's bad share of the test service's requests over time.
type traffic func(t profile.Duration) float64

// sloInputs are the input series for traffic: every destination pod and
// source shares requestsPerSecond; with traps, the client-side view
// (reporter="source") that must not count.
func (b *builder) sloInputs(s config.SLO, svc service, bad traffic, n int, traps bool) []series {
	var out []series
	share := float64(len(svc.pods) * len(svc.sources))
	incs := func(rate func(bad float64) float64) []float64 {
		return b.slopes(func(t profile.Duration) float64 { return bad(t) }, n, rate)
	}
	start := float64(len(svc.name)) * 1000
	next := func() float64 { start += 7919; return start }
	if s.SLI == profile.SLILatency {
		buckets := latencyBuckets(s, b.c.Profile.Spec.LatencyBucketsMs())
		for _, pod := range svc.pods[:1] {
			for _, src := range svc.sources[:1] {
				l := b.requestLabels(s, svc, s.Reporter, src, pod)
				for _, bk := range buckets {
					out = append(out, series{l.with("le", bk.le).of("istio_request_duration_milliseconds_bucket"),
						counter(next(), incs(func(e float64) float64 { return requestsPerSecond * bk.share(e) }))})
				}
				out = append(out, series{l.of("istio_request_duration_milliseconds_count"), counter(next(), incs(func(float64) float64 { return requestsPerSecond }))})
			}
		}
		if traps {
			// The client's sidecar times the network too: all its requests are slow.
			l := b.trapLabels(s, svc)
			for _, bk := range buckets {
				out = append(out, series{l.with("le", bk.le).of("istio_request_duration_milliseconds_bucket"),
					counter(next(), incs(func(float64) float64 { return requestsPerSecond * bk.share(1) }))})
			}
			out = append(out, series{l.of("istio_request_duration_milliseconds_count"), counter(next(), incs(func(float64) float64 { return requestsPerSecond }))})
		}
		return out
	}
	for _, pod := range svc.pods {
		for _, src := range svc.sources {
			l := b.requestLabels(s, svc, s.Reporter, src, pod)
			for _, code := range []struct {
				code string
				rate func(e float64) float64
			}{
				{"200", func(e float64) float64 { return requestsPerSecond / share * (1 - clientErrorShare - e) }},
				{"404", func(float64) float64 { return requestsPerSecond / share * clientErrorShare }},
				{"503", func(e float64) float64 { return requestsPerSecond / share * e }},
			} {
				out = append(out, series{l.with("response_code", code.code).of("istio_requests_total"), counter(next(), incs(code.rate))})
			}
		}
	}
	if traps {
		// The client sees upstream resets (UF) as 503s of its own.
		l := b.trapLabels(s, svc)
		out = append(out,
			series{l.with("response_code", "503", "response_flags", "UF").of("istio_requests_total"), counter(next(), incs(func(float64) float64 { return requestsPerSecond / 2 }))},
			series{l.with("response_code", "200").of("istio_requests_total"), counter(next(), incs(func(float64) float64 { return requestsPerSecond / 2 }))})
	}
	return out
}

// bucket is one le bucket of the latency histogram: share(e) is the share
// of requests at or under its bound when a share e is slower than the SLO.
type bucket struct {
	le    string
	share func(e float64) float64
}

// latencyBuckets puts fast requests just under the SLO threshold (half in
// its bucket, half in the one before) and slow ones in the next bucket.
// le values are written as Prometheus 3 stores them ("250.0").
func latencyBuckets(s config.SLO, bounds []float64) []bucket {
	t := float64(time.Duration(s.Threshold)) / float64(time.Millisecond)
	ti := slices.Index(bounds, t)
	var out []bucket
	for j, ub := range bounds {
		le := num(ub)
		if ub == math.Trunc(ub) {
			le += ".0"
		}
		j := j
		out = append(out, bucket{le, func(e float64) float64 {
			switch {
			case j < ti-1:
				return 0
			case j == ti-1:
				return (1 - e) / 2
			case j <= ti:
				return 1 - e
			default:
				return 1
			}
		}})
	}
	return append(out, bucket{"+Inf", func(float64) float64 { return 1 }})
}

func constantShare(e float64) traffic { return func(profile.Duration) float64 { return e } }

// edgeServices are the services the edge cases run on, one per case: the
// test's own names, or for an SLO that lists its services a few of them,
// one per distinct objective first so services with different budgets are
// tested side by side. Only a handful are tested whatever the list holds.
func (b *builder) edgeServices(s config.SLO) []service {
	var out []service
	if name, pinned := s.Selector[rules.ServiceLabels[1]]; pinned && len(s.Listed) == 0 {
		// A selector naming one service leaves one service to test on:
		// every other name would be folded into it. Each case then runs in
		// a test group of its own.
		ns, ok := s.Selector[rules.ServiceLabels[0]]
		if !ok {
			ns = "shop"
		}
		svc := testServiceIn(ns, name)
		svc.budget = s.Budget
		svc.title = ns + "/" + name
		return []service{svc}
	}
	if len(s.Listed) == 0 {
		for _, name := range serviceNames {
			svc := testService(name)
			svc.budget = s.Budget
			out = append(out, svc)
		}
		return out
	}
	var first, rest []config.Service
	seen := map[float64]bool{}
	for _, l := range s.Listed {
		if seen[l.Budget] {
			rest = append(rest, l)
		} else {
			seen[l.Budget] = true
			first = append(first, l)
		}
	}
	picked := append(first, rest...)
	for _, l := range picked[:min(len(serviceNames), len(picked))] {
		svc := testServiceIn(l.Namespace, l.Name)
		svc.budget = l.Budget
		svc.title = l.Namespace + "/" + l.Name + " (objective " + num(float64(l.Objective)) + "%)"
		out = append(out, svc)
	}
	return out
}

// unlisted is a service in the namespace of the SLO's first listed service
// that the SLO does not list.
func (b *builder) unlisted(s config.SLO) service {
	ns := s.Listed[0].Namespace
	name := "unlisted"
	for k := 2; slices.ContainsFunc(s.Listed, func(l config.Service) bool { return l.Namespace == ns && l.Name == name }); k++ {
		name = fmt.Sprintf("unlisted-%d", k)
	}
	svc := testServiceIn(ns, name)
	svc.title = ns + "/" + name
	return svc
}
