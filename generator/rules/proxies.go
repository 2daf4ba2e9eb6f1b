package rules

import (
	"fmt"
	"strconv"

	"github.com/meshslo/meshslo/generator/catalogue"
	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/selector"
)

// Recorded series of the data plane, read by alerts and dashboards.
const (
	ProxiesCount             = "mesh:istio_proxies:count"
	ProxiesExpectedCount     = "mesh:istio_proxies_expected:count"
	ProxiesDisconnectedCount = "mesh:istio_proxies_disconnected:count"
	ProxyOutOfSync           = "namespace_pod:istio_proxy_out_of_sync:max"
	ProxiesOutOfSyncCount    = "mesh:istio_proxies_out_of_sync:count"
	ProxiesOutOfSyncRatio    = "mesh:istio_proxies_out_of_sync:ratio"
	SidecarMemoryLimit       = "namespace_pod:istio_proxy_memory_limit:bytes"
	SidecarMemoryRatio       = "namespace_pod:istio_proxy_memory_to_limit:ratio"
)

// Reasons a proxy counts as out of sync, as the reason label of ProxyOutOfSync.
const (
	ReasonRejected    = "rejected"
	ReasonUnreachable = "unreachable"
	ReasonUnacked     = "unacked"
)

func (b *builder) proxies() File {
	c := b.c
	sig := SignalsOf(c)
	istiod, px := c.Selectors.Istiod, c.Selectors.Proxies
	perPod := func(expr string) string { return "max by (namespace, pod) (" + expr + ")" }
	reason := func(r, expr string) string {
		return lines("  label_replace(", indent(expr, "    ")+",", `    "reason", "`+r+`", "", ""`, "  )")
	}
	// Each kube-state-metrics family exists for containers and, for native
	// sidecars (an init container since Istio 1.27 on kubelet 1.33+), init
	// containers: read both.
	ksmBoth := func(m selector.Matchers, family string) (string, string) {
		return m.Metric("kube_pod_container_" + family), m.Metric("kube_pod_init_container_" + family)
	}
	running, initRunning := ksmBoth(sig.ProxyKSM, "status_running")

	envoyRejected := func(metric string) string { return "increase(" + px.Metric(metric) + "[5m]) > 0" }
	unreachable := "increase(" + px.With(selector.Equal("type", "error")).Metric("istio_agent_istiod_connection_terminations") +
		"[5m]) >= " + num(catalogue.AgentTerminationsUnreachable)
	unacked := lines(
		"\n    increase("+px.Metric("istio_agent_xds_proxy_responses")+"[5m])",
		"  - on (namespace, pod)",
		"    increase("+px.Metric("istio_agent_xds_proxy_requests")+"[5m])",
		"  >= "+num(catalogue.AgentUnackedResponses)+"\n")

	memory := perPod(sig.SidecarContainer.Metric("container_memory_working_set_bytes"))
	mem := sig.SidecarKSM.With(selector.Equal("resource", "memory"))
	limits, initLimits := ksmBoth(mem, "resource_limits")
	limitSource := func(source, expr string) string {
		return `label_replace(` + perPod(expr) + `, "limit_source", "` + source + `", "", "")`
	}
	memoryRatio := func(t Threshold) Rule {
		return b.alert(t, SidecarMemoryRatio+" >= "+num(t.Value),
			"A sidecar is close to its memory limit.",
			"The istio-proxy container of {{ $labels.namespace }}/{{ $labels.pod }} uses {{ $value | humanizePercentage }} of its memory limit "+
				"(from {{ $labels.limit_source }}; "+t.Severity+" at "+t.Shown+"). At the limit it is OOM-killed and the pod loses its traffic.")
	}
	stale, memoryT, oom := b.thresholds(AlertIstioProxiesStale), b.thresholds(AlertIstioSidecarMemoryHigh), b.thresholds(AlertIstioSidecarOOMKilled)[0]
	window := "[" + c.Profile.Spec.Proxies.OOMKilledWindow.String() + "]"
	oomKilled := func(restarts, reason string) string {
		return lines(
			"max by (namespace, pod) (",
			"    (increase("+restarts+window+") > 0)",
			"  and on (namespace, pod, container)",
			"    ("+reason+" == 1)",
			")")
	}
	restarts, initRestarts := ksmBoth(sig.SidecarKSM, "status_restarts_total")
	oomReason := sig.SidecarKSM.With(selector.Equal("reason", "OOMKilled"))
	lastReason, initLastReason := ksmBoth(oomReason, "status_last_terminated_reason")

	return File{
		Name:    "proxies",
		Comment: "Sidecars, gateways and waypoints: config sync with istiod, memory and OOM kills.",
		Groups: []Group{b.group("proxies",
			record(ProxiesExpectedCount, lines(
				"count(",
				"    "+perPod(running+" == 1"),
				"  or on (namespace, pod)",
				"    "+perPod(initRunning+" == 1"),
				")",
			), "Running istio-proxy containers (sidecars, native sidecars, gateways, waypoints, ztunnels): every xDS client "+
				"istiod should have, from kube-state-metrics."),
			b.disconnected(),
			record(ProxyOutOfSync, lines(
				"(",
				reason(ReasonRejected, lines(
					perPod(envoyRejected("envoy_cluster_manager_cds_update_rejected")),
					"or on (namespace, pod)",
					perPod(envoyRejected("envoy_listener_manager_lds_update_rejected")),
				)),
				"or on (namespace, pod)",
				reason(ReasonUnreachable, perPod(unreachable)),
				"or on (namespace, pod)",
				reason(ReasonUnacked, perPod(unacked)),
				") > bool 0",
			), "1 for each proxy that is connected but not in sync, with the first reason found: its Envoy rejected a "+
				"cluster or listener update in 5m ("+ReasonRejected+"; istiod's pilot_xds_*_reject gauges are never reset, so they "+
				"cannot say a proxy NACKs now); its agent's stream to istiod keeps "+
				"failing ("+ReasonUnreachable+"); or istiod's pushes reach it without ACKs ("+ReasonUnacked+")."),
			record(ProxiesCount, lines(
				"max(",
				"  "+ProxiesExpectedCount,
				"  or",
				"  label_replace(sum("+istiod.Metric("pilot_xds")+"), \"source\", \"istiod\", \"\", \"\")",
				")",
			), "Every proxy: running istio-proxy containers, or istiod's connected streams where more (or no kube-state-metrics)."),
			record(ProxiesOutOfSyncCount, lines(
				"(",
				"  max(",
				"    label_replace("+ProxiesDisconnectedCount+", \"signal\", \"istiod\", \"\", \"\")",
				"    or",
				"    label_replace(count("+ProxyOutOfSync+"{reason=\""+ReasonUnreachable+"\"}), \"signal\", \"agent\", \"\", \"\")",
				"  )",
				"  or vector(0)",
				")",
				"+",
				"(count("+ProxyOutOfSync+"{reason!=\""+ReasonUnreachable+"\"}) or vector(0))",
			), "No metric says STALE (that is istiod's /debug/syncz). Out of sync: proxies without a stream to istiod (istiod's "+
				"count, or their agents' where larger) plus connected proxies that reject config or do not ACK it."),
			record(ProxiesOutOfSyncRatio, ProxiesOutOfSyncCount+" / "+ProxiesCount, ""),
			b.alert(stale[0], ProxiesOutOfSyncRatio+" > "+num(stale[0].Value),
				"Many proxies are out of sync with istiod.",
				"{{ $value | humanizePercentage }} of proxies have no stream to istiod, reject its config or do not ACK it (page above "+
					stale[0].Shown+" for "+stale[0].For.String()+"). They serve traffic with old routes, endpoints and policies."),
			b.alert(stale[1], ProxiesOutOfSyncCount+" > "+num(stale[1].Value),
				"Proxies are out of sync with istiod.",
				"{{ $value }} proxies have no stream to istiod, reject its config or do not ACK it (ticket above "+stale[1].Shown+
					" for "+stale[1].For.String()+"). Find them with istioctl proxy-status and in "+ProxyOutOfSync+"."),
			record(SidecarMemoryLimit, lines(
				limitSource("kube-state-metrics", limits),
				"  or on (namespace, pod)",
				limitSource("kube-state-metrics", initLimits),
				"  or on (namespace, pod)",
				limitSource("cAdvisor", sig.SidecarContainer.Metric("container_spec_memory_limit_bytes")+" > 0"),
			), "Each sidecar's live memory limit: kube-state-metrics first (kube-prometheus-stack drops cAdvisor's container_spec_*), "+
				"cAdvisor next; limit_source says which."),
			record(SidecarMemoryRatio, memory+"\n/ on (namespace, pod) group_left (limit_source)\n"+SidecarMemoryLimit, ""),
			memoryRatio(memoryT[0]),
			memoryRatio(memoryT[1]),
			b.alert(memoryT[2], lines(memory+" > "+num(memoryT[2].Value), "unless on (namespace, pod)", SidecarMemoryLimit),
				"A sidecar uses a lot of memory.",
				"The istio-proxy container of {{ $labels.namespace }}/{{ $labels.pod }} uses {{ $value | humanize1024 }}B and no memory limit "+
					"is known for it (warning above "+memoryT[2].Shown+"; Istio's default sidecar limit is 1Gi)."),
			b.alert(oom, lines(oomKilled(restarts, lastReason), "or", oomKilled(initRestarts, initLastReason)),
				"A sidecar was OOM-killed.",
				"The istio-proxy container of {{ $labels.namespace }}/{{ $labels.pod }} restarted after an OOM kill in the last "+
					c.Profile.Spec.Proxies.OOMKilledWindow.String()+"; the pod lost its traffic while it restarted. Raise its memory limit."),
		)},
	}
}

// disconnected records the proxies that run but hold no xDS stream to
// any istiod: running istio-proxy containers minus the streams istiod
// counts (pilot_xds), or all of them where no istiod is up.
//
// Under primary-remote a remote cluster's proxies hold their stream to a
// primary's istiod, whose pilot_xds carries the primary's cluster label,
// so a count per cluster would call every remote proxy disconnected and
// IstioProxiesStale would page for every remote all the time. There the
// mesh is counted as one: every cluster's running proxies against every
// primary's streams, recorded under the first primary's cluster label
// (the remotes are left to their agents' own signal, which is per
// cluster). Where the label is external each cluster's Prometheus sees
// only its own series: a remote's has no pilot_xds at all, so the count
// is recorded only where an istiod reports one (no vector(0) fallback:
// IstiodDown and the agents' signal cover an istiod that is down).
func (b *builder) disconnected() Rule {
	c := b.c
	m := c.Profile.Spec.Mesh
	xds := c.Selectors.Istiod.Metric("pilot_xds")
	comment := "Proxies that run but hold no xDS stream to any istiod (istioctl proxy-status does not list them): " +
		"running istio-proxy containers minus the streams every istiod counts."
	if m.Clusters.Topology != profile.TopologyPrimaryRemote {
		return record(ProxiesDisconnectedCount, lines(
			"clamp_min(",
			"  "+ProxiesExpectedCount+" - (sum("+xds+") or vector(0)),",
			"  0",
			")",
		), comment)
	}
	if !m.ClusterInSeries() {
		return record(ProxiesDisconnectedCount, "clamp_min("+ProxiesExpectedCount+" - sum("+xds+"), 0)",
			comment+" Primary-remote with an external cluster label: only where an istiod reports its streams (a remote's "+
				"Prometheus has none; its proxies are left to their agents' signal).")
	}
	primaries := m.ControlPlaneClusters()
	if len(primaries) == 0 {
		// No cluster named: nothing to file the mesh's count under.
		return record(ProxiesDisconnectedCount, "clamp_min("+ProxiesExpectedCount+" - sum("+xds+"), 0)",
			comment+" Primary-remote without spec.mesh.clusters.names: only in clusters whose istiod reports streams.")
	}
	// Every series filed under the first primary, its own cluster kept
	// in origin_cluster so the series of two clusters stay distinct.
	onPrimary := func(expr string) string {
		kept := `label_replace(` + expr + `, "origin_cluster", "$1", "` + m.ClusterLabel + `", "(.*)")`
		return `label_replace(` + kept + `, "` + m.ClusterLabel + `", ` + strconv.Quote(primaries[0]) + `, "", "")`
	}
	return record(ProxiesDisconnectedCount, lines(
		"clamp_min(",
		"    sum("+onPrimary(ProxiesExpectedCount)+")",
		"  - (sum("+onPrimary(xds)+") or vector(0)),",
		"  0",
		")",
	), comment+" Primary-remote: the mesh counted as one (remote proxies stream to a primary's istiod), under the first primary, "+primaries[0]+".")
}

// Alert names of this concern.
const (
	AlertIstioProxiesStale      = "IstioProxiesStale"
	AlertIstioSidecarMemoryHigh = "IstioSidecarMemoryHigh"
	AlertIstioSidecarOOMKilled  = "IstioSidecarOOMKilled"
)

// proxyAlerts describe the alerts of the sidecars.
var proxyAlerts = []*Descriptor{
	{
		Name:    AlertIstioProxiesStale,
		Meaning: "many proxies without a stream to istiod, rejecting or not ACKing its config (what metrics see of STALE)",
		Thresholds: func(c *config.Config) []Threshold {
			px := c.Profile.Spec.Proxies
			return []Threshold{
				{Alert: AlertIstioProxiesStale, Severity: profile.SeverityCritical,
					Condition: fmt.Sprintf("more than %s of proxies out of sync for %s", percent(px.StaleRatio), px.StaleFor),
					Fields:    []string{"spec.proxies.staleRatio", "spec.proxies.staleFor"},
					Value:     px.StaleRatio, Shown: percent(px.StaleRatio), For: px.StaleFor, Draw: "proxies.staleRatio",
					Panels: []string{"oncall/Proxies out of sync"}},
				{Alert: AlertIstioProxiesStale, Severity: profile.SeverityWarning,
					Condition: fmt.Sprintf("more than %d proxies out of sync for %s", px.StaleCount, px.StaleCountFor),
					Fields:    []string{"spec.proxies.staleCount", "spec.proxies.staleCountFor"},
					Value:     float64(px.StaleCount), Shown: num(float64(px.StaleCount)), For: px.StaleCountFor, Draw: "proxies.staleCount",
					Panels: []string{"oncall/Proxies out of sync (count)"}},
			}
		},
	},
	{
		Name:           AlertIstioSidecarMemoryHigh,
		InstanceLabels: []string{"namespace", "pod"},
		Meaning:        "an istio-proxy sidecar uses {warning} / {critical} of its memory limit (or more than spec.proxies.memoryWarning where no limit is known)",
		Thresholds: func(c *config.Config) []Threshold {
			px := c.Profile.Spec.Proxies
			ratio := func(sev, field string, r float64, draw string) Threshold {
				return Threshold{Alert: AlertIstioSidecarMemoryHigh, Severity: sev,
					Condition: fmt.Sprintf("sidecar working set at %s of its memory limit for %s", percent(r), px.MemoryFor),
					Fields:    []string{"spec.proxies." + field, "spec.proxies.memoryFor"},
					Value:     r, Shown: percent(r), For: px.MemoryFor, Draw: "proxies." + draw,
					Panels: sidecarPanels(c, "oncall/Sidecar memory / limit (top 10)")}
			}
			return []Threshold{
				ratio(profile.SeverityWarning, "memoryWarningRatio", px.MemoryWarningRatio, "memoryWarningRatio"),
				ratio(profile.SeverityCritical, "memoryCriticalRatio", px.MemoryCriticalRatio, "memoryCriticalRatio"),
				{Alert: AlertIstioSidecarMemoryHigh, Severity: profile.SeverityWarning,
					Condition: fmt.Sprintf("sidecar working set above %s for %s where no memory limit is known", px.MemoryWarning, px.MemoryFor),
					Fields:    []string{"spec.proxies.memoryWarning", "spec.proxies.memoryFor"},
					Value:     float64(px.MemoryWarning.Bytes()), Shown: px.MemoryWarning.String(), For: px.MemoryFor,
					Draw: "proxies.memoryWarningBytes", Panels: sidecarPanels(c, "oncall/Sidecar memory (top 10)"),
					Labels: map[string]string{"limit_source": "none"}},
			}
		},
	},
	{
		Name:           AlertIstioSidecarOOMKilled,
		InstanceLabels: []string{"namespace", "pod"},
		Meaning:        "an istio-proxy container (native sidecars included) restarted after an OOM kill",
		Thresholds: func(c *config.Config) []Threshold {
			px := c.Profile.Spec.Proxies
			return []Threshold{{Alert: AlertIstioSidecarOOMKilled, Severity: profile.SeverityCritical,
				Condition: fmt.Sprintf("a sidecar restarted with last reason OOMKilled in the last %s", px.OOMKilledWindow),
				Fields:    []string{"spec.proxies.oomKilledWindow"},
				Value:     0, Shown: "0", For: 0}}
		},
	},
}
