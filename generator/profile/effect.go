package profile

import (
	"fmt"
	"regexp"
)

// Messages for required values the file leaves out, and warnings for
// values the file sets that change nothing. Both need to know what the
// file wrote (Loaded.Positions), so they work on a Loaded, after Validate.

// required are the fields without a default, with what a value looks
// like; a problem on one the file did not write says "missing".
var required = []struct {
	path   *regexp.Regexp
	expect string
}{
	{regexp.MustCompile(`^metadata\.name$`), "the profile's name: 1 to 63 characters of a-z, 0-9 and '-' (it names the output folder), such as payments-prod"},
	{regexp.MustCompile(`^spec\.slos\[\d+\]\.name$`), "a name such as availability: 1 to 63 characters of a-z, 0-9, '-' and '_'"},
	{regexp.MustCompile(`^spec\.slos\[\d+\]\.sli$`), "availability or latency"},
	{regexp.MustCompile(`^spec\.slos\[\d+\]\.objective$`), "a percentage like 99.9"},
	{regexp.MustCompile(`^spec\.slos\[\d+\]\.services\[\d+\]\.namespace$`), "the service's namespace (its destination_service_namespace label)"},
	{regexp.MustCompile(`^spec\.slos\[\d+\]\.services\[\d+\]\.name$`), "the service's name (its destination_service_name label)"},
}

// missingMessage rewrites a problem on a required field the file did not
// write: "missing; expected ...", not the zero value it holds ("got 0").
func (l *Loaded) missingMessage(e *Error) {
	if e.Warning {
		return
	}
	if _, written := l.Positions[e.Field]; written {
		return
	}
	for _, r := range required {
		if r.path.MatchString(e.Field) {
			e.Msg = "missing; expected " + r.expect
			return
		}
	}
}

// noEffect warns about fields the file sets that the generated output does
// not use with the rest of this profile (where each is read: types.go and
// the files named below). errs are the problems found so far: a field
// that is wrong already gets no warning on top.
func (l *Loaded) noEffect(errs Errors) Errors {
	s := l.Profile.Spec
	var out Errors
	bad := map[string]bool{}
	for _, e := range errs {
		bad[e.Field] = true
	}
	warn := func(field, format string, args ...any) {
		pos, set := l.Positions[field]
		if !set || bad[field] {
			return
		}
		out = append(out, &Error{File: l.File, Line: pos.Line, Column: pos.Column, Field: field, Warning: true,
			Msg: fmt.Sprintf(format, args...) + " (--strict makes this an error)"})
	}
	// config.New matches the cluster label only when a cluster is named.
	if s.Mesh.Cluster == "" && !s.Mesh.MultiCluster() {
		warn("spec.mesh.clusterLabel", "has no effect without spec.mesh.cluster: the rules match %s only when a cluster is named; set spec.mesh.cluster or remove clusterLabel", s.Mesh.ClusterLabel)
	}
	// Only a multi-cluster topology gets the remote-cluster sync alert (rules/remoteclusters.go).
	if !s.Mesh.MultiCluster() {
		warn("spec.mesh.clusters.remoteSyncFor", "has no effect with spec.mesh.clusters.topology %s: only a multi-cluster topology gets IstioRemoteClusterNotSynced", s.Mesh.Clusters.Topology)
	}
	// Only the cert-manager CA mode reads cert-manager's series (rules/certificates.go).
	if s.Certificates.CA != CACertManager && !s.GatewaysListCertificates() {
		warn("spec.prometheus.selectors.certManager", "has no effect with spec.certificates.ca %s: only the cert-manager mode reads cert-manager's series", s.Certificates.CA)
	}
	// An external CA exports no CA certificate expiry series, so its
	// expiry, rotation and absence alerts are not generated.
	if s.Certificates.CA == CAExternal {
		for _, f := range []string{"expiryWarning", "expiryCritical", "rotationPlanning", "absentFor"} {
			warn("spec.certificates."+f, "has no effect with spec.certificates.ca external: an external CA exports no CA certificate expiry series, so no alert reads it")
		}
	}
	// The istiod namespace only places the generated ServiceMonitor
	// (render/monitors.go), which only kube-prometheus-stack gets.
	if s.Prometheus.Scrape != ScrapeKubePrometheusStack {
		warn("spec.istiod.namespace", "has no effect with spec.prometheus.scrape %s: it places the generated ServiceMonitor, which only kube-prometheus-stack gets", s.Prometheus.Scrape)
	}
	// Burn tiers and the budget alert belong to SLOs.
	if len(s.SLOs) == 0 {
		for _, f := range []string{"spec.burnRates", "spec.errorBudget.exhaustedFor"} {
			warn(f, "has no effect: spec.slos is empty, so no SLO alert is generated")
		}
	}
	return out
}
