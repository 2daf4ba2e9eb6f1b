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
	return g.WorkloadName() + "-6b8f9c7d5-" + podSuffix(10+i)
}

// gatewayLimitCores and gatewayLimitBytes are the gateway chart's default
// limits (istio/istio manifests/charts/gateway/values.yaml: resources.limits
// cpu 2000m, memory 1024Mi), the live limits of the test gateways.
const (
	gatewayLimitCores = 2
	gatewayLimitBytes = 1 << 30
)

// gateways is the suite of the gateways' health alerts; nil without gateways.
func (b *builder) gateways() *suite {
	gws := b.c.Profile.Spec.Gateways
	if len(gws) == 0 {
		return nil
	}
	s := b.newSuite("gateways.test.yaml", "Gateway alerts at the edges of their thresholds: available pods, memory and CPU against the live limits, TLS certificates.")
	for _, a := range []string{rules.AlertIstioGatewayReplicasBelowMinimum, rules.AlertIstioGatewayMemoryHigh, rules.AlertIstioGatewayCPUHigh, rules.AlertIstioGatewayCertificateExpiring} {
		if b.generated(a) {
			s.alerts = append(s.alerts, a)
		}
	}
	if b.generated(rules.AlertIstioGatewayMemoryHigh) {
		s.records = []string{rules.GatewayMemoryRatio, rules.GatewayCPURatio}
	}
	for _, g := range gws {
		var ws []*watch
		if b.generated(rules.AlertIstioGatewayReplicasBelowMinimum) {
			ws = append(ws, b.gatewayReplicasWatch(g), b.gatewayMemoryWatch(g), b.gatewayCPUWatch(g))
		}
		for _, w := range ws {
			s.Tests = append(s.Tests, b.edgeCases(w)...)
		}
		if len(g.Certificates) > 0 {
			s.Tests = append(s.Tests, b.gatewayCertCases(g)...)
		}
	}
	if len(s.Tests) == 0 {
		return nil
	}
	return s
}

func gatewayMatch(g profile.Gateway, severity string) map[string]string {
	return map[string]string{"severity": severity, profile.GatewayLabel: g.Name}
}

// gatewayReplicasWatch: kube-state-metrics' available replicas of the
// gateway's Deployment, with another Deployment of the namespace at zero
// that must not count.
func (b *builder) gatewayReplicasWatch(g profile.Gateway) *watch {
	min := float64(g.MinReplicas)
	dep := func(name string) lbls { return b.kubeStateMetricsObject(g.Namespace).with("deployment", name) }
	w := &watch{
		alert: rules.AlertIstioGatewayReplicasBelowMinimum, baseline: min,
		labels: lbls{"namespace": g.Namespace, "deployment": g.WorkloadName()},
		show:   func(f float64) string { return g.Name + ": " + num(f) + " available of " + num(min) },
		inputs: func(level func(profile.Duration) float64, n int) []series {
			return []series{
				{dep(g.WorkloadName()).of("kube_deployment_status_replicas_available"), gauge(b.levels(level, n))},
				{dep(g.WorkloadName() + "-canary").of("kube_deployment_status_replicas_available"), gauge(constant(0, n))},
			}
		},
	}
	w.sevs = []sev{
		{rule: b.rule(w.alert, gatewayMatch(g, profile.SeverityWarning)), holds: lt(min), above: min - 1, below: min},
		{rule: b.rule(w.alert, gatewayMatch(g, profile.SeverityCritical)), holds: lt(1), above: 0, below: 1},
	}
	return w
}

// gatewayMemoryWatch: the first gateway pod's istio-proxy working set
// against its kube-state-metrics limit; the pod's total (container="")
// and a longer-named Deployment's pod far past its limit must not count.
func (b *builder) gatewayMemoryWatch(g profile.Gateway) *watch {
	pod, other := gatewayPod(g, 0), g.WorkloadName()+"-internal-7d9c8b6f5-"+podSuffix(12)
	bytes := func(r float64) float64 { return math.Round(r * gatewayLimitBytes) }
	w := &watch{
		alert: rules.AlertIstioGatewayMemoryHigh, baseline: g.MemoryWarningRatio / 2,
		labels: lbls{"namespace": g.Namespace, "pod": pod, profile.GatewayLabel: g.Name}, show: percent,
		inputs: func(level func(profile.Duration) float64, n int) []series {
			side := mapf(b.levels(level, n), bytes)
			c := func(p, container, image string) lbls { return b.cadvisor(g.Namespace, p, container, image) }
			total := mapf(side, func(v float64) float64 { return v + 1<<20 })
			return b.keep(
				series{c(pod, catalogue.SidecarContainer, proxyImage).of("container_memory_working_set_bytes"), gauge(side)},
				series{c(pod, "", "").of("container_memory_working_set_bytes"), gauge(total)},
				series{c(pod, catalogue.SidecarContainer, proxyImage).of("container_spec_memory_limit_bytes"), gauge(constant(gatewayLimitBytes, n))},
				series{b.resource(g.Namespace, pod, catalogue.SidecarContainer, "limits", "memory", false), gauge(constant(gatewayLimitBytes, n))},
				series{c(other, catalogue.SidecarContainer, proxyImage).of("container_memory_working_set_bytes"), gauge(constant(gatewayLimitBytes, n))},
				series{b.resource(g.Namespace, other, catalogue.SidecarContainer, "limits", "memory", false), gauge(constant(gatewayLimitBytes/2, n))},
			)
		},
	}
	value := func(q float64) float64 { return bytes(q) / gatewayLimitBytes }
	for _, t := range []struct {
		severity string
		ratio    float64
	}{{profile.SeverityWarning, g.MemoryWarningRatio}, {profile.SeverityCritical, g.MemoryCriticalRatio}} {
		w.sevs = append(w.sevs, sev{rule: b.rule(w.alert, gatewayMatch(g, t.severity)),
			holds: func(q float64) bool { return value(q) >= t.ratio }, value: value, above: above(t.ratio), below: below(t.ratio)})
	}
	return w
}

// gatewayCPUWatch: the first gateway pod's istio-proxy CPU against its
// kube-state-metrics CPU limit; the pod total counts the same CPU again.
func (b *builder) gatewayCPUWatch(g profile.Gateway) *watch {
	pod := gatewayPod(g, 0)
	w := &watch{
		alert: rules.AlertIstioGatewayCPUHigh, window: b.window(rules.AlertIstioGatewayCPUHigh), baseline: g.CPUWarningRatio / 2,
		labels: lbls{"namespace": g.Namespace, "pod": pod, profile.GatewayLabel: g.Name}, show: percent,
		inputs: func(level func(profile.Duration) float64, n int) []series {
			use := b.slopes(level, n, func(r float64) float64 { return r * gatewayLimitCores })
			c := func(container, image string) lbls { return b.cadvisor(g.Namespace, pod, container, image) }
			return b.keep(
				series{c(catalogue.SidecarContainer, proxyImage).of("container_cpu_usage_seconds_total"), counter(5123.5, use)},
				series{c("", "").of("container_cpu_usage_seconds_total"), counter(5130.25, use)},
				series{b.resource(g.Namespace, pod, catalogue.SidecarContainer, "limits", "cpu", false), gauge(constant(gatewayLimitCores, n))},
			)
		},
	}
	w.sevs = []sev{{rule: b.rule(w.alert, gatewayMatch(g, profile.SeverityWarning)), holds: ge(g.CPUWarningRatio),
		above: above(g.CPUWarningRatio), below: below(g.CPUWarningRatio)}}
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
