package config

import (
	"fmt"

	"github.com/meshslo/meshslo/generator/profile"
)

// GatewayReporter is the reporter of a gateway's own requests. A gateway's
// Envoy is a client of the services it forwards to: istiod configures its
// stats filter with the client metrics and no reporter of its own
// (istio/istio pilot/pkg/model/telemetry.go: MetricsForClass and
// workloadMode map ListenerClassGateway to the client side, and only a
// waypoint gets stats.Reporter_SERVER_GATEWAY), and the filter then reports
// reporter="source" for every listener that is not inbound
// (istio/proxy source/extensions/filters/http/istio_stats/istio_stats.cc:
// Reporter::ClientSidecar unless the listener's direction is INBOUND). The
// source_* labels are the gateway's own workload: source_workload its
// Deployment (the WORKLOAD_NAME the gateway's pod carries),
// source_workload_namespace its namespace.
const GatewayReporter = "source"

// gatewaySLOs are the SLOs of every gateway, in profile order, as entries
// of spec.slos would say them.
func gatewaySLOs(p profile.Profile) []profile.SLO {
	var out []profile.SLO
	for _, g := range p.Spec.Gateways {
		for j := range g.SLOs {
			out = append(out, g.AsSLO(j))
		}
	}
	return out
}

// gatewaySLO completes the k-th gateway SLO: its reporter, its place in
// the profile and its gateway.
func gatewaySLO(p profile.Profile, slo *SLO, k int) {
	for i := range p.Spec.Gateways {
		g := &p.Spec.Gateways[i]
		if k < len(g.SLOs) {
			slo.Reporter = GatewayReporter
			slo.Field = fmt.Sprintf("spec.gateways[%d].slos[%d]", i, k)
			slo.Gateway = g
			return
		}
		k -= len(g.SLOs)
	}
}

// GatewaySLOs are the SLOs of gateway g.
func (c *Config) GatewaySLOs(g string) []SLO {
	var out []SLO
	for _, s := range c.SLOs {
		if s.Gateway != nil && s.Gateway.Name == g {
			out = append(out, s)
		}
	}
	return out
}
