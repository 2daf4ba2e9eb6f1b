package ruletests

import (
	"math"

	"github.com/meshslo/meshslo/generator/catalogue"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/generator/selector"
)

// istiodImage is the image of istiod's discovery container in cAdvisor series.
const istiodImage = "docker.io/istio/pilot:1.28.1"

// convergenceBuckets are the bucket bounds (s) of pilot_proxy_convergence_time.
var convergenceBuckets = catalogue.ConvergenceBuckets

func percent(f float64) string { return num(f*100) + "%" }

func (b *builder) controlPlane() *suite {
	s := b.newSuite("control-plane.test.yaml", "istiod alerts at the edges of their thresholds, and istiod's recorded ratios.")
	s.alerts = []string{"IstiodHeapNearLimit", "IstiodDown", "IstiodReplicasBelowMinimum", "IstiodHighCPU",
		"IstioXDSRejects", "IstioXDSPushErrors", "IstiodPushLatencyHigh", "IstioConfigConflicts", "IstioSidecarInjectionFailures",
		"IstioWebhookFailures"}
	s.records = []string{rules.IstiodHeapRatio, rules.IstiodCPURatio, rules.IstiodCPURequestRatio, rules.ProxiesConnected}
	for _, w := range []*watch{b.heapWatch(), b.downWatch(), b.replicasWatch(), b.cpuWatch(), b.rejectsWatch(),
		b.pushErrorsWatch(), b.pushLatencyWatch(), b.conflictsWatch(), b.injectionWatch(), b.webhookWatch()} {
		s.Tests = append(s.Tests, b.edgeCases(w)...)
	}
	s.Tests = append(s.Tests, b.heapLiveLimit(), b.istiodAbsent(), b.conflictKinds())
	s.Tests = append(s.Tests, b.revisionCases()...)
	s.Tests = append(s.Tests, b.revisionSignals())
	s.Tests = append(s.Tests, b.cpuHPA()...)
	return s
}

// istiods is one istiod per required replica, at least two, so per-pod
// results and sums across replicas are both exercised.
func (b *builder) istiods() []lbls {
	n := max(b.c.Profile.Spec.Istiod.MinReplicas, 2)
	out := make([]lbls, n)
	for k := range out {
		out[k] = b.istiod(k)
	}
	return out
}

func constant(v float64, n int) []float64 {
	out := make([]float64, n)
	for k := range out {
		out[k] = v
	}
	return out
}

func mapf(vs []float64, f func(float64) float64) []float64 {
	out := make([]float64, len(vs))
	for k, v := range vs {
		out[k] = f(v)
	}
	return out
}

// discoveryLimit is the cAdvisor memory limit series of an istiod pod: the
// container and the pod total. 0 is what cAdvisor exports without a limit,
// and istiod's Helm chart sets none.
func (b *builder) discoveryLimit(pod lbls, limit float64, n int) []series {
	return b.keep([]series{
		{b.cadvisor(pod["namespace"], pod["pod"], catalogue.IstiodContainer, istiodImage).of("container_spec_memory_limit_bytes"), gauge(constant(limit, n))},
		{b.cadvisor(pod["namespace"], pod["pod"], "", "").of("container_spec_memory_limit_bytes"), gauge(constant(limit, n))},
	}...)
}

func (b *builder) heapWatch() *watch {
	i := b.c.Profile.Spec.Istiod
	limit := float64(i.MemoryLimit.Bytes())
	pods := b.istiods()
	heap := func(r float64) float64 { return math.Round(r * limit) }
	w := &watch{
		alert: "IstiodHeapNearLimit", baseline: i.HeapWarningRatio / 2,
		labels: podRevision(pods[0]).with("limit_source", "profile"),
		show:   percent,
		inputs: func(level func(profile.Duration) float64, n int) []series {
			var out []series
			for k, p := range pods {
				v := constant(heap(i.HeapWarningRatio/2), n)
				if k == 0 {
					v = mapf(b.levels(level, n), heap)
				}
				out = append(out, series{p.of("go_memstats_heap_alloc_bytes"), gauge(v)})
				out = append(out, b.discoveryLimit(p, 0, n)...)
			}
			return out
		},
	}
	// The ratio Prometheus computes is whole heap bytes over the limit.
	value := func(q float64) float64 { return heap(q) / limit }
	for _, t := range []struct {
		severity string
		ratio    float64
	}{{profile.SeverityWarning, i.HeapWarningRatio}, {profile.SeverityCritical, i.HeapCriticalRatio}} {
		w.sevs = append(w.sevs, sev{rule: b.rule(w.alert, map[string]string{"severity": t.severity}),
			holds: func(q float64) bool { return value(q) >= t.ratio }, value: value, above: above(t.ratio), below: below(t.ratio)})
	}
	return w
}

// heapLiveLimit: where istiod's container has a memory limit, the ratio is
// against that limit, not the profile's. kube-state-metrics reports it
// first; under kube-prometheus-stack cAdvisor's limit is not even stored.
// The live limit is 4Gi and the heap 3.4Gi (85%) when the profile's
// thresholds make that a warning, else just past the warning ratio.
func (b *builder) heapLiveLimit() *testGroup {
	i := b.c.Profile.Spec.Istiod
	pods := b.istiods()
	live := float64(4 << 30)
	if live == float64(i.MemoryLimit.Bytes()) {
		live *= 2
	}
	heapBytes := math.Round(3.4 * (1 << 30) * live / (4 << 30))
	if r := heapBytes / live; !(r >= i.HeapWarningRatio && r < i.HeapCriticalRatio) {
		heapBytes = math.Round(above(i.HeapWarningRatio) * live)
	}
	forDur := b.ceilStep(i.HeapFor)
	end := 2*b.step + forDur
	n := b.samples(end)
	g := &testGroup{Name: "IstiodHeapNearLimit uses the live memory limit kube-state-metrics reports", Interval: b.step.String()}
	idle := math.Round(i.HeapWarningRatio / 2 * float64(i.MemoryLimit.Bytes()))
	ns, pod := pods[0]["namespace"], pods[0]["pod"]
	g.InputSeries = append(g.InputSeries,
		series{pods[0].of("go_memstats_heap_alloc_bytes"), gauge(constant(heapBytes, n))},
		series{b.resource(ns, pod, catalogue.IstiodContainer, "limits", "memory", false), gauge(constant(live, n))},
		series{b.resource(ns, pod, catalogue.IstiodContainer, "requests", "memory", false), gauge(constant(2<<30, n))})
	// Where cAdvisor's limit is stored too, it agrees with kube-state-metrics.
	g.InputSeries = append(g.InputSeries, b.discoveryLimit(pods[0], live, n)...)
	for _, p := range pods[1:] {
		g.InputSeries = append(g.InputSeries, series{p.of("go_memstats_heap_alloc_bytes"), gauge(constant(idle, n))})
		g.InputSeries = append(g.InputSeries, b.discoveryLimit(p, 0, n)...)
	}
	warning := b.rule("IstiodHeapNearLimit", map[string]string{"severity": profile.SeverityWarning})
	first := podRevision(pods[0]).with("limit_source", "kube-state-metrics")
	g.AlertTests = []alertTest{b.expect(end, "IstiodHeapNearLimit", fired{warning, first, heapBytes / live})}
	exp := exprTest{Expr: rules.IstiodHeapRatio, EvalTime: end.String()}
	exp.ExpSamples = append(exp.ExpSamples, expSample{first.of(rules.IstiodHeapRatio), heapBytes / live})
	for _, p := range pods[1:] {
		exp.ExpSamples = append(exp.ExpSamples, expSample{podRevision(p).with("limit_source", "profile").of(rules.IstiodHeapRatio),
			idle / float64(i.MemoryLimit.Bytes())})
	}
	g.ExprTests = []exprTest{exp}
	return g
}

// upInputs are the istiod targets' up series: the first level pods of the
// first watched revision are up, every pod of the others (revisions the
// profile lists besides) throughout.
func (b *builder) upInputs(level func(profile.Duration) float64, n int) []series {
	var out []series
	for j, rev := range b.watchedRevisions() {
		for k, p := range b.revisionPods(rev) {
			v := mapf(b.levels(level, n), func(up float64) float64 {
				if j > 0 || float64(k) < up {
					return 1
				}
				return 0
			})
			out = append(out, series{p.of("up"), gauge(v)})
		}
	}
	return out
}

func (b *builder) downWatch() *watch {
	all := float64(len(b.istiods()))
	return &watch{
		alert: "IstiodDown", baseline: all, labels: revisionOf(b.watchedRevisions()[0]), inputs: b.upInputs,
		show: func(f float64) string { return num(f) + " of " + num(all) + " up" },
		sevs: []sev{{rule: b.rule("IstiodDown", nil), holds: func(q float64) bool { return q == 0 }, above: 0, below: 1}},
	}
}

func (b *builder) replicasWatch() *watch {
	all := float64(len(b.istiods()))
	minimum := float64(b.c.Profile.Spec.Istiod.MinReplicas)
	return &watch{
		alert: "IstiodReplicasBelowMinimum", baseline: all, labels: revisionOf(b.watchedRevisions()[0]), inputs: b.upInputs,
		show: func(f float64) string { return num(f) + " of " + num(all) + " up" },
		sevs: []sev{{rule: b.rule("IstiodReplicasBelowMinimum", nil), holds: lt(minimum), above: minimum - 1, below: minimum}},
	}
}

// istiodAbsent: with no istiod target at all, IstiodDown fires for each
// revision the profile lists, else once without a revision label.
func (b *builder) istiodAbsent() *testGroup {
	i := b.c.Profile.Spec.Istiod
	at := b.ceilStep(i.DownFor)
	var fs []fired
	for _, r := range b.listedRevisions() {
		fs = append(fs, fired{b.rule("IstiodDown", nil), revisionOf(r), 0})
	}
	if len(fs) == 0 {
		fs = []fired{{b.rule("IstiodDown", nil), lbls{}, 0}}
	}
	// A series of another job keeps the test database from being empty.
	other := b.cadvisor("istio-system", "istio-ingressgateway-5b7c9d8f6-"+podSuffix(0), catalogue.SidecarContainer, "docker.io/istio/proxyv2:1.28.1")
	return &testGroup{
		Name:        "IstiodDown fires when no istiod target exists at all",
		Interval:    b.step.String(),
		InputSeries: []series{{other.of("container_memory_working_set_bytes"), gauge(constant(1<<27, b.samples(at)))}},
		AlertTests:  []alertTest{b.expect(at, "IstiodDown", fs...)},
	}
}

// cpuLimitCores is the CPU limit of istiod's container in the edge cases, in cores.
const cpuLimitCores = 2

func (b *builder) cpuWatch() *watch {
	i := b.c.Profile.Spec.Istiod
	pods := b.istiods()
	source := "kube-state-metrics"
	if b.c.Profile.Spec.Prometheus.Scrape == profile.ScrapeIstioSample {
		source = "cAdvisor" // Istio's sample Prometheus runs no kube-state-metrics
	}
	w := &watch{
		alert: "IstiodHighCPU", window: b.window("IstiodHighCPU"), baseline: i.CPUWarningRatio / 2,
		labels: pods[0].only("namespace", "pod").with("limit_source", source), show: percent,
		inputs: func(level func(profile.Duration) float64, n int) []series {
			p := pods[0]
			use := b.slopes(level, n, func(r float64) float64 { return r * cpuLimitCores })
			c := func(container, image string) lbls { return b.cadvisor(p["namespace"], p["pod"], container, image) }
			out := b.keep(
				series{c(catalogue.IstiodContainer, istiodImage).of("container_cpu_usage_seconds_total"), counter(81234.5, use)},
				// The pod total counts the same CPU again; rules must not add it.
				series{c("", "").of("container_cpu_usage_seconds_total"), counter(81240.25, use)},
				series{c(catalogue.IstiodContainer, istiodImage).of("container_spec_cpu_quota"), gauge(constant(cpuLimitCores*100000, n))},
				series{c(catalogue.IstiodContainer, istiodImage).of("container_spec_cpu_period"), gauge(constant(100000, n))},
				series{c(catalogue.IstiodContainer, istiodImage).of("container_spec_cpu_shares"), gauge(constant(cpuLimitCores*1024, n))},
			)
			if source == "kube-state-metrics" {
				out = append(out,
					series{b.resource(p["namespace"], p["pod"], catalogue.IstiodContainer, "limits", "cpu", false), gauge(constant(cpuLimitCores, n))},
					series{b.resource(p["namespace"], p["pod"], catalogue.IstiodContainer, "requests", "cpu", false), gauge(constant(cpuLimitCores, n))})
			}
			return out
		},
	}
	w.sevs = []sev{{rule: b.rule(w.alert, map[string]string{"severity": profile.SeverityWarning}), holds: ge(i.CPUWarningRatio),
		above: above(i.CPUWarningRatio), below: below(i.CPUWarningRatio)}}
	return w
}

// cpuHPA: without a CPU limit (istiod's Helm default), CPU at 80% of the
// request is where the HPA scales out, not a fault. IstiodHighCPU fires
// only while the HPA is at maxReplicas and CPU stays at its target.
func (b *builder) cpuHPA() []*testGroup {
	i := b.c.Profile.Spec.Istiod
	p := b.istiods()[0]
	const requestCores, targetPercent, maxReplicas = 0.5, 80.0, 5
	target := targetPercent / 100
	ratio := math.Max(above(target), above(i.CPUWarningRatio))
	win := b.window("IstiodHighCPU")
	end := win + b.ceilStep(i.CPUFor) + 2*b.step
	n := b.samples(end)
	use := b.slopes(func(profile.Duration) float64 { return ratio }, n, func(r float64) float64 { return r * requestCores })
	c := func(container, image string) lbls { return b.cadvisor(p["namespace"], p["pod"], container, image) }
	hpa := func(replicas float64) []series {
		h := b.kubeStateMetricsObject(p["namespace"]).with("horizontalpodautoscaler", "istiod")
		return []series{
			{h.of("kube_horizontalpodautoscaler_spec_max_replicas"), gauge(constant(maxReplicas, n))},
			{h.of("kube_horizontalpodautoscaler_spec_min_replicas"), gauge(constant(float64(i.MinReplicas), n))},
			{h.of("kube_horizontalpodautoscaler_status_current_replicas"), gauge(constant(replicas, n))},
			// Its container label (for container-resource targets) is empty: the target's is not kept.
			{h.with("metric_name", "cpu", "metric_target_type", "utilization", "container", "").of("kube_horizontalpodautoscaler_spec_target_metric"), gauge(constant(targetPercent, n))},
		}
	}
	inputs := func(replicas float64) []series {
		out := b.keep(
			series{c(catalogue.IstiodContainer, istiodImage).of("container_cpu_usage_seconds_total"), counter(4321, use)},
			series{c(catalogue.IstiodContainer, istiodImage).of("container_spec_cpu_shares"), gauge(constant(requestCores*1024, n))},
			series{c(catalogue.IstiodContainer, istiodImage).of("container_spec_cpu_quota"), gauge(constant(-1, n))},
		)
		out = append(out,
			series{b.resource(p["namespace"], p["pod"], catalogue.IstiodContainer, "requests", "cpu", false), gauge(constant(requestCores, n))},
			series{b.resource(p["namespace"], p["pod"], catalogue.IstiodContainer, "requests", "memory", false), gauge(constant(2<<30, n))})
		return append(out, hpa(replicas)...)
	}
	l := p.only("namespace", "pod").with("limit_source", "none", "horizontalpodautoscaler", "istiod")
	rule := b.rule("IstiodHighCPU", map[string]string{"severity": profile.SeverityWarning, "limit_source": "none"})
	atMax := &testGroup{
		Name:        "IstiodHighCPU without a CPU limit fires when the HPA is at maxReplicas and CPU stays at its target",
		Interval:    b.step.String(),
		InputSeries: inputs(maxReplicas),
		AlertTests:  []alertTest{b.expect(end, "IstiodHighCPU", fired{rule, l, ratio})},
		ExprTests: []exprTest{{Expr: "round(" + rules.IstiodCPURequestRatio + ", 0.000001)", EvalTime: end.String(),
			ExpSamples: []expSample{{p.only("namespace", "pod").String(), round6(ratio)}}}},
	}
	scaling := &testGroup{
		Name:        "IstiodHighCPU without a CPU limit stays quiet while the HPA can still scale out",
		Interval:    b.step.String(),
		InputSeries: inputs(maxReplicas - 1),
		AlertTests:  []alertTest{b.expect(end, "IstiodHighCPU")},
	}
	// Two revisions side by side: the canary's HPA at its maximum pages for
	// the canary's pods only, while the default revision can still scale.
	canaryPod := "istiod-canary-5f7c8d9b6-" + podSuffix(7)
	cc := func(container, image string) lbls { return b.cadvisor(p["namespace"], canaryPod, container, image) }
	canaryHPA := b.kubeStateMetricsObject(p["namespace"]).with("horizontalpodautoscaler", "istiod-canary")
	revisions := &testGroup{
		Name:     "IstiodHighCPU without a CPU limit follows each revision's own HPA",
		Interval: b.step.String(),
		InputSeries: append(inputs(maxReplicas-1),
			series{cc(catalogue.IstiodContainer, istiodImage).of("container_cpu_usage_seconds_total"), counter(1234, use)},
			series{b.resource(p["namespace"], canaryPod, catalogue.IstiodContainer, "requests", "cpu", false), gauge(constant(requestCores, n))},
			series{canaryHPA.of("kube_horizontalpodautoscaler_spec_max_replicas"), gauge(constant(1, n))},
			series{canaryHPA.of("kube_horizontalpodautoscaler_status_current_replicas"), gauge(constant(1, n))},
		),
		AlertTests: []alertTest{b.expect(end, "IstiodHighCPU", fired{rule,
			lbls{"namespace": p["namespace"], "pod": canaryPod, "limit_source": "none", "horizontalpodautoscaler": "istiod-canary"}, ratio})},
	}
	return []*testGroup{atMax, scaling, revisions}
}

func round6(f float64) float64 { return math.Floor(f*1e6+0.5) / 1e6 }

func (l lbls) String() string {
	s := l.of("")
	return s
}

// countEdges are the edges of "more than t" for a whole count: t+1 is past
// it, and t itself (or the count just under t) is not.
func countAbove(t float64) float64 { return math.Floor(t) + 1 }
func countBelow(t float64) float64 { return math.Floor(t) }

// increaseAbove is half a count past the next whole count: increase()
// extrapolates in floats, and an increase of exactly 1 may print as
// "1000m" or "1" depending on the last bit.
func increaseAbove(t float64) float64 { return math.Floor(t) + 1.5 }

// increaseBelow keeps an increase strictly under t: increase() extrapolates
// in floats, so an increase of exactly t could land either side of it.
func increaseBelow(t float64) float64 { return max(0, math.Ceil(t)-1) }

func (b *builder) rejectsWatch() *watch {
	i := b.c.Profile.Spec.Istiod
	pods := b.istiods()
	win := b.window("IstioXDSRejects")
	w := &watch{
		alert: "IstioXDSRejects", window: win, baseline: 0, labels: revisionOf(b.baseRevision()).with("type", "cds"),
		show: func(f float64) string { return num(f) + " CDS rejects per " + win.String() },
		inputs: func(level func(profile.Duration) float64, n int) []series {
			var out []series
			// Both replicas receive NACKs; the alert sums them per type.
			share := b.slopes(level, n, func(r float64) float64 { return r / win.Seconds() / float64(len(pods)) })
			for k, p := range pods {
				out = append(out,
					series{p.with("type", "cds").of("pilot_total_xds_rejects"), counter(float64(3+k), share)},
					series{p.with("type", "lds").of("pilot_total_xds_rejects"), gauge(constant(float64(7+k), n))})
			}
			return out
		},
	}
	w.sevs = []sev{{rule: b.rule(w.alert, nil), holds: gt(i.XDSRejectsWarning), above: increaseAbove(i.XDSRejectsWarning), below: increaseBelow(i.XDSRejectsWarning)}}
	return w
}

func (b *builder) injectionWatch() *watch {
	i := b.c.Profile.Spec.Istiod
	pods := b.istiods()
	win := b.window("IstioSidecarInjectionFailures")
	w := &watch{
		alert: "IstioSidecarInjectionFailures", window: win, baseline: 0, labels: revisionOf(b.baseRevision()),
		show: func(f float64) string { return num(f) + " failed injections per " + win.String() },
		inputs: func(level func(profile.Duration) float64, n int) []series {
			var out []series
			fail := b.slopes(level, n, func(r float64) float64 { return r / win.Seconds() / float64(len(pods)) })
			ok := b.slopes(level, n, func(float64) float64 { return 0.2 })
			for k, p := range pods {
				out = append(out,
					series{p.of("sidecar_injection_failure_total"), counter(float64(k), fail)},
					series{p.of("sidecar_injection_requests_total"), counter(float64(1200+k*37), ok)},
					series{p.of("sidecar_injection_success_total"), counter(float64(1200+k*37), ok)})
			}
			return out
		},
	}
	w.sevs = []sev{{rule: b.rule(w.alert, nil), holds: gt(i.InjectionFailuresWarning), above: increaseAbove(i.InjectionFailuresWarning), below: increaseBelow(i.InjectionFailuresWarning)}}
	return w
}

// pushTypes are the xDS types istiod pushes, with their share of pushes.
var pushTypes = []struct {
	typ   string
	share float64
}{{"cds", 0.1}, {"eds", 0.6}, {"lds", 0.1}, {"rds", 0.2}}

// pushesPerSecond is each istiod replica's xDS push rate in the tests.
const pushesPerSecond = 40

func (b *builder) pushErrorsWatch() *watch {
	i := b.c.Profile.Spec.Istiod
	pods := b.istiods()
	w := &watch{
		alert: "IstioXDSPushErrors", window: b.window("IstioXDSPushErrors"), baseline: i.PushErrorRatio / 4,
		labels: lbls{}, show: percent,
		inputs: func(level func(profile.Duration) float64, n int) []series {
			var out []series
			for k, p := range pods {
				for _, t := range pushTypes {
					good := b.slopes(level, n, func(r float64) float64 { return pushesPerSecond * (1 - r) * t.share })
					out = append(out, series{p.with("type", t.typ).of("pilot_xds_pushes"), counter(float64(50000+k*1000), good)})
				}
				bad := b.slopes(level, n, func(r float64) float64 { return pushesPerSecond * r })
				out = append(out, series{p.with("type", "eds_senderr").of("pilot_xds_pushes"), counter(float64(12+k), bad)})
			}
			return out
		},
	}
	w.sevs = []sev{{rule: b.rule(w.alert, nil), holds: gt(i.PushErrorRatio), above: above(i.PushErrorRatio), below: below(i.PushErrorRatio)}}
	return w
}

// quantileMix returns per-second observation rates, per bucket upper bound
// (+Inf last), whose quantile q histogram_quantile interpolates to v.
func quantileMix(bounds []float64, q, v float64) ([]float64, bool) {
	lo := 0.0
	for k, hi := range bounds {
		if v > hi {
			lo = hi
			continue
		}
		// c observations below lo, one inside (lo, hi], a above hi:
		// histogram_quantile gives lo + (hi-lo) * (q*N - c) / 1.
		f := (v - lo) / (hi - lo)
		c, a := 0.0, 0.0
		if f < q {
			c = (q - f) / (1 - q)
		} else {
			a = (f - q) / q
		}
		rates := make([]float64, len(bounds)+1)
		for j := range rates {
			switch {
			case j < k:
				rates[j] = c
			case j < len(bounds):
				rates[j] = c + 1
			default:
				rates[j] = c + 1 + a
			}
		}
		return rates, true
	}
	return nil, false
}

func (b *builder) pushLatencyWatch() *watch {
	i := b.c.Profile.Spec.Istiod
	p := b.istiods()[0]
	t := i.PushLatencyWarning.Seconds()
	w := &watch{
		alert: "IstiodPushLatencyHigh", window: b.window("IstiodPushLatencyHigh"), baseline: t / 4, labels: revisionOf(b.baseRevision()),
		show: func(f float64) string { return "p" + num(i.PushLatencyQuantile*100) + " of " + num(f) + "s" },
		inputs: func(level func(profile.Duration) float64, n int) []series {
			// Cumulative bucket counters: every sample's increments follow
			// the level's mix of observations.
			incs := make([][]float64, len(convergenceBuckets)+1)
			for s := 0; s < n-1; s++ {
				rates, ok := quantileMix(convergenceBuckets, i.PushLatencyQuantile, level(profile.Duration(s)*b.step))
				if !ok {
					b.fail(errTopBucket(i.PushLatencyWarning))
					return nil
				}
				for j, r := range rates {
					incs[j] = append(incs[j], r*b.step.Seconds())
				}
			}
			var out []series
			for j, bound := range append(convergenceBuckets, math.Inf(1)) {
				le := num(bound)
				if math.IsInf(bound, 1) {
					le = "+Inf"
				}
				out = append(out, series{p.with("le", le).of("pilot_proxy_convergence_time_bucket"), counter(0, incs[j])})
			}
			out = append(out, series{p.of("pilot_proxy_convergence_time_count"), counter(0, incs[len(incs)-1])})
			return out
		},
	}
	w.sevs = []sev{{rule: b.rule(w.alert, nil), holds: gt(t), above: above(t), below: below(t)}}
	return w
}

func (b *builder) conflictsWatch() *watch {
	i := b.c.Profile.Spec.Istiod
	pods := b.istiods()
	kind := rules.ConflictGauges[0]
	w := &watch{
		alert: "IstioConfigConflicts", baseline: 0, labels: lbls{"conflict": kind.Conflict},
		show: func(f float64) string { return num(f) + " " + kind.Conflict + " conflicts" },
		inputs: func(level func(profile.Duration) float64, n int) []series {
			var out []series
			// Every replica computes the same config, so reports the same count.
			for _, p := range pods {
				for _, g := range rules.ConflictGauges {
					v := constant(0, n)
					if g == kind {
						v = b.levels(level, n)
					}
					out = append(out, series{p.of(g.Metric), gauge(v)})
				}
			}
			return out
		},
	}
	w.sevs = []sev{{rule: b.rule(w.alert, nil), holds: gt(i.ConfigConflictsWarning), above: countAbove(i.ConfigConflictsWarning), below: countBelow(i.ConfigConflictsWarning)}}
	return w
}

// conflictKinds: two kinds of conflict at once are two alerts, one per kind.
func (b *builder) conflictKinds() *testGroup {
	i := b.c.Profile.Spec.Istiod
	at := b.ceilStep(i.ConfigConflictsFor)
	n := b.samples(at)
	over := countAbove(i.ConfigConflictsWarning)
	g := &testGroup{Name: "IstioConfigConflicts fires once per kind of conflict", Interval: b.step.String()}
	r := b.rule("IstioConfigConflicts", nil)
	var fs []fired
	for k, kind := range rules.ConflictGauges {
		v := 0.0
		if k%2 == 1 {
			v = over + float64(k)
			fs = append(fs, fired{r, lbls{"conflict": kind.Conflict}, v})
		}
		for _, p := range b.istiods() {
			g.InputSeries = append(g.InputSeries, series{p.of(kind.Metric), gauge(constant(v, n))})
		}
	}
	g.AlertTests = []alertTest{b.expect(at, "IstioConfigConflicts", fs...)}
	return g
}

// apiserver is kube-apiserver's series as kube-prometheus-stack's apiserver
// job scrapes them (ServiceMonitor on the default/kubernetes Service).
func (b *builder) apiserver() lbls {
	l := lbls{"job": "apiserver", "instance": "10.0.0.1:6443", "endpoint": "https", "namespace": "default", "service": "kubernetes"}
	var cluster selector.Matchers
	if m := b.c.Profile.Spec.Mesh; m.Cluster != "" {
		cluster = selector.Matchers{selector.Equal(m.ClusterLabel, m.Cluster)}
	}
	return b.fitted(l, cluster, "kube-apiserver")
}

// webhookWatch: the API server cannot call the injection webhook. The
// traps must not count: a webhook that answered and refused (no_error),
// and another vendor's webhook that cannot be called either.
func (b *builder) webhookWatch() *watch {
	i := b.c.Profile.Spec.Istiod
	api := b.apiserver()
	win := b.window("IstioWebhookFailures")
	// The dispatcher records the failed call with the status of its error
	// (an internal error, 500) under the mutating step "admit".
	hook := api.with("name", "rev.object.sidecar-injector.istio.io", "type", "admit", "operation", "CREATE",
		"error_type", "calling_webhook_error", "rejection_code", "500")
	w := &watch{
		alert: "IstioWebhookFailures", window: win, baseline: 0,
		labels: lbls{"name": "rev.object.sidecar-injector.istio.io", "type": "admit"},
		show:   func(f float64) string { return num(f) + " failed webhook calls per " + win.String() },
		inputs: func(level func(profile.Duration) float64, n int) []series {
			fail := b.slopes(level, n, func(r float64) float64 { return r / win.Seconds() })
			busy := b.slopes(level, n, func(float64) float64 { return 0.5 })
			return []series{
				{hook.of("apiserver_admission_webhook_rejection_count"), counter(2, fail)},
				{hook.with("error_type", "no_error", "rejection_code", "400").of("apiserver_admission_webhook_rejection_count"), counter(40, busy)},
				{hook.with("name", "validation.gatekeeper.sh", "type", "validating").of("apiserver_admission_webhook_rejection_count"), counter(7, busy)},
			}
		},
	}
	w.sevs = []sev{{rule: b.rule(w.alert, nil), holds: gt(i.WebhookFailuresWarning), above: increaseAbove(i.WebhookFailuresWarning), below: increaseBelow(i.WebhookFailuresWarning)}}
	return w
}
