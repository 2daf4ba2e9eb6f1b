package rules

import (
	"fmt"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
)

// Recorded series of certificate lifetimes, in seconds left.
const (
	RootCertRemaining = "mesh:istio_root_cert_remaining:seconds"
	CACertRemaining   = "mesh:istio_ca_cert_chain_remaining:seconds"
)

func (b *builder) certificates() File {
	c := b.c
	istiod := c.Selectors.Istiod
	// Istio 1.23+ exports seconds left; older ones only the expiry time.
	remaining := func(name, seconds, timestamp, what string) Rule {
		return record(name, lines(
			"min("+istiod.Metric(seconds)+")",
			"or",
			"min("+istiod.Metric(timestamp)+") - time()",
		), "Time left on the "+what+" (only when istiod is the CA).")
	}
	expiring := func(alert, series, what string) []Rule {
		var out []Rule
		for _, t := range b.thresholds(alert) {
			out = append(out, b.alert(t, series+" < "+num(t.Value),
				"The mesh "+what+" expires soon.",
				"The mesh "+what+" expires in {{ $value | humanizeDuration }} ("+t.Severity+" below "+t.Shown+
					"). When it expires, mTLS between workloads fails."))
		}
		return out
	}
	workload := "min by (namespace, pod) (" + SignalsOf(c).WorkloadCert.Metric("istio_agent_cert_expiry_seconds") + ")"

	rules := []Rule{
		remaining(RootCertRemaining, "citadel_server_root_cert_expiry_seconds", "citadel_server_root_cert_expiry_timestamp", "root certificate"),
		remaining(CACertRemaining, "citadel_server_cert_chain_expiry_seconds", "citadel_server_cert_chain_expiry_timestamp", "CA certificate chain"),
	}
	rules = append(rules, expiring(AlertIstioRootCertificateExpiring, RootCertRemaining, "root certificate")...)
	rules = append(rules, expiring(AlertIstioCACertificateExpiring, CACertRemaining, "CA certificate")...)
	for _, t := range b.thresholds(AlertIstioWorkloadCertRotation) {
		rules = append(rules, b.alert(t, workload+" < "+num(t.Value),
			"A workload certificate is not being rotated.",
			"The workload certificate of {{ $labels.namespace }}/{{ $labels.pod }} expires in {{ $value | humanizeDuration }} ("+
				t.Severity+" below "+t.Shown+"). Workload certificates live 24h and rotate at half life, so rotation has stalled."))
	}
	return File{
		Name:    "certificates",
		Comment: "Mesh CA certificates (long-lived) and workload certificate rotation (24h).",
		Groups:  []Group{b.group("certificates", rules...)},
	}
}

// Alert names of this concern.
const (
	AlertIstioRootCertificateExpiring = "IstioRootCertificateExpiring"
	AlertIstioCACertificateExpiring   = "IstioCACertificateExpiring"
	AlertIstioWorkloadCertRotation    = "IstioWorkloadCertificateRotationStalled"
)

// certificateAlerts describe the alerts on certificate lifetimes.
var certificateAlerts = []*Descriptor{
	caExpiry(AlertIstioRootCertificateExpiring, "root", "the mesh root CA certificate expires in under {warning} / {critical}"),
	caExpiry(AlertIstioCACertificateExpiring, "CA", "istiod's signing CA certificate chain expires in under {warning} / {critical}"),
	{
		Name:    AlertIstioWorkloadCertRotation,
		Meaning: "a proxy's workload certificate has under {warning} / {critical} left: rotation is failing",
		Thresholds: func(c *config.Config) []Threshold {
			ct := c.Profile.Spec.Certificates
			left := func(sev, field string, d profile.Duration, draw string) Threshold {
				return Threshold{Alert: AlertIstioWorkloadCertRotation, Severity: sev,
					Condition: fmt.Sprintf("a workload certificate has less than %s left", d),
					Fields:    []string{"spec.certificates." + field},
					Value:     d.Seconds(), Shown: d.String(), For: ct.For, Draw: "certificates." + draw,
					Panels: []string{"oncall/Workload certificates: least time left"}}
			}
			return []Threshold{
				left(profile.SeverityWarning, "workloadExpiryWarning", ct.WorkloadExpiryWarning, "workloadExpiryWarningSeconds"),
				left(profile.SeverityCritical, "workloadExpiryCritical", ct.WorkloadExpiryCritical, "workloadExpiryCriticalSeconds"),
			}
		},
	},
}
