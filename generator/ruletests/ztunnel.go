package ruletests

import (
	"fmt"

	"github.com/meshslo/meshslo/generator/profile"
)

// ztunnelNodes are the nodes of the ztunnel cases; the second loses its
// ztunnel.
var ztunnelNodes = []string{"node-pool-a-1", "node-pool-a-2", "node-pool-a-3"}

// ztunnel tests ztunnel's alerts; nil in a sidecar mesh, which has none.
func (b *builder) ztunnel() *suite {
	if !b.c.Profile.Spec.Ambient() {
		return nil
	}
	s := b.newSuite("ztunnel.test.yaml", "ztunnel (ambient) alerts at the edges of their thresholds.")
	s.alerts = []string{"IstioZtunnelUnavailable"}
	s.Tests = append(s.Tests, b.edgeCases(b.ztunnelWatch())...)
	return s
}

// ztunnelInputs are kube-state-metrics' series of a three-node cluster
// whose ztunnel DaemonSet runs one pod per node, level of them not ready
// (the second node's first), as kube-state-metrics exports them
// (internal/store/pod.go, daemonset.go, node.go): kube_pod_info and
// kube_pod_status_ready per pod, kube_daemonset_status_* per DaemonSet,
// kube_node_info per node (no namespace of its own: the scrape target's).
// A ready kube-proxy pod on every node must not stand in for ztunnel.
func (b *builder) ztunnelInputs(level func(profile.Duration) float64, n int) []series {
	z := b.c.Profile.Spec.Ztunnel
	levels := b.levels(level, n)
	var out []series
	ready := mapf(levels, func(l float64) float64 { return float64(len(ztunnelNodes)) - l })
	ds := b.kubeStateMetricsObject(z.Namespace).with("daemonset", z.DaemonSet)
	out = append(out,
		series{ds.of("kube_daemonset_status_desired_number_scheduled"), gauge(constant(float64(len(ztunnelNodes)), n))},
		series{ds.of("kube_daemonset_status_number_ready"), gauge(ready)})
	for k, node := range ztunnelNodes {
		nodeInfo := b.kubeStateMetricsObject("monitoring").with("node", node, "internal_ip", fmt.Sprintf("10.0.0.%d", 11+k),
			"kernel_version", "6.8.0-1015-gcp", "kubelet_version", "v1.33.2", "os_image", "Ubuntu 24.04.1 LTS",
			"container_runtime_version", "containerd://1.7.24")
		out = append(out, series{nodeInfo.of("kube_node_info"), gauge(constant(1, n))})
		for _, p := range []struct{ ns, owner, pod string }{
			{z.Namespace, z.DaemonSet, fmt.Sprintf("%s-%s", z.DaemonSet, podSuffix(k))},
			{"kube-system", "kube-proxy", fmt.Sprintf("kube-proxy-%s", podSuffix(k+3))},
		} {
			uid := fmt.Sprintf("3c9d%04x-5e1a-4b7c-8d2f-0a1b2c3d4e5f", 0x100*k+len(p.owner))
			pod := b.kubeStateMetricsObject(p.ns).with("pod", p.pod, "uid", uid)
			info := pod.with("node", node, "host_ip", fmt.Sprintf("10.0.0.%d", 11+k), "pod_ip", fmt.Sprintf("10.244.%d.%d", k+1, 5),
				"created_by_kind", "DaemonSet", "created_by_name", p.owner, "priority_class", "system-node-critical", "host_network", "false")
			out = append(out, series{info.of("kube_pod_info"), gauge(constant(1, n))})
			isReady := constant(1, n)
			if p.owner == z.DaemonSet && k == 1 {
				isReady = mapf(levels, func(l float64) float64 {
					if l >= 1 {
						return 0
					}
					return 1
				})
			}
			notReady := mapf(isReady, func(r float64) float64 { return 1 - r })
			out = append(out,
				series{pod.with("condition", "true").of("kube_pod_status_ready"), gauge(isReady)},
				series{pod.with("condition", "false").of("kube_pod_status_ready"), gauge(notReady)},
				series{pod.with("condition", "unknown").of("kube_pod_status_ready"), gauge(constant(0, n))})
		}
	}
	return out
}

func (b *builder) ztunnelWatch() *watch {
	return &watch{
		alert: "IstioZtunnelUnavailable", baseline: 0, labels: lbls{"node": ztunnelNodes[1]}, inputs: b.ztunnelInputs,
		show: func(f float64) string { return num(f) + " node(s) without a ready ztunnel" },
		sevs: []sev{{rule: b.rule("IstioZtunnelUnavailable", nil), holds: gt(0), above: 1, below: 0}},
	}
}
