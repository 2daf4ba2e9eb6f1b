package dashboards

import (
	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/generator/selector"
)

// Waypoint is one spec.waypoints entry as the waypoints row draws it, with
// the selectors its rules use.
type Waypoint struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	Workload  string `json:"workload"`
	// Requests selects the requests the waypoint's own pods report
	// (reporter="waypoint", its namespace and pods by name, as the health
	// rules select them).
	Requests string `json:"requests"`
	// Deployment selects its kube-state-metrics Deployment series.
	Deployment          string  `json:"deployment"`
	MinReplicas         int     `json:"minReplicas"`
	MemoryWarningRatio  float64 `json:"memoryWarningRatio"`
	MemoryCriticalRatio float64 `json:"memoryCriticalRatio"`
	// MemoryRatio selects the recorded memory-to-limit series of its pods.
	MemoryRatio string `json:"memoryRatio"`
	// Health says whether the health rules (replicas, memory) exist.
	Health bool `json:"health"`
}

func waypoints(c *config.Config) []Waypoint {
	out := []Waypoint{}
	health := rules.DescriptorOf(rules.AlertIstioWaypointMemoryHigh).SkippedFor(c) == ""
	for _, d := range rules.Waypoints(c) {
		req := selector.Matchers{selector.Equal("reporter", config.SourceWaypoint)}.With(c.Selectors.Requests...).
			With(selector.Equal("namespace", d.Namespace), selector.Regex("pod", rules.ProxyPods(d)))
		dep := c.Selectors.KubeStateMetrics.With(selector.Equal("namespace", d.Namespace), selector.Equal("deployment", d.Workload))
		h := d.Health
		out = append(out, Waypoint{Name: d.Name, Namespace: d.Namespace, Workload: d.Workload,
			Requests: req.Grafana(), Deployment: dep.Grafana(), MinReplicas: h.MinReplicas,
			MemoryWarningRatio: h.MemoryWarningRatio, MemoryCriticalRatio: h.MemoryCriticalRatio,
			MemoryRatio: selector.GrafanaQuoted(selector.FromMap(d.Labels).Metric(rules.WaypointMemoryRatio)), Health: health})
	}
	return out
}
