package rules

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/meshslo/meshslo/generator/catalogue"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/selector"
)

// Alert names of ztunnel, the node proxy of ambient meshes.
const (
	AlertIstioZtunnelUnavailable = "IstioZtunnelUnavailable"
	AlertIstioZtunnelMemoryHigh  = "IstioZtunnelMemoryHigh"
	AlertIstioZtunnelXDSErrors   = "IstioZtunnelXDSErrors"
	AlertIstioZtunnelDNSFailures = "IstioZtunnelDNSFailures"
)

// ZtunnelMemoryRatio is each ztunnel pod's working set over its memory
// limit, labelled limit_source.
const ZtunnelMemoryRatio = "namespace_pod:istio_ztunnel_memory_to_limit:ratio"

// ZtunnelXDSErrorReasons are the reason values of ztunnel's
// istio_xds_connection_terminations_total that are errors (istio/ztunnel
// src/xds/client.rs run_loop: ConnectionError when it cannot reach istiod,
// Error on another gRPC status); Reconnect (istiod closing the stream, as
// at its max connection age) and Complete are not.
var ZtunnelXDSErrorReasons = []string{"ConnectionError", "Error"}

// ZtunnelPods is the pod name regular expression of the ztunnel
// DaemonSet's pods: the DaemonSet controller names them <name>-<5
// characters>. cAdvisor series carry only the pod name, so it is how
// ztunnel's istio-proxy container is told from gateways' (also istio-proxy)
// in the same namespace.
func ZtunnelPods(z profile.Ztunnel) string {
	return regexp.QuoteMeta(z.DaemonSet) + "-[a-z0-9]{5}"
}

// sidecarPanels are panels, nil in a pure ambient mesh, whose on-call
// dashboard draws no sidecar-only panel (its pods run no sidecar).
func sidecarPanels(c *config.Config, panels ...string) []string {
	if c.Profile.Spec.EffectiveDataPlane() == profile.DataPlaneAmbient {
		return nil
	}
	return panels
}

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
	{
		Name:           AlertIstioZtunnelMemoryHigh,
		Meaning:        "a ztunnel uses {warning} of its memory limit (the live one from kube-state-metrics, else spec.ztunnel.memoryLimit): at the limit it is OOM-killed and its node drops out of the mesh",
		InstanceLabels: []string{"namespace", "pod", "node"},
		Skip:           notAmbient,
		SkipFields:     []string{"spec.dataPlane"},
		Thresholds: func(c *config.Config) []Threshold {
			z := c.Profile.Spec.Ztunnel
			return []Threshold{{Alert: AlertIstioZtunnelMemoryHigh, Severity: profile.SeverityWarning,
				Condition: fmt.Sprintf("a ztunnel's working set at %s of its memory limit (live, else %s) for %s", percent(z.MemoryHighRatio), z.MemoryLimit, z.MemoryFor),
				Fields:    []string{"spec.ztunnel.memoryHighRatio", "spec.ztunnel.memoryLimit", "spec.ztunnel.memoryFor"},
				Value:     z.MemoryHighRatio, Shown: percent(z.MemoryHighRatio), For: z.MemoryFor, Panels: []string{"oncall/ztunnel memory / limit"}}}
		},
	},
	{
		Name:           AlertIstioZtunnelXDSErrors,
		Meaning:        "a node's ztunnel keeps losing its xDS stream to istiod with an error: its workload and policy view goes stale",
		InstanceLabels: []string{"namespace", "pod", "node"},
		Skip:           notAmbient,
		SkipFields:     []string{"spec.dataPlane"},
		Thresholds: func(c *config.Config) []Threshold {
			z := c.Profile.Spec.Ztunnel
			return []Threshold{{Alert: AlertIstioZtunnelXDSErrors, Severity: profile.SeverityWarning,
				Condition: fmt.Sprintf("a ztunnel's xDS terminations with reason %s above %s/s over 5m for %s", strings.Join(ZtunnelXDSErrorReasons, " or "), num(z.XDSErrorRate), z.XDSErrorsFor),
				Fields:    []string{"spec.ztunnel.xdsErrorRate", "spec.ztunnel.xdsErrorsFor"},
				Value:     z.XDSErrorRate, Shown: num(z.XDSErrorRate) + "/s", For: z.XDSErrorsFor, Panels: []string{"oncall/ztunnel xDS errors"}}}
		},
	},
	{
		Name:           AlertIstioZtunnelDNSFailures,
		Meaning:        "a node's ztunnel DNS proxy fails more than {warning} of the queries it forwards upstream",
		InstanceLabels: []string{"namespace", "pod", "node"},
		Skip:           notAmbient,
		SkipFields:     []string{"spec.dataPlane"},
		Thresholds: func(c *config.Config) []Threshold {
			z := c.Profile.Spec.Ztunnel
			return []Threshold{{Alert: AlertIstioZtunnelDNSFailures, Severity: profile.SeverityWarning,
				Condition: fmt.Sprintf("a ztunnel's upstream DNS failures above %s of its upstream requests over 5m (at least %s requests) for %s", percent(z.DNSFailureRatio), num(z.DNSMinRequests), z.DNSFailuresFor),
				Fields:    []string{"spec.ztunnel.dnsFailureRatio", "spec.ztunnel.dnsMinRequests", "spec.ztunnel.dnsFailuresFor"},
				Value:     z.DNSFailureRatio, Shown: percent(z.DNSFailureRatio), For: z.DNSFailuresFor, Panels: []string{"oncall/ztunnel DNS failure ratio"}}}
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
	rs := append([]Rule{r}, b.ztunnelHealth()...)
	return File{Name: "ztunnel", Comment: "ztunnel, the node proxy of ambient meshes.", Groups: []Group{b.group("ztunnel", rs...)}}
}

// ztunnelHealth are the rules on ztunnel's own series: its memory
// (cAdvisor and kube-state-metrics), its xDS stream and its DNS proxy
// (ztunnel's :15020/metrics, which the generated ztunnel PodMonitor
// scrapes with the node kept). Each ztunnel pod is one node's.
func (b *builder) ztunnelHealth() []Rule {
	c := b.c
	z := c.Profile.Spec.Ztunnel
	perZtunnel := []string{"namespace", "pod", "node"}
	if m := c.Profile.Spec.Mesh; m.Cluster != "" {
		perZtunnel = append([]string{m.ClusterLabel}, perZtunnel...)
	}
	pods := selector.Matchers{selector.Equal("namespace", z.Namespace), selector.Equal("container", catalogue.SidecarContainer),
		selector.Regex("pod", ZtunnelPods(z))}
	cadv, ksm := c.Selectors.Cadvisor.With(pods...), c.Selectors.KubeStateMetrics.With(pods...)
	// istio_xds_connection_terminations_total and istio_dns_upstream_*
	// are ztunnel's only (the sidecar agent's carry istio_agent_*).
	own := ZtunnelOwn(c)
	sum := func(expr string) string { return "sum by (" + joinComma(perZtunnel) + ") (" + expr + ")" }

	mem := b.thresholds(AlertIstioZtunnelMemoryHigh)[0]
	xds := b.thresholds(AlertIstioZtunnelXDSErrors)[0]
	dns := b.thresholds(AlertIstioZtunnelDNSFailures)[0]
	who := "ztunnel {{ $labels.namespace }}/{{ $labels.pod }} on node {{ $labels.node }}"

	memRatio := Rule{Record: ZtunnelMemoryRatio, Expr: memoryToLimit(cadv, ksm, perZtunnel[len(perZtunnel)-1:], z.MemoryLimit),
		Comment: "Each ztunnel pod's istio-proxy working set over its live memory limit (kube-state-metrics), else spec.ztunnel.memoryLimit " +
			"(" + z.MemoryLimit.String() + "; ztunnel's chart sets no limit); limit_source says which.\n" + gatewayPodsLint}
	memAlert := b.alert(mem, ZtunnelMemoryRatio+" >= "+num(mem.Value),
		"A ztunnel is close to its memory limit.",
		"The "+who+" uses {{ $value | humanizePercentage }} of its memory limit (from {{ $labels.limit_source }}; warning at "+mem.Shown+
			"). At the limit it is OOM-killed and every ambient pod on the node loses the mesh until it restarts.")

	terminations := own.With(selector.Regex("reason", strings.Join(ZtunnelXDSErrorReasons, "|"))).Metric("istio_xds_connection_terminations_total")
	xdsAlert := b.alert(xds, sum("rate("+terminations+"[5m])")+" > "+num(xds.Value),
		"A ztunnel keeps losing its xDS stream to istiod.",
		"The "+who+" ends its xDS stream to istiod with an error {{ printf \"%.3g\" $value }} times a second over 5m (warning above "+xds.Shown+
			"). Between streams it serves the workloads and policies it last received: new pods on the node, and policy changes, do not reach it.")
	xdsAlert.Comment = "ztunnel 1.22+ (istio_xds_connection_terminations_total; before 1.22 istio_connection_terminations_total, not read). " +
		"Reasons ConnectionError and Error only: Reconnect is istiod closing the stream, as at its max connection age."

	failures := sum("increase(" + own.Metric("istio_dns_upstream_failures_total") + "[5m])")
	requests := sum("increase(" + own.Metric("istio_dns_upstream_requests_total") + "[5m])")
	dnsAlert := b.alert(dns, lines(
		"(",
		"  "+failures,
		"  /",
		"  "+requests,
		") > "+num(dns.Value),
		"and on ("+joinComma(perZtunnel)+")",
		requests+" >= "+num(z.DNSMinRequests),
	), "A ztunnel's DNS proxy fails upstream lookups.",
		"The "+who+" failed {{ $value | humanizePercentage }} of the DNS queries it forwarded upstream over 5m (warning above "+dns.Shown+
			", with at least "+num(z.DNSMinRequests)+" queries). Ambient pods on the node fail to resolve names ztunnel does not answer itself.")
	dnsAlert.Comment = "Only queries ztunnel forwards (names it cannot answer from its own registry); a node with fewer than spec.ztunnel.dnsMinRequests in 5m is not judged."
	return []Rule{memRatio, memAlert, xdsAlert, dnsAlert}
}

// ZtunnelOwn selects ztunnel's own series (its :15020/metrics): the
// proxies selector, ztunnel's namespace and Selectors.Ztunnel.
func ZtunnelOwn(c *config.Config) selector.Matchers {
	return c.Selectors.Proxies.With(selector.Equal("namespace", c.Profile.Spec.Ztunnel.Namespace)).With(c.Selectors.Ztunnel...)
}

func joinComma(ss []string) string { return strings.Join(ss, ", ") }
