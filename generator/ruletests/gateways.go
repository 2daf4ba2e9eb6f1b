package ruletests

import (
	"math"

	"github.com/meshslo/meshslo/generator/catalogue"
	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
)

// trapLabels are the labels of a view of the service's requests that the
// SLO must not count: the client's sidecar (reporter="source") for a
// destination SLO; for a gateway SLO, which reads reporter="source" too,
// a client sidecar that calls the service directly, bypassing the gateway
// (the gateway's matchers must leave it out; the destination's own view
// of the gateway's requests would count in the profile's other SLOs).
func (b *builder) trapLabels(s config.SLO, svc service) lbls {
	if s.Gateway == nil {
		return b.requestLabels(s, svc, "source", svc.sources[0], svc.pods[0])
	}
	l := b.requestLabels(s, svc, s.Reporter, svc.sources[0], svc.pods[0])
	src := svc.sources[0]
	scraped := b.envoy(src.namespace, src.pod, src.workload, 41)
	for k, v := range scraped {
		l[k] = v
	}
	return l.with("source_workload", src.workload, "source_workload_namespace", src.namespace,
		"source_principal", "spiffe://cluster.local/ns/"+src.namespace+"/sa/"+src.workload,
		"source_app", src.workload, "source_canonical_service", src.workload)
}

// gatewaySource is a gateway pod as the source of requests: its
// Deployment's pod (<deployment>-<pod-template-hash>-<suffix>) in its
// namespace, as Istio's stats plugin labels a gateway's own requests
// (source_workload is the Deployment).
func gatewaySource(g profile.Gateway) struct{ namespace, workload, pod string } {
	return struct{ namespace, workload, pod string }{g.Namespace, g.WorkloadName(), gatewayPod(g, 0)}
}

// gatewayPod is the i-th pod of the gateway's Deployment.
func gatewayPod(g profile.Gateway, i int) string {
	return g.WorkloadName() + "-" + gatewayPodHash + "-" + podSuffix(10+i)
}

// The pod-template-hash of the test gateways' and waypoints' pods (the
// Deployment controller names pods <deployment>-<hash>-<suffix>).
const (
	gatewayPodHash  = "6b8f9c7d5"
	waypointPodHash = "7b9c5d4f6"
)

// proxyLimitCores and proxyLimitBytes are the charts' default limits, the
// live limits of the test gateways and waypoints: the gateway chart's
// (istio/istio manifests/charts/gateway/values.yaml: resources.limits cpu
// 2000m, memory 1024Mi) and istiod's waypoint template's
// (manifests/charts/istio-control/istio-discovery/values.yaml:
// global.waypoint.resources.limits cpu 2, memory 1Gi) are the same.
const (
	proxyLimitCores = 2
	proxyLimitBytes = 1 << 30
)

// proxyHealth is what a health suite needs of its kind.
type proxyHealth struct {
	file, comment                        string
	replicasAlert, memoryAlert, cpuAlert string
	records                              []string
	hash                                 string
}

var gatewayHealth = proxyHealth{
	file: "gateways.test.yaml", comment: "Gateway alerts at the edges of their thresholds: available pods, memory and CPU against the live limits, TLS certificates.",
	replicasAlert: rules.AlertIstioGatewayReplicasBelowMinimum, memoryAlert: rules.AlertIstioGatewayMemoryHigh, cpuAlert: rules.AlertIstioGatewayCPUHigh,
	records: []string{rules.GatewayMemoryRatio, rules.GatewayCPURatio}, hash: gatewayPodHash,
}

var waypointHealth = proxyHealth{
	file: "waypoints.test.yaml", comment: "Waypoint alerts at the edges of their thresholds: available pods, memory and CPU against the live limits.",
	replicasAlert: rules.AlertIstioWaypointReplicasBelowMinimum, memoryAlert: rules.AlertIstioWaypointMemoryHigh, cpuAlert: rules.AlertIstioWaypointCPUHigh,
	records: []string{rules.WaypointMemoryRatio, rules.WaypointCPURatio}, hash: waypointPodHash,
}

// gateways is the suite of the gateways' health alerts; nil without gateways.
func (b *builder) gateways() *suite {
	gws := b.c.Profile.Spec.Gateways
	return b.proxyHealthSuite(gatewayHealth, rules.Gateways(b.c), []string{rules.AlertIstioGatewayCertificateExpiring}, func(i int) []*testGroup {
		if g := gws[i]; len(g.Certificates) > 0 {
			return b.gatewayCertCases(g)
		}
		return nil
	})
}

// waypoints is the suite of the waypoints' health alerts; nil without waypoints.
func (b *builder) waypoints() *suite {
	return b.proxyHealthSuite(waypointHealth, rules.Waypoints(b.c), nil, func(int) []*testGroup { return nil })
}

// proxyHealthSuite tests the health alerts of every Deployment of a kind,
// with extra(i) the further cases of the i-th (more: their alerts); nil
// when there is none.
func (b *builder) proxyHealthSuite(k proxyHealth, ds []rules.ProxyDeployment, more []string, extra func(i int) []*testGroup) *suite {
	if len(ds) == 0 {
		return nil
	}
	s := b.newSuite(k.file, k.comment)
	for _, a := range append([]string{k.replicasAlert, k.memoryAlert, k.cpuAlert}, more...) {
		if b.generated(a) {
			s.alerts = append(s.alerts, a)
		}
	}
	if b.generated(k.memoryAlert) {
		s.records = k.records
	}
	for i, d := range ds {
		if b.generated(k.replicasAlert) {
			for _, w := range []*watch{b.proxyReplicasWatch(k, d), b.proxyMemoryWatch(k, d), b.proxyCPUWatch(k, d)} {
				s.Tests = append(s.Tests, b.edgeCases(w)...)
			}
		}
		s.Tests = append(s.Tests, extra(i)...)
	}
	if len(s.Tests) == 0 {
		return nil
	}
	return s
}

// proxyPod is the i-th pod of the Deployment.
func proxyPod(k proxyHealth, d rules.ProxyDeployment, i int) string {
	return d.Workload + "-" + k.hash + "-" + podSuffix(10+i)
}

// proxyLabels are d's labels with more.
func proxyLabels(d rules.ProxyDeployment, more lbls) lbls {
	for k, v := range d.Labels {
		more[k] = v
	}
	return more
}

func proxyMatch(d rules.ProxyDeployment, severity string) map[string]string {
	return proxyLabels(d, lbls{"severity": severity})
}

// proxyReplicasWatch: kube-state-metrics' available replicas of the
// Deployment, with another Deployment of the namespace at zero that must
// not count. With a minimum of 1 only the page exists.
func (b *builder) proxyReplicasWatch(k proxyHealth, d rules.ProxyDeployment) *watch {
	min := float64(d.Health.MinReplicas)
	dep := func(name string) lbls { return b.kubeStateMetricsObject(d.Namespace).with("deployment", name) }
	w := &watch{
		alert: k.replicasAlert, baseline: min,
		labels: lbls{"namespace": d.Namespace, "deployment": d.Workload},
		show:   func(f float64) string { return d.ID() + ": " + num(f) + " available of " + num(min) },
		inputs: func(level func(profile.Duration) float64, n int) []series {
			return []series{
				{dep(d.Workload).of("kube_deployment_status_replicas_available"), gauge(b.levels(level, n))},
				{dep(d.Workload + "-canary").of("kube_deployment_status_replicas_available"), gauge(constant(0, n))},
			}
		},
	}
	if min > 1 {
		w.sevs = append(w.sevs, sev{rule: b.rule(w.alert, proxyMatch(d, profile.SeverityWarning)), holds: lt(min), above: min - 1, below: min})
	}
	w.sevs = append(w.sevs, sev{rule: b.rule(w.alert, proxyMatch(d, profile.SeverityCritical)), holds: lt(1), above: 0, below: 1})
	return w
}

// proxyMemoryWatch: the first pod's istio-proxy working set against its
// kube-state-metrics limit; the pod's total (container="") and a
// longer-named Deployment's pod far past its limit must not count.
func (b *builder) proxyMemoryWatch(k proxyHealth, d rules.ProxyDeployment) *watch {
	pod, other := proxyPod(k, d, 0), d.Workload+"-internal-7d9c8b6f5-"+podSuffix(12)
	h := d.Health
	bytes := func(r float64) float64 { return math.Round(r * proxyLimitBytes) }
	w := &watch{
		alert: k.memoryAlert, baseline: h.MemoryWarningRatio / 2,
		labels: proxyLabels(d, lbls{"namespace": d.Namespace, "pod": pod}), show: percent,
		inputs: func(level func(profile.Duration) float64, n int) []series {
			side := mapf(b.levels(level, n), bytes)
			c := func(p, container, image string) lbls { return b.cadvisor(d.Namespace, p, container, image) }
			total := mapf(side, func(v float64) float64 { return v + 1<<20 })
			return b.keep(
				series{c(pod, catalogue.SidecarContainer, proxyImage).of("container_memory_working_set_bytes"), gauge(side)},
				series{c(pod, "", "").of("container_memory_working_set_bytes"), gauge(total)},
				series{c(pod, catalogue.SidecarContainer, proxyImage).of("container_spec_memory_limit_bytes"), gauge(constant(proxyLimitBytes, n))},
				series{b.resource(d.Namespace, pod, catalogue.SidecarContainer, "limits", "memory", false), gauge(constant(proxyLimitBytes, n))},
				series{c(other, catalogue.SidecarContainer, proxyImage).of("container_memory_working_set_bytes"), gauge(constant(proxyLimitBytes, n))},
				series{b.resource(d.Namespace, other, catalogue.SidecarContainer, "limits", "memory", false), gauge(constant(proxyLimitBytes/2, n))},
			)
		},
	}
	value := func(q float64) float64 { return bytes(q) / proxyLimitBytes }
	for _, t := range []struct {
		severity string
		ratio    float64
	}{{profile.SeverityWarning, h.MemoryWarningRatio}, {profile.SeverityCritical, h.MemoryCriticalRatio}} {
		w.sevs = append(w.sevs, sev{rule: b.rule(w.alert, proxyMatch(d, t.severity)),
			holds: func(q float64) bool { return value(q) >= t.ratio }, value: value, above: above(t.ratio), below: below(t.ratio)})
	}
	return w
}

// proxyCPUWatch: the first pod's istio-proxy CPU against its
// kube-state-metrics CPU limit; the pod total counts the same CPU again.
func (b *builder) proxyCPUWatch(k proxyHealth, d rules.ProxyDeployment) *watch {
	pod := proxyPod(k, d, 0)
	r := d.Health.CPUWarningRatio
	w := &watch{
		alert: k.cpuAlert, window: b.window(k.cpuAlert), baseline: r / 2,
		labels: proxyLabels(d, lbls{"namespace": d.Namespace, "pod": pod}), show: percent,
		inputs: func(level func(profile.Duration) float64, n int) []series {
			use := b.slopes(level, n, func(r float64) float64 { return r * proxyLimitCores })
			c := func(container, image string) lbls { return b.cadvisor(d.Namespace, pod, container, image) }
			return b.keep(
				series{c(catalogue.SidecarContainer, proxyImage).of("container_cpu_usage_seconds_total"), counter(5123.5, use)},
				series{c("", "").of("container_cpu_usage_seconds_total"), counter(5130.25, use)},
				series{b.resource(d.Namespace, pod, catalogue.SidecarContainer, "limits", "cpu", false), gauge(constant(proxyLimitCores, n))},
			)
		},
	}
	w.sevs = []sev{{rule: b.rule(w.alert, proxyMatch(d, profile.SeverityWarning)), holds: ge(r), above: above(r), below: below(r)}}
	return w
}

// gatewayCertCases: the gateway's Certificate counts down, as cert-manager
// exports it (namespace in exported_namespace under the chart's
// honorLabels false); a Certificate of the same name in another namespace
// and one not yet issued (expiry 0) must never fire.
func (b *builder) gatewayCertCases(g profile.Gateway) []*testGroup {
	name := g.Certificates[0]
	if name == "*" {
		name = g.Name + "-tls"
	}
	inputs := func(left func(profile.Duration) float64, n int) []series {
		expiry := make([]float64, n)
		for k := range expiry {
			t := profile.Duration(k) * b.step
			expiry[k] = left(t) + t.Seconds()
		}
		cert := b.scrapedCertManager(g.Namespace, name, "ClusterIssuer", "letsencrypt", false)
		elsewhere := b.scrapedCertManager("shop", name, "ClusterIssuer", "letsencrypt", false)
		pending := b.scrapedCertManager(g.Namespace, name+"-next", "ClusterIssuer", "letsencrypt", false)
		return []series{
			{cert.of("certmanager_certificate_expiration_timestamp_seconds"), gauge(expiry)},
			{elsewhere.of("certmanager_certificate_expiration_timestamp_seconds"), gauge(constant(3600, n))},
			{pending.of("certmanager_certificate_expiration_timestamp_seconds"), gauge(constant(0, n))},
		}
	}
	w := &watch{alert: rules.AlertIstioGatewayCertificateExpiring, labels: lbls{"name": name}, show: showSeconds, inputs: inputs}
	w.sevs = b.certSevs(w.alert, map[string]string{profile.GatewayLabel: g.Name}, g.CertificateExpiryWarning, g.CertificateExpiryCritical)
	return b.certCases(w)
}
