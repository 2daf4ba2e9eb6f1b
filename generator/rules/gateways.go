package rules

import (
	"fmt"
	"regexp"
	"strings"

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

// Gateway health is a proxy Deployment's (proxydeploy.go): available
// pods, memory and CPU against the live limits.

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
	certs := b.thresholds(AlertIstioGatewayCertificateExpiring)
	for i, g := range c.Profile.Spec.Gateways {
		d := Gateways(c)[i]
		rules = append(rules, b.proxyHealth(gatewayKind, d)...)
		if len(g.Certificates) > 0 {
			left := "max by (name) (\n" + indent(CertManagerGatewayCerts(c, g, "certmanager_certificate_expiration_timestamp_seconds"), "  ") + "\n) - time()"
			for _, t := range certs {
				if !sameLabels(t, d) {
					continue
				}
				rules = append(rules, b.alert(t, left+" < "+num(t.Value),
					"A gateway's TLS certificate expires soon.",
					d.Who+": cert-manager Certificate "+g.Namespace+"/{{ $labels.name }} expires in {{ $value | humanizeDuration }} ("+t.Severity+
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
var gatewayAlerts = append(gatewayKind.descriptors(), &Descriptor{
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
})
