package ruletests

import (
	"fmt"
	"math"

	"github.com/meshslo/meshslo/generator/catalogue"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
)

// revisionSignals: two revisions side by side, the canary's istiods with
// a heap past the warning ratio, CPU past its limit's warning, late pushes,
// rejected config and failed injections, the stable revision's healthy.
// Each alert fires for the canary's revision (its pods, for the per-pod
// ones) and for nothing of the stable revision's.
func (b *builder) revisionSignals() *testGroup {
	i := b.c.Profile.Spec.Istiod
	stable, canary := b.upgradeRevisions()
	win := b.window(rules.AlertIstioXDSRejects)
	hold := b.ceilStep(max(i.HeapFor, i.CPUFor, i.PushLatencyFor, i.XDSRejectsFor, i.InjectionFailuresFor))
	end := win + hold + 2*b.step
	n := b.samples(end)
	limit := float64(i.MemoryLimit.Bytes())
	heapBad := (i.HeapWarningRatio + i.HeapCriticalRatio) / 2
	heapOK := i.HeapWarningRatio / 2
	cpuBad := above(i.CPUWarningRatio)
	latency := i.PushLatencyWarning.Seconds()
	// Increases per 5m summed over a revision's istiods: above any
	// tolerance, and not a whole number (see increaseAbove).
	rejects := increaseAbove(i.XDSRejectsWarning) + 2
	injections := increaseAbove(i.InjectionFailuresWarning) + 2
	source := "kube-state-metrics"
	if b.c.Profile.Spec.Prometheus.Scrape == profile.ScrapeIstioSample {
		source = "cAdvisor"
	}
	steps := win.Seconds() / b.step.Seconds()

	g := &testGroup{
		Name:     fmt.Sprintf("istiod heap, CPU, push latency, rejects and injection failures alert per revision: %s worse on each, %s healthy", canary, stable),
		Interval: b.step.String(),
	}
	var heapFired, cpuFired []fired
	for _, rev := range []string{stable, canary} {
		bad := rev == canary
		pods := b.revisionPods(rev)
		for k, p := range pods {
			heap, cpu, lat := heapOK, i.CPUWarningRatio/2, latency/4
			var rej, inj float64
			if bad {
				heap, cpu, lat = heapBad, cpuBad, above(latency)
				rej, inj = rejects/float64(len(pods))/steps, injections/float64(len(pods))/steps
			}
			g.InputSeries = append(g.InputSeries,
				series{p.of("up"), gauge(constant(1, n))},
				series{p.with("version", proxyVersion(rev)).of("pilot_xds"), gauge(constant(float64(20+k), n))},
				series{p.of("go_memstats_heap_alloc_bytes"), gauge(constant(math.Round(heap*limit), n))},
				series{p.with("type", "cds").of("pilot_total_xds_rejects"), counter(float64(3+k), constant(rej, n-1))},
				series{p.of("sidecar_injection_failure_total"), counter(float64(k), constant(inj, n-1))},
			)
			rates, ok := quantileMix(convergenceBuckets, i.PushLatencyQuantile, lat)
			if !ok {
				b.fail(errTopBucket(i.PushLatencyWarning))
				return g
			}
			for j, bound := range append(convergenceBuckets, math.Inf(1)) {
				le := num(bound)
				if math.IsInf(bound, 1) {
					le = "+Inf"
				}
				g.InputSeries = append(g.InputSeries, series{p.with("le", le).of("pilot_proxy_convergence_time_bucket"),
					counter(0, constant(rates[j]*b.step.Seconds(), n-1))})
			}
			use := constant(cpu*cpuLimitCores*b.step.Seconds(), n-1)
			c := b.cadvisor(p["namespace"], p["pod"], catalogue.IstiodContainer, istiodImage)
			g.InputSeries = append(g.InputSeries, b.keep(
				series{c.of("container_cpu_usage_seconds_total"), counter(81234.5, use)},
				series{c.of("container_spec_cpu_quota"), gauge(constant(cpuLimitCores*100000, n))},
				series{c.of("container_spec_cpu_period"), gauge(constant(100000, n))},
				series{c.of("container_spec_cpu_shares"), gauge(constant(cpuLimitCores*1024, n))},
			)...)
			if source == "kube-state-metrics" {
				g.InputSeries = append(g.InputSeries,
					series{b.resource(p["namespace"], p["pod"], catalogue.IstiodContainer, "limits", "cpu", false), gauge(constant(cpuLimitCores, n))},
					series{b.resource(p["namespace"], p["pod"], catalogue.IstiodContainer, "requests", "cpu", false), gauge(constant(cpuLimitCores, n))})
			}
			if bad {
				heapFired = append(heapFired, fired{b.rule(rules.AlertIstiodHeapNearLimit, map[string]string{"severity": profile.SeverityWarning}),
					podRevision(p).with("limit_source", "profile"), math.Round(heap*limit) / limit})
				cpuFired = append(cpuFired, fired{b.rule(rules.AlertIstiodHighCPU, map[string]string{"severity": profile.SeverityWarning}),
					podRevision(p).with("limit_source", source), cpu})
			}
		}
	}
	rev := revisionOf(canary)
	g.AlertTests = []alertTest{
		b.expect(end, rules.AlertIstiodHeapNearLimit, heapFired...),
		b.expect(end, rules.AlertIstiodHighCPU, cpuFired...),
		b.expect(end, rules.AlertIstiodPushLatencyHigh, fired{b.rule(rules.AlertIstiodPushLatencyHigh, nil), rev, above(latency)}),
		b.expect(end, rules.AlertIstioXDSRejects, fired{b.rule(rules.AlertIstioXDSRejects, nil), rev.with("type", "cds"), rejects}),
		b.expect(end, rules.AlertIstioSidecarInjectionFailures, fired{b.rule(rules.AlertIstioSidecarInjectionFailures, nil), rev, injections}),
	}
	return g
}
