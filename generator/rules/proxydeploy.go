package rules

import (
	"fmt"
	"regexp"

	"github.com/meshslo/meshslo/generator/catalogue"
	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/selector"
)

// Proxy Deployments: gateways and waypoints are both an Envoy that runs as
// a Deployment of its own, whose pods run one container, istio-proxy
// (gateways: istio/istio manifests/charts/gateway/templates/deployment.yaml;
// waypoints: manifests/charts/istio-control/istio-discovery/files/waypoint.yaml,
// which istiod's deployment controller renders per waypoint Gateway). Their
// health alerts are one implementation: available pods from
// kube-state-metrics, and the istio-proxy container's memory and CPU
// against the pod's live limits. Both charts set limits by default
// (gateway: resources.limits cpu 2000m, memory 1024Mi; waypoint:
// global.waypoint.resources.limits cpu 2, memory 1Gi), so the live limit
// from kube-state-metrics is what memory and CPU are measured against;
// kube-prometheus-stack drops cAdvisor's container_spec_* series, which are
// not read.

// ProxyDeployment is one gateway or waypoint as its health alerts see it.
type ProxyDeployment struct {
	// Kind is what it is: "gateway" or "waypoint", the label that names it.
	Kind string
	// Name is the entry's name (the value of the Kind label), Namespace
	// and Workload (its Deployment) where it runs.
	Name, Namespace, Workload string
	// Field is the profile entry (spec.gateways[0]).
	Field string
	// Who opens its alerts' descriptions ("Gateway ingress (ingress,
	// istio-ingress/istio-ingressgateway)").
	Who string
	// Labels name it on its alerts and recorded series.
	Labels map[string]string
	Health profile.ProxyHealth
}

// proxyKind is what differs between gateways and waypoints: their alerts,
// recorded series and entries.
type proxyKind struct {
	kind, plural                         string
	replicasAlert, memoryAlert, cpuAlert string
	memoryRecord, cpuRecord              string
	list                                 func(c *config.Config) []ProxyDeployment
	// down says what an instance without an available pod means.
	down string
}

// Gateways are the profile's gateways as proxy Deployments.
func Gateways(c *config.Config) []ProxyDeployment {
	var out []ProxyDeployment
	for i, g := range c.Profile.Spec.Gateways {
		out = append(out, ProxyDeployment{Kind: profile.GatewayLabel, Name: g.Name, Namespace: g.Namespace, Workload: g.WorkloadName(),
			Field: fmt.Sprintf("spec.gateways[%d]", i), Who: "Gateway " + g.Name + " (" + g.Kind + ", " + g.Namespace + "/" + g.WorkloadName() + ")",
			Labels: gatewayLabels(g), Health: g.Health()})
	}
	return out
}

// Waypoints are the profile's waypoints as proxy Deployments. Waypoint
// names are unique per namespace, so namespace is among their labels.
func Waypoints(c *config.Config) []ProxyDeployment {
	var out []ProxyDeployment
	for i, w := range c.Profile.Spec.Waypoints {
		who := "Waypoint " + w.Namespace + "/" + w.Name
		if w.WorkloadName() != w.Name {
			who += " (Deployment " + w.WorkloadName() + ")"
		}
		out = append(out, ProxyDeployment{Kind: profile.WaypointLabel, Name: w.Name, Namespace: w.Namespace, Workload: w.WorkloadName(),
			Field: fmt.Sprintf("spec.waypoints[%d]", i), Who: who,
			Labels: map[string]string{profile.WaypointLabel: w.Name, "namespace": w.Namespace}, Health: w.Health()})
	}
	return out
}

// ID is how thresholds and conditions name the instance: the gateway's
// name, the waypoint's namespace/name.
func (d ProxyDeployment) ID() string {
	if d.Kind == profile.WaypointLabel {
		return d.Namespace + "/" + d.Name
	}
	return d.Name
}

// ProxyPods is the pod name regular expression of a Deployment's pods:
// <deployment>-<pod-template-hash>-<suffix>, without catching a longer
// Deployment name (istio-ingressgateway-internal-...).
func ProxyPods(d ProxyDeployment) string {
	return regexp.QuoteMeta(d.Workload) + "-[a-z0-9]+-[a-z0-9]+"
}

// proxyPodSelectors select one Deployment's istio-proxy container in
// cAdvisor and kube-state-metrics series.
func proxyPodSelectors(c *config.Config, d ProxyDeployment) (cadvisor, ksm selector.Matchers) {
	ms := selector.Matchers{selector.Equal("namespace", d.Namespace), selector.Equal("container", catalogue.SidecarContainer),
		selector.Regex("pod", ProxyPods(d))}
	return c.Selectors.Cadvisor.With(ms...), c.Selectors.KubeStateMetrics.With(ms...)
}

// sameLabels says whether a threshold is one of d's.
func sameLabels(t Threshold, d ProxyDeployment) bool {
	if len(t.Labels) != len(d.Labels) {
		return false
	}
	for k, v := range d.Labels {
		if t.Labels[k] != v {
			return false
		}
	}
	return true
}

// proxyHealth returns the recordings and alerts of one Deployment's
// available pods, memory and CPU.
func (b *builder) proxyHealth(k proxyKind, d ProxyDeployment) []Rule {
	c := b.c
	if DescriptorOf(k.replicasAlert).SkippedFor(c) != "" {
		return nil
	}
	pick := func(alert string) []Threshold {
		var out []Threshold
		for _, t := range b.thresholds(alert) {
			if sameLabels(t, d) {
				out = append(out, t)
			}
		}
		return out
	}
	var rules []Rule
	// Every expression below keeps namespace from its series; a static
	// namespace label (a waypoint's, which its instance labels need) on
	// the alert would fight the namespace matcher prometheus-operator
	// adds to an AlertmanagerConfig's routes (OnNamespace), so the alert
	// carries it from the series only.
	alert := func(t Threshold, expr, summary, description string) Rule {
		r := b.alert(t, expr, summary, description)
		delete(r.Labels, "namespace")
		return r
	}
	perPod := func(expr string) string { return "max by (namespace, pod) (" + expr + ")" }
	cadv, ksm := proxyPodSelectors(c, d)
	avail := "max by (namespace, deployment) (" + c.Selectors.KubeStateMetrics.With(
		selector.Equal("namespace", d.Namespace), selector.Equal("deployment", d.Workload)).
		Metric("kube_deployment_status_replicas_available") + ")"
	for _, t := range pick(k.replicasAlert) {
		what := "has {{ $value }} available pods, fewer than its minimum of " + fmt.Sprint(d.Health.MinReplicas) + ": it serves with less capacity and no room for a node to fail."
		if t.Severity == profile.SeverityCritical {
			what = "has no available pod: " + k.down
		}
		rules = append(rules, alert(t, avail+" < "+num(t.Value), "A "+k.kind+" has fewer available pods than its minimum.", d.Who+" "+what))
	}
	lint := "\n" + gatewayPodsLint
	mem := memoryToLimit(cadv, ksm, nil, 0)
	rules = append(rules, Rule{Record: k.memoryRecord, Expr: mem, Labels: d.Labels,
		Comment: "Each " + d.ID() + " pod's istio-proxy working set over its live memory limit (kube-state-metrics; a pod without a limit has no ratio)." + lint})
	own := func(record string) string { return selector.FromMap(d.Labels).Metric(record) }
	for _, t := range pick(k.memoryAlert) {
		rules = append(rules, alert(t, own(k.memoryRecord)+" >= "+num(t.Value),
			"A "+k.kind+" pod is close to its memory limit.",
			d.Who+": pod {{ $labels.pod }} uses {{ $value | humanizePercentage }} of its memory limit ("+t.Severity+" at "+t.Shown+
				"). At the limit it is OOM-killed and drops every connection it holds."))
	}
	cpuExpr := "sum by (namespace, pod) (rate(" + cadv.Metric("container_cpu_usage_seconds_total") + "[5m]))\n/ on (namespace, pod)\n" +
		perPod(ksm.With(selector.Equal("resource", "cpu")).Metric("kube_pod_container_resource_limits"))
	rules = append(rules, Rule{Record: k.cpuRecord, Expr: cpuExpr, Labels: d.Labels,
		Comment: "Each " + d.ID() + " pod's istio-proxy CPU over its live CPU limit (kube-state-metrics); throttled above it." + lint})
	for _, t := range pick(k.cpuAlert) {
		rules = append(rules, alert(t, own(k.cpuRecord)+" >= "+num(t.Value),
			"A "+k.kind+" pod is close to its CPU limit.",
			d.Who+": pod {{ $labels.pod }} uses {{ $value | humanizePercentage }} of its CPU limit (warning at "+t.Shown+
				"). At the limit it is throttled and adds latency to every request; scale the "+k.kind+" out."))
	}
	return rules
}

// proxySkip skips the health alerts where the profile lists no instance,
// or the scrape setup has no kube-state-metrics.
func (k proxyKind) skip(c *config.Config) string {
	if len(k.list(c)) == 0 {
		return "not generated: the profile has no spec." + k.plural
	}
	if c.Profile.Spec.Prometheus.Scrape == profile.ScrapeIstioSample {
		return "not generated with spec.prometheus.scrape istio-sample: Istio's sample Prometheus runs no kube-state-metrics, which reports " + k.kind + " replicas and live limits"
	}
	return ""
}

// thresholds returns mk's thresholds for each instance, labelled with it.
func (k proxyKind) thresholds(c *config.Config, mk func(d ProxyDeployment) []Threshold) []Threshold {
	var out []Threshold
	for _, d := range k.list(c) {
		for _, t := range mk(d) {
			t.Labels = d.Labels
			out = append(out, t)
		}
	}
	return out
}

// descriptors describe the kind's three health alerts.
func (k proxyKind) descriptors() []*Descriptor {
	skipFields := []string{"spec." + k.plural, "spec.prometheus.scrape"}
	return []*Descriptor{
		{
			Name:           k.replicasAlert,
			InstanceLabels: instanceLabels(k),
			Meaning:        "a " + k.kind + "'s Deployment has fewer available pods than its minReplicas (ticket) or none (page)",
			Skip:           k.skip,
			SkipFields:     skipFields,
			Thresholds: func(c *config.Config) []Threshold {
				return k.thresholds(c, func(d ProxyDeployment) []Threshold {
					h := d.Health
					var out []Threshold
					// With a minimum of one, fewer is none: the page alone.
					if h.MinReplicas > 1 {
						out = append(out, Threshold{Alert: k.replicasAlert, Severity: profile.SeverityWarning,
							Condition: fmt.Sprintf("%s %s: fewer than %d available pods for %s", k.kind, d.ID(), h.MinReplicas, h.ReplicasFor),
							Fields:    []string{d.Field + ".minReplicas", d.Field + ".replicasFor"},
							Value:     float64(h.MinReplicas), Shown: fmt.Sprint(h.MinReplicas), For: h.ReplicasFor})
					}
					return append(out, Threshold{Alert: k.replicasAlert, Severity: profile.SeverityCritical,
						Condition: fmt.Sprintf("%s %s: no available pod for %s", k.kind, d.ID(), h.ReplicasFor),
						Fields:    []string{d.Field + ".replicasFor"},
						Value:     1, Shown: "1", For: h.ReplicasFor})
				})
			},
		},
		{
			Name:           k.memoryAlert,
			InstanceLabels: append(instanceLabels(k), "pod"),
			Meaning:        "a " + k.kind + " pod's istio-proxy uses {warning} / {critical} of its live memory limit",
			Skip:           k.skip,
			SkipFields:     skipFields,
			Thresholds: func(c *config.Config) []Threshold {
				return k.thresholds(c, func(d ProxyDeployment) []Threshold {
					h := d.Health
					r := func(sev, field string, x float64) Threshold {
						return Threshold{Alert: k.memoryAlert, Severity: sev,
							Condition: fmt.Sprintf("%s %s: a pod's working set at %s of its memory limit for %s", k.kind, d.ID(), percent(x), h.MemoryFor),
							Fields:    []string{d.Field + "." + field, d.Field + ".memoryFor"}, Value: x, Shown: percent(x), For: h.MemoryFor}
					}
					return []Threshold{r(profile.SeverityWarning, "memoryWarningRatio", h.MemoryWarningRatio), r(profile.SeverityCritical, "memoryCriticalRatio", h.MemoryCriticalRatio)}
				})
			},
		},
		{
			Name:           k.cpuAlert,
			InstanceLabels: append(instanceLabels(k), "pod"),
			Meaning:        "a " + k.kind + " pod's istio-proxy uses {warning} of its live CPU limit",
			Skip:           k.skip,
			SkipFields:     skipFields,
			Thresholds: func(c *config.Config) []Threshold {
				return k.thresholds(c, func(d ProxyDeployment) []Threshold {
					h := d.Health
					return []Threshold{{Alert: k.cpuAlert, Severity: profile.SeverityWarning,
						Condition: fmt.Sprintf("%s %s: a pod's CPU at %s of its CPU limit for %s", k.kind, d.ID(), percent(h.CPUWarningRatio), h.CPUFor),
						Fields:    []string{d.Field + ".cpuWarningRatio", d.Field + ".cpuFor"}, Value: h.CPUWarningRatio, Shown: percent(h.CPUWarningRatio), For: h.CPUFor}}
				})
			},
		},
	}
}

// instanceLabels tell one instance of the kind from another: a gateway by
// its name, a waypoint by its name and namespace.
func instanceLabels(k proxyKind) []string {
	if k.kind == profile.WaypointLabel {
		return []string{profile.WaypointLabel, "namespace"}
	}
	return []string{profile.GatewayLabel}
}

var gatewayKind = proxyKind{
	kind: "gateway", plural: "gateways",
	replicasAlert: AlertIstioGatewayReplicasBelowMinimum, memoryAlert: AlertIstioGatewayMemoryHigh, cpuAlert: AlertIstioGatewayCPUHigh,
	memoryRecord: GatewayMemoryRatio, cpuRecord: GatewayCPURatio, list: Gateways,
	down: "every request through it fails, and its SLOs see no traffic (IstioSLONoData) rather than errors.",
}

// Recorded series of waypoint health, per waypoint pod.
const (
	WaypointMemoryRatio = "namespace_pod:istio_waypoint_memory_to_limit:ratio"
	WaypointCPURatio    = "namespace_pod:istio_waypoint_cpu_to_limit:ratio"
)

// Alert names of waypoint health.
const (
	AlertIstioWaypointReplicasBelowMinimum = "IstioWaypointReplicasBelowMinimum"
	AlertIstioWaypointMemoryHigh           = "IstioWaypointMemoryHigh"
	AlertIstioWaypointCPUHigh              = "IstioWaypointCPUHigh"
)

var waypointKind = proxyKind{
	kind: "waypoint", plural: "waypoints",
	replicasAlert: AlertIstioWaypointReplicasBelowMinimum, memoryAlert: AlertIstioWaypointMemoryHigh, cpuAlert: AlertIstioWaypointCPUHigh,
	memoryRecord: WaypointMemoryRatio, cpuRecord: WaypointCPURatio, list: Waypoints,
	down: "ztunnel sends the L7 traffic of every service and workload bound to it through it, so those requests fail; SLOs read from it (reporter=\"waypoint\") see no traffic rather than errors.",
}

// waypointAlerts describe the waypoints' health alerts.
var waypointAlerts = waypointKind.descriptors()

func (b *builder) waypoints() File {
	f := File{Name: "waypoints", Comment: "Waypoints: available pods, memory and CPU against their live limits."}
	var rules []Rule
	for _, d := range Waypoints(b.c) {
		rules = append(rules, b.proxyHealth(waypointKind, d)...)
	}
	if len(rules) > 0 {
		f.Groups = []Group{b.group("waypoints", rules...)}
	}
	return f
}
