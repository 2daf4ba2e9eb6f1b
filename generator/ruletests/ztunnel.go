package ruletests

import (
	"fmt"
	"math"

	"github.com/meshslo/meshslo/generator/catalogue"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
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
	s.alerts = []string{"IstioZtunnelUnavailable", rules.AlertIstioZtunnelMemoryHigh, rules.AlertIstioZtunnelXDSErrors, rules.AlertIstioZtunnelDNSFailures}
	s.records = []string{rules.ZtunnelMemoryRatio}
	ws := []*watch{b.ztunnelWatch(), b.ztunnelMemoryWatch(false)}
	if b.c.Profile.Spec.Prometheus.Scrape != profile.ScrapeIstioSample {
		ws = append(ws, b.ztunnelMemoryWatch(true))
	}
	ws = append(ws, b.ztunnelXDSWatch(), b.ztunnelDNSWatch())
	for _, w := range ws {
		s.Tests = append(s.Tests, b.edgeCases(w)...)
	}
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

// ztunnelImage is the ztunnel image of the test mesh.
const ztunnelImage = "docker.io/istio/ztunnel:1.28.1"

// ztunnelLiveLimitBytes is the live memory limit of the ztunnel the memory
// case with kube-state-metrics reads (a limit someone set: the chart sets none).
const ztunnelLiveLimitBytes = 2 << 30

// ztunnelScraped is a series of one ztunnel pod's own :15020/metrics: under
// kube-prometheus-stack as the generated ztunnel PodMonitor stores it
// (job ztunnel, endpoint ztunnel-stats, node), else as the kubernetes-pods
// job of Istio's sample Prometheus stores it (the chart annotates the pod
// prometheus.io/scrape), with no node.
func (b *builder) ztunnelScraped(k int) lbls {
	z := b.c.Profile.Spec.Ztunnel
	pod := z.DaemonSet + "-" + podSuffix(k)
	instance := fmt.Sprintf("10.244.%d.2:15020", k+1)
	l := lbls{"job": "kubernetes-pods", "namespace": z.Namespace, "pod": pod, "app": "ztunnel", "instance": instance}
	if b.kps() {
		l = storedOn(catalogue.SourceZtunnel, lbls{"namespace": z.Namespace, "pod": pod, "instance": instance, "node": ztunnelNodes[k]})
	}
	return b.fitted(l, b.c.Selectors.Proxies, "proxies")
}

// ztunnelAlertLabels are the labels an alert on one ztunnel carries.
func (b *builder) ztunnelAlertLabels(l lbls) lbls {
	keys := []string{"namespace", "pod", "node"}
	if m := b.c.Profile.Spec.Mesh; m.Cluster != "" {
		keys = append(keys, m.ClusterLabel)
	}
	return l.only(keys...)
}

// ztunnelMemoryWatch: the first ztunnel's istio-proxy working set against
// its live kube-state-metrics limit (live) or, without one, against
// spec.ztunnel.memoryLimit. The pod total (container="") and an east-west
// gateway's istio-proxy in the same namespace far past the limit must not
// count.
func (b *builder) ztunnelMemoryWatch(live bool) *watch {
	z := b.c.Profile.Spec.Ztunnel
	pod := z.DaemonSet + "-" + podSuffix(0)
	gw := "istio-eastwestgateway-7d9c8b6f5-" + podSuffix(12)
	limit, source := float64(z.MemoryLimit.Bytes()), "profile"
	if live {
		limit, source = ztunnelLiveLimitBytes, "kube-state-metrics"
	}
	bytes := func(r float64) float64 { return math.Round(r * limit) }
	side := b.cadvisor(z.Namespace, pod, catalogue.SidecarContainer, ztunnelImage)
	w := &watch{
		alert: rules.AlertIstioZtunnelMemoryHigh, baseline: z.MemoryHighRatio / 2,
		labels: b.ztunnelAlertLabels(side).with("limit_source", source), show: percent,
		inputs: func(level func(profile.Duration) float64, n int) []series {
			ws := mapf(b.levels(level, n), bytes)
			total := mapf(ws, func(v float64) float64 { return v + 1<<20 })
			out := b.keep(
				series{side.of("container_memory_working_set_bytes"), gauge(ws)},
				series{b.cadvisor(z.Namespace, pod, "", "").of("container_memory_working_set_bytes"), gauge(total)},
				series{b.cadvisor(z.Namespace, gw, catalogue.SidecarContainer, proxyImage).of("container_memory_working_set_bytes"), gauge(constant(4*limit, n))},
			)
			if live {
				out = append(out, series{b.resource(z.Namespace, pod, catalogue.SidecarContainer, "limits", "memory", false), gauge(constant(limit, n))})
			}
			return out
		},
	}
	value := func(q float64) float64 { return bytes(q) / limit }
	w.sevs = []sev{{rule: b.rule(w.alert, nil), holds: func(q float64) bool { return value(q) >= z.MemoryHighRatio }, value: value,
		above: above(z.MemoryHighRatio), below: below(z.MemoryHighRatio)}}
	return w
}

// ztunnelXDSWatch: the first ztunnel's xDS terminations with reason
// ConnectionError at the watched rate; its Reconnect terminations (istiod
// closing streams) far above the threshold, and another node's Complete
// ones, must not count.
func (b *builder) ztunnelXDSWatch() *watch {
	z := b.c.Profile.Spec.Ztunnel
	first, second := b.ztunnelScraped(0), b.ztunnelScraped(1)
	t := z.XDSErrorRate
	w := &watch{
		alert: rules.AlertIstioZtunnelXDSErrors, window: b.window(rules.AlertIstioZtunnelXDSErrors), baseline: 0,
		labels: b.ztunnelAlertLabels(first), show: func(f float64) string { return num(f) + "/s" },
		inputs: func(level func(profile.Duration) float64, n int) []series {
			errs := b.slopes(level, n, func(r float64) float64 { return r })
			noisy := b.slopes(level, n, func(float64) float64 { return 10 * math.Max(t, 0.01) })
			return []series{
				{first.with("reason", "ConnectionError").of("istio_xds_connection_terminations_total"), counter(2, errs)},
				{first.with("reason", "Reconnect").of("istio_xds_connection_terminations_total"), counter(40, noisy)},
				{second.with("reason", "Complete").of("istio_xds_connection_terminations_total"), counter(7, noisy)},
			}
		},
	}
	hi, lo := above(t), below(t)
	if t == 0 {
		// Any error terminations alert: one every 1000s is past, none short.
		hi, lo = 0.001, 0
	}
	w.sevs = []sev{{rule: b.rule(w.alert, nil), holds: gt(t), above: hi, below: lo}}
	return w
}

// ztunnelDNSWatch: the first ztunnel forwards DNS queries upstream at a
// steady rate, twice spec.ztunnel.dnsMinRequests per 5m, and fails the
// watched share of them; another node's ztunnel fails every query it
// forwards but forwards fewer than the minimum, so it must never alert.
func (b *builder) ztunnelDNSWatch() *watch {
	z := b.c.Profile.Spec.Ztunnel
	first, idle := b.ztunnelScraped(0), b.ztunnelScraped(2)
	dns := lbls{"request_query_type": "a", "request_protocol": "udp", "source_canonical_service": "checkout", "source_canonical_revision": "v1"}
	on := func(l lbls) lbls {
		for k, v := range dns {
			l = l.with(k, v)
		}
		return l
	}
	window := b.window(rules.AlertIstioZtunnelDNSFailures)
	perSecond := math.Max(2*z.DNSMinRequests/window.Seconds(), 1)
	t := z.DNSFailureRatio
	w := &watch{
		alert: rules.AlertIstioZtunnelDNSFailures, window: window, baseline: 0,
		labels: b.ztunnelAlertLabels(first), show: percent,
		inputs: func(level func(profile.Duration) float64, n int) []series {
			reqs := b.slopes(level, n, func(float64) float64 { return perSecond })
			fails := b.slopes(level, n, func(q float64) float64 { return q * perSecond })
			out := []series{
				{on(first).of("istio_dns_upstream_requests_total"), counter(500, reqs)},
				{on(first).of("istio_dns_upstream_failures_total"), counter(3, fails)},
			}
			if z.DNSMinRequests > 0 {
				few := b.slopes(level, n, func(float64) float64 { return z.DNSMinRequests / window.Seconds() / 4 })
				out = append(out,
					series{on(idle).of("istio_dns_upstream_requests_total"), counter(12, few)},
					series{on(idle).of("istio_dns_upstream_failures_total"), counter(12, few)})
			}
			return out
		},
	}
	w.sevs = []sev{{rule: b.rule(w.alert, nil), holds: gt(t), above: above(t), below: below(t)}}
	return w
}
