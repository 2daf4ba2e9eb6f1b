package rules

import (
	"strings"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/selector"
)

// Alert names of ztunnel, the node proxy of ambient meshes.
const AlertIstioZtunnelUnavailable = "IstioZtunnelUnavailable"

// notAmbient skips the ztunnel alerts in a sidecar mesh: it runs no ztunnel.
func notAmbient(c *config.Config) string {
	if c.Profile.Spec.Ambient() {
		return ""
	}
	return "spec.dataPlane is sidecar: the mesh runs no ztunnel"
}

var ztunnelAlerts = []*Descriptor{
	{
		Name:           AlertIstioZtunnelUnavailable,
		Meaning:        "a node has had no ready ztunnel for {for} while its DaemonSet wants one: every ambient pod on it is cut off the mesh",
		InstanceLabels: []string{"node"},
		Skip:           notAmbient,
		SkipFields:     []string{"spec.dataPlane"},
		Thresholds: func(c *config.Config) []Threshold {
			z := c.Profile.Spec.Ztunnel
			return []Threshold{{Alert: AlertIstioZtunnelUnavailable, Severity: profile.SeverityCritical,
				Condition: "a node has no ready pod of DaemonSet " + z.Namespace + "/" + z.DaemonSet + " while the DaemonSet has fewer ready pods than desired, for " + z.UnavailableFor.String(),
				Fields:    []string{"spec.ztunnel.unavailableFor", "spec.ztunnel.namespace", "spec.ztunnel.daemonSet"},
				Value:     0, Shown: "0 ready", For: z.UnavailableFor}}
		},
	},
}

// ztunnel is the rule file of ztunnel's health. kube-state-metrics says
// which nodes have a ready ztunnel (kube_pod_info{node, created_by_kind,
// created_by_name} and kube_pod_status_ready{condition}: kube-state-metrics
// internal/store/pod.go) and whether the DaemonSet misses any
// (kube_daemonset_status_desired_number_scheduled and _number_ready,
// internal/store/daemonset.go); kube_node_info lists the nodes
// (internal/store/node.go). ztunnel's chart tolerates every NoSchedule and
// NoExecute taint (istio/istio manifests/charts/ztunnel/values.yaml
// tolerations), so the DaemonSet wants a pod on every node.
func (b *builder) ztunnel() File {
	c := b.c
	z := c.Profile.Spec.Ztunnel
	ksm := c.Selectors.KubeStateMetrics
	nodeBy := []string{"node"}
	if m := c.Profile.Spec.Mesh; m.Cluster != "" {
		nodeBy = append([]string{m.ClusterLabel}, nodeBy...)
	}
	on := "on (" + joinComma(nodeBy) + ")"
	ds := ksm.With(selector.Equal("namespace", z.Namespace), selector.Equal("daemonset", z.DaemonSet))
	pods := ksm.With(selector.Equal("namespace", z.Namespace), selector.Equal("created_by_kind", "DaemonSet"), selector.Equal("created_by_name", z.DaemonSet))
	ready := ksm.With(selector.Equal("namespace", z.Namespace), selector.Equal("condition", "true"))
	expr := lines(
		"(",
		"  max by ("+joinComma(nodeBy)+") ("+ksm.Metric("kube_node_info")+")",
		"  unless "+on,
		"  max by ("+joinComma(nodeBy)+") ("+pods.Metric("kube_pod_info")+" * on (namespace, pod) group_left () ("+ready.Metric("kube_pod_status_ready")+" == 1))",
		")",
		"and on ()",
		"(",
		"  "+ds.Metric("kube_daemonset_status_desired_number_scheduled"),
		"  - "+ds.Metric("kube_daemonset_status_number_ready"),
		"  > 0",
		")",
	)
	t := b.thresholds(AlertIstioZtunnelUnavailable)[0]
	r := b.alert(t, expr, "A node has no ready ztunnel.",
		"Node {{ $labels.node }} has had no ready "+z.Namespace+"/"+z.DaemonSet+" pod for "+z.UnavailableFor.String()+
			": ambient pods on it can neither send nor receive mesh traffic.")
	r.Comment = "Nodes without a ready ztunnel pod, while the DaemonSet is short of ready pods (so a node it does not target, such as a Windows node, stays quiet while the rest are ready)."
	return File{Name: "ztunnel", Comment: "ztunnel, the node proxy of ambient meshes.", Groups: []Group{b.group("ztunnel", r)}}
}

func joinComma(ss []string) string { return strings.Join(ss, ", ") }
