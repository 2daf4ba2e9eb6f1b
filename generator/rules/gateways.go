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

// throughGateway opens the description of a gateway SLO's alerts: its
// series are per destination service, as every SLO's, but measured on the
// gateway's proxy, so the alert says which gateway.
func throughGateway(s config.SLO) string {
	if s.Gateway == nil {
		return ""
	}
	return "Through gateway " + s.Gateway.Name + " (" + s.Gateway.Kind + ", " + s.Gateway.Namespace + "/" + s.Gateway.WorkloadName() + "), "
}

// Gateway health. A gateway is a Deployment whose pods run one container,
// istio-proxy (istio/istio manifests/charts/gateway/templates/deployment.yaml:
// the container is named istio-proxy with image "auto", which injection
// fills in), scraped like every proxy by the generated PodMonitor. Its
// pods are named <deployment>-<pod-template-hash>-<suffix>, which
// GatewayPods matches without catching a longer Deployment name
// (istio-ingressgateway-internal-...). The gateway chart sets CPU and
// memory limits by default (manifests/charts/gateway/values.yaml:
// resources.limits cpu 2000m, memory 1024Mi), so the live limit from
// kube-state-metrics is what memory and CPU are measured against;
// kube-prometheus-stack drops cAdvisor's container_spec_* series, which
// are not read.

// GatewayPods is the pod name regular expression of a Deployment's pods.
func GatewayPods(g profile.Gateway) string {
	return regexp.QuoteMeta(g.WorkloadName()) + "-[a-z0-9]+-[a-z0-9]+"
}

// gatewayPodsLint ends the comment of each rule that selects a gateway's
// pods by GatewayPods. kube-state-metrics links a pod to its ReplicaSet
// (kube_pod_owner) and the ReplicaSet to its Deployment
// (kube_replicaset_owner), never a pod to its Deployment, and cAdvisor
// series carry only the pod name: the name the Deployment controller gives
// its pods (<deployment>-<pod-template-hash>-<suffix>) is the one link both
// sources share. pint's promql/regexp check calls such a selector smelly
// (it reads a part of a value); this comment, which pint reads, turns the
// check off for these rules only.
const gatewayPodsLint = "pint disable promql/regexp"

// Recorded series of gateway health, per gateway pod.
const (
	GatewayMemoryRatio = "namespace_pod:istio_gateway_memory_to_limit:ratio"
	GatewayCPURatio    = "namespace_pod:istio_gateway_cpu_to_limit:ratio"
)

// Alert names of this concern.
const (
	AlertIstioGatewayReplicasBelowMinimum = "IstioGatewayReplicasBelowMinimum"
	AlertIstioGatewayMemoryHigh           = "IstioGatewayMemoryHigh"
	AlertIstioGatewayCPUHigh              = "IstioGatewayCPUHigh"
	AlertIstioGatewayCertificateExpiring  = "IstioGatewayCertificateExpiring"
)

func gatewayLabels(g profile.Gateway) map[string]string {
	return map[string]string{profile.GatewayLabel: g.Name}
}

// gatewayPodSelectors select one gateway's istio-proxy container in
// cAdvisor and kube-state-metrics series.
func gatewayPodSelectors(c *config.Config, g profile.Gateway) (cadvisor, ksm selector.Matchers) {
	ms := selector.Matchers{selector.Equal("namespace", g.Namespace), selector.Equal("container", catalogue.SidecarContainer),
		selector.Regex("pod", GatewayPods(g))}
	return c.Selectors.Cadvisor.With(ms...), c.Selectors.KubeStateMetrics.With(ms...)
}

// CertManagerGatewayCerts selects the gateway's cert-manager Certificate
// series. With the honor_labels false of cert-manager's chart the
// Certificate's namespace is stored as exported_namespace; with
// honor_labels true it stays namespace and no exported_namespace exists:
// both are read.
func CertManagerGatewayCerts(c *config.Config, g profile.Gateway, metric string) string {
	names := selector.Matchers{}
	if !(len(g.Certificates) == 1 && g.Certificates[0] == "*") {
		var quoted []string
		for _, n := range g.Certificates {
			quoted = append(quoted, regexp.QuoteMeta(n))
		}
		if len(g.Certificates) == 1 {
			names = append(names, selector.Equal("name", g.Certificates[0]))
		} else {
			names = append(names, selector.Regex("name", strings.Join(quoted, "|")))
		}
	}
	exported := c.Selectors.CertManager.With(selector.Equal("exported_namespace", g.Namespace)).With(names...)
	honored := c.Selectors.CertManager.With(selector.Equal("namespace", g.Namespace), selector.Equal("exported_namespace", "")).With(names...)
	return lines("(", "  "+exported.Metric(metric)+" > 0", "  or", "  "+honored.Metric(metric)+" > 0", ")")
}

func (b *builder) gateways() File {
	c := b.c
	f := File{Name: "gateways", Comment: "Gateways: available pods, memory and CPU against their live limits, TLS certificates."}
	var rules []Rule
	replicas, memory, cpu, certs := b.thresholds(AlertIstioGatewayReplicasBelowMinimum), b.thresholds(AlertIstioGatewayMemoryHigh),
		b.thresholds(AlertIstioGatewayCPUHigh), b.thresholds(AlertIstioGatewayCertificateExpiring)
	pick := func(ts []Threshold, g string) []Threshold {
		var out []Threshold
		for _, t := range ts {
			if t.Labels[profile.GatewayLabel] == g {
				out = append(out, t)
			}
		}
		return out
	}
	perPod := func(expr string) string { return "max by (namespace, pod) (" + expr + ")" }
	for _, g := range c.Profile.Spec.Gateways {
		cadv, ksm := gatewayPodSelectors(c, g)
		who := "Gateway " + g.Name + " (" + g.Kind + ", " + g.Namespace + "/" + g.WorkloadName() + ")"
		if DescriptorOf(AlertIstioGatewayReplicasBelowMinimum).SkippedFor(c) == "" {
			avail := "max by (namespace, deployment) (" + c.Selectors.KubeStateMetrics.With(
				selector.Equal("namespace", g.Namespace), selector.Equal("deployment", g.WorkloadName())).
				Metric("kube_deployment_status_replicas_available") + ")"
			for _, t := range pick(replicas, g.Name) {
				what := "has {{ $value }} available pods, fewer than its minimum of " + fmt.Sprint(g.MinReplicas) + ": it serves with less capacity and no room for a node to fail."
				if t.Severity == profile.SeverityCritical {
					what = "has no available pod: every request through it fails, and its SLOs see no traffic (IstioSLONoData) rather than errors."
				}
				rules = append(rules, b.alert(t, avail+" < "+num(t.Value), "A gateway has fewer available pods than its minimum.", who+" "+what))
			}
			mem := memoryToLimit(cadv, ksm, nil, 0)
			rules = append(rules, Rule{Record: GatewayMemoryRatio, Expr: mem, Labels: gatewayLabels(g),
				Comment: "Each " + g.Name + " pod's istio-proxy working set over its live memory limit (kube-state-metrics; a pod without a limit has no ratio)." +
					"\n" + gatewayPodsLint})
			for _, t := range pick(memory, g.Name) {
				rules = append(rules, b.alert(t, GatewayMemoryRatio+`{gateway="`+g.Name+`"} >= `+num(t.Value),
					"A gateway pod is close to its memory limit.",
					who+": pod {{ $labels.pod }} uses {{ $value | humanizePercentage }} of its memory limit ("+t.Severity+" at "+t.Shown+
						"). At the limit it is OOM-killed and drops every connection it holds."))
			}
			cpuExpr := "sum by (namespace, pod) (rate(" + cadv.Metric("container_cpu_usage_seconds_total") + "[5m]))\n/ on (namespace, pod)\n" +
				perPod(ksm.With(selector.Equal("resource", "cpu")).Metric("kube_pod_container_resource_limits"))
			rules = append(rules, Rule{Record: GatewayCPURatio, Expr: cpuExpr, Labels: gatewayLabels(g),
				Comment: "Each " + g.Name + " pod's istio-proxy CPU over its live CPU limit (kube-state-metrics); throttled above it." +
					"\n" + gatewayPodsLint})
			for _, t := range pick(cpu, g.Name) {
				rules = append(rules, b.alert(t, GatewayCPURatio+`{gateway="`+g.Name+`"} >= `+num(t.Value),
					"A gateway pod is close to its CPU limit.",
					who+": pod {{ $labels.pod }} uses {{ $value | humanizePercentage }} of its CPU limit (warning at "+t.Shown+
						"). At the limit it is throttled and adds latency to every request; scale the gateway out."))
			}
		}
		if len(g.Certificates) > 0 {
			left := "max by (name) (\n" + indent(CertManagerGatewayCerts(c, g, "certmanager_certificate_expiration_timestamp_seconds"), "  ") + "\n) - time()"
			for _, t := range pick(certs, g.Name) {
				rules = append(rules, b.alert(t, left+" < "+num(t.Value),
					"A gateway's TLS certificate expires soon.",
					who+": cert-manager Certificate "+g.Namespace+"/{{ $labels.name }} expires in {{ $value | humanizeDuration }} ("+t.Severity+
						" below "+t.Shown+") and cert-manager has not renewed it. When it expires, clients fail the TLS handshake with the gateway."))
			}
		}
	}
	if len(rules) > 0 {
		f.Groups = []Group{b.group("gateways", rules...)}
	}
	return f
}

// memoryToLimit is the working set of the containers cadv selects over
// their live memory limit from kube-state-metrics (the containers ksm
// selects), per pod (and the keep labels of the working set), as the
// gateways' and ztunnel's memory recordings read it. Without a fallback a
// pod with no live limit has no ratio; with fallback bytes it is measured
// against them, and limit_source says which limit each ratio used
// ("kube-state-metrics" or "profile").
func memoryToLimit(cadv, ksm selector.Matchers, keep []string, fallback profile.Quantity) string {
	by := func(expr string, extra ...string) string {
		return "max by (" + joinComma(append([]string{"namespace", "pod"}, extra...)) + ") (" + expr + ")"
	}
	ws := cadv.Metric("container_memory_working_set_bytes")
	limit := by(ksm.With(selector.Equal("resource", "memory")).Metric("kube_pod_container_resource_limits"))
	if fallback <= 0 {
		return by(ws, keep...) + "\n/ on (namespace, pod)\n" + limit
	}
	return lines(by(ws, keep...), "/ on (namespace, pod) group_left (limit_source)", "(",
		`    label_replace(`+limit+`, "limit_source", "kube-state-metrics", "", "")`,
		"  or on (namespace, pod)",
		`    label_replace(0 * `+by(ws)+` + `+num(float64(fallback.Bytes()))+`, "limit_source", "profile", "", "")`,
		")")
}

// noKSM skips an alert that needs kube-state-metrics where the scrape setup has none.
func noKSM(c *config.Config) string {
	if len(c.Profile.Spec.Gateways) == 0 {
		return "not generated: the profile has no spec.gateways"
	}
	if c.Profile.Spec.Prometheus.Scrape == profile.ScrapeIstioSample {
		return "not generated with spec.prometheus.scrape istio-sample: Istio's sample Prometheus runs no kube-state-metrics, which reports gateway replicas and live limits"
	}
	return ""
}

// gatewayThresholds returns one threshold per gateway for each of mk's.
func gatewayThresholds(c *config.Config, mk func(i int, g profile.Gateway) []Threshold) []Threshold {
	var out []Threshold
	for i, g := range c.Profile.Spec.Gateways {
		for _, t := range mk(i, g) {
			t.Labels = gatewayLabels(g)
			out = append(out, t)
		}
	}
	return out
}

// gatewayAlerts describe the alerts of the gateways.
var gatewayAlerts = []*Descriptor{
	{
		Name:           AlertIstioGatewayReplicasBelowMinimum,
		InstanceLabels: []string{profile.GatewayLabel},
		Meaning:        "a gateway's Deployment has fewer available pods than its minReplicas (ticket) or none (page)",
		Skip:           noKSM,
		SkipFields:     []string{"spec.gateways", "spec.prometheus.scrape"},
		Thresholds: func(c *config.Config) []Threshold {
			return gatewayThresholds(c, func(i int, g profile.Gateway) []Threshold {
				f := fmt.Sprintf("spec.gateways[%d]", i)
				return []Threshold{
					{Alert: AlertIstioGatewayReplicasBelowMinimum, Severity: profile.SeverityWarning,
						Condition: fmt.Sprintf("gateway %s: fewer than %d available pods for %s", g.Name, g.MinReplicas, g.ReplicasFor),
						Fields:    []string{f + ".minReplicas", f + ".replicasFor"},
						Value:     float64(g.MinReplicas), Shown: fmt.Sprint(g.MinReplicas), For: g.ReplicasFor},
					{Alert: AlertIstioGatewayReplicasBelowMinimum, Severity: profile.SeverityCritical,
						Condition: fmt.Sprintf("gateway %s: no available pod for %s", g.Name, g.ReplicasFor),
						Fields:    []string{f + ".replicasFor"},
						Value:     1, Shown: "1", For: g.ReplicasFor},
				}
			})
		},
	},
	{
		Name:           AlertIstioGatewayMemoryHigh,
		InstanceLabels: []string{profile.GatewayLabel, "namespace", "pod"},
		Meaning:        "a gateway pod's istio-proxy uses {warning} / {critical} of its live memory limit",
		Skip:           noKSM,
		SkipFields:     []string{"spec.gateways", "spec.prometheus.scrape"},
		Thresholds: func(c *config.Config) []Threshold {
			return gatewayThresholds(c, func(i int, g profile.Gateway) []Threshold {
				f := fmt.Sprintf("spec.gateways[%d]", i)
				r := func(sev, field string, x float64) Threshold {
					return Threshold{Alert: AlertIstioGatewayMemoryHigh, Severity: sev,
						Condition: fmt.Sprintf("gateway %s: a pod's working set at %s of its memory limit for %s", g.Name, percent(x), g.MemoryFor),
						Fields:    []string{f + "." + field, f + ".memoryFor"}, Value: x, Shown: percent(x), For: g.MemoryFor}
				}
				return []Threshold{r(profile.SeverityWarning, "memoryWarningRatio", g.MemoryWarningRatio), r(profile.SeverityCritical, "memoryCriticalRatio", g.MemoryCriticalRatio)}
			})
		},
	},
	{
		Name:           AlertIstioGatewayCPUHigh,
		InstanceLabels: []string{profile.GatewayLabel, "namespace", "pod"},
		Meaning:        "a gateway pod's istio-proxy uses {warning} of its live CPU limit",
		Skip:           noKSM,
		SkipFields:     []string{"spec.gateways", "spec.prometheus.scrape"},
		Thresholds: func(c *config.Config) []Threshold {
			return gatewayThresholds(c, func(i int, g profile.Gateway) []Threshold {
				f := fmt.Sprintf("spec.gateways[%d]", i)
				return []Threshold{{Alert: AlertIstioGatewayCPUHigh, Severity: profile.SeverityWarning,
					Condition: fmt.Sprintf("gateway %s: a pod's CPU at %s of its CPU limit for %s", g.Name, percent(g.CPUWarningRatio), g.CPUFor),
					Fields:    []string{f + ".cpuWarningRatio", f + ".cpuFor"}, Value: g.CPUWarningRatio, Shown: percent(g.CPUWarningRatio), For: g.CPUFor}}
			})
		},
	},
	{
		Name:           AlertIstioGatewayCertificateExpiring,
		InstanceLabels: []string{profile.GatewayLabel, "name"},
		Meaning:        "a cert-manager Certificate of a gateway's TLS credentials has less than {warning} / {critical} left",
		SkipFields:     []string{"spec.gateways"},
		Skip: func(c *config.Config) string {
			if !c.Profile.Spec.GatewaysListCertificates() {
				return "not generated: no spec.gateways entry lists certificates"
			}
			return ""
		},
		Thresholds: func(c *config.Config) []Threshold {
			return gatewayThresholds(c, func(i int, g profile.Gateway) []Threshold {
				if len(g.Certificates) == 0 {
					return nil
				}
				f := fmt.Sprintf("spec.gateways[%d]", i)
				r := func(sev, field string, d profile.Duration) Threshold {
					return Threshold{Alert: AlertIstioGatewayCertificateExpiring, Severity: sev,
						Condition: fmt.Sprintf("gateway %s: a Certificate of %s expires within %s", g.Name, strings.Join(g.Certificates, ", "), d),
						Fields:    []string{f + "." + field, f + ".certificates"}, Value: d.Seconds(), Shown: d.String(), For: c.Profile.Spec.Certificates.For}
				}
				return []Threshold{r(profile.SeverityWarning, "certificateExpiryWarning", g.CertificateExpiryWarning),
					r(profile.SeverityCritical, "certificateExpiryCritical", g.CertificateExpiryCritical)}
			})
		},
	},
}
