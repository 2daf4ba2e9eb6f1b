package rules

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/meshslo/meshslo/generator/catalogue"
	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/selector"
)

// Recorded series of the control plane, read by alerts and dashboards.
const (
	IstiodHeapRatio       = "namespace_pod:istiod_heap_to_memory_limit:ratio"
	IstiodCPURatio        = "namespace_pod:istiod_cpu_to_limit:ratio"
	IstiodCPURequestRatio = "namespace_pod:istiod_cpu_to_request:ratio"
	// ProxiesConnected is how many proxies each revision's istiods serve
	// (pilot_xds, per revision), 0 for a revision whose istiods are up and
	// serve none; absent while none of them is up.
	ProxiesConnected = "revision:istio_proxies_connected:sum"
)

func (b *builder) controlPlane() File {
	c, i := b.c, b.c.Profile.Spec.Istiod
	istiod := c.Selectors.Istiod
	sig := SignalsOf(c)
	cadvisor, ksm := sig.IstiodContainer, sig.IstiodKSM
	up := istiod.Metric("up")
	// Per pod, with the pod's revision (istio_io_rev as revision).
	heap := "max by (namespace, pod, revision) (" + byRevision(istiod.Metric("go_memstats_heap_alloc_bytes")) + ")"

	perPod := func(expr string) string { return "max by (namespace, pod) (" + expr + ")" }
	source := func(name, expr string) string {
		return `label_replace(` + expr + `, "limit_source", "` + name + `", "", "")`
	}
	memory := ksm.With(selector.Equal("resource", "memory"))
	heapRatio := record(IstiodHeapRatio, lines(
		heap,
		"/ on (namespace, pod) group_left (limit_source)",
		"(",
		"    "+source("kube-state-metrics", perPod(memory.Metric("kube_pod_container_resource_limits"))),
		"  or on (namespace, pod)",
		"    "+source("cAdvisor", perPod(cadvisor.Metric("container_spec_memory_limit_bytes")+" > 0")),
		"  or on (namespace, pod)",
		// The limit is per pod: no revision on this side, or a pod whose
		// series carry two revisions (a relabel change, a rolling upgrade)
		// matches twice and the rule fails.
		"    "+source("profile", perPod(istiod.Metric("go_memstats_heap_alloc_bytes"))+" * 0 + "+num(float64(i.MemoryLimit.Bytes()))),
		")",
	), "istiod's Go heap against its memory limit: kube-state-metrics' view of the limit first (kube-prometheus-stack drops "+
		"cAdvisor's container_spec_*), cAdvisor's next, else the profile's istiod.memoryLimit ("+i.MemoryLimit.String()+
		"; istiod's Helm chart sets no limit by default). limit_source says which.")

	cpuUsed := "sum by (namespace, pod) (rate(" + cadvisor.Metric("container_cpu_usage_seconds_total") + "[5m]))"
	cpu := ksm.With(selector.Equal("resource", "cpu"))
	connected := record(ProxiesConnected, lines(
		"sum by (revision) ("+byRevision(istiod.Metric("pilot_xds"))+")",
		"or on (revision)",
		"0 * sum by (revision) ("+byRevision(up+" == 1")+")",
	), "Proxies connected to each revision's istiods (pilot_xds counts xDS clients per proxy version: istio/istio "+
		"pilot/pkg/xds/monitoring.go), 0 for a revision that is up and serves none. IstiodDown reads its last value "+
		"once a revision's istiods are gone.")
	cpuRatio := record(IstiodCPURatio, withPodRevision(up, lines(
		cpuUsed,
		"/ on (namespace, pod) group_left (limit_source)",
		"(",
		"    "+source("kube-state-metrics", "sum by (namespace, pod) ("+cpu.Metric("kube_pod_container_resource_limits")+")"),
		"  or on (namespace, pod)",
		"    "+source("cAdvisor", lines(
			"sum by (namespace, pod) ("+cadvisor.Metric("container_spec_cpu_quota")+" > 0)",
			"      / on (namespace, pod)",
			"    sum by (namespace, pod) ("+cadvisor.Metric("container_spec_cpu_period")+")")),
		")",
	)), "istiod's CPU use against its CPU limit, where it has one (istiod's Helm chart sets none): kube-state-metrics first, "+
		"cAdvisor's quota next.")
	cpuRequestRatio := record(IstiodCPURequestRatio, withPodRevision(up, lines(
		cpuUsed,
		"/ on (namespace, pod)",
		"(",
		"    sum by (namespace, pod) ("+cpu.Metric("kube_pod_container_resource_requests")+")",
		"  or on (namespace, pod)",
		"    sum by (namespace, pod) ("+cadvisor.Metric("container_spec_cpu_shares")+") / 1024",
		")",
	)), "istiod's CPU use against its CPU request, the base of its HPA's target: kube-state-metrics first, cAdvisor's cpu "+
		"shares (1024 per core) next.")
	hpa := c.Selectors.KubeStateMetrics.With(selector.Equal("namespace", i.Namespace), selector.Regex("horizontalpodautoscaler", catalogue.IstiodHPAs))
	hpaAtMax := lines(
		"max by (namespace, horizontalpodautoscaler) (",
		"    "+hpa.Metric("kube_horizontalpodautoscaler_status_current_replicas"),
		"  >= on (namespace, horizontalpodautoscaler)",
		"    "+hpa.Metric("kube_horizontalpodautoscaler_spec_max_replicas"),
		")")
	target := hpa.With(selector.Equal("metric_name", "cpu"), selector.Equal("metric_target_type", "utilization")).
		Metric("kube_horizontalpodautoscaler_spec_target_metric")
	// At or above the HPA's own target (a utilization in percent), or the
	// profile's where kube-state-metrics does not report one.
	// Each istiod pod belongs to the HPA of its revision's Deployment
	// (istiod, istiod-<rev>), whose name its own starts with:
	// <deployment>-<ReplicaSet hash>-<suffix>.
	ofHPA := `label_replace(` + IstiodCPURequestRatio + `, "horizontalpodautoscaler", "$1", "pod", "` + catalogue.DeploymentOfPod + `")`
	atTarget := func(fallback string) string {
		return lines(
			"    "+ofHPA,
			"  >= on (namespace, horizontalpodautoscaler) group_left ()",
			"    max by (namespace, horizontalpodautoscaler) ("+target+") / 100",
			"or",
			"  (",
			"      "+ofHPA+" >= "+fallback,
			"    unless on (namespace, horizontalpodautoscaler)",
			"      max by (namespace, horizontalpodautoscaler) ("+target+")",
			"  )")
	}

	heapAlert := func(t Threshold) Rule {
		return b.alert(t, IstiodHeapRatio+" >= "+num(t.Value),
			"istiod's heap is close to its memory limit.",
			"istiod {{ $labels.namespace }}/{{ $labels.pod }} has a Go heap at {{ $value | humanizePercentage }} of its memory limit ("+
				t.Severity+" at "+t.Shown+"). Near the limit istiod slows down in GC and is OOM-killed, dropping every proxy's xDS stream.")
	}
	one := func(name string) Threshold { return b.thresholds(name)[0] }
	heapT := b.thresholds(AlertIstiodHeapNearLimit)
	down, replicas := one(AlertIstiodDown), one(AlertIstiodReplicasBelowMinimum)
	cpuT := b.thresholds(AlertIstiodHighCPU)
	xdsRejects, pushErrors, pushLatency := one(AlertIstioXDSRejects), one(AlertIstioXDSPushErrors), one(AlertIstiodPushLatencyHigh)
	conflictsT, injection := one(AlertIstioConfigConflicts), one(AlertIstioSidecarInjectionFailures)
	webhooks := one(AlertIstioWebhookFailures)
	// The API server counts the calls it could not make to a webhook; istiod
	// counts nothing when it cannot be reached. Selected by the webhook
	// names alone (and the cluster), as the API server's job varies.
	apiserver := ClusterMatcher(c)
	webhookCalls := apiserver.With(selector.Regex("name", istioWebhooks), selector.Equal("error_type", "calling_webhook_error")).
		Metric("apiserver_admission_webhook_rejection_count")

	rejects := "sum by (type, revision) (" + byRevision("increase("+istiod.Metric("pilot_total_xds_rejects")+"[5m])") + ")"
	pushErr := istiod.With(selector.Regex("type", ".+_senderr")).Metric("pilot_xds_pushes")
	convergence := "histogram_quantile(" + num(i.PushLatencyQuantile) + ", sum by (le, revision) (" +
		byRevision("rate("+istiod.Metric("pilot_proxy_convergence_time_bucket")+"[5m])") + "))"
	var conflicts []string
	for _, g := range ConflictGauges {
		conflicts = append(conflicts, sprintf(`label_replace(max(%s), "conflict", %q, "", "")`, istiod.Metric(g.Metric), g.Conflict))
	}

	return File{
		Name:    "control-plane",
		Comment: "istiod: memory, CPU, availability and config distribution.",
		Groups: []Group{b.group("istiod",
			heapRatio,
			cpuRatio,
			cpuRequestRatio,
			connected,
			heapAlert(heapT[0]),
			heapAlert(heapT[1]),
			b.alert(down,
				b.istiodDownExpr(up, down.Value),
				"No istiod instance of a revision is up.",
				"No istiod target of revision {{ $labels.revision }} has been up for "+down.For.String()+
					" (with no revision named, no istiod of any revision, or the scrape stores no istio_io_rev). Its proxies keep their last config but get no updates, "+
					"new pods of its namespaces cannot start with a sidecar and its certificates are not renewed."),
			b.alert(replicas,
				"sum by (revision) ("+byRevision(up)+") < "+num(replicas.Value),
				"Fewer istiod instances of a revision are up than the profile's minimum.",
				"Only {{ $value }} istiod targets of revision {{ $labels.revision }} are up; the profile asks for at least "+replicas.Shown+
					" per revision. One more failure leaves its proxies without a control plane."),
			b.alert(cpuT[0],
				IstiodCPURatio+" >= "+num(cpuT[0].Value),
				"istiod uses most of its CPU limit.",
				"istiod {{ $labels.namespace }}/{{ $labels.pod }} has used {{ $value | humanizePercentage }} of its CPU limit (from {{ $labels.limit_source }}) for "+
					cpuT[0].For.String()+" (warning at "+cpuT[0].Shown+"); it is throttled and config pushes slow down."),
			b.alert(cpuT[1],
				lines(
					"(",
					indent(atTarget(num(cpuT[1].Value)), "  "),
					")",
					"and on (namespace, horizontalpodautoscaler)",
					hpaAtMax,
					"unless on (namespace, pod)",
					IstiodCPURatio),
				"istiod's autoscaler is at its maximum and CPU stays high.",
				"istiod {{ $labels.namespace }}/{{ $labels.pod }} uses {{ $value | humanizePercentage }} of its CPU request while its HPA {{ $labels.horizontalpodautoscaler }} runs at "+
					"maxReplicas (the target is the HPA's, else "+cpuT[1].Shown+"), for "+cpuT[1].For.String()+": it cannot scale out further and pushes slow down."),
			b.alert(xdsRejects,
				rejects+" > "+num(xdsRejects.Value),
				"Proxies reject the configuration istiod sends.",
				"Proxies of revision {{ $labels.revision }} rejected {{ $value | humanize }} {{ $labels.type }} updates in 5m (tolerated: "+xdsRejects.Shown+"). Rejected config is not applied: the proxies run stale config."),
			b.alert(pushErrors,
				lines("sum(rate("+pushErr+"[5m]))", "/", "sum(rate("+istiod.Metric("pilot_xds_pushes")+"[5m]))", "> "+num(pushErrors.Value)),
				"istiod fails to send xDS pushes.",
				"{{ $value | humanizePercentage }} of xDS pushes failed to send over 5m (warning above "+pushErrors.Shown+")."),
			b.alert(pushLatency,
				convergence+" > "+num(pushLatency.Value),
				"Config takes long to reach the proxies.",
				"The p"+num(i.PushLatencyQuantile*100)+" time for a config change from revision {{ $labels.revision }} to reach its proxies is {{ $value | humanizeDuration }} (warning above "+pushLatency.Shown+")."),
			b.alert(conflictsT,
				lines("(", indent(joinOr(conflicts), "  "), ") > "+num(conflictsT.Value)),
				"Istio configuration conflicts.",
				"istiod reports {{ $value }} conflicts of kind {{ $labels.conflict }}; the conflicting resources are ignored. Run istioctl analyze."),
			b.alert(injection,
				"sum by (revision) ("+byRevision("increase("+istiod.Metric("sidecar_injection_failure_total")+"[5m])")+") > "+num(injection.Value),
				"Sidecar injection fails.",
				"{{ $value | humanize }} sidecar injections by revision {{ $labels.revision }} failed in 5m (tolerated: "+injection.Shown+"); pods start without a sidecar or not at all."),
			b.alert(webhooks,
				"sum by (name, type) (increase("+webhookCalls+"[5m])) > "+num(webhooks.Value),
				"The API server cannot call an Istio webhook.",
				"The API server failed {{ $value | humanize }} calls to the {{ $labels.type }} webhook {{ $labels.name }} in 5m (tolerated: "+webhooks.Shown+
					"). Istio's webhooks fail closed: pods cannot be created (injection) or Istio config cannot be applied (validation)."),
		)},
	}
}

// RevisionLabel is the label the per-revision alerts carry: the istiod
// target's istio.io/rev. istiod's pods and its Service carry istio.io/rev
// (the revision, "default" without one: istio/istio
// manifests/charts/istio-control/istio-discovery/templates/deployment.yaml
// and service.yaml). Under kube-prometheus-stack the generated
// ServiceMonitor keeps the Service's as istio_io_rev (targetLabels); Istio's
// addon Prometheus keeps every pod label (samples/addons/prometheus.yaml,
// job kubernetes-pods: labelmap __meta_kubernetes_pod_label_(.+)), so the
// pod's arrives as istio_io_rev too. A custom setup without the label gets
// one group without a revision label: the alerts then sum every istiod,
// as before.
const RevisionLabel = "revision"

// scrapedRevisionLabel is the stored name of istio.io/rev.
const scrapedRevisionLabel = "istio_io_rev"

// ConnectedLookback is how far back IstiodDown looks for the last count
// of proxies connected to a revision (ProxiesConnected): once its istiods
// are down or gone their pilot_xds series are too, and a revision that
// served proxies when it was last seen, within the lookback, still pages.
// A revision uninstalled after its proxies moved to another was last seen
// serving none (istiod keeps pilot_xds at 0 once its proxies leave:
// istio/istio pilot/pkg/xds/monitoring.go recordXDSClients), and does not.
// A day, or twice downFor where that is longer, so the page fires for at
// least as long as it was held.
func ConnectedLookback(c *config.Config) profile.Duration {
	return max(profile.Duration(24*time.Hour), 2*c.Profile.Spec.Istiod.DownFor)
}

// byRevision copies istio_io_rev into the revision label of expr's series.
func byRevision(expr string) string {
	return `label_replace(` + expr + `, "` + RevisionLabel + `", "$1", "` + scrapedRevisionLabel + `", "(.+)")`
}

// withPodRevision gives each (namespace, pod) series of expr the revision
// of the istiod target of that pod (cAdvisor and kube-state-metrics series
// carry no istio.io/rev); a pod without an istiod target keeps its series,
// without a revision.
func withPodRevision(up, expr string) string {
	return lines(
		"(",
		indent(expr, "  "),
		")",
		"  * on (namespace, pod) group_left (revision)",
		"    group by (namespace, pod, revision) ("+byRevision(up)+")",
		"or",
		"(",
		indent(expr, "  "),
		")",
		"  unless on (namespace, pod)",
		"    group by (namespace, pod) ("+up+")",
	)
}

// istiodDownExpr fires per revision whose istiods are all down or gone,
// when proxies were connected to it within ConnectedLookback, the profile
// names it, or no istiod of any revision is up (one control plane: as
// before, a page whenever none is up). With no istiod target and no
// revision known at all it fires without a revision label, as before
// (where the profile lists no revisions; listed ones are always known).
func (b *builder) istiodDownExpr(up string, value float64) string {
	upBy := "sum by (revision) (" + byRevision(up) + ")"
	connected := "last_over_time(" + ProxiesConnected + "[" + ConnectedLookback(b.c).String() + "]) > 0"
	watched := []string{connected}
	for _, r := range b.c.Profile.Spec.Istiod.Revisions {
		watched = append(watched, `label_replace(vector(1), "`+RevisionLabel+`", `+strconv.Quote(r.Name)+`, "", "")`)
	}
	known := strings.Join(watched, "\n  or on (revision)\n    ")
	expr := lines(
		"(",
		"    "+upBy,
		"  or on (revision)",
		"    0 * (",
		"      "+strings.ReplaceAll(known, "\n", "\n    "),
		"    )",
		") == "+num(value),
		"and on (revision)",
		"(",
		"    "+known,
		"  or on (revision)",
		"    "+upBy+" unless on () (sum("+up+") > 0)",
		")",
	)
	if len(b.c.Profile.Spec.Istiod.Revisions) > 0 {
		// Listed revisions are always known: the branch below could
		// never fire (pint's promql/impossible).
		return expr
	}
	// The revision label set to "" is vector(0) itself (Prometheus drops
	// an empty label); it says to readers and static checks (pint's
	// alerts/template) that revision is empty on this branch, which the
	// description's {{ $labels.revision }} then prints.
	return lines(
		expr,
		"or",
		"(",
		`    label_replace(vector(0), "`+RevisionLabel+`", "", "", "")`,
		"  unless on ()",
		"    (",
		"        group("+up+")",
		"      or",
		"        "+strings.ReplaceAll(known, "\n", "\n    "),
		"    )",
		")",
	)
}

// ConflictGauges are istiod's gauges of conflicting or duplicate config that
// still exist in current Istio (the http/tcp listener ones were removed in 1.19).
var ConflictGauges = []struct{ Metric, Conflict string }{
	{"pilot_conflict_inbound_listener", "inbound_listener"},
	{"pilot_conflict_outbound_listener_tcp_over_current_tcp", "outbound_listener_tcp_over_current_tcp"},
	{"pilot_duplicate_envoy_clusters", "duplicate_envoy_clusters"},
	{"pilot_vservice_dup_domain", "vservice_dup_domain"},
}

func joinOr(exprs []string) string {
	out := exprs[0]
	for _, e := range exprs[1:] {
		out += "\nor\n" + e
	}
	return out
}

// Seconds prints a duration as seconds for PromQL comparisons.
func Seconds(d profile.Duration) string { return num(d.Seconds()) }

// istioWebhooks matches the names of istiod's admission webhooks:
// [rev.]{namespace,object}.sidecar-injector.istio.io and [rev.]validation.istio.io
// (manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml,
// validatingwebhookconfiguration.yaml).
const istioWebhooks = `.+\.istio\.io`

// Alert names of this concern.
const (
	AlertIstioWebhookFailures          = "IstioWebhookFailures"
	AlertIstiodHeapNearLimit           = "IstiodHeapNearLimit"
	AlertIstiodDown                    = "IstiodDown"
	AlertIstiodReplicasBelowMinimum    = "IstiodReplicasBelowMinimum"
	AlertIstiodHighCPU                 = "IstiodHighCPU"
	AlertIstioXDSRejects               = "IstioXDSRejects"
	AlertIstioXDSPushErrors            = "IstioXDSPushErrors"
	AlertIstiodPushLatencyHigh         = "IstiodPushLatencyHigh"
	AlertIstioConfigConflicts          = "IstioConfigConflicts"
	AlertIstioSidecarInjectionFailures = "IstioSidecarInjectionFailures"
)

// controlPlaneAlerts describe the alerts of istiod.
var controlPlaneAlerts = []*Descriptor{
	{
		Name:           AlertIstiodHeapNearLimit,
		InstanceLabels: []string{"namespace", "pod"},
		Meaning:        "istiod's Go heap is at {warning} / {critical} of its memory limit",
		Thresholds: func(c *config.Config) []Threshold {
			i := c.Profile.Spec.Istiod
			heap := func(sev, field string, r float64, draw string) Threshold {
				return Threshold{Alert: AlertIstiodHeapNearLimit, Severity: sev,
					Condition: fmt.Sprintf("heap >= %s of the memory limit (%s of %s when no live limit) for %s", percent(r),
						profile.Quantity(r*float64(i.MemoryLimit.Bytes())).Human(), i.MemoryLimit, i.HeapFor),
					Fields: []string{"spec.istiod." + field, "spec.istiod.memoryLimit", "spec.istiod.heapFor"},
					Value:  r, Shown: percent(r), For: i.HeapFor, Draw: "istiod." + draw,
					Panels: []string{"oncall/istiod heap / memory limit"}}
			}
			return []Threshold{
				heap(profile.SeverityWarning, "heapWarningRatio", i.HeapWarningRatio, "heapWarningRatio"),
				heap(profile.SeverityCritical, "heapCriticalRatio", i.HeapCriticalRatio, "heapCriticalRatio"),
			}
		},
		Params: func(c *config.Config) []Param {
			return []Param{{"istiod.memoryLimitBytes", float64(c.Profile.Spec.Istiod.MemoryLimit.Bytes()), "spec.istiod.memoryLimit"}}
		},
	},
	{
		Name: AlertIstiodDown,
		// One page per revision: a canary down is not the stable
		// revision's incident.
		InstanceLabels: []string{RevisionLabel},
		// With no istiod up, these follow within minutes to hours and say
		// nothing the page does not: they are muted while it fires.
		Silences: []string{
			// sum(up) < minReplicas holds too when none is up.
			AlertIstiodReplicasBelowMinimum,
			// Proxies lose their xDS stream to istiod: all out of sync.
			AlertIstioProxiesStale,
			// A restarting istiod pushes late or fails pushes while the
			// proxies reconnect.
			AlertIstiodPushLatencyHigh, AlertIstioXDSPushErrors,
			// The API server cannot reach the injection and validation
			// webhooks (they fail closed); injection fails with them.
			AlertIstioWebhookFailures, AlertIstioSidecarInjectionFailures,
			// The agents' CSRs to istiod's CA fail, and workload
			// certificates stop rotating (they live 24h, rotate at half).
			AlertIstioCertificateSigningFailures, AlertIstioWorkloadCertRotation,
		},
		Meaning: "no istiod target of a revision is up: its proxies get no config pushes, its injection and certificate signing stop",
		Thresholds: func(c *config.Config) []Threshold {
			i := c.Profile.Spec.Istiod
			return []Threshold{{Alert: AlertIstiodDown, Severity: profile.SeverityCritical,
				Condition: fmt.Sprintf("no istiod target of a revision up for %s, where proxies were connected to it when it was last seen (within %s), "+
					"the profile lists it, or no istiod of any revision is up", i.DownFor, ConnectedLookback(c)),
				Fields: []string{"spec.istiod.downFor"},
				Value:  0, Shown: "0", For: i.DownFor}}
		},
	},
	{
		Name:           AlertIstiodReplicasBelowMinimum,
		InstanceLabels: []string{RevisionLabel},
		Meaning:        "fewer istiod replicas of a revision up than the minimum ({warning}): no redundancy",
		Thresholds: func(c *config.Config) []Threshold {
			i := c.Profile.Spec.Istiod
			return []Threshold{{Alert: AlertIstiodReplicasBelowMinimum, Severity: profile.SeverityWarning,
				Condition: fmt.Sprintf("fewer than %d istiod targets of a revision up for %s", i.MinReplicas, i.ReplicasFor),
				Fields:    []string{"spec.istiod.minReplicas", "spec.istiod.replicasFor"},
				Value:     float64(i.MinReplicas), Shown: num(float64(i.MinReplicas)), For: i.ReplicasFor, Draw: "istiod.minReplicas",
				Panels: []string{"oncall/istiod instances up", "executive/istiod up"}}}
		},
	},
	{
		Name:           AlertIstiodHighCPU,
		InstanceLabels: []string{"namespace", "pod"},
		Meaning:        "istiod uses {warning} of its CPU limit, or (no limit) its HPA is at maxReplicas with CPU at its target",
		Thresholds: func(c *config.Config) []Threshold {
			i := c.Profile.Spec.Istiod
			return []Threshold{
				{Alert: AlertIstiodHighCPU, Severity: profile.SeverityWarning,
					Condition: fmt.Sprintf("CPU >= %s of the CPU limit for %s", percent(i.CPUWarningRatio), i.CPUFor),
					Fields:    []string{"spec.istiod.cpuWarningRatio", "spec.istiod.cpuFor"},
					Value:     i.CPUWarningRatio, Shown: percent(i.CPUWarningRatio), For: i.CPUFor, Draw: "istiod.cpuWarningRatio",
					Panels: []string{"oncall/istiod CPU / limit"}},
				{Alert: AlertIstiodHighCPU, Severity: profile.SeverityWarning,
					Condition: fmt.Sprintf("no CPU limit: the HPA at maxReplicas and CPU at or above its target (the HPA's own, else %s of the request) for %s",
						percent(i.HPACPUTargetRatio), i.CPUFor),
					Fields: []string{"spec.istiod.hpaCPUTargetRatio", "spec.istiod.cpuFor"},
					Value:  i.HPACPUTargetRatio, Shown: percent(i.HPACPUTargetRatio), For: i.CPUFor, Draw: "istiod.hpaCPUTargetRatio",
					Panels: []string{"oncall/istiod CPU / request"},
					Labels: map[string]string{"limit_source": "none"}},
			}
		},
	},
	{
		Name: AlertIstioXDSRejects,
		// Per revision: a canary's rejects are not the stable revision's.
		InstanceLabels: []string{"type", RevisionLabel},
		Meaning:        "proxies NACK the config istiod sends",
		Thresholds: func(c *config.Config) []Threshold {
			i := c.Profile.Spec.Istiod
			return []Threshold{{Alert: AlertIstioXDSRejects, Severity: profile.SeverityWarning,
				Condition: fmt.Sprintf("more than %s rejected pushes per 5m for %s", num(i.XDSRejectsWarning), i.XDSRejectsFor),
				Fields:    []string{"spec.istiod.xdsRejectsWarning", "spec.istiod.xdsRejectsFor"},
				Value:     i.XDSRejectsWarning, Shown: num(i.XDSRejectsWarning), For: i.XDSRejectsFor, Draw: "istiod.xdsRejectsWarning",
				Panels: []string{"oncall/Rejected config per 5m"}}}
		},
	},
	{
		Name:    AlertIstioXDSPushErrors,
		Meaning: "a growing share of xDS pushes fail to be sent",
		Thresholds: func(c *config.Config) []Threshold {
			i := c.Profile.Spec.Istiod
			return []Threshold{{Alert: AlertIstioXDSPushErrors, Severity: profile.SeverityWarning,
				Condition: fmt.Sprintf("more than %s of pushes fail to send for %s", percent(i.PushErrorRatio), i.PushErrorFor),
				Fields:    []string{"spec.istiod.pushErrorRatio", "spec.istiod.pushErrorFor"},
				Value:     i.PushErrorRatio, Shown: percent(i.PushErrorRatio), For: i.PushErrorFor, Draw: "istiod.pushErrorRatio",
				Panels: []string{"oncall/xDS push send errors"}}}
		},
	},
	{
		Name:           AlertIstiodPushLatencyHigh,
		InstanceLabels: []string{RevisionLabel},
		Meaning:        "config convergence time (p99 by default) above {warning}: changes reach proxies late",
		Thresholds: func(c *config.Config) []Threshold {
			i := c.Profile.Spec.Istiod
			return []Threshold{{Alert: AlertIstiodPushLatencyHigh, Severity: profile.SeverityWarning,
				Condition: fmt.Sprintf("p%s convergence time above %s for %s", num(i.PushLatencyQuantile*100), i.PushLatencyWarning, i.PushLatencyFor),
				Fields:    []string{"spec.istiod.pushLatencyWarning", "spec.istiod.pushLatencyQuantile", "spec.istiod.pushLatencyFor"},
				Value:     i.PushLatencyWarning.Seconds(), Shown: i.PushLatencyWarning.String(), For: i.PushLatencyFor,
				Draw: "istiod.pushLatencyWarningSeconds", Panels: []string{"oncall/Config push latency (p99)"}}}
		},
		Params: func(c *config.Config) []Param {
			return []Param{{"istiod.pushLatencyQuantile", c.Profile.Spec.Istiod.PushLatencyQuantile, "spec.istiod.pushLatencyQuantile"}}
		},
	},
	{
		Name:           AlertIstioConfigConflicts,
		InstanceLabels: []string{"conflict"},
		Meaning:        "conflicting listeners, clusters or VirtualService domains; part of the config is ignored",
		Thresholds: func(c *config.Config) []Threshold {
			i := c.Profile.Spec.Istiod
			return []Threshold{{Alert: AlertIstioConfigConflicts, Severity: profile.SeverityWarning,
				Condition: fmt.Sprintf("more than %s conflicts of one kind for %s", num(i.ConfigConflictsWarning), i.ConfigConflictsFor),
				Fields:    []string{"spec.istiod.configConflictsWarning", "spec.istiod.configConflictsFor"},
				Value:     i.ConfigConflictsWarning, Shown: num(i.ConfigConflictsWarning), For: i.ConfigConflictsFor,
				Draw: "istiod.configConflictsWarning", Panels: []string{"oncall/Config conflicts"}}}
		},
	},
	{
		Name:           AlertIstioSidecarInjectionFailures,
		InstanceLabels: []string{RevisionLabel},
		Meaning:        "the injection webhook fails to inject sidecars",
		Thresholds: func(c *config.Config) []Threshold {
			i := c.Profile.Spec.Istiod
			return []Threshold{{Alert: AlertIstioSidecarInjectionFailures, Severity: profile.SeverityWarning,
				Condition: fmt.Sprintf("more than %s failed injections per 5m for %s", num(i.InjectionFailuresWarning), i.InjectionFailuresFor),
				Fields:    []string{"spec.istiod.injectionFailuresWarning", "spec.istiod.injectionFailuresFor"},
				Value:     i.InjectionFailuresWarning, Shown: num(i.InjectionFailuresWarning), For: i.InjectionFailuresFor,
				Draw:   "istiod.injectionFailuresWarning",
				Panels: append(sidecarPanels(c, "oncall/Sidecar injection failures per 5m"), "debug/Injection failures per 5m")}}
		},
	},
	{
		Name:           AlertIstioWebhookFailures,
		InstanceLabels: []string{"name", "type"},
		Meaning:        "the API server cannot call istiod's injection or validation webhook: pods or Istio config are refused",
		Thresholds: func(c *config.Config) []Threshold {
			i := c.Profile.Spec.Istiod
			return []Threshold{{Alert: AlertIstioWebhookFailures, Severity: profile.SeverityWarning,
				Condition: fmt.Sprintf("more than %s failed API server calls to an Istio webhook per 5m for %s", num(i.WebhookFailuresWarning), i.WebhookFailuresFor),
				Fields:    []string{"spec.istiod.webhookFailuresWarning", "spec.istiod.webhookFailuresFor"},
				Value:     i.WebhookFailuresWarning, Shown: num(i.WebhookFailuresWarning), For: i.WebhookFailuresFor}}
		},
	},
}
