// Gateways: the mesh's front door (ingress), its way out (egress) and the
// link between networks (east-west). Each gateway is an Envoy of its own,
// outside any application pod, whose requests it reports with
// reporter="source" (see generator/config/gateways.go for the sources).

package profile

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Gateway kinds.
const (
	GatewayIngress  = "ingress"
	GatewayEgress   = "egress"
	GatewayEastWest = "eastwest"
)

// GatewayKinds are the kinds a gateway can be.
var GatewayKinds = []string{GatewayIngress, GatewayEgress, GatewayEastWest}

// GatewayLabel is the label that names the gateway on its alerts and on
// its SLOs' recorded series.
const GatewayLabel = "gateway"

// DefaultGatewayNamespace is where a gateway runs when the profile does not
// say: Istio's docs install the gateway chart into istio-ingress.
const DefaultGatewayNamespace = "istio-ingress"

// WorkloadName is the gateway's Deployment and source_workload.
func (g Gateway) WorkloadName() string {
	if g.Workload != "" {
		return g.Workload
	}
	return g.Name
}

// SLOName is the name of the gateway's j-th SLO.
func (g Gateway) SLOName(j int) string {
	if n := g.SLOs[j].Name; n != "" {
		return n
	}
	return g.Name + "-" + g.SLOs[j].SLI
}

// fillGatewayDefaults completes gateway entries: list entries are decoded
// from zero values, so every tagged field still at zero takes its tag's
// default (a zero that the check would refuse, or a 0 for: that a gateway
// does not need, reads as unset).
func fillGatewayDefaults(p *Profile) {
	for i := range p.Spec.Gateways {
		g := &p.Spec.Gateways[i]
		if g.Namespace == "" {
			g.Namespace = DefaultGatewayNamespace
		}
		fillTagDefaults("Gateway", g)
		for j := range g.SLOs {
			s := &g.SLOs[j]
			if s.Window == 0 {
				s.Window = DefaultSLOWindow
			}
			if s.SLI == SLILatency && s.Threshold == 0 {
				s.Threshold = DefaultLatencyThreshold
			}
		}
	}
}

// AsSLO is the gateway SLO as an entry of spec.slos would say it: its
// requests are those the gateway's own proxy reports (the reporter is
// config's), labelled with the gateway.
func (g Gateway) AsSLO(j int) SLO {
	gs := g.SLOs[j]
	labels := map[string]string{GatewayLabel: g.Name}
	for k, v := range gs.Labels {
		labels[k] = v
	}
	return SLO{
		Name: g.SLOName(j), SLI: gs.SLI, Objective: gs.Objective, Threshold: gs.Threshold, Window: gs.Window,
		Selector:    map[string]string{"source_workload": g.WorkloadName(), "source_workload_namespace": g.Namespace},
		MinRequests: gs.MinRequests, Labels: labels,
	}
}

// MaxGatewayCertificateExpiry bounds a gateway certificate's expiry
// thresholds: cert-manager's default Certificate lives 90 days.
const MaxGatewayCertificateExpiry = Duration(90 * 24 * time.Hour)

func validateGateways(v *validator, s *Spec) {
	names := map[string]int{}
	workloads := map[[2]string]int{}
	sloNames := map[string]string{}
	for i, slo := range s.SLOs {
		sloNames[slo.Name] = fmt.Sprintf("spec.slos[%d]", i)
	}
	for i, g := range s.Gateways {
		f := fmt.Sprintf("spec.gateways[%d]", i)
		if len(validation.IsDNS1123Label(g.Name)) > 0 {
			v.add(f+".name", "expected 1 to 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit, got %q", g.Name)
		} else if k, dup := names[g.Name]; dup {
			v.add(f+".name", "duplicate gateway name %q (also spec.gateways[%d])", g.Name, k)
		} else {
			names[g.Name] = i
		}
		if len(validation.IsDNS1123Label(g.Namespace)) > 0 {
			v.add(f+".namespace", "expected a Kubernetes namespace (a DNS label), got %q", g.Namespace)
		}
		if g.Workload != "" && len(validation.IsDNS1123Subdomain(g.Workload)) > 0 {
			v.add(f+".workload", "expected a Deployment name (a DNS subdomain), got %q", g.Workload)
		}
		w := [2]string{g.Namespace, g.WorkloadName()}
		if k, dup := workloads[w]; dup {
			v.add(f+".workload", "spec.gateways[%d] is already the Deployment %s/%s; one entry per gateway Deployment", k, w[0], w[1])
		} else {
			workloads[w] = i
		}
		v.oneOf(f+".kind", g.Kind, GatewayKinds)
		validateProxyHealth(v, f, g.Health())
		v.checkTagged(f, &g)
		v.within(f+".certificateExpiryWarning", g.CertificateExpiryWarning, Duration(time.Hour), MaxGatewayCertificateExpiry, "a certificate's time left", false)
		v.within(f+".certificateExpiryCritical", g.CertificateExpiryCritical, Duration(time.Hour), MaxGatewayCertificateExpiry, "a certificate's time left", false)
		if g.CertificateExpiryCritical >= g.CertificateExpiryWarning {
			v.add(f+".certificateExpiryWarning", "expected the warning threshold %s to be above %s.certificateExpiryCritical (%s): more time left warns first",
				g.CertificateExpiryWarning, f, g.CertificateExpiryCritical)
		}
		seenCert := map[string]bool{}
		for j, c := range g.Certificates {
			cf := fmt.Sprintf("%s.certificates[%d]", f, j)
			switch {
			case c == "*":
				if len(g.Certificates) > 1 {
					v.add(cf, "\"*\" is every Certificate of %s; list names or \"*\", not both", g.Namespace)
				}
			case len(validation.IsDNS1123Subdomain(c)) > 0:
				v.add(cf, "expected the name of a cert-manager Certificate in %s (a DNS subdomain) or \"*\", got %q", g.Namespace, c)
			case seenCert[c]:
				v.add(cf, "duplicate: %q is already listed", c)
			}
			seenCert[c] = true
		}
		if g.Kind == GatewayEastWest && len(g.SLOs) > 0 {
			v.add(f+".slos", "an east-west gateway passes mTLS through by SNI (AUTO_PASSTHROUGH) and reports no HTTP requests, only istio_tcp_*; remove its slos")
		}
		for j := range g.SLOs {
			gs := g.SLOs[j]
			sf := fmt.Sprintf("%s.slos[%d]", f, j)
			name := g.SLOName(j)
			switch {
			case !sloNameRe.MatchString(name):
				v.add(sf+".name", "expected 1 to 63 characters of a-z, 0-9, '-' and '_', starting with a letter or digit, got %q", name)
			case sloNames[name] != "":
				v.add(sf+".name", "duplicate SLO name %q (also %s); name one of them", name, sloNames[name])
			default:
				sloNames[name] = sf
			}
			v.oneOf(sf+".sli", gs.SLI, []string{SLIAvailability, SLILatency})
			checkObjective(v, sf+".objective", gs.Objective)
			v.within(sf+".window", gs.Window, MinSLOWindow, MaxSLOWindow, "an SLO period", false)
			switch gs.SLI {
			case SLILatency:
				checkBucket(v, sf+".threshold", gs.Threshold, s.LatencyBucketsMs())
			case SLIAvailability:
				if gs.Threshold != 0 {
					v.add(sf+".threshold", "only a latency SLO has a threshold; remove it or set sli: latency")
				}
			}
			if m := gs.MinRequests; m != nil && (*m < 0 || *m > MaxMinRequests) {
				v.add(sf+".minRequests", "expected a number of requests from 0 (no guard) to %d, got %d", MaxMinRequests, *m)
			}
			checkSLOLabels(v, sf, SLO{Labels: gs.Labels}, s.Mesh)
			if validObjective(gs.Objective) && gs.Window >= MinSLOWindow && gs.Window <= MaxSLOWindow {
				for k, t := range s.BurnRates {
					if !(t.Long > 0 && t.BudgetShare > 0 && t.BudgetShare < 1) {
						continue
					}
					factor := roundNumber(t.BudgetShare * gs.Window.Seconds() / t.Long.Seconds())
					budget := roundNumber(1 - float64(gs.Objective)/100)
					if need := roundNumber(factor * budget); need >= 1 {
						v.add(sf+".objective", "spec.burnRates[%d]: factor %s x error budget %s%% = %s%%: this tier can never fire for the gateway's SLO (objective %s over %s)",
							k, FormatNumber(factor), FormatNumber(budget*100), FormatNumber(need*100), FormatNumber(float64(gs.Objective)), gs.Window)
					}
				}
			}
		}
	}
}

// GatewaysListCertificates says whether a gateway lists cert-manager
// Certificates, whose series the certManager selector then selects too.
func (s *Spec) GatewaysListCertificates() bool {
	for _, g := range s.Gateways {
		if len(g.Certificates) > 0 {
			return true
		}
	}
	return false
}
