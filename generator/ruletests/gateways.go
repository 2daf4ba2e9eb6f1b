package ruletests

import (
	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
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
