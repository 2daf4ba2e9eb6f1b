package rules

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/selector"
)

// Recorded series of the canary verdict: one series per revision (the
// revision label), read by IstioCanaryRegression, the healthy gate and the
// upgrade dashboard.
const (
	// RevisionHeapPerProxy is a revision's Go heap (5m average, summed
	// over its istiods) per proxy connected to it.
	RevisionHeapPerProxy = "revision:istiod_heap_per_proxy:avg5m"
	// RevisionPushLatency is a revision's push convergence time at
	// spec.istiod.pushLatencyQuantile.
	RevisionPushLatency = "revision:pilot_proxy_convergence_time:quantile_rate5m"
	// RevisionRejectsPerProxy is the rejected pushes of a revision in 5m
	// per proxy connected to it (0 where none were rejected).
	RevisionRejectsPerProxy = "revision:pilot_total_xds_rejects:increase5m_per_proxy"
	// RevisionRequests is how many requests the workloads a revision's
	// proxies serve took in 5m (reporter destination).
	RevisionRequests = "revision:istio_requests:increase5m"
	// RevisionErrorRatio is the share of those requests answered 5xx.
	RevisionErrorRatio = "revision:istio_requests:error_ratio_rate5m"
	// RevisionLatencyP99 is their p99 request duration, in milliseconds.
	RevisionLatencyP99 = "revision:istio_request_duration_milliseconds:p99_rate5m"
	// CanaryHealthy is the promotion gate: 1 while the canary serves
	// proxies, no regression signal holds and no alert of its revision
	// (nor IstioProxiesStale) fires; 0 otherwise. A promotion script asks
	// min_over_time(mesh:istio_canary_healthy:bool[48h]) == 1.
	CanaryHealthy = "mesh:istio_canary_healthy:bool"
)

// AlertIstioCanaryRegression fires when the canary revision is worse than stable.
const AlertIstioCanaryRegression = "IstioCanaryRegression"

// Canary signals, the signal label of IstioCanaryRegression.
const (
	SignalHeapPerProxy = "heap_per_proxy"
	SignalPushLatency  = "push_latency"
	SignalXDSRejects   = "xds_rejects"
	SignalErrorRatio   = "error_ratio"
	SignalLatency      = "latency_p99"
)

// canarySkip says why the verdict is not generated: it needs a revision
// tagged stable and one tagged canary.
func canarySkip(c *config.Config) string {
	if _, _, ok := c.Profile.Spec.Istiod.CanaryPair(); !ok {
		return "spec.istiod.revisions tags no stable and canary revision"
	}
	return ""
}

var canaryAlerts = []*Descriptor{{
	Name: AlertIstioCanaryRegression,
	// One alert per signal of the canary's revision.
	InstanceLabels: []string{RevisionLabel, "signal"},
	Skip:           canarySkip,
	Meaning:        "the canary revision is measurably worse than stable (heap per proxy, push latency, rejects, its workloads' 5xx ratio or p99): do not promote",
	Thresholds: func(c *config.Config) []Threshold {
		i := c.Profile.Spec.Istiod
		k := i.Canary
		stable, canary, _ := i.CanaryPair()
		t := func(signal, field, cond string, v float64, shown string) Threshold {
			return Threshold{Alert: AlertIstioCanaryRegression, Severity: profile.SeverityWarning,
				Condition: fmt.Sprintf("canary %s against stable %s: %s for %s", canary, stable, cond, k.For),
				Fields:    []string{"spec.istiod.revisions", "spec.istiod.canary." + field, "spec.istiod.canary.for"},
				Value:     v, Shown: shown, For: k.For, Labels: map[string]string{"signal": signal}}
		}
		return []Threshold{
			t(SignalHeapPerProxy, "heapPerProxyFactor", fmt.Sprintf("Go heap per connected proxy above %sx stable's", num(k.HeapPerProxyFactor)),
				k.HeapPerProxyFactor, num(k.HeapPerProxyFactor)+"x"),
			withField(t(SignalPushLatency, "pushLatencyFactor", fmt.Sprintf("p%s push convergence above %sx stable's and above %s", num(i.PushLatencyQuantile*100), num(k.PushLatencyFactor), k.PushLatencyFloor),
				k.PushLatencyFactor, num(k.PushLatencyFactor)+"x"), "spec.istiod.canary.pushLatencyFloor"),
			t(SignalXDSRejects, "xdsRejectsPerProxy", fmt.Sprintf("more than %s rejected pushes per proxy per 5m beyond stable's", num(k.XDSRejectsPerProxy)),
				k.XDSRejectsPerProxy, num(k.XDSRejectsPerProxy)),
			t(SignalErrorRatio, "errorRatioIncrease", fmt.Sprintf("5xx ratio of its workloads more than %s above stable's (each with %d requests in 5m)", percent(k.ErrorRatioIncrease), k.MinRequests),
				k.ErrorRatioIncrease, percent(k.ErrorRatioIncrease)),
			t(SignalLatency, "latencyFactor", fmt.Sprintf("p99 request latency of its workloads above %sx stable's (each with %d requests in 5m)", num(k.LatencyFactor), k.MinRequests),
				k.LatencyFactor, num(k.LatencyFactor)+"x"),
		}
	},
}}

// canaryVerdict is the canary file: per-revision recordings, the
// regression alert and the healthy gate. Only with a stable and a canary
// tag in the profile.
func (b *builder) canaryVerdict() File {
	c := b.c
	i := c.Profile.Spec.Istiod
	stable, canary, _ := i.CanaryPair()
	istiod := c.Selectors.Istiod
	// Proxies connected per revision read from pilot_xds itself, not from
	// the ProxiesConnected recording: that one is in the control-plane
	// group, and a rule reading another group's recording reads its last
	// cycle (pint's rule/dependency).
	served := "(sum by (revision) (" + byRevision(b.c.Selectors.Istiod.Metric("pilot_xds")) + ") > 0)"
	sumRev := func(inner string) string { return "sum by (revision) (" + byRevision(inner) + ")" }

	heap := record(RevisionHeapPerProxy, lines(
		sumRev("avg_over_time("+istiod.Metric("go_memstats_heap_alloc_bytes")+"[5m])"),
		"/ on (revision)",
		served,
	), "Each revision's Go heap (averaged over 5m against GC's sawtooth, summed over its istiods) per proxy connected to it. "+
		"Every istiod holds the whole mesh's config, so a revision serving few proxies reads high: compare revisions serving "+
		"comparable shares (see the upgrade runbook).")
	push := record(RevisionPushLatency,
		"histogram_quantile("+num(i.PushLatencyQuantile)+", sum by (le, revision) ("+
			byRevision("rate("+istiod.Metric("pilot_proxy_convergence_time_bucket")+"[5m])")+"))",
		"Each revision's push convergence time at spec.istiod.pushLatencyQuantile.")
	rejects := record(RevisionRejectsPerProxy, lines(
		"(",
		"    "+sumRev("increase("+istiod.Metric("pilot_total_xds_rejects")+"[5m])"),
		"  or on (revision)",
		"    0 * "+served,
		")",
		"/ on (revision)",
		served,
	), "Rejected pushes per connected proxy in 5m, per revision; 0 where istiod has counted none (pilot_total_xds_rejects "+
		"appears with the first reject: istio/istio pilot/pkg/xds/monitoring.go).")

	// The workloads a revision serves: requests their own proxies report
	// (reporter destination), whose pods the generated PodMonitor labels
	// with the injecting revision (pod annotation istio.io/rev, kept as
	// istio_io_rev: render/monitors.go).
	reqs := selector.Matchers{selector.Equal("reporter", config.Reporter)}.With(c.Selectors.Requests...)
	total := reqs.Metric("istio_requests_total")
	errs := reqs.With(selector.Regex("response_code", "5..")).Metric("istio_requests_total")
	requests := record(RevisionRequests, sumRev("increase("+total+"[5m])"),
		"Requests the workloads of each revision's proxies served in 5m (reporter destination, istio_io_rev of the serving pod).")
	errorRatio := record(RevisionErrorRatio, lines(
		"(",
		"    "+sumRev("rate("+errs+"[5m])"),
		"  or on (revision)",
		"    0 * "+sumRev("rate("+total+"[5m])"),
		")",
		"/ on (revision)",
		sumRev("rate("+total+"[5m])"),
	), "The 5xx share of the requests each revision's workloads served over 5m.")
	latency := record(RevisionLatencyP99,
		"histogram_quantile(0.99, sum by (le, revision) ("+
			byRevision("rate("+reqs.Metric("istio_request_duration_milliseconds_bucket")+"[5m])")+"))",
		"The p99 duration (ms) of the requests each revision's workloads served over 5m.")

	of := func(name, rev string) string { return name + "{" + RevisionLabel + "=" + strconv.Quote(rev) + "}" }
	ratio := func(name string) string {
		return of(name, canary) + " / on () group_left () " + of(name, stable)
	}
	diff := func(name string) string {
		return of(name, canary) + " - on () group_left () " + of(name, stable)
	}
	traffic := lines(
		"and on ()",
		"  "+of(RevisionRequests, canary)+" >= "+num(float64(i.Canary.MinRequests)),
		"and on ()",
		"  "+of(RevisionRequests, stable)+" >= "+num(float64(i.Canary.MinRequests)))
	ts := b.thresholds(AlertIstioCanaryRegression)
	conds := []string{
		"(" + ratio(RevisionHeapPerProxy) + ") > " + num(ts[0].Value),
		lines("("+ratio(RevisionPushLatency)+") > "+num(ts[1].Value), "and on ()", "  "+of(RevisionPushLatency, stable)+" > 0",
			"and on ()", "  "+of(RevisionPushLatency, canary)+" > "+num(i.Canary.PushLatencyFloor.Seconds())),
		"(" + diff(RevisionRejectsPerProxy) + ") > " + num(ts[2].Value),
		lines("("+diff(RevisionErrorRatio)+") > "+num(ts[3].Value), traffic),
		lines("("+ratio(RevisionLatencyP99)+") > "+num(ts[4].Value), "and on ()", "  "+of(RevisionLatencyP99, stable)+" > 0", traffic),
	}
	what := []string{
		"Go heap per connected proxy is {{ $value | humanize }}x stable " + stable + "'s (regression above " + ts[0].Shown + ")",
		"p" + num(i.PushLatencyQuantile*100) + " push convergence is {{ $value | humanize }}x stable " + stable + "'s (regression above " + ts[1].Shown + ")",
		"proxies reject {{ $value | humanize }} more pushes per proxy per 5m than stable " + stable + "'s (tolerated: " + ts[2].Shown + ")",
		"the workloads its proxies serve answer {{ $value | humanizePercentage }} more requests with 5xx than stable " + stable + "'s (tolerated: " + ts[3].Shown + ")",
		"the p99 latency of the workloads its proxies serve is {{ $value | humanize }}x stable " + stable + "'s (regression above " + ts[4].Shown + ")",
	}
	var alerts []Rule
	for k, t := range ts {
		alerts = append(alerts, b.alert(t, conds[k],
			"The canary control plane is worse than stable.",
			"Canary revision "+canary+": "+what[k]+" for "+t.For.String()+". Do not move the stable tag to it; roll back "+
				"(istioctl tag set canary --revision "+stable+") if it got worse since the canary started."))
	}

	var regressions []string
	for _, cnd := range conds {
		regressions = append(regressions, "(\n"+indent(cnd, "  ")+"\n)")
	}
	regressions = append(regressions,
		`ALERTS{alertstate="firing", `+RevisionLabel+`=`+strconv.Quote(canary)+`}`,
		`ALERTS{alertstate="firing", alertname="`+AlertIstioProxiesStale+`"}`)
	canaryLabel := func(v string) string {
		return `label_replace(vector(` + v + `), "` + RevisionLabel + `", ` + strconv.Quote(canary) + `, "", "")`
	}
	healthy := record(CanaryHealthy, lines(
		"(",
		"    "+canaryLabel("1"),
		"  and on (revision)",
		// The heap per proxy recorded above in this group exists only
		// while the revision serves proxies: the gate reads recordings
		// and alert state only, so split mode (generator/rulers) can
		// put it on the ruler with the alerts it reads.
		"    ("+RevisionHeapPerProxy+" > 0)",
		"  unless on ()",
		"    (",
		indent(strings.Join(regressions, "\nor\n"), "      "),
		"    )",
		")",
		"or",
		canaryLabel("0"),
	), "1 while canary "+canary+" serves proxies, no IstioCanaryRegression signal holds (before its for:), and no alert of its "+
		"revision nor IstioProxiesStale fires; else 0. The promotion gate: min_over_time("+CanaryHealthy+"[48h]) == 1.")

	rules := []Rule{heap, push, rejects, requests, errorRatio, latency}
	rules = append(rules, alerts...)
	rules = append(rules, healthy)
	return File{
		Name:    "canary",
		Comment: "Canary control-plane upgrade: revision " + canary + " (tag canary) against " + stable + " (tag stable).",
		Groups:  []Group{b.group("canary", rules...)},
	}
}

// withField adds a profile field to a threshold's fields.
func withField(t Threshold, field string) Threshold {
	t.Fields = append(t.Fields, field)
	return t
}
