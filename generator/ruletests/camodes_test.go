package ruletests_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/meshslo/meshslo/generator/catalogue"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/profiles"
)

// caModes are profiles, one per spec.certificates.ca, beside the built-in
// ones (medium: istiod, large: plugged).
var caModes = map[string]string{
	"istiod":       "medium",
	"plugged":      "testdata/ca-plugged.yaml",
	"cert-manager": "testdata/ca-cert-manager.yaml",
	"external":     "testdata/ca-external.yaml",
}

// Each CA mode reads only the certificate series its exporters have, and
// alerts on every long-lived CA certificate it has.
func TestCertificateRulesFollowTheCAMode(t *testing.T) {
	want := map[string]struct{ reads, never, alerts []string }{
		"istiod": {
			reads:  []string{"citadel_server_root_cert_expiry_seconds", "citadel_server_csr_sign_err_count"},
			never:  []string{"citadel_server_cert_chain_expiry_seconds", "certmanager_certificate_expiration_timestamp_seconds"},
			alerts: []string{rules.AlertIstioRootCertificateExpiring, rules.AlertIstioCACertificateRotationDue, rules.AlertIstioCertificateMetricsAbsent},
		},
		"plugged": {
			reads:  []string{"citadel_server_root_cert_expiry_seconds", "citadel_server_cert_chain_expiry_seconds"},
			never:  []string{"certmanager_certificate_expiration_timestamp_seconds"},
			alerts: []string{rules.AlertIstioRootCertificateExpiring, rules.AlertIstioCACertificateExpiring, rules.AlertIstioCACertificateRotationDue, rules.AlertIstioCertificateMetricsAbsent},
		},
		"cert-manager": {
			reads:  []string{"certmanager_certificate_expiration_timestamp_seconds", "certmanager_certificate_renewal_timestamp_seconds"},
			never:  []string{"citadel_"},
			alerts: []string{rules.AlertIstioCertManagerCertificateExpiring, rules.AlertIstioCACertificateRotationDue, rules.AlertIstioCertificateMetricsAbsent},
		},
		"external": {never: []string{"citadel_", "certmanager_"}},
	}
	generatedSomewhere := map[string]bool{}
	// Alerts left out for a reason other than the CA mode (no canary
	// revision tagged) are not this test's concern.
	otherSkip := map[string]bool{}
	for mode, name := range caModes {
		c, files, _ := render1(t, name)
		if c.Profile.Spec.Certificates.CA != mode {
			t.Fatalf("%s: ca is %s, want %s", name, c.Profile.Spec.Certificates.CA, mode)
		}
		var certs rules.File
		for _, f := range files {
			if f.Name == "certificates" {
				certs = f
			}
		}
		reads := map[string]bool{}
		for _, g := range certs.Groups {
			for _, r := range g.Rules {
				names, err := catalogue.MetricNames(r.Expr)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range names {
					reads[m] = true
				}
			}
		}
		w := want[mode]
		for _, m := range w.reads {
			if !reads[m] {
				t.Errorf("%s: the certificate rules do not read %s", mode, m)
			}
		}
		for m := range reads {
			for _, never := range w.never {
				if strings.HasPrefix(m, never) {
					t.Errorf("%s: the certificate rules read %s, which this CA mode does not export", mode, m)
				}
			}
		}
		var got []string
		for _, r := range rules.Alerts(files) {
			got = append(got, r.Alert)
			generatedSomewhere[r.Alert] = true
		}
		for _, a := range append(w.alerts, rules.AlertIstioWorkloadCertRotation, rules.AlertIstioCertificateSigningFailures) {
			if !slices.Contains(got, a) {
				t.Errorf("%s: %s is not generated", mode, a)
			}
		}
		for _, d := range rules.Descriptors {
			if why := d.SkippedFor(c); why != "" && !strings.Contains(why, "spec.certificates.ca") {
				otherSkip[d.Name] = true
			}
			if why := d.SkippedFor(c); why != "" && slices.Contains(got, d.Name) {
				t.Errorf("%s: %s is generated although %s", mode, d.Name, why)
			}
		}
	}
	for _, d := range rules.Descriptors {
		if !slices.Contains(d.SkipDecidedBy(), "spec.certificates.ca") || otherSkip[d.Name] {
			continue // decided by other fields (gateways, revisions); tested with them
		}
		if !generatedSomewhere[d.Name] {
			t.Errorf("%s is generated in no CA mode", d.Name)
		}
	}
}

// The generated certificate tests pass in every CA mode; the built-in
// profiles' run in TestGeneratedTestsPassWithPromtool.
func TestCAModeTestsPassWithPromtool(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (promtool on generated tests); make test runs them")
	}
	t.Parallel()
	promtool(t)
	for mode, name := range caModes {
		if slices.Contains(profiles.Names(), name) {
			continue
		}
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			dir, _ := generated(t, name)
			if out, err := runTests(t, dir, "tests/certificates.test.yaml"); err != nil {
				t.Fatalf("promtool test rules failed: %v\n%s", err, out)
			}
		})
	}
}
