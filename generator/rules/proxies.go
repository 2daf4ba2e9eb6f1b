package rules

import (
	"fmt"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/selector"
)

// Recorded series of the data plane, read by alerts and dashboards.
const (
	ProxiesCount          = "mesh:istio_proxies:count"
	ProxiesOutOfSyncCount = "mesh:istio_proxies_out_of_sync:count"
	ProxiesOutOfSyncRatio = "mesh:istio_proxies_out_of_sync:ratio"
)

func (b *builder) proxies() File {
	c := b.c
	xds := c.Selectors.Proxies.With(selector.Equal("cluster_name", "xds-grpc")).Metric("envoy_cluster_upstream_cx_active")
	perProxy := func(expr string) string { return "max by (namespace, pod) (" + expr + ")" }
	rejected := func(metric string) string {
		return perProxy("increase("+c.Selectors.Proxies.Metric(metric)+"[5m])") + " > 0"
	}
	memory := perProxy(SignalsOf(c).SidecarContainer.Metric("container_memory_working_set_bytes"))

	memoryAlert := func(t Threshold) Rule {
		return b.alert(t, memory+" > "+num(t.Value),
			"A sidecar uses a lot of memory.",
			"The istio-proxy container of {{ $labels.namespace }}/{{ $labels.pod }} uses {{ $value | humanize1024 }}B ("+
				t.Severity+" above "+t.Shown+"; the default sidecar limit is 1Gi, where it is OOM-killed).")
	}
	stale, memoryT := b.thresholds(AlertIstioProxiesStale), b.thresholds(AlertIstioSidecarMemoryHigh)

	return File{
		Name:    "proxies",
		Comment: "Sidecars: config sync with istiod and memory.",
		Groups: []Group{b.group("proxies",
			record(ProxiesCount, "count("+perProxy(xds)+")",
				"Every proxy that reports its xDS connection gauge: the denominator of the stale share."),
			record(ProxiesOutOfSyncCount, lines(
				"count(",
				"    "+perProxy(xds)+" == 0",
				"  or on (namespace, pod)",
				"    "+rejected("envoy_cluster_manager_cds_update_rejected"),
				"  or on (namespace, pod)",
				"    "+rejected("envoy_listener_manager_lds_update_rejected"),
				")",
				"or vector(0)",
			), "No metric says STALE (that is istiod's /debug/syncz). A proxy counts as out of sync when its xds-grpc "+
				"connection to istiod is down or it rejected a CDS or LDS update in the last 5m."),
			record(ProxiesOutOfSyncRatio, ProxiesOutOfSyncCount+" / "+ProxiesCount, ""),
			b.alert(stale[0], ProxiesOutOfSyncRatio+" > "+num(stale[0].Value),
				"Many proxies are out of sync with istiod.",
				"{{ $value | humanizePercentage }} of proxies are disconnected from istiod or reject its config (page above "+
					stale[0].Shown+" for "+stale[0].For.String()+"). They serve traffic with old routes, endpoints and policies."),
			b.alert(stale[1], ProxiesOutOfSyncCount+" > "+num(stale[1].Value),
				"Proxies are out of sync with istiod.",
				"{{ $value }} proxies are disconnected from istiod or reject its config (ticket above "+stale[1].Shown+
					" for "+stale[1].For.String()+"). Find them with istioctl proxy-status."),
			memoryAlert(memoryT[0]),
			memoryAlert(memoryT[1]),
		)},
	}
}

// Alert names of this concern.
const (
	AlertIstioProxiesStale      = "IstioProxiesStale"
	AlertIstioSidecarMemoryHigh = "IstioSidecarMemoryHigh"
)

// proxyAlerts describe the alerts of the sidecars.
var proxyAlerts = []*Descriptor{
	{
		Name:    AlertIstioProxiesStale,
		Meaning: "many proxies disconnected from xDS or rejecting config (approximation of STALE)",
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
		Name:    AlertIstioSidecarMemoryHigh,
		Meaning: "an istio-proxy sidecar uses over {warning} / {critical} (OOMKill at the default limit)",
		Thresholds: func(c *config.Config) []Threshold {
			px := c.Profile.Spec.Proxies
			memory := func(sev, field string, q profile.Quantity, draw string) Threshold {
				return Threshold{Alert: AlertIstioSidecarMemoryHigh, Severity: sev,
					Condition: fmt.Sprintf("sidecar working set above %s for %s", q, px.MemoryFor),
					Fields:    []string{"spec.proxies." + field, "spec.proxies.memoryFor"},
					Value:     float64(q.Bytes()), Shown: q.String(), For: px.MemoryFor, Draw: "proxies." + draw,
					Panels: []string{"oncall/Sidecar memory (top 10)"}}
			}
			return []Threshold{
				memory(profile.SeverityWarning, "memoryWarning", px.MemoryWarning, "memoryWarningBytes"),
				memory(profile.SeverityCritical, "memoryCritical", px.MemoryCritical, "memoryCriticalBytes"),
			}
		},
	},
}
