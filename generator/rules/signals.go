package rules

import (
	"github.com/meshslo/meshslo/generator/catalogue"
	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/selector"
)

// Signals are the selectors the rules build on top of the profile's own
// (config.Selectors) for each signal source. Dashboards select with the
// same values, so a panel reads exactly what the alert beside it evaluates.
type Signals struct {
	// IstiodContainer and IstiodKSM select istiod's container in cAdvisor
	// and kube-state-metrics series.
	IstiodContainer selector.Matchers
	IstiodKSM       selector.Matchers
	// SidecarContainer selects the sidecars' container in cAdvisor
	// series, without ztunnel's container of the same name.
	SidecarContainer selector.Matchers
	// SidecarKSM selects the sidecars' container in kube-state-metrics
	// series (kube_pod_container_* and, for native sidecars,
	// kube_pod_init_container_*), without ztunnel.
	SidecarKSM selector.Matchers
	// ProxyKSM selects every container that holds an xDS client of istiod
	// in kube-state-metrics series: sidecars, gateways, waypoints and
	// ztunnels all name it istio-proxy, and all count in pilot_xds.
	ProxyKSM selector.Matchers
	// WorkloadCert selects the sidecars' workload certificate gauge.
	WorkloadCert selector.Matchers
}

// SignalsOf returns the signal selectors for the config.
func SignalsOf(c *config.Config) Signals {
	return Signals{
		IstiodContainer: c.Selectors.Cadvisor.With(selector.Equal("container", catalogue.IstiodContainer)),
		IstiodKSM:       c.Selectors.KubeStateMetrics.With(selector.Equal("container", catalogue.IstiodContainer)),
		SidecarContainer: c.Selectors.Cadvisor.With(
			selector.Equal("container", catalogue.SidecarContainer), selector.NotRegex("pod", ZtunnelPods(c.Profile.Spec.Ztunnel))),
		SidecarKSM: c.Selectors.KubeStateMetrics.With(
			selector.Equal("container", catalogue.SidecarContainer), selector.NotRegex("pod", ZtunnelPods(c.Profile.Spec.Ztunnel))),
		ProxyKSM:     c.Selectors.KubeStateMetrics.With(selector.Equal("container", catalogue.SidecarContainer)),
		WorkloadCert: c.Selectors.Proxies.With(selector.Equal("resource_name", "default")),
	}
}
