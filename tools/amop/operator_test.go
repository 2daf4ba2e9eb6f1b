// Package amop runs the generated AlertmanagerConfig
// (out/<profile>/alertmanager/alertmanagerconfig.yaml) through
// prometheus-operator's own configuration generation, v0.93.1, and checks
// what the operator makes of it with the real amtool (Alertmanager v0.35.0,
// bin/amtool from tools/alertmanager).
//
// The operator's path (pkg/alertmanager/operator.go,
// provisionAlertmanagerConfiguration) is: select the AlertmanagerConfig
// objects (alertmanagerConfigSelector) and reject the invalid ones
// (checkAlertmanagerConfigResource), load the base configuration from the
// Alertmanager's Secret (a missing Secret gives
// defaultAlertmanagerConfiguration: one 'null' receiver), then
// NewConfigBuilder, InitializeFromRawConfiguration, AddAlertmanagerConfigs
// and MarshalJSON. The last four are the operator's exported ConfigBuilder
// (pkg/alertmanager/amcfg.go, public for Grafana Alloy) and run here as
// they are; the asset store is the operator's own
// (pkg/assets.NewTestStoreBuilder), empty because the generated receivers
// reference no Secrets. checkAlertmanagerConfigResource is unexported: its
// parts are called here (validation/v1alpha1.ValidateAlertmanagerConfig,
// Route.ChildRoutes, Matcher.Validate; checkReceivers checks integrations,
// which the generated receivers do not have).
//
// Alertmanager's library packages (config, inhibit, provider/mem, for the
// parsed view of the merged configuration and the inhibition run) are
// v0.34.0, the version the CLI's own graph (prometheus v0.315.0) selects:
// v0.35.0 here would move 60-odd shared modules under the generator. The
// command-line checks use amtool v0.35.0.
package amop

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blang/semver/v4"
	"github.com/prometheus-operator/prometheus-operator/pkg/alertmanager"
	validationv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/alertmanager/validation/v1alpha1"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"github.com/prometheus-operator/prometheus-operator/pkg/assets"
	"github.com/prometheus-operator/prometheus-operator/pkg/operator"
	amconfig "github.com/prometheus/alertmanager/config"
	"github.com/prometheus/alertmanager/eventrecorder"
	"github.com/prometheus/alertmanager/inhibit"
	"github.com/prometheus/alertmanager/provider/mem"
	"github.com/prometheus/alertmanager/timeinterval"
	"github.com/prometheus/alertmanager/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/meshslo/meshslo/generator/generate"
	"github.com/meshslo/meshslo/generator/loader"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/render"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/generator/selector"
	"github.com/meshslo/meshslo/profiles"
)

// amVersion is the Alertmanager the merged configuration is built for:
// the one amtool comes from (tools/alertmanager/go.mod). The operator's
// default (operator.DefaultAlertmanagerVersion, v0.33.1 in v0.93.1) is
// checked too.
const amVersion = "0.35.0"

// baseConfig is what the operator starts from when the Alertmanager's
// config Secret is missing or empty (prometheus-operator v0.93.1
// pkg/alertmanager/operator.go, defaultAlertmanagerConfiguration).
const baseConfig = `route:
  receiver: 'null'
receivers:
- name: 'null'`

// chartBase is the base configuration under kube-prometheus-stack: the
// chart writes alertmanager.config into the Alertmanager's config Secret
// (prometheus-community/helm-charts cf408a290, the 88.5.3 that tools/kube
// pins, charts/kube-prometheus-stack/values.yaml alertmanager.config, as
// it stands).
const chartBase = `global:
  resolve_timeout: 5m
inhibit_rules:
  - source_matchers:
      - 'severity = critical'
    target_matchers:
      - 'severity =~ warning|info'
    equal:
      - 'namespace'
      - 'alertname'
  - source_matchers:
      - 'severity = warning'
    target_matchers:
      - 'severity = info'
    equal:
      - 'namespace'
      - 'alertname'
  - source_matchers:
      - 'alertname = InfoInhibitor'
    target_matchers:
      - 'severity = info'
    equal:
      - 'namespace'
  - target_matchers:
      - 'alertname = InfoInhibitor'
route:
  group_by: ['namespace']
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 12h
  receiver: 'null'
  routes:
  - receiver: 'null'
    matchers:
      - alertname = "Watchdog"
receivers:
- name: 'null'
templates:
- '/etc/alertmanager/config/*.tmpl'
`

// bases are the two base configurations the object is merged into; both
// have 'null' as the root receiver.
var bases = []struct{ name, config string }{
	{"operator-default", baseConfig},
	{"kube-prometheus-stack", chartBase},
}

// baseReceiver is the bases' root receiver: where an alert that no
// AlertmanagerConfig route takes ends up.
const baseReceiver = "null"

// otherNamespace is a namespace the Alertmanager runs in that is not the
// object's.
const otherNamespace = "alertmanager-elsewhere"

// case_ is one profile's build, its AlertmanagerConfig as the generator
// writes it and the alerts its rules generate, with their static labels.
type case_ struct {
	name string
	b    *generate.Build
	out  *generate.Output
	amc  []byte
	sets []map[string]string
}

var (
	casesOnce sync.Once
	casesVal  []*case_
	casesErr  error
)

// cases are the built-in profiles and the payments variant of
// generator/generate/alertmanager_test.go (team routing, a receiver for one
// namespace, two maintenance windows, one in a zone with daylight saving
// time).
func cases(t *testing.T) []*case_ {
	t.Helper()
	casesOnce.Do(func() { casesVal, casesErr = buildCases() })
	if casesErr != nil {
		t.Fatal(casesErr)
	}
	return casesVal
}

func buildCases() ([]*case_, error) {
	var ps []profile.Profile
	for _, name := range profiles.Names() {
		l, errs := loader.Load(name)
		if l == nil || len(errs.Fatal(true)) > 0 {
			return nil, fmt.Errorf("built-in profile %s: %v", name, errs)
		}
		ps = append(ps, l.Profile)
	}
	pay, err := paymentsProfile()
	if err != nil {
		return nil, err
	}
	ps = append(ps, pay)
	var out []*case_
	for _, p := range ps {
		b, err := generate.New(p, nil, generate.Options{NoTests: true})
		if err != nil {
			return nil, fmt.Errorf("%s: %v", p.Metadata.Name, err)
		}
		o, err := b.Output()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", p.Metadata.Name, err)
		}
		c := &case_{name: p.Metadata.Name, b: b, out: o, amc: o.Files[render.AlertmanagerConfigPath]}
		if c.amc == nil {
			return nil, fmt.Errorf("%s: no %s", c.name, render.AlertmanagerConfigPath)
		}
		c.sets = labelSets(c.name, b)
		out = append(out, c)
	}
	return out, nil
}

// paymentsProfile is the payments variant of
// generator/generate/alertmanager_test.go (paymentsAlerting), kept the same.
func paymentsProfile() (profile.Profile, error) {
	l, errs := loader.Load("medium")
	if l == nil || len(errs.Fatal(true)) > 0 {
		return profile.Profile{}, fmt.Errorf("medium: %v", errs)
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
		return profile.Profile{}, fmt.Errorf("payments profile: %v", fatal)
	}
	return p, nil
}

// labelSets are the generated alerts with their static labels (alertname,
// severity, slo, burn_window, source, ...), as
// generator/generate/alertmanager_test.go TestAmtoolRoutesEveryAlert
// derives them; in the payments variant also as the payments team's and
// the shop namespace's alerts.
func labelSets(name string, b *generate.Build) []map[string]string {
	seen := map[string]bool{}
	var sets []map[string]string
	for _, r := range rules.Alerts(b.Rules) {
		base := map[string]string{"alertname": r.Alert}
		for k, v := range r.Labels {
			base[k] = v
		}
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
	return sets
}

// expectedReceivers is where the profile says an alert goes, from
// spec.alerting as Alertmanager reads a route tree (the first matching
// receiver takes it, continue lets it go on; none: the fallback ticket
// receiver), as generator/generate/alertmanager_test.go works it out.
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

// decode reads the generated object as the API server would hand it to
// the operator: strictly (an unknown field fails), into the operator's
// own v1alpha1 type.
func decode(t *testing.T, data []byte) *monitoringv1alpha1.AlertmanagerConfig {
	t.Helper()
	var amc monitoringv1alpha1.AlertmanagerConfig
	if err := yaml.UnmarshalStrict(data, &amc); err != nil {
		t.Fatalf("AlertmanagerConfig does not decode into the operator's type: %v", err)
	}
	return &amc
}

// check is the operator's checkAlertmanagerConfigResource (unexported,
// pkg/alertmanager/operator.go) from its exported parts: the semantic
// validation, the child routes (checkRoute) and each inhibit matcher
// (checkInhibitRules). An object failing it is skipped by the operator
// with an InvalidConfiguration event.
func check(amc *monitoringv1alpha1.AlertmanagerConfig) error {
	if err := validationv1alpha1.ValidateAlertmanagerConfig(amc); err != nil {
		return err
	}
	var walk func(r *monitoringv1alpha1.Route) error
	walk = func(r *monitoringv1alpha1.Route) error {
		for _, m := range r.Matchers {
			if err := m.Validate(); err != nil {
				return err
			}
		}
		children, err := r.ChildRoutes()
		if err != nil {
			return err
		}
		for i := range children {
			if err := walk(&children[i]); err != nil {
				return err
			}
		}
		return nil
	}
	if amc.Spec.Route != nil {
		if err := walk(amc.Spec.Route); err != nil {
			return err
		}
	}
	for i, r := range amc.Spec.InhibitRules {
		for _, m := range append(slices.Clone(r.SourceMatch), r.TargetMatch...) {
			if err := m.Validate(); err != nil {
				return fmt.Errorf("inhibitRule[%d]: %w", i, err)
			}
		}
	}
	for _, r := range amc.Spec.Receivers {
		if !isNameOnly(r) {
			return fmt.Errorf("receiver %s has integrations; this check covers name-only receivers only", r.Name)
		}
	}
	return nil
}

// isNameOnly: the generated receivers carry no integrations (profiles hold
// no secrets), so the operator's checkReceivers has nothing to look up.
func isNameOnly(r monitoringv1alpha1.Receiver) bool {
	return len(r.OpsGenieConfigs)+len(r.PagerDutyConfigs)+len(r.DiscordConfigs)+len(r.SlackConfigs)+
		len(r.WebhookConfigs)+len(r.WeChatConfigs)+len(r.EmailConfigs)+len(r.VictorOpsConfigs)+
		len(r.PushoverConfigs)+len(r.SNSConfigs)+len(r.TelegramConfigs)+len(r.WebexConfigs)+
		len(r.MSTeamsConfigs)+len(r.MSTeamsV2Configs)+len(r.RocketChatConfigs) == 0
}

// merged is what the operator writes into the Alertmanager's generated
// config Secret for one AlertmanagerConfig, and what it logged at warning
// level or above while building it.
type merged struct {
	yaml     []byte
	warnings []string
}

// merge runs the operator's config generation for an Alertmanager named
// main in amNamespace with the matcher strategy and Alertmanager version
// given, selecting the object by the labels the generator gives it.
func merge(t *testing.T, base string, data []byte, strategy monitoringv1.AlertmanagerConfigMatcherStrategyType, amNamespace, version string) merged {
	t.Helper()
	amc := decode(t, data)
	am := &monitoringv1.Alertmanager{
		ObjectMeta: metav1.ObjectMeta{Name: "main", Namespace: amNamespace},
		Spec: monitoringv1.AlertmanagerSpec{
			Version:                           version,
			AlertmanagerConfigMatcherStrategy: monitoringv1.AlertmanagerConfigMatcherStrategy{Type: strategy},
			AlertmanagerConfigSelector:        &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/managed-by": "meshslo"}},
			// Objects in every namespace (selectAlertmanagerConfigs: nil
			// would mean the Alertmanager's own namespace only).
			AlertmanagerConfigNamespaceSelector: &metav1.LabelSelector{},
		},
	}
	sel, err := metav1.LabelSelectorAsSelector(am.Spec.AlertmanagerConfigSelector)
	if err != nil {
		t.Fatal(err)
	}
	if !sel.Matches(labels.Set(amc.Labels)) {
		t.Fatalf("the selector %v does not select the object's labels %v", sel, amc.Labels)
	}
	if err := check(amc); err != nil {
		t.Fatalf("the operator rejects the AlertmanagerConfig: %v", err)
	}
	v, err := semver.ParseTolerant(version)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cb := alertmanager.NewConfigBuilder(logger, v, assets.NewTestStoreBuilder(), am)
	if err := cb.InitializeFromRawConfiguration([]byte(base)); err != nil {
		t.Fatal(err)
	}
	key := amc.Namespace + "/" + amc.Name
	if err := cb.AddAlertmanagerConfigs(context.Background(), map[string]*monitoringv1alpha1.AlertmanagerConfig{key: amc}); err != nil {
		t.Fatalf("the operator cannot merge the AlertmanagerConfig: %v", err)
	}
	out, err := cb.MarshalJSON() // YAML, despite the name (amcfg.go)
	if err != nil {
		t.Fatal(err)
	}
	var warnings []string
	for l := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
		if l != "" {
			warnings = append(warnings, l)
		}
	}
	return merged{yaml: out, warnings: warnings}
}

// prefix is the operator's name for a receiver or time interval of the
// object (amcfg.go, makeNamespacedString).
func prefix(amc *monitoringv1alpha1.AlertmanagerConfig, name string) string {
	return amc.Namespace + "/" + amc.Name + "/" + name
}

// The operator accepts and merges every profile's AlertmanagerConfig under
// each matcher strategy and for both Alertmanager versions, logs no
// warning doing it, and the merged configuration passes the real amtool
// check-config.
func TestOperatorMergePassesAmtool(t *testing.T) {
	amtool := tool(t, "AMTOOL", "amtool")
	dir := t.TempDir()
	var files []string
	for _, c := range cases(t) {
		ns := decode(t, c.amc).Namespace
		for _, strategy := range []monitoringv1.AlertmanagerConfigMatcherStrategyType{
			monitoringv1.OnNamespaceConfigMatcherStrategyType,
			monitoringv1.OnNamespaceExceptForAlertmanagerNamespaceConfigMatcherStrategyType,
			monitoringv1.NoneConfigMatcherStrategyType,
		} {
			for _, version := range []string{amVersion, operator.DefaultAlertmanagerVersion} {
				for _, base := range bases {
					m := merge(t, base.config, c.amc, strategy, ns, version)
					if len(m.warnings) > 0 {
						t.Errorf("%s %s %s %s: the operator warns:\n%s", c.name, base.name, strategy, version, strings.Join(m.warnings, "\n"))
					}
					f := filepath.Join(dir, fmt.Sprintf("%s-%s-%s-%s.yaml", c.name, base.name, strategy, version))
					if err := os.WriteFile(f, m.yaml, 0o644); err != nil {
						t.Fatal(err)
					}
					files = append(files, f)
				}
			}
		}
	}
	out, err := exec.Command(amtool, append([]string{"check-config"}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("amtool check-config: %v\n%s", err, out)
	}
	// Template globs print a SUCCESS line of their own: count the files'.
	if n := len(regexp.MustCompile(`(?m)^Checking '[^']*'\s+SUCCESS$`).FindAll(out, -1)); n != len(files) {
		t.Fatalf("amtool check-config: %d of %d merged configurations passed:\n%s", n, len(files), out)
	}
	t.Logf("%d merged configurations pass amtool check-config", len(files))
}

// Under the recommended strategy (the Alertmanager runs in the object's
// namespace, OnNamespaceExceptForAlertmanagerNamespace), amtool config
// routes test sends every generated alert, with its static labels, through
// the merged route tree, and each reaches exactly the receivers the profile
// names, with the operator's <namespace>/<name>/ in front, merged into the
// operator's default base and into kube-prometheus-stack's (whose Watchdog
// route comes after the object's). Under None the operator writes the
// very same configuration.
func TestOperatorMergeRoutesEveryAlert(t *testing.T) {
	amtool := tool(t, "AMTOOL", "amtool")
	for _, c := range cases(t) {
		for _, base := range bases {
			t.Run(c.name+"/"+base.name, func(t *testing.T) {
				t.Parallel()
				amc := decode(t, c.amc)
				m := merge(t, base.config, c.amc, monitoringv1.OnNamespaceExceptForAlertmanagerNamespaceConfigMatcherStrategyType, amc.Namespace, amVersion)
				none := merge(t, base.config, c.amc, monitoringv1.NoneConfigMatcherStrategyType, amc.Namespace, amVersion)
				if !bytes.Equal(m.yaml, none.yaml) {
					t.Errorf("None and OnNamespaceExceptForAlertmanagerNamespace (in %s) merge differently:\n%s\n---\n%s", amc.Namespace, m.yaml, none.yaml)
				}
				cfg := load(t, m.yaml)
				nsMatcher := `namespace="` + amc.Namespace + `"`
				if ms := matcherStrings(cfg.Route.Routes[0].Matchers); slices.Contains(ms, nsMatcher) {
					t.Errorf("the operator added %s to the top route under the recommended strategy: %v", nsMatcher, ms)
				}
				for i, r := range cfg.InhibitRules {
					if slices.Contains(matcherStrings(r.SourceMatchers), nsMatcher) || slices.Contains(matcherStrings(r.TargetMatchers), nsMatcher) {
						t.Errorf("the operator added %s to inhibit rule %d under the recommended strategy", nsMatcher, i)
					}
				}
				file := writeTemp(t, m.yaml)
				a := c.b.Config.Profile.Spec.Alerting
				reached := map[string]bool{}
				routeAll(t, amtool, file, c.sets, func(lbls map[string]string) []string {
					var want []string
					for _, r := range expectedReceivers(t, a, lbls) {
						want = append(want, prefix(amc, r))
						reached[r] = true
					}
					return want
				})
				for _, r := range a.Receivers {
					if !reached[r.Name] {
						t.Errorf("no generated alert reaches receiver %s", r.Name)
					}
				}
				t.Logf("%d label sets routed through the merged configuration", len(c.sets))
			})
		}
	}
}

// What the README says about the default strategy (OnNamespace): the
// operator adds namespace="<the object's namespace>" to the object's top
// route and inhibit rules, so the generated alerts, which carry no such
// label, reach none of the object's receivers: they end at the base
// configuration's receiver. With the label they route as the profile says.
// OnNamespaceExceptForAlertmanagerNamespace with the Alertmanager in
// another namespace is the same as OnNamespace.
func TestOperatorOnNamespaceReachesNothing(t *testing.T) {
	amtool := tool(t, "AMTOOL", "amtool")
	for _, c := range cases(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			amc := decode(t, c.amc)
			m := merge(t, baseConfig, c.amc, monitoringv1.OnNamespaceConfigMatcherStrategyType, amc.Namespace, amVersion)
			other := merge(t, baseConfig, c.amc, monitoringv1.OnNamespaceExceptForAlertmanagerNamespaceConfigMatcherStrategyType, otherNamespace, amVersion)
			if !bytes.Equal(m.yaml, other.yaml) {
				t.Errorf("OnNamespaceExceptForAlertmanagerNamespace in %s differs from OnNamespace", otherNamespace)
			}
			cfg := load(t, m.yaml)
			nsMatcher := `namespace="` + amc.Namespace + `"`
			top := cfg.Route.Routes[0]
			if !slices.Contains(matcherStrings(top.Matchers), nsMatcher) {
				t.Errorf("top route matchers %v lack %s", matcherStrings(top.Matchers), nsMatcher)
			}
			for i, r := range cfg.InhibitRules {
				if !slices.Contains(matcherStrings(r.SourceMatchers), nsMatcher) || !slices.Contains(matcherStrings(r.TargetMatchers), nsMatcher) {
					t.Errorf("inhibit rule %d lacks %s: %v -> %v", i, nsMatcher, matcherStrings(r.SourceMatchers), matcherStrings(r.TargetMatchers))
				}
			}
			for _, lbls := range c.sets {
				if _, ok := lbls["namespace"]; ok {
					t.Fatalf("%s: a generated alert has a static namespace label", key(lbls))
				}
			}
			file := writeTemp(t, m.yaml)
			routeAll(t, amtool, file, c.sets, func(map[string]string) []string { return []string{baseReceiver} })
			a := c.b.Config.Profile.Spec.Alerting
			var withNS []map[string]string
			for _, lbls := range c.sets {
				withNS = append(withNS, withLabel(lbls, "namespace", amc.Namespace))
			}
			routeAll(t, amtool, file, withNS, func(lbls map[string]string) []string {
				var want []string
				for _, r := range expectedReceivers(t, a, lbls) {
					want = append(want, prefix(amc, r))
				}
				return want
			})
		})
	}
}

// The inhibit rules and the maintenance windows survive the merge: as many
// rules, with the object's matchers and equal labels; the windows as
// mute_time_intervals named <namespace>/<name>/<window>, the routes muting
// by those names, and each window active at the same instants as
// alertmanager.yaml's (which keeps the location) in a January week; in a
// zone with daylight saving time, an hour apart in a July week, as the
// file header says.
func TestOperatorKeepsInhibitionAndWindows(t *testing.T) {
	windows := 0
	for _, c := range cases(t) {
		t.Run(c.name, func(t *testing.T) {
			amc := decode(t, c.amc)
			cfg := load(t, merge(t, baseConfig, c.amc, monitoringv1.OnNamespaceExceptForAlertmanagerNamespaceConfigMatcherStrategyType, amc.Namespace, amVersion).yaml)
			plain := load(t, c.out.Files[render.AlertmanagerPath])

			if len(cfg.InhibitRules) != len(amc.Spec.InhibitRules) || len(cfg.InhibitRules) != len(plain.InhibitRules) {
				t.Fatalf("%d inhibit rules merged, the object has %d, alertmanager.yaml %d", len(cfg.InhibitRules), len(amc.Spec.InhibitRules), len(plain.InhibitRules))
			}
			if len(cfg.InhibitRules) < 2 {
				t.Fatalf("expected the page/ticket rule and tier rules, got %d", len(cfg.InhibitRules))
			}
			for i, r := range cfg.InhibitRules {
				p := plain.InhibitRules[i]
				if g, w := matcherStrings(r.SourceMatchers), matcherStrings(p.SourceMatchers); !slices.Equal(g, w) {
					t.Errorf("inhibit rule %d source %v, alertmanager.yaml %v", i, g, w)
				}
				if g, w := matcherStrings(r.TargetMatchers), matcherStrings(p.TargetMatchers); !slices.Equal(g, w) {
					t.Errorf("inhibit rule %d target %v, alertmanager.yaml %v", i, g, w)
				}
				if g, w := r.Equal, p.Equal; !slices.Equal(g, w) {
					t.Errorf("inhibit rule %d equal %v, alertmanager.yaml %v", i, g, w)
				}
			}

			var want, got []string
			for _, w := range c.b.Config.Profile.Spec.Alerting.MaintenanceWindows {
				want = append(want, prefix(amc, w.Name))
			}
			for _, ti := range cfg.MuteTimeIntervals {
				got = append(got, ti.Name)
			}
			if len(cfg.TimeIntervals) > 0 {
				t.Errorf("unexpected time_intervals in the merged config: %v", cfg.TimeIntervals)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("merged time intervals %v, want %v", got, want)
			}
			used := map[string]bool{}
			var walk func(r *amconfig.Route)
			walk = func(r *amconfig.Route) {
				for _, n := range r.MuteTimeIntervals {
					used[n] = true
				}
				for _, ch := range r.Routes {
					walk(ch)
				}
			}
			walk(cfg.Route)
			plainUsed := map[string]bool{}
			var walkPlain func(r *amconfig.Route)
			walkPlain = func(r *amconfig.Route) {
				for _, n := range r.MuteTimeIntervals {
					plainUsed[prefix(amc, n)] = true
				}
				for _, ch := range r.Routes {
					walkPlain(ch)
				}
			}
			walkPlain(plain.Route)
			if !mapsEqual(used, plainUsed) {
				t.Errorf("merged routes mute by %v, alertmanager.yaml's by %v", keys(used), keys(plainUsed))
			}

			for i, w := range c.b.Config.Profile.Spec.Alerting.MaintenanceWindows {
				windows++
				mergedTI := cfg.MuteTimeIntervals[i].TimeIntervals
				plainTI := plain.TimeIntervals[i].TimeIntervals
				if plain.TimeIntervals[i].Name != w.Name {
					t.Fatalf("alertmanager.yaml interval %d is %s, want %s", i, plain.TimeIntervals[i].Name, w.Name)
				}
				// shift: how far the merged window lags alertmanager.yaml's
				// in July (0 for UTC and fixed zones).
				shift := 0
				if w.Location != "" {
					loc, err := timeLocation(w.Location)
					if err != nil {
						t.Fatal(err)
					}
					shift = julyShift(loc)
				}
				for _, wk := range []struct {
					name  string
					start string
					lag   int
				}{{"January", "2026-01-12T00:00:00Z", 0}, {"July", "2026-07-13T00:00:00Z", shift}} {
					active, diff := compareWeek(t, wk.start, wk.lag, mergedTI, plainTI)
					if diff != "" {
						t.Errorf("window %s, week of %s (merged lags %d min): %s", w.Name, wk.name, wk.lag, diff)
					}
					if active == 0 {
						t.Errorf("window %s is never active in the week of %s", w.Name, wk.name)
					}
				}
			}
		})
	}
	if windows == 0 {
		t.Fatal("no profile has a maintenance window to check")
	}
}

// The operator rejects what it should: a route naming a receiver the object
// does not define, and a muteTimeInterval it does not define (so the check
// above is the operator's and not a formality).
func TestOperatorRejectsBrokenReferences(t *testing.T) {
	c := cases(t)[len(cases(t))-1] // payments: has windows
	for name, edit := range map[string]func(*monitoringv1alpha1.AlertmanagerConfig){
		"unknown receiver": func(a *monitoringv1alpha1.AlertmanagerConfig) { a.Spec.Receivers = a.Spec.Receivers[1:] },
		"unknown interval": func(a *monitoringv1alpha1.AlertmanagerConfig) {
			a.Spec.MuteTimeIntervals = a.Spec.MuteTimeIntervals[1:]
		},
	} {
		amc := decode(t, c.amc)
		edit(amc)
		if err := check(amc); err == nil {
			t.Errorf("%s: the operator's validation accepts it", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// routeAll runs amtool config routes test for every label set, two at a
// time, and compares each result with want.
func routeAll(t *testing.T, amtool, file string, sets []map[string]string, want func(map[string]string) []string) {
	t.Helper()
	type result struct {
		lbls map[string]string
		out  string
		err  error
	}
	results := make([]result, len(sets))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, lbls := range sets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			args := []string{"config", "routes", "test", "--config.file=" + file}
			for _, k := range sortedKeys(lbls) {
				args = append(args, k+"="+lbls[k])
			}
			out, err := exec.Command(amtool, args...).CombinedOutput()
			results[i] = result{lbls, strings.TrimSpace(string(out)), err}
		}()
	}
	wg.Wait()
	for _, r := range results {
		if r.err != nil {
			t.Fatalf("amtool config routes test %s: %v\n%s", key(r.lbls), r.err, r.out)
		}
		if w := strings.Join(want(r.lbls), ","); r.out != w {
			t.Errorf("%s reaches %s, want %s", key(r.lbls), r.out, w)
		}
	}
}

// load parses a configuration with Alertmanager's own config package
// (prometheus/alertmanager config.Load, v0.34.0; amtool's loader).
func load(t *testing.T, data []byte) *amconfig.Config {
	t.Helper()
	cfg, err := amconfig.Load(string(data))
	if err != nil {
		t.Fatalf("alertmanager config.Load: %v\n%s", err, data)
	}
	return cfg
}

func writeTemp(t *testing.T, data []byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "alertmanager.yaml")
	if err := os.WriteFile(f, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// tool is the real binary: $ENV, else bin/NAME at the repository root.
// Missing, the test skips locally and fails in CI.
func tool(t *testing.T, env, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short skips the real-tool tests; make test-amop runs them")
	}
	path := os.Getenv(env)
	if path == "" {
		path = filepath.Join("..", "..", "bin", name)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(abs); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found at %s (set %s or run make tools): %v", name, abs, env, err)
		}
		t.Skipf("%s not found at %s; run make tools or set %s", name, abs, env)
	}
	return abs
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
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func mapsEqual(a, b map[string]bool) bool {
	return slices.Equal(keys(a), keys(b))
}

func matcherStrings[S ~[]E, E fmt.Stringer](ms S) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.String()
	}
	return out
}

func timeLocation(name string) (*time.Location, error) { return time.LoadLocation(name) }

// julyShift is how many minutes a window written at a zone's standard
// offset (the AlertmanagerConfig's UTC intervals) is active after the same
// window kept in the zone, in July: the difference between the summer and
// the standard offset (60 for Europe/Berlin), 0 for a zone without
// daylight saving time.
func julyShift(loc *time.Location) int {
	_, winter := time.Date(2026, 1, 15, 12, 0, 0, 0, loc).Zone()
	_, summer := time.Date(2026, 7, 15, 12, 0, 0, 0, loc).Zone()
	return (max(winter, summer) - min(winter, summer)) / 60
}

// compareWeek checks, for every minute of the week from start (UTC), that
// the merged window is active at t exactly when alertmanager.yaml's is at
// t - lag minutes. It returns the minutes the merged window is active and
// the first few differences.
func compareWeek(t *testing.T, start string, lag int, merged, plain []timeinterval.TimeInterval) (int, string) {
	t.Helper()
	t0, err := time.Parse(time.RFC3339, start)
	if err != nil {
		t.Fatal(err)
	}
	contains := func(tis []timeinterval.TimeInterval, at time.Time) bool {
		for _, ti := range tis {
			if ti.ContainsTime(at) {
				return true
			}
		}
		return false
	}
	active := 0
	var diffs []string
	for m := range 7 * 24 * 60 {
		at := t0.Add(time.Duration(m) * time.Minute)
		g := contains(merged, at)
		w := contains(plain, at.Add(-time.Duration(lag)*time.Minute))
		if g {
			active++
		}
		if g != w && len(diffs) < 5 {
			diffs = append(diffs, fmt.Sprintf("%s merged %v, alertmanager.yaml %v", at.Format("Mon 15:04Z"), g, w))
		}
	}
	return active, strings.Join(diffs, "; ")
}

// What kube-prometheus-stack's default inhibit rules do to the merged
// configuration, run through Alertmanager's own inhibitor
// (prometheus/alertmanager inhibit, over its in-memory alert store): the
// chart's first rule (severity="critical" mutes severity=~"warning|info"
// with equal [namespace, alertname]) compares alerts without a namespace
// label as equal, so a page of one service mutes the ticket of the same
// alert name for another service. The object's own rules (equal on the
// SLO, the service and the cluster) do not; in the operator's default base
// the other service's ticket stays, and so it does with the chart's
// severity rules scoped to sources that have a namespace label (the
// README's suggestion).
func TestChartBaseInhibitsAcrossServices(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the inhibitor run")
	}
	c := cases(t)[slices.IndexFunc(cases(t), func(c *case_) bool { return c.name == "medium" })]
	var page, ticket map[string]string
	for _, s := range c.sets {
		if s["alertname"] != rules.AlertIstioSLOErrorBudgetBurn {
			continue
		}
		if page == nil && s["severity"] == profile.SeverityCritical {
			page = s
		}
	}
	for _, s := range c.sets {
		if s["alertname"] == rules.AlertIstioSLOErrorBudgetBurn && s["severity"] == profile.SeverityWarning && s["slo"] == page["slo"] {
			ticket = s
			break
		}
	}
	if page == nil || ticket == nil {
		t.Fatalf("medium: no burn page and ticket of one SLO in %v", c.sets)
	}
	svc := func(m map[string]string, name string) model.LabelSet {
		ls := model.LabelSet{"destination_service_namespace": "shop", "destination_service_name": model.LabelValue(name)}
		for k, v := range m {
			ls[model.LabelName(k)] = model.LabelValue(v)
		}
		return ls
	}
	source := svc(page, "checkout")
	sameService := svc(ticket, "checkout")
	otherService := svc(ticket, "catalog")

	// The README's way out: the chart's two severity rules scoped to
	// sources with a namespace label.
	scoped := strings.Replace(chartBase, "      - 'severity = critical'\n", "      - 'severity = critical'\n      - 'namespace =~ .+'\n", 1)
	scoped = strings.Replace(scoped, "  - source_matchers:\n      - 'severity = warning'\n", "  - source_matchers:\n      - 'severity = warning'\n      - 'namespace =~ .+'\n", 1)
	if strings.Count(scoped, "namespace =~ .+") != 2 {
		t.Fatal("the chart's severity rules were not scoped")
	}
	amc := decode(t, c.amc)
	for _, base := range append(slices.Clone(bases), struct{ name, config string }{"kube-prometheus-stack, scoped", scoped}) {
		cfg := load(t, merge(t, base.config, c.amc, monitoringv1.OnNamespaceExceptForAlertmanagerNamespaceConfigMatcherStrategyType, amc.Namespace, amVersion).yaml)
		mutes := inhibitor(t, cfg, source)
		if !mutes(sameService) {
			t.Errorf("%s: the page %v does not mute its own ticket %v", base.name, source, sameService)
		}
		want := base.config == chartBase
		if got := mutes(otherService); got != want {
			t.Errorf("%s: the page %v mutes the other service's ticket %v: %v, want %v", base.name, source, otherService, got, want)
		}
	}
}

// inhibitor loads the firing alert into Alertmanager's in-memory store,
// runs its inhibitor with the configuration's rules and returns its Mutes,
// once the inhibitor has seen the alert.
func inhibitor(t *testing.T, cfg *amconfig.Config, firing model.LabelSet) func(model.LabelSet) bool {
	t.Helper()
	ctx := context.Background()
	logger := promslog.NewNopLogger()
	store, err := mem.NewAlerts(ctx, time.Minute, 0, nil, logger, eventrecorder.NopRecorder(), prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	now := time.Now()
	if err := store.Put(ctx, &types.Alert{Alert: model.Alert{Labels: firing, StartsAt: now.Add(-time.Minute), EndsAt: now.Add(time.Hour)}, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	ih := inhibit.NewInhibitor(store, cfg.InhibitRules, logger, eventrecorder.NopRecorder())
	go ih.Run()
	t.Cleanup(ih.Stop)
	ih.WaitForLoading()
	return func(ls model.LabelSet) bool { return ih.Mutes(ctx, ls) }
}
