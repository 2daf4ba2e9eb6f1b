package ruletests

import (
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
)

func (b *builder) certificates() *suite {
	s := b.newSuite("certificates.test.yaml", "Certificate alerts at the edges of their thresholds: the time left crosses each threshold at a known evaluation.")
	s.alerts = []string{"IstioRootCertificateExpiring", "IstioCACertificateExpiring", "IstioWorkloadCertificateRotationStalled"}
	s.records = []string{rules.RootCertRemaining, rules.CACertRemaining}
	ct := b.c.Profile.Spec.Certificates
	istiods := b.istiods()
	for _, cert := range []struct {
		alert, seconds, timestamp, record string
	}{
		{"IstioRootCertificateExpiring", "citadel_server_root_cert_expiry_seconds", "citadel_server_root_cert_expiry_timestamp", rules.RootCertRemaining},
		{"IstioCACertificateExpiring", "citadel_server_cert_chain_expiry_seconds", "citadel_server_cert_chain_expiry_timestamp", rules.CACertRemaining},
	} {
		w := &watch{alert: cert.alert, labels: lbls{}, show: showSeconds,
			inputs: func(left func(profile.Duration) float64, n int) []series {
				var out []series
				for _, p := range istiods {
					out = append(out, series{p.of(cert.seconds), gauge(b.levels(left, n))})
				}
				return out
			}}
		w.sevs = b.certSevs(cert.alert, nil, ct.ExpiryWarning, ct.ExpiryCritical)
		s.Tests = append(s.Tests, b.certCases(w)...)
		// Istio before 1.23 exports only the expiry time; the rule takes time() from it.
		crit := w.sevs[1]
		onset := 2 * b.step
		left := crossing(crit.above, onset, b.step)
		at := onset + b.ceilStep(crit.rule.For)
		old := &testGroup{Name: cert.alert + " reads the expiry timestamp where istiod has no seconds-left gauge", Interval: b.step.String()}
		n := b.samples(at)
		ts := make([]float64, n)
		for k := range ts {
			t := profile.Duration(k) * b.step
			ts[k] = left(t) + t.Seconds()
		}
		for _, p := range istiods {
			old.InputSeries = append(old.InputSeries, series{p.of(cert.timestamp), gauge(ts)})
		}
		old.AlertTests = []alertTest{b.expectAt(w, left, at)}
		old.ExprTests = []exprTest{{Expr: cert.record, EvalTime: at.String(), ExpSamples: []expSample{{lbls{}.of(cert.record), left(at)}}}}
		s.Tests = append(s.Tests, old)
	}
	pods := b.fleet(2)
	w := &watch{alert: "IstioWorkloadCertificateRotationStalled", labels: lbls{"namespace": pods[0].namespace, "pod": pods[0].pod}, show: showSeconds,
		inputs: func(left func(profile.Duration) float64, n int) []series {
			fresh := mapf(b.levels(func(t profile.Duration) float64 { return (ct.WorkloadExpiryWarning*2 - t).Seconds() }, n), func(f float64) float64 { return f })
			root := constant(10*365*86400, n)
			return []series{
				{pods[0].labels.with("resource_name", "default").of("istio_agent_cert_expiry_seconds"), gauge(b.levels(left, n))},
				{pods[0].labels.with("resource_name", "ROOTCA").of("istio_agent_cert_expiry_seconds"), gauge(root)},
				{pods[1].labels.with("resource_name", "default").of("istio_agent_cert_expiry_seconds"), gauge(fresh)},
				{pods[1].labels.with("resource_name", "ROOTCA").of("istio_agent_cert_expiry_seconds"), gauge(root)},
			}
		}}
	w.sevs = b.certSevs(w.alert, nil, ct.WorkloadExpiryWarning, ct.WorkloadExpiryCritical)
	s.Tests = append(s.Tests, b.certCases(w)...)
	return s
}

func showSeconds(f float64) string { return profile.Duration(f*1e9).String() + " left" }

func (b *builder) certSevs(alert string, _ map[string]string, warning, critical profile.Duration) []sev {
	var out []sev
	for _, t := range []struct {
		severity string
		left     profile.Duration
	}{{profile.SeverityWarning, warning}, {profile.SeverityCritical, critical}} {
		out = append(out, sev{rule: b.rule(alert, map[string]string{"severity": t.severity}), holds: lt(t.left.Seconds()),
			// The time left crosses the threshold half a step before this evaluation.
			above: t.left.Seconds() - b.step.Seconds()/2, below: t.left.Seconds() + b.step.Seconds()/2})
	}
	return out
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
		out = append(out, b.edgeGroup(w, w.alert+" "+sevName+" fires once the time left has been under "+thresholdText(s)+" for "+s.rule.For.String(),
			crossing(s.above, onset, b.step), fireAt))
		end := fireAt[len(fireAt)-1]
		// Quiet: the time left is just over the threshold at the last evaluation.
		out = append(out, b.edgeGroup(w, w.alert+" "+sevName+" stays quiet while the time left is just over "+thresholdText(s),
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
			out = append(out, b.edgeGroup(w, w.alert+" "+sevName+" does not fire when the certificate is renewed before "+s.rule.For.String()+" pass",
				blip, []profile.Duration{onset + forDur - b.step, onset + forDur}))
		}
	}
	return out
}

func thresholdText(s sev) string {
	return profile.Duration((s.above + s.below) / 2 * 1e9).String()
}
