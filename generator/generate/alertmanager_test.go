package generate_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/meshslo/meshslo/generator/generate"
	"github.com/meshslo/meshslo/generator/internal/realtools"
	"github.com/meshslo/meshslo/generator/loader"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/render"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/generator/selector"
)

// paymentsAlerting is the medium profile with a payments team that takes
// its own pages (and lets them go on to the mesh's pager too), a receiver
// for every severity of one namespace, and two maintenance windows, one of
// them in a zone with daylight saving time.
func paymentsAlerting(t *testing.T) *generate.Build {
	t.Helper()
	l, errs := loader.Load("medium")
	if l == nil || len(errs.Fatal(true)) > 0 {
		t.Fatalf("medium: %v", errs)
	}
	p := l.Profile
	p.Metadata.Name = "payments"
	p.Spec.Mesh.Cluster = "eu-west-1"
	p.Spec.Alerting.Receivers = []profile.Receiver{
		{Name: "payments-pages", Severity: profile.SeverityCritical, Matchers: `team="payments"`, Continue: true},
		{Name: "shop-all", Matchers: `destination_service_namespace="shop"`},
		{Name: profile.DefaultPagesReceiver, Severity: profile.SeverityCritical},
		{Name: profile.DefaultTicketsReceiver, Severity: profile.SeverityWarning},
	}
	p.Spec.Alerting.MaintenanceWindows = []profile.MaintenanceWindow{
		{Name: "weekly-rollout", Weekdays: []string{"tuesday", "thursday:friday"}, Times: []profile.TimeRange{{Start: "00:30", End: "02:00"}},
			Location: "Europe/Berlin", Mute: []string{profile.MuteTickets, rules.AlertIstioProxiesStale}},
		{Name: "istiod-upgrade", Weekdays: []string{"saturday"}, Mute: []string{rules.AlertIstioProxiesStale, rules.AlertIstiodDown}},
	}
	if fatal := profile.Validate(&p).Fatal(false); len(fatal) > 0 {
		t.Fatalf("payments profile: %v", fatal)
	}
	b, err := generate.New(p, nil, generate.Options{NoTests: true})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// alertmanagerBuilds are the built-in profiles and the payments variant.
func alertmanagerBuilds(t *testing.T) []*generate.Build {
	return append(slices.Clone(builds(t)), paymentsAlerting(t))
}

// Every built-in profile's alertmanager/alertmanager.yaml, and the Helm
// values' alertmanager.config, pass the real amtool check-config
// (Alertmanager v0.35.0's own config loading and validation).
func TestAmtoolCheckConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the real-tool tests; make test runs them")
	}
	bin := realtools.Amtool(t)
	dir := t.TempDir()
	var files []string
	for _, b := range alertmanagerBuilds(t) {
		out, err := b.Output()
		if err != nil {
			t.Fatal(err)
		}
		name := out.Profile
		am, ok := out.Files[render.AlertmanagerPath]
		if !ok {
			t.Fatalf("%s: no %s", name, render.AlertmanagerPath)
		}
		var values struct {
			Alertmanager struct {
				Config yaml.Node `yaml:"config"`
			} `yaml:"alertmanager"`
		}
		if err := yaml.Unmarshal(out.Files[render.HelmValuesPath], &values); err != nil {
			t.Fatal(err)
		}
		fromValues, err := yaml.Marshal(&values.Alertmanager.Config)
		if err != nil {
			t.Fatal(err)
		}
		for suffix, data := range map[string][]byte{"alertmanager.yaml": am, "values-alertmanager.yaml": fromValues} {
			p := filepath.Join(dir, name+"-"+suffix)
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, p)
		}
	}
	sort.Strings(files)
	outb, err := exec.Command(bin, append([]string{"check-config"}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("amtool check-config: %v\n%s", err, outb)
	}
	if n := strings.Count(string(outb), "SUCCESS"); n != len(files) {
		t.Fatalf("amtool check-config: %d of %d files passed:\n%s", n, len(files), outb)
	}
}

// expectedReceivers is where the profile says an alert goes, worked out
// from spec.alerting as Alertmanager's routing reads a route tree (the
// first matching route takes an alert, continue lets it go on; none: the
// root's receiver), not from the generated file.
func expectedReceivers(t *testing.T, a profile.Alerting, lbls map[string]string) []string {
	t.Helper()
	var out []string
	sev := lbls["severity"]
	for _, r := range a.Receivers {
		if sev != profile.SeverityCritical && sev != profile.SeverityWarning || r.Severity != "" && r.Severity != sev {
			continue
		}
		ms, err := selector.Parse(r.Matchers)
		if err != nil {
			t.Fatal(err)
		}
		match := true
		for _, m := range ms {
			match = match && m.Matches(lbls[m.Name])
		}
		if !match {
			continue
		}
		out = append(out, r.Name)
		if !r.Continue {
			break
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, r := range a.Receivers {
		if r.Matchers == "" && r.Severity != profile.SeverityCritical {
			return []string{r.Name}
		}
	}
	return []string{a.Receivers[0].Name}
}

// amtool config routes test sends every alert the rules generate, with
// its static labels (severity, slo, burn_window, source ...), through the
// generated route tree, and each reaches exactly the receivers the profile
// names for it; in the payments variant also as the payments team's and
// the shop namespace's alerts.
func TestAmtoolRoutesEveryAlert(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the real-tool tests; make test runs them")
	}
	bin := realtools.Amtool(t)
	for _, b := range alertmanagerBuilds(t) {
		name := b.Config.Profile.Metadata.Name
		t.Run(name, func(t *testing.T) {
			out, err := b.Output()
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "alertmanager.yaml")
			if err := os.WriteFile(file, out.Files[render.AlertmanagerPath], 0o644); err != nil {
				t.Fatal(err)
			}
			a := b.Config.Profile.Spec.Alerting
			seen := map[string]bool{}
			severities := map[string]bool{}
			var sets []map[string]string
			for _, r := range rules.Alerts(b.Rules) {
				base := map[string]string{"alertname": r.Alert}
				for k, v := range r.Labels {
					base[k] = v
				}
				severities[base["severity"]] = true
				variants := []map[string]string{base}
				if name == "payments" {
					team := withLabel(base, "team", "payments")
					variants = append(variants, team, withLabel(base, "destination_service_namespace", "shop"), withLabel(team, "destination_service_namespace", "shop"))
				}
				for _, v := range variants {
					if k := key(v); !seen[k] {
						seen[k] = true
						sets = append(sets, v)
					}
				}
			}
			if !severities[profile.SeverityCritical] || !severities[profile.SeverityWarning] {
				t.Fatalf("expected alerts of both severities, got %v", severities)
			}
			reached := map[string]bool{}
			for _, lbls := range sets {
				want := expectedReceivers(t, a, lbls)
				args := []string{"config", "routes", "test", "--config.file=" + file}
				for _, k := range sortedKeys(lbls) {
					args = append(args, k+"="+lbls[k])
				}
				got, err := exec.Command(bin, args...).CombinedOutput()
				if err != nil {
					t.Fatalf("amtool %s: %v\n%s", strings.Join(args, " "), err, got)
				}
				if g := strings.TrimSpace(string(got)); g != strings.Join(want, ",") {
					t.Errorf("%s reaches %s, want %s", key(lbls), g, strings.Join(want, ","))
				}
				for _, r := range want {
					reached[r] = true
				}
			}
			for _, r := range a.Receivers {
				if !reached[r.Name] {
					t.Errorf("no generated alert reaches receiver %s", r.Name)
				}
			}
			t.Logf("%d label sets routed", len(sets))
		})
	}
}

func withLabel(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for a, b := range m {
		if a != k {
			out[a] = b
		}
	}
	return out
}

func key(m map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+"="+m[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
