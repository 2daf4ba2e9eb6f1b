package dashboards

import (
	"strings"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/generator/selector"
)

// Gateway is one spec.gateways entry as the gateways row draws it, with
// the selectors its rules use.
type Gateway struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Workload  string `json:"workload"`
	// Requests selects the gateway's own istio_requests_total and
	// duration series (reporter="source", its workload), as its SLOs do.
	Requests string `json:"requests"`
	// Deployment selects its kube-state-metrics Deployment series.
	Deployment          string  `json:"deployment"`
	MinReplicas         int     `json:"minReplicas"`
	MemoryWarningRatio  float64 `json:"memoryWarningRatio"`
	MemoryCriticalRatio float64 `json:"memoryCriticalRatio"`
	// SLOs are the names of its SLOs ("" matches none), as a regex alternation.
	SLOs string `json:"slos"`
	// MemoryRatio is the recorded memory-to-limit series of its pods.
	MemoryRatio string `json:"memoryRatio"`
	// Health says whether the health rules (replicas, memory) exist.
	Health bool `json:"health"`
}

func gateways(c *config.Config) []Gateway {
	out := []Gateway{}
	health := rules.DescriptorOf(rules.AlertIstioGatewayMemoryHigh).SkippedFor(c) == ""
	for _, g := range c.Profile.Spec.Gateways {
		req := selector.Matchers{selector.Equal("reporter", config.GatewayReporter)}.With(c.Selectors.Requests...).
			With(selector.Equal("source_workload", g.WorkloadName()), selector.Equal("source_workload_namespace", g.Namespace))
		dep := c.Selectors.KubeStateMetrics.With(selector.Equal("namespace", g.Namespace), selector.Equal("deployment", g.WorkloadName()))
		var slos []string
		for _, s := range c.GatewaySLOs(g.Name) {
			slos = append(slos, s.Name)
		}
		out = append(out, Gateway{Name: g.Name, Kind: g.Kind, Namespace: g.Namespace, Workload: g.WorkloadName(),
			Requests: req.Grafana(), Deployment: dep.Grafana(), MinReplicas: g.MinReplicas,
			MemoryWarningRatio: g.MemoryWarningRatio, MemoryCriticalRatio: g.MemoryCriticalRatio,
			SLOs: strings.Join(slos, "|"), MemoryRatio: rules.GatewayMemoryRatio, Health: health})
	}
	return out
}
