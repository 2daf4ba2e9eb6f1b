package ruletests

import (
	"fmt"
	"math"

	"github.com/meshslo/meshslo/generator/catalogue"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
)

const proxyImage = "docker.io/istio/proxyv2:1.28.1"

// A sidecar proxy of the test fleet.
type proxy struct {
	namespace, pod, app string
	labels              lbls // its Envoy stats labels
}

var fleetApps = []struct{ namespace, app string }{
	{"shop", "cart"}, {"shop", "checkout"}, {"shop", "catalog"}, {"payments", "ledger"}, {"payments", "fraud"}, {"web", "frontend"},
}

// fleet is n sidecars spread over a few workloads, named as ReplicaSets name pods.
func (b *builder) fleet(n int) []proxy {
	out := make([]proxy, n)
	for k := range out {
		a := fleetApps[k%len(fleetApps)]
		pod := fmt.Sprintf("%s-7c9d8b6f5-%s", a.app, podSuffix(k/len(fleetApps)))
		out[k] = proxy{a.namespace, pod, a.app, b.envoy(a.namespace, pod, a.app, k)}
	}
	return out
}

// fleetSize is large enough that both stale thresholds have a case just
// past and just short of them: the count needs staleCount+1 proxies, the
// ratio a step of at most half of it.
func (b *builder) fleetSize() int {
	px := b.c.Profile.Spec.Proxies
	return max(px.StaleCount+2, int(math.Ceil(2/px.StaleRatio)))
}

func (b *builder) proxies() *suite {
	s := b.newSuite("proxies.test.yaml", "Sidecar alerts at the edges of their thresholds, and the recorded stale share.")
	s.alerts = []string{"IstioProxiesStale", "IstioSidecarMemoryHigh"}
	s.records = []string{rules.ProxiesCount, rules.ProxiesOutOfSyncCount, rules.ProxiesOutOfSyncRatio}
	for _, w := range []*watch{b.staleWatch(), b.memoryWatch()} {
		s.Tests = append(s.Tests, b.edgeCases(w)...)
	}
	s.Tests = append(s.Tests, b.staleRejects())
	return s
}

// xdsSeries is each proxy's xDS connection gauge: 0 for the first
// disconnected(t) proxies. A couple of proxies also show an idle upstream
// cluster, which must not read as a lost xDS connection.
func (b *builder) xdsSeries(fleet []proxy, disconnected func(profile.Duration) float64, n int) []series {
	var out []series
	for k, p := range fleet {
		v := mapf(b.levels(disconnected, n), func(d float64) float64 {
			if float64(k) < d {
				return 0
			}
			return 1
		})
		out = append(out, series{p.labels.with("cluster_name", "xds-grpc").of("envoy_cluster_upstream_cx_active"), gauge(v)})
		if k < 2 {
			idle := fmt.Sprintf("outbound|8080||%s.%s.svc.cluster.local", p.app, p.namespace)
			out = append(out, series{p.labels.with("cluster_name", idle).of("envoy_cluster_upstream_cx_active"), gauge(constant(0, n))})
		}
	}
	return out
}

func (b *builder) staleWatch() *watch {
	px := b.c.Profile.Spec.Proxies
	fleet := b.fleet(b.fleetSize())
	size := float64(len(fleet))
	ratio := func(q float64) float64 { return q / size }
	// The fewest out-of-sync proxies whose share is past staleRatio.
	k := math.Floor(px.StaleRatio * size)
	for ratio(k) <= px.StaleRatio {
		k++
	}
	for ratio(k-1) > px.StaleRatio {
		k--
	}
	count := float64(px.StaleCount)
	return &watch{
		alert: "IstioProxiesStale", baseline: 0, labels: lbls{},
		show: func(f float64) string { return fmt.Sprintf("%s of %d proxies disconnected", num(f), len(fleet)) },
		inputs: func(level func(profile.Duration) float64, n int) []series {
			return b.xdsSeries(fleet, level, n)
		},
		sevs: []sev{
			{rule: b.rule("IstioProxiesStale", map[string]string{"severity": profile.SeverityCritical}),
				holds: func(q float64) bool { return ratio(q) > px.StaleRatio }, value: ratio, above: k, below: k - 1},
			{rule: b.rule("IstioProxiesStale", map[string]string{"severity": profile.SeverityWarning}),
				holds: gt(count), above: count + 1, below: count},
		},
	}
}

// staleRejects: a proxy that NACKs a CDS or LDS update is out of sync for
// the rejects' window; one that is both disconnected and rejecting counts once.
func (b *builder) staleRejects() *testGroup {
	px := b.c.Profile.Spec.Proxies
	fleet := b.fleet(b.fleetSize())
	win := b.window(rules.ProxiesOutOfSyncCount)
	end := win + b.ceilStep(max(px.StaleFor, px.StaleCountFor)) + 2*b.step
	n := b.samples(end)
	g := &testGroup{Name: "IstioProxiesStale counts proxies that reject CDS or LDS updates, each proxy once", Interval: b.step.String()}
	g.InputSeries = b.xdsSeries(fleet, func(profile.Duration) float64 { return 1 }, n)
	nack := b.slopes(func(profile.Duration) float64 { return 1 }, n, func(float64) float64 { return 1.0 / 60 })
	flat := func(v float64) string { return gauge(constant(v, n)) }
	for k, p := range fleet {
		cds, lds := flat(float64(k%3)), flat(float64(k%2))
		switch k {
		case 0, 1: // proxy 0 is also disconnected
			cds = counter(4, nack)
		case 2:
			lds = counter(1, nack)
		}
		g.InputSeries = append(g.InputSeries,
			series{p.labels.of("envoy_cluster_manager_cds_update_rejected"), cds},
			series{p.labels.of("envoy_listener_manager_lds_update_rejected"), lds})
	}
	const out = 3
	size := float64(len(fleet))
	var fs []fired
	if out/size > px.StaleRatio {
		fs = append(fs, fired{b.rule("IstioProxiesStale", map[string]string{"severity": profile.SeverityCritical}), lbls{}, out / size})
	}
	if out > px.StaleCount {
		fs = append(fs, fired{b.rule("IstioProxiesStale", map[string]string{"severity": profile.SeverityWarning}), lbls{}, out})
	}
	g.AlertTests = []alertTest{b.expect(end, "IstioProxiesStale", fs...)}
	g.ExprTests = []exprTest{
		{Expr: rules.ProxiesCount, EvalTime: end.String(), ExpSamples: []expSample{{lbls{}.of(rules.ProxiesCount), size}}},
		{Expr: rules.ProxiesOutOfSyncCount, EvalTime: end.String(), ExpSamples: []expSample{{lbls{}.of(rules.ProxiesOutOfSyncCount), out}}},
		{Expr: rules.ProxiesOutOfSyncRatio, EvalTime: end.String(), ExpSamples: []expSample{{lbls{}.of(rules.ProxiesOutOfSyncRatio), out / size}}},
	}
	// Make proxy 0 disconnected too.
	g.InputSeries[0].Values = flat(0)
	return g
}

func (b *builder) memoryWatch() *watch {
	px := b.c.Profile.Spec.Proxies
	p := b.fleet(1)[0]
	warn := float64(px.MemoryWarning.Bytes())
	crit := 2 * warn
	w := &watch{
		alert: "IstioSidecarMemoryHigh", baseline: math.Round(warn / 2), labels: lbls{"namespace": p.namespace, "pod": p.pod},
		show: func(f float64) string { return num(roundTo(f/(1<<20), 0.01)) + "Mi" },
		inputs: func(level func(profile.Duration) float64, n int) []series {
			side := b.levels(level, n)
			app := constant(3*crit, n)
			pause := constant(1<<20, n)
			total := make([]float64, n)
			for k := range total {
				total[k] = side[k] + app[k] + pause[k]
			}
			c := func(ns, pod, container, image string) string {
				return b.cadvisor(ns, pod, container, image).of("container_memory_working_set_bytes")
			}
			return []series{
				{c(p.namespace, p.pod, catalogue.SidecarContainer, proxyImage), gauge(side)},
				// The app container and the pod total are bigger; only the sidecar counts.
				{c(p.namespace, p.pod, p.app, "registry.example.com/shop/"+p.app+":2.4.1"), gauge(app)},
				{c(p.namespace, p.pod, "POD", "registry.k8s.io/pause:3.10"), gauge(pause)},
				{c(p.namespace, p.pod, "", ""), gauge(total)},
				// ztunnel's container is also istio-proxy; it is not a sidecar.
				{c("istio-system", "ztunnel-"+podSuffix(1), catalogue.SidecarContainer, "docker.io/istio/ztunnel:1.28.1"), gauge(constant(2*crit, n))},
			}
		},
	}
	for _, t := range []struct {
		severity string
		bytes    float64
	}{{profile.SeverityWarning, warn}} {
		w.sevs = append(w.sevs, sev{rule: b.rule(w.alert, map[string]string{"severity": t.severity}),
			holds: gt(t.bytes), above: math.Round(above(t.bytes)), below: math.Round(below(t.bytes))})
	}
	return w
}
