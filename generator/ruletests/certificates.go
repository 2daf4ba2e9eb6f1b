package ruletests

import (
	"fmt"
	"slices"
	"strings"

	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
)

// certificates tests the certificate alerts the profile's CA mode
// (spec.certificates.ca) generates, each at the edges of its thresholds,
// with the series that mode's exporters give: citadel_* from istiod
// (istiod, plugged), cert-manager's Certificates (cert-manager), and the
// agents' workload certificate and CSR series (every mode).
func (b *builder) certificates() *suite {
	ct := b.c.Profile.Spec.Certificates
	s := b.newSuite("certificates.test.yaml", "Certificate alerts at the edges of their thresholds (spec.certificates.ca: "+ct.CA+
		"): the time left crosses each threshold at a known evaluation; expiry series go missing; CSRs fail.")
	for _, a := range []string{rules.AlertIstioRootCertificateExpiring, rules.AlertIstioCACertificateExpiring, rules.AlertIstioCertManagerCertificateExpiring,
		rules.AlertIstioCACertificateRotationDue, rules.AlertIstioCertificateMetricsAbsent, rules.AlertIstioWorkloadCertRotation, rules.AlertIstioCertificateSigningFailures} {
		if b.generated(a) {
			s.alerts = append(s.alerts, a)
		}
	}
	istiods := b.scrapedIstiods()
	type citadelCert struct {
		alert, seconds, timestamp, record, kind string
	}
	var citadel []citadelCert
	if b.generated(rules.AlertIstioRootCertificateExpiring) {
		citadel = append(citadel, citadelCert{rules.AlertIstioRootCertificateExpiring, "citadel_server_root_cert_expiry_seconds", "citadel_server_root_cert_expiry_timestamp", rules.RootCertRemaining, "root"})
	}
	if b.generated(rules.AlertIstioCACertificateExpiring) {
		citadel = append(citadel, citadelCert{rules.AlertIstioCACertificateExpiring, "citadel_server_cert_chain_expiry_seconds", "citadel_server_cert_chain_expiry_timestamp", rules.CACertRemaining, "intermediate"})
	}
	for _, cert := range citadel {
		s.records = append(s.records, cert.record)
		inputs := func(left func(profile.Duration) float64, n int) []series {
			var out []series
			for _, p := range istiods {
				out = append(out, series{p.of(cert.seconds), gauge(b.levels(left, n))})
			}
			return out
		}
		w := &watch{alert: cert.alert, labels: lbls{}, show: showSeconds, inputs: inputs}
		w.sevs = b.certSevs(cert.alert, nil, ct.ExpiryWarning, ct.ExpiryCritical)
		s.Tests = append(s.Tests, b.certCases(w)...)
		s.Tests = append(s.Tests, b.timestampOnly(w, cert.timestamp, cert.record, istiods))

		due := &watch{alert: rules.AlertIstioCACertificateRotationDue, labels: lbls{"certificate": cert.kind}, show: showSeconds, inputs: inputs}
		due.sevs = b.certSevs(due.alert, nil, ct.RotationPlanning)
		s.Tests = append(s.Tests, b.certCases(due)...)
	}
	if b.generated(rules.AlertIstioCertManagerCertificateExpiring) {
		s.records = append(s.records, rules.CertManagerCertRemaining)
		s.Tests = append(s.Tests, b.certManagerCases()...)
	}
	if b.generated(rules.AlertIstioCertificateMetricsAbsent) {
		s.Tests = append(s.Tests, b.absentCases(istiods)...)
	}
	s.Tests = append(s.Tests, b.workloadCases()...)
	s.Tests = append(s.Tests, b.signingCases(istiods)...)
	return s
}

// generated reports whether the rules hold the alert (the CA mode decides).
func (b *builder) generated(alert string) bool {
	return slices.ContainsFunc(rules.Alerts(b.files), func(r rules.Rule) bool { return r.Alert == alert })
}

func showSeconds(f float64) string { return profile.Duration(f*1e9).String() + " left" }

// certSevs are the severities of a time-left alert: warning, then
// critical when a second threshold is given.
func (b *builder) certSevs(alert string, extra map[string]string, thresholds ...profile.Duration) []sev {
	var out []sev
	for i, left := range thresholds {
		severity := []string{profile.SeverityWarning, profile.SeverityCritical}[i]
		match := map[string]string{"severity": severity}
		for k, v := range extra {
			match[k] = v
		}
		out = append(out, sev{rule: b.rule(alert, match), holds: lt(left.Seconds()),
			// The time left crosses the threshold half a step before this evaluation.
			above: left.Seconds() - b.step.Seconds()/2, below: left.Seconds() + b.step.Seconds()/2})
	}
	return out
}

// timestampOnly is the case of Istio before 1.23, which exports only the
// expiry time: the recording takes time() from it.
func (b *builder) timestampOnly(w *watch, timestamp, record string, istiods []lbls) *testGroup {
	crit := w.sevs[len(w.sevs)-1]
	onset := 2 * b.step
	left := crossing(crit.above, onset, b.step)
	at := onset + b.ceilStep(crit.rule.For)
	g := &testGroup{Name: w.alert + " reads the expiry timestamp where istiod has no seconds-left gauge", Interval: b.step.String()}
	n := b.samples(at)
	ts := make([]float64, n)
	for k := range ts {
		t := profile.Duration(k) * b.step
		ts[k] = left(t) + t.Seconds()
	}
	for _, p := range istiods {
		g.InputSeries = append(g.InputSeries, series{p.of(timestamp), gauge(ts)})
	}
	g.AlertTests = []alertTest{b.expectAt(w, left, at)}
	g.ExprTests = []exprTest{{Expr: record, EvalTime: at.String(), ExpSamples: []expSample{{lbls{}.of(record), left(at)}}}}
	return g
}

// crossing is time left that counts down and is at `at` seconds when the
// evaluation at onset runs.
func crossing(at float64, onset profile.Duration, _ profile.Duration) func(profile.Duration) float64 {
	return func(t profile.Duration) float64 { return at - (t - onset).Seconds() }
}

// certCases are the edge cases of a certificate alert: the time left counts
// down, crossing a threshold between two evaluations; a blip is a
// certificate renewed before for: passes.
func (b *builder) certCases(w *watch) []*testGroup {
	var out []*testGroup
	warning := w.sevs[0].below
	for _, s := range w.sevs {
		sevName := s.rule.Labels["severity"]
		forDur := b.ceilStep(s.rule.For)
		onset := 2 * b.step
		fireAt := []profile.Duration{onset + forDur}
		if forDur > 0 {
			fireAt = []profile.Duration{onset + forDur - b.step, onset + forDur}
		}
		out = append(out, b.edgeGroup(w, w.alert+" "+sevName+" fires once the time left has been under "+thresholdText(s)+" for "+s.rule.For.String()+certKind(w),
			crossing(s.above, onset, b.step), fireAt))
		end := fireAt[len(fireAt)-1]
		// Quiet: the time left is just over the threshold at the last evaluation.
		out = append(out, b.edgeGroup(w, w.alert+" "+sevName+" stays quiet while the time left is just over "+thresholdText(s)+certKind(w),
			crossing(s.below, end, b.step), []profile.Duration{end}))
		if forDur >= b.step {
			renewed := 2 * warning
			cross := crossing(s.above, onset, b.step)
			blip := func(t profile.Duration) float64 {
				if t < onset+forDur {
					return cross(t)
				}
				return renewed - t.Seconds()
			}
			out = append(out, b.edgeGroup(w, w.alert+" "+sevName+" does not fire when the certificate is renewed before "+s.rule.For.String()+" pass"+certKind(w),
				blip, []profile.Duration{onset + forDur - b.step, onset + forDur}))
		}
	}
	return out
}

// certKind names the certificate of a case in its test name, where the
// alert watches more than one.
func certKind(w *watch) string {
	if k := w.labels["certificate"]; k != "" {
		return " (" + k + ")"
	}
	return ""
}

func thresholdText(s sev) string {
	return profile.Duration((s.above + s.below) / 2 * 1e9).String()
}

// certManagerCases test the cert-manager mode: the Certificate of
// istio-csr's CA counts down while another, not yet issued (expiry 0),
// must never fire; a renewal scheduled ahead keeps the rotation ticket
// quiet; honorLabels true stores the Certificate's namespace as namespace.
func (b *builder) certManagerCases() []*testGroup {
	ct := b.c.Profile.Spec.Certificates
	const certNS, certName, kind, issuer = "istio-system", "istio-ca", "ClusterIssuer", "selfsigned-root"
	want := lbls{"namespace": certNS, "name": certName, "issuer_kind": kind, "issuer_name": issuer}
	// renewal is cert-manager's renewal time: in the past (1s after the
	// epoch promtool starts at) or ahead.
	inputs := func(honorLabels bool, renewal float64) func(func(profile.Duration) float64, int) []series {
		return func(left func(profile.Duration) float64, n int) []series {
			expiry := make([]float64, n)
			for k := range expiry {
				t := profile.Duration(k) * b.step
				expiry[k] = left(t) + t.Seconds()
			}
			cert := b.scrapedCertManager(certNS, certName, kind, issuer, honorLabels)
			pending := b.scrapedCertManager(certNS, "istiod-serving", "Issuer", "istio-ca", honorLabels)
			return []series{
				{cert.of("certmanager_certificate_expiration_timestamp_seconds"), gauge(expiry)},
				{cert.of("certmanager_certificate_renewal_timestamp_seconds"), gauge(constant(renewal, n))},
				{pending.of("certmanager_certificate_expiration_timestamp_seconds"), gauge(constant(0, n))},
				{pending.of("certmanager_certificate_renewal_timestamp_seconds"), gauge(constant(0, n))},
			}
		}
	}
	var out []*testGroup
	w := &watch{alert: rules.AlertIstioCertManagerCertificateExpiring, labels: want, show: showSeconds, inputs: inputs(false, 1)}
	w.sevs = b.certSevs(w.alert, nil, ct.ExpiryWarning, ct.ExpiryCritical)
	out = append(out, b.certCases(w)...)

	// honorLabels true: the same alert, namespace taken as it is.
	honored := *w
	honored.inputs = inputs(true, 1)
	crit := w.sevs[1]
	onset := 2 * b.step
	at := onset + b.ceilStep(crit.rule.For)
	g := b.edgeGroup(&honored, w.alert+" reads the Certificate's namespace from namespace under honorLabels true", crossing(crit.above, onset, b.step), []profile.Duration{at})
	out = append(out, g)

	due := &watch{alert: rules.AlertIstioCACertificateRotationDue, labels: want, show: showSeconds, inputs: inputs(false, 1)}
	due.sevs = b.certSevs(due.alert, nil, ct.RotationPlanning)
	out = append(out, b.certCases(due)...)
	// A renewal scheduled ahead: cert-manager will rotate it, no ticket.
	s := due.sevs[0]
	at = onset + b.ceilStep(s.rule.For)
	ahead := &testGroup{Name: due.alert + " stays quiet under " + thresholdText(s) + " left while cert-manager has a renewal scheduled ahead", Interval: b.step.String(),
		InputSeries: inputs(false, 1e9)(crossing(s.above, onset, b.step), b.samples(at))}
	ahead.AlertTests = []alertTest{b.expect(at, due.alert)}
	out = append(out, ahead)
	return out
}

// absentCases: istiod is up and the mode's expiry series are missing.
func (b *builder) absentCases(istiods []lbls) []*testGroup {
	ct := b.c.Profile.Spec.Certificates
	alert := rules.AlertIstioCertificateMetricsAbsent
	rule := b.rule(alert, map[string]string{"severity": profile.SeverityWarning})
	type expected struct{ missing, present string }
	var kinds []expected
	cm := b.scrapedCertManager("istio-system", "istio-ca", "ClusterIssuer", "selfsigned-root", false)
	switch {
	case b.generated(rules.AlertIstioCertManagerCertificateExpiring):
		kinds = append(kinds, expected{"certmanager_certificate_expiration_timestamp_seconds", cm.of("certmanager_certificate_expiration_timestamp_seconds")})
	default:
		kinds = append(kinds, expected{"citadel_server_root_cert_expiry_seconds", ""})
		if b.generated(rules.AlertIstioCACertificateExpiring) {
			kinds = append(kinds, expected{"citadel_server_cert_chain_expiry_seconds", ""})
		}
	}
	// present returns the series of every kind but skip, as istiod (or
	// cert-manager) exports them; the first `missingFor` samples of the
	// skipped kind are absent, the rest present.
	forDur := b.ceilStep(rule.For)
	end := forDur
	n := b.samples(end)
	inputs := func(skip string, missingFor int, up float64) []series {
		var out []series
		for _, p := range istiods {
			out = append(out, series{p.of("up"), gauge(constant(up, n))})
		}
		for _, k := range kinds {
			values := gauge(constant(365*86400, n))
			if k.missing == skip {
				if missingFor >= n {
					continue
				}
				values = strings.TrimSpace(strings.Repeat("_ ", missingFor) + gauge(constant(365*86400, n-missingFor)))
			}
			if k.present != "" {
				out = append(out, series{k.present, values})
				continue
			}
			for _, p := range istiods {
				out = append(out, series{p.of(k.missing), values})
			}
		}
		return out
	}
	var out []*testGroup
	for _, k := range kinds {
		f := fired{rule: rule, labels: lbls{"missing": k.missing}, value: float64(len(istiods))}
		g := &testGroup{Name: fmt.Sprintf("%s fires once istiod is up and %s has been missing for %s", alert, k.missing, rule.For), Interval: b.step.String(),
			InputSeries: inputs(k.missing, n, 1)}
		if forDur > 0 {
			g.AlertTests = append(g.AlertTests, b.expect(forDur-b.step, alert))
		}
		g.AlertTests = append(g.AlertTests, b.expect(forDur, alert, f))
		out = append(out, g)
		if forDur >= 2*b.step {
			late := &testGroup{Name: fmt.Sprintf("%s does not fire when %s appears before %s pass", alert, k.missing, rule.For), Interval: b.step.String(),
				InputSeries: inputs(k.missing, int(forDur/b.step)-1, 1)}
			late.AlertTests = []alertTest{b.expect(forDur, alert)}
			out = append(out, late)
		}
	}
	quiet := &testGroup{Name: alert + " stays quiet while every expiry series of spec.certificates.ca " + ct.CA + " is there", Interval: b.step.String(),
		InputSeries: inputs("", 0, 1)}
	quiet.AlertTests = []alertTest{b.expect(end, alert)}
	down := &testGroup{Name: alert + " stays quiet while no istiod is up (IstiodDown covers it)", Interval: b.step.String(),
		InputSeries: inputs(kinds[0].missing, n, 0)}
	down.AlertTests = []alertTest{b.expect(end, alert)}
	return append(out, quiet, down)
}

// workloadPods are the proxies of the workload certificate cases: two in
// the namespace whose rotation stalls, one elsewhere that rotates.
var workloadPods = []struct{ namespace, pod string }{
	{"shop", "checkout-7c9d8b6f5-" + podSuffix(0)},
	{"shop", "cart-5f6b7c8d9-" + podSuffix(1)},
	{"payments", "ledger-6b7c8d9f4-" + podSuffix(2)},
}

// workloadCases: one alert per namespace, whose value counts the
// namespace's pods under the threshold.
func (b *builder) workloadCases() []*testGroup {
	ct := b.c.Profile.Spec.Certificates
	stalled := workloadPods[0].namespace
	nStalled := 0
	for _, p := range workloadPods {
		if p.namespace == stalled {
			nStalled++
		}
	}
	w := &watch{alert: rules.AlertIstioWorkloadCertRotation, labels: lbls{"namespace": stalled}, show: showSeconds,
		inputs: func(left func(profile.Duration) float64, n int) []series {
			fresh := b.levels(func(t profile.Duration) float64 { return (ct.WorkloadExpiryWarning*2 - t).Seconds() }, n)
			root := constant(10*365*86400, n)
			var out []series
			for k, p := range workloadPods {
				l := b.scrapedAgent(p.namespace, p.pod, k)
				v := fresh
				if p.namespace == stalled {
					v = b.levels(left, n)
				}
				out = append(out,
					series{l.with("resource_name", "default").of("istio_agent_cert_expiry_seconds"), gauge(v)},
					series{l.with("resource_name", "ROOTCA").of("istio_agent_cert_expiry_seconds"), gauge(root)})
			}
			return out
		},
	}
	w.sevs = b.certSevs(w.alert, nil, ct.WorkloadExpiryWarning, ct.WorkloadExpiryCritical)
	// The alert's value is the count of the namespace's pods under the
	// threshold: all of the stalled namespace's while the alert fires.
	for i := range w.sevs {
		w.sevs[i].value = func(float64) float64 { return float64(nStalled) }
	}
	return b.certCases(w)
}

// signingCases: failed CSRs from istiod's CA (where istiod signs) and from
// the agents, each a rule of its own (label source).
func (b *builder) signingCases(istiods []lbls) []*testGroup {
	ct := b.c.Profile.Spec.Certificates
	alert := rules.AlertIstioCertificateSigningFailures
	win := b.window(alert)
	var out []*testGroup
	for _, r := range rules.Alerts(b.files) {
		if r.Alert != alert {
			continue
		}
		source := r.Labels["source"]
		w := &watch{alert: alert, window: win, baseline: 0, labels: lbls{},
			show: func(f float64) string { return num(f) + " failed CSRs per " + win.String() }}
		switch source {
		case "istiod":
			w.inputs = func(level func(profile.Duration) float64, n int) []series {
				var out []series
				fail := b.slopes(level, n, func(r float64) float64 { return r / win.Seconds() / float64(len(istiods)) })
				ok := b.slopes(level, n, func(float64) float64 { return 0.5 })
				for k, p := range istiods {
					// error is the caerror type istiod's CA failed with
					// (security/pkg/server/ca/server.go GetCertSignError).
					out = append(out,
						series{p.with("error", "CERT_GEN_ERROR").of("citadel_server_csr_sign_err_count"), counter(float64(k), fail)},
						series{p.of("citadel_server_csr_count"), counter(float64(4000+k*131), ok)},
						series{p.of("citadel_server_success_cert_issuance_count"), counter(float64(4000+k*131), ok)})
				}
				return out
			}
		default:
			w.inputs = func(level func(profile.Duration) float64, n int) []series {
				var out []series
				fail := b.slopes(level, n, func(r float64) float64 { return r / win.Seconds() / float64(len(workloadPods)) })
				for k, p := range workloadPods {
					l := b.scrapedAgent(p.namespace, p.pod, k)
					out = append(out,
						series{l.with("request_type", "csr").of("istio_agent_num_failed_outgoing_requests"), counter(float64(k), fail)},
						series{l.with("request_type", "csr").of("istio_agent_num_outgoing_requests"), counter(float64(20+k), b.slopes(level, n, func(float64) float64 { return 0.01 }))})
				}
				return out
			}
		}
		w.sevs = []sev{{rule: b.rule(alert, map[string]string{"severity": profile.SeverityWarning, "source": source}),
			holds: gt(ct.CSRFailuresWarning), above: increaseAbove(ct.CSRFailuresWarning), below: increaseBelow(ct.CSRFailuresWarning)}}
		for _, g := range b.edgeCases(w) {
			g.Name += " (" + source + ")"
			out = append(out, g)
		}
	}
	return out
}
