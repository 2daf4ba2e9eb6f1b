package dashboards

import (
	"strings"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/generator/selector"
)

// Ztunnel is the ztunnel row's input (ambient and mixed meshes): the
// selectors and thresholds of the ztunnel alerts, so each panel reads what
// its alert evaluates, per node.
type Ztunnel struct {
	// Enabled: the mesh runs ztunnel (spec.dataPlane ambient or mixed).
	Enabled bool `json:"enabled"`
	// SidecarPanels: the mesh runs sidecars (not pure ambient), so the
	// sidecar-only panels (injection, sidecar memory) are drawn.
	SidecarPanels bool   `json:"sidecarPanels"`
	DaemonSet     string `json:"daemonSet"`
	// Pods selects kube_pod_info of the DaemonSet's pods; Ready
	// kube_pod_status_ready{condition="true"} in its namespace.
	Pods  string `json:"pods"`
	Ready string `json:"ready"`
	// MemoryRatio is the recorded working set over limit, per pod and node.
	MemoryRatio     string  `json:"memoryRatio"`
	MemoryHighRatio float64 `json:"memoryHighRatio"`
	// XDSErrors selects the error terminations of ztunnel's xDS stream.
	XDSErrors    string  `json:"xdsErrors"`
	XDSErrorRate float64 `json:"xdsErrorRate"`
	// Own selects ztunnel's own series (DNS, L4 connections).
	Own             string  `json:"own"`
	DNSFailureRatio float64 `json:"dnsFailureRatio"`
}

func ztunnelInput(c *config.Config) Ztunnel {
	s := c.Profile.Spec
	z := s.Ztunnel
	ksm := c.Selectors.KubeStateMetrics.With(selector.Equal("namespace", z.Namespace))
	own := rules.ZtunnelOwn(c)
	return Ztunnel{
		Enabled: s.Ambient(), SidecarPanels: s.EffectiveDataPlane() != profile.DataPlaneAmbient, DaemonSet: z.Namespace + "/" + z.DaemonSet,
		Pods:            ksm.With(selector.Equal("created_by_kind", "DaemonSet"), selector.Equal("created_by_name", z.DaemonSet)).Grafana(),
		Ready:           ksm.With(selector.Equal("condition", "true")).Grafana(),
		MemoryRatio:     rules.ZtunnelMemoryRatio,
		MemoryHighRatio: z.MemoryHighRatio,
		XDSErrors:       own.With(selector.Regex("reason", strings.Join(rules.ZtunnelXDSErrorReasons, "|"))).Grafana(),
		XDSErrorRate:    z.XDSErrorRate,
		Own:             own.Grafana(),
		DNSFailureRatio: z.DNSFailureRatio,
	}
}
