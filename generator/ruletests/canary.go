package ruletests

import (
	"fmt"
	"math"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/generator/selector"
)

// revisionLoad is what one revision's control plane and workloads do in a
// canary case, constant over the case.
type revisionLoad struct {
	rev     string
	proxies float64 // connected proxies, over its istiods
	// heapPerProxy is the Go heap per connected proxy, in bytes.
	heapPerProxy float64
	push         float64 // push convergence at the profile's quantile, seconds
	// rejectsPerProxy are rejected pushes per connected proxy per 5m.
	rejectsPerProxy float64
	rps, errorRatio float64 // requests per second its workloads serve, and their 5xx share
	p99             float64 // their p99 request duration, ms
}

// Baseline of both revisions: stable serves 60% of the proxies, the
// canary 40%, with the same cost per proxy and the same traffic quality.
const (
	canaryHeapPerProxy = 4 << 20 // 4Mi per proxy
	canaryStableP99    = 80.0    // ms, inside a default Envoy bucket (50, 100]
	canaryRPS          = 20.0
	canaryErrorRatio   = 0.002
)

func (b *builder) canaryLoads() (stable, canary revisionLoad) {
	i := b.c.Profile.Spec.Istiod
	s, c, _ := i.CanaryPair()
	push := i.PushLatencyWarning.Seconds() / 4
	stable = revisionLoad{rev: s, proxies: 600, heapPerProxy: canaryHeapPerProxy, push: push, rps: canaryRPS, errorRatio: canaryErrorRatio, p99: canaryStableP99}
	canary = stable
	canary.rev, canary.proxies = c, 400
	return stable, canary
}

// series are the inputs of one revision over n samples: its istiods (up,
// pilot_xds, heap, convergence buckets, rejects) as the ServiceMonitor
// stores them, and one workload pod its proxy serves, injected by it
// (istio_io_rev from the pod's istio.io/rev annotation, kept by the
// PodMonitor), reporting requests as the serving proxy.
func (l revisionLoad) series(b *builder, n int) []series {
	i := b.c.Profile.Spec.Istiod
	var out []series
	pods := b.revisionPods(l.rev)
	per := float64(len(pods))
	incs := func(perSecond float64) []float64 { return constant(perSecond*b.step.Seconds(), n-1) }
	rates, ok := quantileMix(convergenceBuckets, i.PushLatencyQuantile, l.push)
	if !ok {
		b.fail(errTopBucket(i.PushLatencyWarning))
		return nil
	}
	for k, p := range pods {
		out = append(out,
			series{p.of("up"), gauge(constant(1, n))},
			series{p.with("version", proxyVersion(l.rev)).of("pilot_xds"), gauge(constant(l.proxies/per, n))},
			series{p.of("go_memstats_heap_alloc_bytes"), gauge(constant(math.Round(l.heapPerProxy*l.proxies/per), n))})
		if l.rejectsPerProxy > 0 {
			out = append(out, series{p.with("type", "lds").of("pilot_total_xds_rejects"),
				counter(float64(k), incs(l.rejectsPerProxy*l.proxies/per/300))})
		}
		for j, bound := range append(convergenceBuckets, math.Inf(1)) {
			le := num(bound)
			if math.IsInf(bound, 1) {
				le = "+Inf"
			}
			out = append(out, series{p.with("le", le).of("pilot_proxy_convergence_time_bucket"), counter(0, incs(rates[j]))})
		}
	}
	if l.rps == 0 {
		return out
	}
	svc := testService("cart")
	pod := fmt.Sprintf("cart-%s-7c9d8b6f5-%s", l.rev, podSuffix(revisionIndex(l.rev)%20))
	s := config.SLO{Requests: selector.Matchers{selector.Equal("reporter", config.Reporter)}.With(b.c.Selectors.Requests...)}
	req := b.requestLabels(s, svc, config.Reporter, svc.sources[0], pod).with("istio_io_rev", l.rev)
	out = append(out,
		series{req.with("response_code", "200").of("istio_requests_total"), counter(1000, incs(l.rps*(1-l.errorRatio)))},
		series{req.with("response_code", "503", "response_flags", "UF").of("istio_requests_total"), counter(10, incs(l.rps*l.errorRatio))})
	bounds := b.c.Profile.Spec.LatencyBucketsMs()
	lat, ok := quantileMix(bounds, 0.99, l.p99)
	if !ok {
		b.fail(fmt.Errorf("canary tests: p99 %sms is above the top latency bucket", num(l.p99)))
		return nil
	}
	// quantileMix gives rates of one unit in total per bucket mix: scale
	// them to the revision's request rate.
	scale := l.rps / lat[len(lat)-1]
	for j, bound := range append(bounds, math.Inf(1)) {
		le := "+Inf"
		if !math.IsInf(bound, 1) {
			le = num(bound)
			if bound == math.Trunc(bound) {
				le += ".0"
			}
		}
		out = append(out, series{req.with("le", le).of("istio_request_duration_milliseconds_bucket"), counter(0, incs(lat[j]*scale))})
	}
	return out
}

// heapPerProxy is the heap per proxy the rules read from l's series.
func (b *builder) heapPerProxy(l revisionLoad) float64 {
	per := float64(len(b.revisionPods(l.rev)))
	return math.Round(l.heapPerProxy*l.proxies/per) * per / l.proxies
}

// canary: IstioCanaryRegression and mesh:istio_canary_healthy:bool for a
// profile that tags a stable and a canary revision. Equal revisions (the
// canary serving fewer proxies at the same cost per proxy) raise nothing
// and read healthy; each signal just past its threshold fires for that
// signal alone once it held for canary.for, just short of it stays quiet;
// the request signals wait for minRequests; a canary serving no proxy is
// not healthy.
func (b *builder) canary() *suite {
	if rules.DescriptorOf(rules.AlertIstioCanaryRegression).SkippedFor(b.c) != "" {
		return nil
	}
	i := b.c.Profile.Spec.Istiod
	k := i.Canary
	s := b.newSuite("canary.test.yaml", "The canary verdict: revision "+func() string { _, c, _ := i.CanaryPair(); return c }()+
		" against the stable one, each signal at the edges of its threshold.")
	s.alerts = []string{rules.AlertIstioCanaryRegression}
	s.records = []string{rules.CanaryHealthy, rules.RevisionHeapPerProxy, rules.RevisionPushLatency, rules.RevisionRejectsPerProxy,
		rules.RevisionRequests, rules.RevisionErrorRatio, rules.RevisionLatencyP99}
	// The windows fill (5m), then the hold.
	end := 5*profile.Duration(60e9) + b.ceilStep(k.For) + 2*b.step
	n := b.samples(end)
	stable, canary := b.canaryLoads()
	sig := func(signal string) rules.Rule {
		return b.rule(rules.AlertIstioCanaryRegression, map[string]string{"severity": profile.SeverityWarning, "signal": signal})
	}
	healthyAt := func(v float64) exprTest {
		return exprTest{Expr: rules.CanaryHealthy, EvalTime: end.String(),
			ExpSamples: []expSample{{revisionOf(canary.rev).of(rules.CanaryHealthy), v}}}
	}
	group := func(name string, st, ca revisionLoad, fs ...fired) *testGroup {
		g := &testGroup{Name: name, Interval: b.step.String()}
		g.InputSeries = append(st.series(b, n), ca.series(b, n)...)
		g.AlertTests = []alertTest{b.expect(end, rules.AlertIstioCanaryRegression, fs...)}
		healthy := 1.0
		if len(fs) > 0 || ca.proxies == 0 {
			healthy = 0
		}
		g.ExprTests = []exprTest{healthyAt(healthy)}
		return g
	}
	rev := revisionOf(canary.rev)
	with := func(f func(*revisionLoad)) revisionLoad { c := canary; f(&c); return c }
	heapAbove := above(k.HeapPerProxyFactor)
	pushAbove := above(k.PushLatencyFactor)
	latAbove := above(k.LatencyFactor)
	errAbove := canaryErrorRatio + above(k.ErrorRatioIncrease)
	rejAbove := increaseAbove(k.XDSRejectsPerProxy*stable.proxies) / canary.proxies
	minRPS := float64(k.MinRequests) / 300
	tests := []*testGroup{
		group(fmt.Sprintf("IstioCanaryRegression stays quiet and %s reads 1 for equal revisions (%s serving %s of %s proxies at the same cost per proxy)",
			rules.CanaryHealthy, canary.rev, num(canary.proxies), num(canary.proxies+stable.proxies)), stable, canary),
		group(fmt.Sprintf("IstioCanaryRegression heap_per_proxy fires at %sx stable's heap per proxy (threshold %sx)", num(heapAbove), num(k.HeapPerProxyFactor)),
			stable, with(func(c *revisionLoad) { c.heapPerProxy = math.Round(canaryHeapPerProxy * heapAbove) }),
			fired{sig(rules.SignalHeapPerProxy), rev, b.heapPerProxy(with(func(c *revisionLoad) { c.heapPerProxy = math.Round(canaryHeapPerProxy * heapAbove) })) / b.heapPerProxy(stable)}),
		group(fmt.Sprintf("IstioCanaryRegression heap_per_proxy stays quiet at %sx stable's heap per proxy", num(below(k.HeapPerProxyFactor))),
			stable, with(func(c *revisionLoad) { c.heapPerProxy = math.Round(canaryHeapPerProxy * below(k.HeapPerProxyFactor)) })),
		group(fmt.Sprintf("IstioCanaryRegression push_latency fires at %sx stable's push convergence", num(pushAbove)),
			stable, with(func(c *revisionLoad) { c.push = stable.push * pushAbove }),
			fired{sig(rules.SignalPushLatency), rev, pushAbove}),
		group(fmt.Sprintf("IstioCanaryRegression push_latency stays quiet at %sx stable's push convergence", num(below(k.PushLatencyFactor))),
			stable, with(func(c *revisionLoad) { c.push = stable.push * below(k.PushLatencyFactor) })),
		group(fmt.Sprintf("IstioCanaryRegression push_latency stays quiet at %sx stable's push convergence while the canary's is under pushLatencyFloor (%s)", num(2*k.PushLatencyFactor), k.PushLatencyFloor),
			func() revisionLoad {
				s := stable
				s.push = 0.8 * k.PushLatencyFloor.Seconds() / (2 * k.PushLatencyFactor)
				return s
			}(),
			with(func(c *revisionLoad) { c.push = 0.8 * k.PushLatencyFloor.Seconds() })),
		group("IstioCanaryRegression xds_rejects fires when the canary's proxies reject pushes stable's do not",
			stable, with(func(c *revisionLoad) { c.rejectsPerProxy = rejAbove }),
			fired{sig(rules.SignalXDSRejects), rev, rejAbove}),
		group(fmt.Sprintf("IstioCanaryRegression error_ratio fires when the canary's workloads answer %s with 5xx against stable's %s",
			percent(errAbove), percent(canaryErrorRatio)),
			stable, with(func(c *revisionLoad) { c.errorRatio = errAbove }),
			fired{sig(rules.SignalErrorRatio), rev, errAbove - canaryErrorRatio}),
		group(fmt.Sprintf("IstioCanaryRegression error_ratio stays quiet %s above stable's", percent(below(k.ErrorRatioIncrease))),
			stable, with(func(c *revisionLoad) { c.errorRatio = canaryErrorRatio + below(k.ErrorRatioIncrease) })),
		group(fmt.Sprintf("IstioCanaryRegression error_ratio waits for %d requests in 5m: a canary serving fewer answers every one with 5xx", k.MinRequests),
			stable, with(func(c *revisionLoad) { c.rps, c.errorRatio = minRPS*0.9, 0.5 })),
		group(fmt.Sprintf("IstioCanaryRegression latency_p99 fires at %sx stable's p99 request latency", num(latAbove)),
			stable, with(func(c *revisionLoad) { c.p99 = canaryStableP99 * latAbove }),
			fired{sig(rules.SignalLatency), rev, latAbove}),
		group(fmt.Sprintf("IstioCanaryRegression latency_p99 stays quiet at %sx stable's p99 request latency", num(below(k.LatencyFactor))),
			stable, with(func(c *revisionLoad) { c.p99 = canaryStableP99 * below(k.LatencyFactor) })),
		group(fmt.Sprintf("%s reads 0 while the canary serves no proxy", rules.CanaryHealthy),
			stable, with(func(c *revisionLoad) { c.proxies, c.rps = 0, 0 })),
	}
	// A blip shorter than the hold does not fire, but the gate reads 0 at once.
	blip := group(fmt.Sprintf("IstioCanaryRegression heap_per_proxy does not fire before it held for %s; %s reads 0 at once", k.For, rules.CanaryHealthy),
		stable, with(func(c *revisionLoad) { c.heapPerProxy = math.Round(canaryHeapPerProxy * 2) }))
	blip.AlertTests = []alertTest{b.expect(5*profile.Duration(60e9)+b.ceilStep(k.For)/2, rules.AlertIstioCanaryRegression)}
	blip.ExprTests = []exprTest{{Expr: rules.CanaryHealthy, EvalTime: (5*profile.Duration(60e9) + b.ceilStep(k.For)/2).String(),
		ExpSamples: []expSample{{revisionOf(canary.rev).of(rules.CanaryHealthy), 0}}}}
	s.Tests = append(tests, blip)
	return s
}
