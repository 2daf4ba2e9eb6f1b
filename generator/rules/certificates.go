package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/selector"
)

// Recorded series of certificate lifetimes, in seconds left.
const (
	RootCertRemaining = "mesh:istio_root_cert_remaining:seconds"
	CACertRemaining   = "mesh:istio_ca_cert_chain_remaining:seconds"
	// CertManagerCertRemaining is per cert-manager Certificate: namespace
	// (the Certificate's, whatever honor_labels was), name, issuer_kind,
	// issuer_name.
	CertManagerCertRemaining = "namespace_name:certmanager_certificate_remaining:seconds"
)

// Which certificate series exist depends on who signs the mesh's
// certificates (spec.certificates.ca), from istio/istio's sources:
//   - istiod's self-signed CA exports the root's expiry only: the chain
//     gauge is set only from a plugged-in cert chain
//     (security/pkg/pki/ca/ca.go, security/pkg/server/ca/monitoring.go;
//     Istio 1.23+ adds the *_seconds gauges beside the *_timestamp ones);
//   - plugged-in cacerts give root and chain;
//   - with cert-manager (istio-csr) or another external CA istiod runs
//     with ENABLE_CA_SERVER=false and no citadel_* series exist at all;
//     cert-manager exports certmanager_certificate_expiration_timestamp_seconds
//     and certmanager_certificate_renewal_timestamp_seconds per Certificate
//     (cert-manager pkg/metrics/certificates.go: labels name, namespace,
//     issuer_name, issuer_kind, issuer_group; 0 until the Certificate is
//     issued);
//   - every proxy's agent exports its workload certificate's time left and
//     its failed CSRs, whoever signs (security/pkg/nodeagent/cache:
//     istio_agent_cert_expiry_seconds{resource_name},
//     istio_agent_num_failed_outgoing_requests{request_type="csr"}).
var (
	caHasRoot        = []string{profile.CAIstiod, profile.CAPlugged}
	caHasChain       = []string{profile.CAPlugged}
	caHasCertManager = []string{profile.CACertManager}
	// caHasExpiry are the modes with a long-lived CA certificate series.
	caHasExpiry = []string{profile.CAIstiod, profile.CAPlugged, profile.CACertManager}
	// caHasCitadel are the modes where istiod signs CSRs itself.
	caHasCitadel = caHasRoot
)

// onlyCA returns a Descriptor.Skip that generates the alert in the given
// CA modes only, saying why not otherwise.
func onlyCA(modes []string, why string) func(c *config.Config) string {
	return func(c *config.Config) string {
		ca := c.Profile.Spec.Certificates.CA
		if slices.Contains(modes, ca) {
			return ""
		}
		return "not generated with spec.certificates.ca " + ca + ": " + why
	}
}

func (b *builder) certificates() File {
	c := b.c
	ct := c.Profile.Spec.Certificates
	istiod := c.Selectors.Istiod
	// Istio 1.23+ exports seconds left; older ones only the expiry time.
	remaining := func(name, seconds, timestamp, what string) Rule {
		return record(name, lines(
			"min("+istiod.Metric(seconds)+")",
			"or",
			"min("+istiod.Metric(timestamp)+") - time()",
		), "Time left on the "+what+" (only when istiod is the CA).")
	}
	// cert-manager's series, with the Certificate's namespace in namespace:
	// under honor_labels false (the default of cert-manager's chart,
	// deploy/charts/cert-manager values.yaml prometheus.servicemonitor.honorLabels)
	// Prometheus moves it to exported_namespace and namespace is
	// cert-manager's own.
	certManager := func(metric string) string {
		return `label_replace(` + c.Selectors.CertManager.Metric(metric) + ` > 0, "namespace", "$1", "exported_namespace", "(.+)")`
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

	var rules []Rule
	has := func(modes []string) bool { return slices.Contains(modes, ct.CA) }
	if has(caHasRoot) {
		rules = append(rules, remaining(RootCertRemaining, "citadel_server_root_cert_expiry_seconds", "citadel_server_root_cert_expiry_timestamp", "root certificate"))
	}
	if has(caHasChain) {
		rules = append(rules, remaining(CACertRemaining, "citadel_server_cert_chain_expiry_seconds", "citadel_server_cert_chain_expiry_timestamp", "CA certificate chain"))
	}
	if has(caHasCertManager) {
		rules = append(rules, record(CertManagerCertRemaining,
			"max by (namespace, name, issuer_kind, issuer_name) (\n  "+certManager("certmanager_certificate_expiration_timestamp_seconds")+"\n) - time()",
			"Time left on each cert-manager Certificate the certManager selector picks, in the Certificate's namespace; not yet issued Certificates (expiry 0) are left out."))
	}
	if has(caHasRoot) {
		rules = append(rules, expiring(AlertIstioRootCertificateExpiring, RootCertRemaining, "root certificate")...)
	}
	if has(caHasChain) {
		rules = append(rules, expiring(AlertIstioCACertificateExpiring, CACertRemaining, "CA certificate")...)
	}
	if has(caHasCertManager) {
		for _, t := range b.thresholds(AlertIstioCertManagerCertificateExpiring) {
			rules = append(rules, b.alert(t, CertManagerCertRemaining+" < "+num(t.Value),
				"A cert-manager certificate of the mesh expires soon.",
				"cert-manager Certificate {{ $labels.namespace }}/{{ $labels.name }} (issuer {{ $labels.issuer_kind }}/{{ $labels.issuer_name }}) expires in {{ $value | humanizeDuration }} ("+
					t.Severity+" below "+t.Shown+"): cert-manager has not renewed it. With istio-csr, an expired CA certificate stops workload certificate signing and then mTLS."))
		}
	}
	if has(caHasExpiry) {
		t := b.thresholds(AlertIstioCACertificateRotationDue)[0]
		var expr, desc string
		if has(caHasCertManager) {
			renewal := "max by (namespace, name) (\n    " + certManager("certmanager_certificate_renewal_timestamp_seconds") + "\n  ) > time()"
			expr = lines(CertManagerCertRemaining+" < "+num(t.Value), "unless on (namespace, name)", "  "+renewal)
			desc = "cert-manager Certificate {{ $labels.namespace }}/{{ $labels.name }} (issuer {{ $labels.issuer_kind }}/{{ $labels.issuer_name }}) expires in {{ $value | humanizeDuration }} (under " +
				t.Shown + ") and cert-manager has no renewal scheduled ahead: plan its rotation (a CA Issuer's root is rotated by hand)."
		} else {
			parts := []string{`label_replace(` + RootCertRemaining + ` < ` + num(t.Value) + `, "certificate", "root", "", "")`}
			if has(caHasChain) {
				parts = append(parts, `label_replace(`+CACertRemaining+` < `+num(t.Value)+`, "certificate", "intermediate", "", "")`)
			}
			expr = joinOr(parts)
			desc = "The mesh {{ $labels.certificate }} CA certificate expires in {{ $value | humanizeDuration }} (under " + t.Shown +
				"). Rotating a root or an intermediate takes planning: every workload must trust the new root before the old one goes."
		}
		rules = append(rules, b.alert(t, expr, "A mesh CA certificate is due for rotation.", desc))

		a := b.thresholds(AlertIstioCertificateMetricsAbsent)[0]
		up := "count(" + istiod.Metric("up") + " == 1) > " + num(a.Value)
		var checks []string
		missing := func(what, present string) {
			checks = append(checks, lines(
				"(",
				`  label_replace(`+up+`, "missing", `+strconv.Quote(what)+`, "", "")`,
				"  unless on ()",
				"  ("+present+")",
				")"))
		}
		count := func(metrics ...string) string {
			var cs []string
			for _, m := range metrics {
				cs = append(cs, "count("+istiod.Metric(m)+")")
			}
			return strings.Join(cs, " or ")
		}
		if has(caHasRoot) {
			missing("citadel_server_root_cert_expiry_seconds", count("citadel_server_root_cert_expiry_seconds", "citadel_server_root_cert_expiry_timestamp"))
		}
		if has(caHasChain) {
			missing("citadel_server_cert_chain_expiry_seconds", count("citadel_server_cert_chain_expiry_seconds", "citadel_server_cert_chain_expiry_timestamp"))
		}
		if has(caHasCertManager) {
			missing("certmanager_certificate_expiration_timestamp_seconds", "count("+c.Selectors.CertManager.Metric("certmanager_certificate_expiration_timestamp_seconds")+")")
		}
		rules = append(rules, b.alert(a, joinOr(checks),
			"Certificate expiry metrics are missing.",
			"{{ $value }} istiod targets are up but no {{ $labels.missing }} series has been seen for "+a.For.String()+
				". The profile says spec.certificates.ca is "+ct.CA+": either the mesh's CA is another one, or the series is not scraped or is dropped, and the CA certificate expiry alerts cannot fire."))
	}

	// Workload certificates, one alert per namespace: a CA outage stalls
	// every proxy's rotation at once, and one alert per pod would be
	// thousands.
	workloadCert := SignalsOf(c).WorkloadCert
	// The alert's value is how many pods of the namespace are below the
	// threshold (the severity says how close they are); annotations run no
	// queries, so the least time left is on the dashboard.
	for _, t := range b.thresholds(AlertIstioWorkloadCertRotation) {
		rules = append(rules, b.alert(t, "count by (namespace) ("+workloadCert.Metric("istio_agent_cert_expiry_seconds")+" < "+num(t.Value)+")",
			"Workload certificates are not being rotated.",
			"{{ $value }} pods in namespace {{ $labels.namespace }} have a workload certificate with less than "+t.Shown+" left ("+t.Severity+"). "+
				"Workload certificates live 24h and rotate at half life, so rotation has stalled; many namespaces at once point at the CA."))
	}

	// Failed certificate signing: istiod's CA counts the CSRs it could not
	// sign (security/pkg/server/ca/monitoring.go, label error), every agent
	// the CSRs that failed from its side (CA unreachable included).
	for _, t := range b.thresholds(AlertIstioCertificateSigningFailures) {
		var expr, desc string
		switch t.Labels["source"] {
		case csrSourceIstiod:
			expr = "sum(increase(" + istiod.Metric("citadel_server_csr_sign_err_count") + "[5m])) > " + num(t.Value)
			desc = "istiod's CA failed to sign {{ $value | humanize }} certificate signing requests in 5m (tolerated: " + t.Shown + ")."
		default:
			expr = "sum(increase(" + c.Selectors.Proxies.With(selector.Equal("request_type", "csr")).Metric("istio_agent_num_failed_outgoing_requests") + "[5m])) > " + num(t.Value)
			desc = "Proxies' agents saw {{ $value | humanize }} certificate signing requests fail in 5m (tolerated: " + t.Shown + ")."
		}
		rules = append(rules, b.alert(t, expr, "Workload certificate signing fails.",
			desc+" Held for "+t.For.String()+", this comes hours before workload certificates run out (they rotate at half of 24h)."))
	}
	return File{
		Name:    "certificates",
		Comment: "Mesh CA certificates (long-lived, by spec.certificates.ca: " + ct.CA + "), workload certificate rotation (24h) and certificate signing.",
		Groups:  []Group{b.group("certificates", rules...)},
	}
}

// Alert names of this concern.
const (
	AlertIstioRootCertificateExpiring        = "IstioRootCertificateExpiring"
	AlertIstioCACertificateExpiring          = "IstioCACertificateExpiring"
	AlertIstioCertManagerCertificateExpiring = "IstioCertManagerCertificateExpiring"
	AlertIstioCACertificateRotationDue       = "IstioCACertificateRotationDue"
	AlertIstioCertificateMetricsAbsent       = "IstioCertificateMetricsAbsent"
	AlertIstioWorkloadCertRotation           = "IstioWorkloadCertificateRotationStalled"
	AlertIstioCertificateSigningFailures     = "IstioCertificateSigningFailures"
)

// Values of the source label of IstioCertificateSigningFailures.
const (
	csrSourceIstiod = "istiod"
	csrSourceAgent  = "istio-agent"
)

// certificateAlerts describe the alerts on certificate lifetimes.
var certificateAlerts = []*Descriptor{
	caExpiry(AlertIstioRootCertificateExpiring, "root", "the mesh root CA certificate expires in under {warning} / {critical}",
		onlyCA(caHasRoot, "istiod is not the CA, so it exports no root certificate metric")),
	caExpiry(AlertIstioCACertificateExpiring, "CA", "istiod's signing CA certificate chain (plugged-in cacerts) expires in under {warning} / {critical}",
		onlyCA(caHasChain, "only plugged-in cacerts have a CA certificate chain metric")),
	caExpiry(AlertIstioCertManagerCertificateExpiring, "cert-manager", "a cert-manager Certificate of the mesh (istio-csr's CA, ...) expires in under {warning} / {critical}",
		onlyCA(caHasCertManager, "only cert-manager exports cert-manager Certificates")),
	{
		Name:           AlertIstioCACertificateRotationDue,
		InstanceLabels: []string{"certificate", "namespace", "name"},
		Meaning:        "a root or intermediate CA certificate has under {warning} left: plan its rotation",
		Skip:           onlyCA(caHasExpiry, "an external CA exports no CA certificate expiry metric"),
		Thresholds: func(c *config.Config) []Threshold {
			ct := c.Profile.Spec.Certificates
			return []Threshold{{Alert: AlertIstioCACertificateRotationDue, Severity: profile.SeverityWarning,
				Condition: fmt.Sprintf("a root or intermediate CA certificate (a cert-manager Certificate with no renewal ahead) has less than %s left", ct.RotationPlanning),
				Fields:    []string{"spec.certificates.rotationPlanning", "spec.certificates.ca"},
				Value:     ct.RotationPlanning.Seconds(), Shown: ct.RotationPlanning.String(), For: ct.For, Draw: "certificates.rotationPlanningSeconds",
				Panels: []string{"oncall/Mesh CA certificates: time left"}}}
		},
	},
	{
		Name:           AlertIstioCertificateMetricsAbsent,
		InstanceLabels: []string{"missing"},
		Meaning:        "istiod is up but the CA mode's certificate expiry series have been missing for {for}",
		Skip:           onlyCA(caHasExpiry, "an external CA exports no CA certificate expiry metric to miss"),
		Thresholds: func(c *config.Config) []Threshold {
			ct := c.Profile.Spec.Certificates
			return []Threshold{{Alert: AlertIstioCertificateMetricsAbsent, Severity: profile.SeverityWarning,
				Condition: fmt.Sprintf("istiod is up and the expiry series of spec.certificates.ca %s are missing for %s", ct.CA, ct.AbsentFor),
				Fields:    []string{"spec.certificates.ca", "spec.certificates.absentFor"},
				Value:     0, Shown: "absent", For: ct.AbsentFor}}
		},
	},
	{
		Name:           AlertIstioWorkloadCertRotation,
		InstanceLabels: []string{"namespace"},
		Meaning:        "proxies' workload certificates have under {warning} / {critical} left: rotation is failing (one alert per namespace)",
		Thresholds: func(c *config.Config) []Threshold {
			ct := c.Profile.Spec.Certificates
			left := func(sev, field string, d profile.Duration, draw string) Threshold {
				return Threshold{Alert: AlertIstioWorkloadCertRotation, Severity: sev,
					Condition: fmt.Sprintf("a workload certificate in the namespace has less than %s left", d),
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
	{
		Name:           AlertIstioCertificateSigningFailures,
		InstanceLabels: []string{"source"},
		Meaning:        "certificate signing requests fail (more than {warning} per 5m for {for}), seen by istiod's CA or the proxies' agents",
		Thresholds: func(c *config.Config) []Threshold {
			ct := c.Profile.Spec.Certificates
			csr := func(source, who string) Threshold {
				return Threshold{Alert: AlertIstioCertificateSigningFailures, Severity: profile.SeverityWarning,
					Condition: fmt.Sprintf("%s saw more than %s failed certificate signing requests per 5m for %s", who, num(ct.CSRFailuresWarning), ct.CSRFailuresFor),
					Fields:    []string{"spec.certificates.csrFailuresWarning", "spec.certificates.csrFailuresFor"},
					Value:     ct.CSRFailuresWarning, Shown: num(ct.CSRFailuresWarning), For: ct.CSRFailuresFor,
					Draw: "certificates.csrFailuresWarning", Panels: []string{"oncall/Certificate signing: failed CSRs per 5m"},
					Labels: map[string]string{"source": source}}
			}
			var out []Threshold
			if slices.Contains(caHasCitadel, c.Profile.Spec.Certificates.CA) {
				out = append(out, csr(csrSourceIstiod, "istiod's CA"))
			}
			return append(out, csr(csrSourceAgent, "the proxies' agents"))
		},
	},
}
