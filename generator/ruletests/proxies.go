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
	s := b.newSuite("proxies.test.yaml", "Proxy alerts at the edges of their thresholds, the recorded out-of-sync share, memory against the live limit and OOM kills.")
	s.alerts = []string{"IstioProxiesStale", "IstioSidecarMemoryHigh", "IstioSidecarOOMKilled"}
	s.records = []string{rules.ProxiesExpectedCount, rules.ProxiesDisconnectedCount, rules.ProxyOutOfSync, rules.ProxiesCount,
		rules.ProxiesOutOfSyncCount, rules.ProxiesOutOfSyncRatio, rules.SidecarMemoryLimit, rules.SidecarMemoryRatio}
	for _, w := range []*watch{b.staleWatch(), b.memoryWatch(), b.memoryNoLimitWatch()} {
		s.Tests = append(s.Tests, b.edgeCases(w)...)
	}
	s.Tests = append(s.Tests, b.staleSignals(), b.memoryLimitExamples(), b.oomKilled())
	return s
}

// native says whether a fleet proxy is a native sidecar (an init
// container, Istio's default since 1.27 on kubelet 1.33+): every third.
func native(k int) bool { return k%3 == 1 }

// ztunnelPod is the namespace and name of the one ztunnel of the test
// mesh, a pod of spec.ztunnel.daemonSet: its container is also
// istio-proxy, and it holds an xDS stream to istiod like every proxy.
func (b *builder) ztunnelPod() (namespace, pod string) {
	z := b.c.Profile.Spec.Ztunnel
	return z.Namespace, z.DaemonSet + "-" + podSuffix(1)
}

// running is kube-state-metrics' view of a proxy container that runs.
func (b *builder) running(namespace, pod string, init bool, v float64, n int) series {
	name := "kube_pod_container_status_running"
	if init {
		name = "kube_pod_init_container_status_running"
	}
	return series{b.kubeStateMetrics(namespace, pod, catalogue.SidecarContainer).of(name), gauge(constant(v, n))}
}

// connections is what istiod reports of the fleet: every running proxy
// container (and the ztunnel) but the first disconnected(t), split over
// the istiod replicas as pilot_xds, plus a finished Job's pod whose
// sidecar no longer runs.
func (b *builder) connections(fleet []proxy, disconnected func(profile.Duration) float64, n int) []series {
	var out []series
	zns, zpod := b.ztunnelPod()
	for k, p := range fleet {
		out = append(out, b.running(p.namespace, p.pod, native(k), 1, n))
	}
	out = append(out,
		b.running(zns, zpod, false, 1, n),
		b.running("batch", "report-29123400-"+podSuffix(0), false, 0, n))
	pods := b.istiods()
	all := float64(len(fleet) + 1)
	for k, p := range pods {
		v := mapf(b.levels(disconnected, n), func(d float64) float64 {
			total := all - d
			share := math.Floor(total / float64(len(pods)))
			if k == 0 {
				return total - share*float64(len(pods)-1)
			}
			return share
		})
		out = append(out, series{p.with("version", "1.28.1").of("pilot_xds"), gauge(v)})
	}
	return out
}

func (b *builder) staleWatch() *watch {
	px := b.c.Profile.Spec.Proxies
	fleet := b.fleet(b.fleetSize())
	size := float64(len(fleet) + 1)
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
		show: func(f float64) string {
			return fmt.Sprintf("%s of %d proxies without a stream to istiod", num(f), int(size))
		},
		inputs: func(level func(profile.Duration) float64, n int) []series {
			return b.connections(fleet, level, n)
		},
		sevs: []sev{
			{rule: b.rule("IstioProxiesStale", map[string]string{"severity": profile.SeverityCritical}),
				holds: func(q float64) bool { return ratio(q) > px.StaleRatio }, value: ratio, above: k, below: k - 1},
			{rule: b.rule("IstioProxiesStale", map[string]string{"severity": profile.SeverityWarning}),
				holds: gt(count), above: count + 1, below: count},
		},
	}
}

// staleSignals: each signal the out-of-sync count reads, once per proxy.
// Proxy 0 has no stream (istiod counts one fewer) and its agent keeps
// failing to reach istiod: one proxy, not two. Proxies 1 and 2's Envoys
// reject CDS and LDS updates, proxy 3's agent relays pushes that get no
// ACK. The others are healthy: their agents saw one stream error (an
// istiod restart) and ACK every push; proxy 4 NACKed once long ago, which
// istiod's reject gauge still shows.
func (b *builder) staleSignals() *testGroup {
	px := b.c.Profile.Spec.Proxies
	fleet := b.fleet(b.fleetSize())
	win := b.window(rules.ProxiesOutOfSyncCount)
	end := win + b.ceilStep(max(px.StaleFor, px.StaleCountFor)) + 2*b.step
	n := b.samples(end)
	g := &testGroup{Name: "IstioProxiesStale counts each proxy once, from istiod's side and its agent's", Interval: b.step.String()}
	g.InputSeries = b.connections(fleet, func(profile.Duration) float64 { return 1 }, n)
	perStep := func(perMinute float64) []float64 {
		return b.slopes(func(profile.Duration) float64 { return 1 }, n, func(float64) float64 { return perMinute / 60 })
	}
	flat := func(v float64) string { return gauge(constant(v, n)) }
	pods := b.istiods()
	for k, p := range fleet {
		cds, lds := flat(float64(k%3)), flat(float64(k%2))
		requests, responses := counter(float64(40+k), perStep(2)), counter(float64(36+k), perStep(2))
		terminations := flat(1)
		switch k {
		case 0:
			terminations = counter(1, perStep(2))
		case 1:
			cds = counter(4, perStep(1))
		case 4:
			// NACKed once long ago and fine since: istiod's gauge stays at 1 forever.
			g.InputSeries = append(g.InputSeries, series{pods[0].with("node", p.pod+"."+p.namespace, "err", "Proto constraint validation failed").of("pilot_xds_cds_reject"), flat(1)})
		case 2:
			lds = counter(1, perStep(1))
		case 3:
			requests = flat(40 + float64(k))
		}
		g.InputSeries = append(g.InputSeries,
			series{p.labels.of("envoy_cluster_manager_cds_update_rejected"), cds},
			series{p.labels.of("envoy_listener_manager_lds_update_rejected"), lds},
			series{p.labels.of("istio_agent_xds_proxy_requests"), requests},
			series{p.labels.of("istio_agent_xds_proxy_responses"), responses},
			series{p.labels.with("type", "error").of("istio_agent_istiod_connection_terminations"), terminations},
		)
	}
	const out = 4
	size := float64(len(fleet) + 1)
	var fs []fired
	if out/size > px.StaleRatio {
		fs = append(fs, fired{b.rule("IstioProxiesStale", map[string]string{"severity": profile.SeverityCritical}), lbls{}, out / size})
	}
	if out > px.StaleCount {
		fs = append(fs, fired{b.rule("IstioProxiesStale", map[string]string{"severity": profile.SeverityWarning}), lbls{}, out})
	}
	g.AlertTests = []alertTest{b.expect(end, "IstioProxiesStale", fs...)}
	reasons := exprTest{Expr: rules.ProxyOutOfSync, EvalTime: end.String()}
	for k, r := range []string{rules.ReasonUnreachable, rules.ReasonRejected, rules.ReasonRejected, rules.ReasonUnacked} {
		reasons.ExpSamples = append(reasons.ExpSamples, expSample{lbls{"namespace": fleet[k].namespace, "pod": fleet[k].pod, "reason": r}.of(rules.ProxyOutOfSync), 1})
	}
	g.ExprTests = []exprTest{
		{Expr: rules.ProxiesCount, EvalTime: end.String(), ExpSamples: []expSample{{lbls{}.of(rules.ProxiesCount), size}}},
		{Expr: rules.ProxiesDisconnectedCount, EvalTime: end.String(), ExpSamples: []expSample{{lbls{}.of(rules.ProxiesDisconnectedCount), 1}}},
		{Expr: rules.ProxiesOutOfSyncCount, EvalTime: end.String(), ExpSamples: []expSample{{lbls{}.of(rules.ProxiesOutOfSyncCount), out}}},
		{Expr: rules.ProxiesOutOfSyncRatio, EvalTime: end.String(), ExpSamples: []expSample{{lbls{}.of(rules.ProxiesOutOfSyncRatio), out / size}}},
		reasons,
	}
	return g
}

// sidecarLimitBytes is the live memory limit of the sidecars in the memory
// cases: raised above Istio's 1Gi default, as busy gateways have.
const sidecarLimitBytes = 2 << 30

// sidecarMemory is the memory series of one sidecar pod: the sidecar at
// side bytes, the app container and the pod total above it (only the
// sidecar counts), its live limit where limit > 0 (from kube-state-metrics,
// for a native sidecar as an init container; from cAdvisor under Istio's
// sample Prometheus, which runs no kube-state-metrics), and a ztunnel,
// whose container is also istio-proxy but is not a sidecar.
func (b *builder) sidecarMemory(p proxy, init bool, side []float64, limit float64) []series {
	n := len(side)
	app := constant(3*sidecarLimitBytes, n)
	pause := constant(1<<20, n)
	total := make([]float64, n)
	for k := range total {
		total[k] = side[k] + app[k] + pause[k]
	}
	c := func(ns, pod, container, image string) lbls { return b.cadvisor(ns, pod, container, image) }
	zns, zpod := b.ztunnelPod()
	cadvisorLimit := 0.0
	istioSample := b.c.Profile.Spec.Prometheus.Scrape == profile.ScrapeIstioSample
	if istioSample {
		cadvisorLimit = limit
	}
	out := b.keep(
		series{c(p.namespace, p.pod, catalogue.SidecarContainer, proxyImage).of("container_memory_working_set_bytes"), gauge(side)},
		series{c(p.namespace, p.pod, p.app, "registry.example.com/shop/"+p.app+":2.4.1").of("container_memory_working_set_bytes"), gauge(app)},
		series{c(p.namespace, p.pod, "POD", "registry.k8s.io/pause:3.10").of("container_memory_working_set_bytes"), gauge(pause)},
		series{c(p.namespace, p.pod, "", "").of("container_memory_working_set_bytes"), gauge(total)},
		series{c(p.namespace, p.pod, catalogue.SidecarContainer, proxyImage).of("container_spec_memory_limit_bytes"), gauge(constant(cadvisorLimit, n))},
		series{c(zns, zpod, catalogue.SidecarContainer, "docker.io/istio/ztunnel:1.28.1").of("container_memory_working_set_bytes"), gauge(constant(3*sidecarLimitBytes, n))},
	)
	if limit > 0 && !istioSample {
		out = append(out,
			series{b.resource(p.namespace, p.pod, catalogue.SidecarContainer, "limits", "memory", init), gauge(constant(limit, n))},
			series{b.resource(p.namespace, p.pod, catalogue.SidecarContainer, "requests", "memory", init), gauge(constant(128<<20, n))})
	}
	return out
}

// limitSource is where the rules find a sidecar's limit under the profile's scrape setup.
func (b *builder) limitSource() string {
	if b.c.Profile.Spec.Prometheus.Scrape == profile.ScrapeIstioSample {
		return "cAdvisor"
	}
	return "kube-state-metrics"
}

func (b *builder) memoryWatch() *watch {
	px := b.c.Profile.Spec.Proxies
	p := b.fleet(2)[1]
	limit := float64(sidecarLimitBytes)
	bytes := func(r float64) float64 { return math.Round(r * limit) }
	w := &watch{
		alert: "IstioSidecarMemoryHigh", baseline: px.MemoryWarningRatio / 2,
		labels: lbls{"namespace": p.namespace, "pod": p.pod, "limit_source": b.limitSource()}, show: percent,
		inputs: func(level func(profile.Duration) float64, n int) []series {
			return b.sidecarMemory(p, native(1), mapf(b.levels(level, n), bytes), limit)
		},
	}
	value := func(q float64) float64 { return bytes(q) / limit }
	for _, t := range []struct {
		severity string
		ratio    float64
	}{{profile.SeverityWarning, px.MemoryWarningRatio}, {profile.SeverityCritical, px.MemoryCriticalRatio}} {
		w.sevs = append(w.sevs, sev{rule: b.rule(w.alert, map[string]string{"severity": t.severity}),
			holds: func(q float64) bool { return value(q) >= t.ratio }, value: value, above: above(t.ratio), below: below(t.ratio)})
	}
	return w
}

// memoryNoLimitWatch: a sidecar whose limit no source reports warns above
// the profile's bytes.
func (b *builder) memoryNoLimitWatch() *watch {
	px := b.c.Profile.Spec.Proxies
	p := b.fleet(1)[0]
	warn := float64(px.MemoryWarning.Bytes())
	w := &watch{
		alert: "IstioSidecarMemoryHigh", baseline: math.Round(warn / 2), labels: lbls{"namespace": p.namespace, "pod": p.pod},
		show: func(f float64) string { return num(roundTo(f/(1<<20), 0.01)) + "Mi, no limit known" },
		inputs: func(level func(profile.Duration) float64, n int) []series {
			return b.sidecarMemory(p, false, b.levels(level, n), 0)
		},
	}
	w.sevs = []sev{{rule: b.rule(w.alert, map[string]string{"severity": profile.SeverityWarning, "limit_source": "none"}),
		holds: gt(warn), above: math.Round(above(warn)), below: math.Round(below(warn))}}
	return w
}

// memoryLimitExamples: against a 2Gi limit, a sidecar at 1.9Gi pages and
// one at 1.1Gi is quiet, where the profile's ratios put them there (the
// defaults do); an absolute 1Gi threshold would have paged for both.
func (b *builder) memoryLimitExamples() *testGroup {
	px := b.c.Profile.Spec.Proxies
	fleet := b.fleet(3)
	const gi = 1 << 30
	high, low := 1.9*gi, 1.1*gi
	if !(high/sidecarLimitBytes >= px.MemoryCriticalRatio) {
		high = math.Round(above(px.MemoryCriticalRatio) * sidecarLimitBytes)
	}
	if !(low/sidecarLimitBytes < px.MemoryWarningRatio) {
		low = math.Round(below(px.MemoryWarningRatio) * sidecarLimitBytes)
	}
	end := 2*b.step + b.ceilStep(px.MemoryFor)
	n := b.samples(end)
	g := &testGroup{Name: fmt.Sprintf("IstioSidecarMemoryHigh against a 2Gi limit: %s pages, %s is quiet",
		profile.Quantity(high).Human(), profile.Quantity(low).Human()), Interval: b.step.String()}
	g.InputSeries = append(b.sidecarMemory(fleet[1], native(1), constant(high, n), sidecarLimitBytes),
		b.sidecarMemory(fleet[2], false, constant(low, n), sidecarLimitBytes)[:1]...)
	if b.c.Profile.Spec.Prometheus.Scrape == profile.ScrapeIstioSample {
		g.InputSeries = append(g.InputSeries, series{b.cadvisor(fleet[2].namespace, fleet[2].pod, catalogue.SidecarContainer, proxyImage).
			of("container_spec_memory_limit_bytes"), gauge(constant(sidecarLimitBytes, n))})
	} else {
		g.InputSeries = append(g.InputSeries, series{b.resource(fleet[2].namespace, fleet[2].pod, catalogue.SidecarContainer, "limits", "memory", false),
			gauge(constant(sidecarLimitBytes, n))})
	}
	l := lbls{"namespace": fleet[1].namespace, "pod": fleet[1].pod, "limit_source": b.limitSource()}
	g.AlertTests = []alertTest{b.expect(end, "IstioSidecarMemoryHigh",
		fired{b.rule("IstioSidecarMemoryHigh", map[string]string{"severity": profile.SeverityWarning}), l, high / sidecarLimitBytes},
		fired{b.rule("IstioSidecarMemoryHigh", map[string]string{"severity": profile.SeverityCritical}), l, high / sidecarLimitBytes})}
	return g
}

// oomKilled: a sidecar restarted after an OOM kill fires, a native
// sidecar's too; a restart for another reason, and an OOM kill before the
// window, do not.
func (b *builder) oomKilled() *testGroup {
	px := b.c.Profile.Spec.Proxies
	fleet := b.fleet(4)
	end := b.ceilStep(px.OOMKilledWindow) + 4*b.step
	n := b.samples(end)
	restartAt := end - b.ceilStep(px.OOMKilledWindow)/2
	restarts := func(before, after float64, at profile.Duration) string {
		return gauge(b.levels(step(before, at, after), n))
	}
	g := &testGroup{Name: "IstioSidecarOOMKilled fires after an OOM kill of a sidecar or native sidecar, not for other restarts", Interval: b.step.String()}
	kinds := []struct {
		p      proxy
		init   bool
		reason string
		at     profile.Duration
		fires  bool
	}{
		{fleet[0], false, "OOMKilled", restartAt, true},
		{fleet[1], true, "OOMKilled", restartAt, true},
		{fleet[2], false, "Error", restartAt, false},
		{fleet[3], false, "OOMKilled", -1, false},
	}
	var fs []fired
	for _, k := range kinds {
		prefix := "kube_pod_container_"
		if k.init {
			prefix = "kube_pod_init_container_"
		}
		l := b.kubeStateMetrics(k.p.namespace, k.p.pod, catalogue.SidecarContainer)
		before := 0.0
		if k.at < 0 {
			before = 1
		}
		g.InputSeries = append(g.InputSeries,
			series{l.of(prefix + "status_restarts_total"), restarts(before, 1, max(k.at, 0))},
			series{l.with("reason", k.reason).of(prefix + "status_last_terminated_reason"), gauge(constant(1, n))})
		if k.fires {
			fs = append(fs, fired{b.rule("IstioSidecarOOMKilled", nil), lbls{"namespace": k.p.namespace, "pod": k.p.pod}, 1})
		}
	}
	// Quiet before the restarts, firing after them.
	g.AlertTests = []alertTest{b.expect(restartAt-b.step, "IstioSidecarOOMKilled"), b.expect(end, "IstioSidecarOOMKilled", fs...)}
	return g
}
