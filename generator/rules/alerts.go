package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
)

// Descriptor is everything meshslo knows about one alert beside its
// expression: the thresholds of each of its rules with the profile fields
// behind them, a line for the runbook index, and the values dashboards draw.
// The rule builders read their numbers from Thresholds, and every alerting
// rule carries the Threshold it was built from, so explain, the READMEs,
// the runbook index and the dashboards cannot disagree with the rules.
//
// Adding an alert: a Descriptor and its rule in the builder file of its
// concern (controlplane.go, proxies.go, ...), its generated tests in
// package ruletests, its profile fields, and docs/runbooks/<Name>.md. The
// completeness tests name whichever piece is missing.
type Descriptor struct {
	Name string
	// Meaning is the runbook index's line. {warning}, {critical} and
	// {for} stand for the Shown value and the hold of the first
	// threshold of that severity.
	Meaning string
	// Thresholds returns one entry per rule of the alert, in rule order.
	Thresholds func(c *config.Config) []Threshold
	// Params are values dashboards draw beside the thresholds that are
	// not compared against themselves (the memory limit the heap ratio
	// divides by, the quantile of a latency threshold).
	Params func(c *config.Config) []Param
	// Skip says why the alert is not generated for the config, or ""
	// when it is (nil: always generated): an alert that would read series
	// the config's setup does not have (spec.certificates.ca) is left out
	// rather than silently reading nothing.
	Skip func(c *config.Config) string
	// SkipFields are the profile fields Skip decides by; nil:
	// spec.certificates.ca, which decides every certificate alert's.
	SkipFields []string
	// InstanceLabels are the labels, beside severity and the SLO and
	// service labels, that tell one firing alert of this name from another
	// (namespace and pod for a per-pod alert). The generated inhibition
	// holds a page and the ticket it silences to equal values of them, so
	// a critical heap alert on one pod does not silence the warning on
	// another.
	InstanceLabels []string
	// Silences are the alerts that follow from this one when it fires (in
	// the same cluster): the generated Alertmanager inhibition mutes them
	// while it fires, so one incident pages once. Each entry's reason is
	// beside it in the descriptor.
	Silences []string
}

// SkipDecidedBy are the profile fields that decide whether the alert is
// generated.
func (d *Descriptor) SkipDecidedBy() []string {
	if d.SkipFields != nil {
		return d.SkipFields
	}
	return []string{"spec.certificates.ca"}
}

// SkippedFor says why the alert is not generated for c, or "".
func (d *Descriptor) SkippedFor(c *config.Config) string {
	if d.Skip == nil {
		return ""
	}
	return d.Skip(c)
}

// Threshold is one rule of an alert: what it compares against, for how
// long, and where each number comes from.
type Threshold struct {
	Alert    string
	Severity string
	// Condition says in words what fires, with the numbers filled in.
	Condition string
	// Fields are the profile fields the threshold comes from, as paths
	// that resolve in profile.Profile (spec.istiod.heapFor).
	Fields []string
	// Value is the number the expression compares against, in base units
	// (ratio, bytes, seconds, count, burn factor).
	Value float64
	// Shown is Value as people read it (80%, 800Mi, 72h).
	Shown string
	For   profile.Duration
	// Draw is the dashboards' key for Value (section.name, read by the
	// templates as input.thresholds.section.name); empty when no
	// dashboard draws it.
	Draw string
	// Panels are the dashboard panels that draw Value as a threshold
	// step, as "dashboard/panel title" (the dashboards' tests hold them to it).
	Panels []string
	// Labels are static labels the alert carries besides severity, where
	// one severity has more than one rule (limit_source="none").
	Labels map[string]string
}

// Param is a value a dashboard draws that is not a threshold.
type Param struct {
	Draw  string
	Value float64
	Field string
}

// Descriptors lists every alert meshslo generates, in rule order. Each
// concern's descriptors stand beside its rules, in the builder's file.
var Descriptors = slices.Concat(controlPlaneAlerts, proxyAlerts, certificateAlerts, ztunnelAlerts, sloAlertDescriptors, gatewayAlerts, waypointAlerts, canaryAlerts, remoteClusterAlerts, versionAlerts)

// caExpiry describes the alerts on the long-lived CA certificates; all
// read the same two profile fields.
func caExpiry(name, what, meaning string, skip func(*config.Config) string) *Descriptor {
	return &Descriptor{
		Name:    name,
		Meaning: meaning,
		// cert-manager's Certificates are per object; istiod's root and
		// chain are one series each.
		InstanceLabels: []string{"namespace", "name"},
		Skip:           skip,
		Thresholds: func(c *config.Config) []Threshold {
			ct := c.Profile.Spec.Certificates
			left := func(sev, field string, d profile.Duration, draw string) Threshold {
				return Threshold{Alert: name, Severity: sev,
					Condition: fmt.Sprintf("%s certificate expires within %s", what, d),
					Fields:    []string{"spec.certificates." + field},
					Value:     d.Seconds(), Shown: d.String(), For: ct.For, Draw: "certificates." + draw,
					Panels: []string{"oncall/Mesh CA certificates: time left"}}
			}
			return []Threshold{
				left(profile.SeverityWarning, "expiryWarning", ct.ExpiryWarning, "expiryWarningSeconds"),
				left(profile.SeverityCritical, "expiryCritical", ct.ExpiryCritical, "expiryCriticalSeconds"),
			}
		},
	}
}

// sloBurn is one SLO's burn-rate tiers; Value is the burn factor.
func sloBurn(c *config.Config, si int) []Threshold {
	slo := c.SLOs[si]
	var out []Threshold
	for _, t := range slo.Tiers {
		fields := []string{slo.Field + ".objective", slo.Field + ".window", fmt.Sprintf("spec.burnRates[%d]", t.Index)}
		if t.Override >= 0 {
			fields = append(fields, fmt.Sprintf("%s.tiers[%d]", slo.Field, t.Override))
		}
		out = append(out, Threshold{Alert: AlertIstioSLOErrorBudgetBurn, Severity: t.Severity,
			Condition: fmt.Sprintf("SLO %s: burn rate above %sx (error ratio above %s) over %s and %s: %s of the %s budget in %s",
				slo.Name, num(t.Factor), num(t.ErrorRatio), t.Long, t.Short, percent(t.BudgetShare), slo.Window, t.Long),
			Fields: fields,
			Value:  t.Factor, Shown: num(t.Factor) + "x", For: t.For,
			Panels: sloPanels(c, "oncall", slo.Name+": burn rate per window")})
	}
	return out
}

// sloExhausted is one SLO's spent-budget alert; Value is the budget left.
func sloExhausted(c *config.Config, si int) Threshold {
	slo := c.SLOs[si]
	exhaustedFor := c.Profile.Spec.ErrorBudget.ExhaustedFor
	return Threshold{Alert: AlertIstioSLOErrorBudgetExhausted, Severity: profile.SeverityWarning,
		Condition: fmt.Sprintf("SLO %s: nothing left of the %s budget (%s of requests may fail) for %s", slo.Name, slo.Window, num(slo.Budget*100)+"%", exhaustedFor),
		Fields:    []string{slo.Field + ".objective", "spec.errorBudget.exhaustedFor"},
		Value:     0, Shown: "0", For: exhaustedFor,
		Panels: sloPanels(c, "executive", slo.Name+": budget left")}
}

// PerSLOPanels is how many SLOs each dashboard gives panels of their own
// (templates/mesh.libsonnet perSLO; the dashboards' threshold test holds
// the two together): with more, one panel across SLOs takes their place.
var PerSLOPanels = map[string]int{"executive": 2, "oncall": 4}

// sloPanels names the panel of dashboard that draws an SLO's threshold,
// while the SLO has panels of its own. With more SLOs the table across
// them draws it in a column's override, which the threshold test does not
// read, so none is named.
func sloPanels(c *config.Config, dashboard, own string) []string {
	if len(c.SLOs) > PerSLOPanels[dashboard] {
		return nil
	}
	return []string{dashboard + "/" + own}
}

// Descriptor returns the descriptor of the alert called name, or nil.
func DescriptorOf(name string) *Descriptor {
	for _, d := range Descriptors {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// thresholds returns the descriptor's thresholds for the builder's config.
func (b *builder) thresholds(name string) []Threshold {
	d := DescriptorOf(name)
	if d == nil {
		panic("rules: no descriptor for alert " + name)
	}
	return d.Thresholds(b.c)
}

// Thresholds lists the threshold of every alerting rule in the files, in
// rule order.
func Thresholds(files []File) []Threshold {
	var out []Threshold
	for _, r := range Alerts(files) {
		out = append(out, *r.Threshold)
	}
	return out
}

// IndexLine fills the descriptor's Meaning from thresholds (those of the
// alert, from Thresholds).
func (d *Descriptor) IndexLine(ts []Threshold) string {
	line := d.Meaning
	for _, sev := range []string{profile.SeverityWarning, profile.SeverityCritical} {
		for _, t := range ts {
			if t.Alert == d.Name && t.Severity == sev {
				line = strings.ReplaceAll(line, "{"+sev+"}", t.Shown)
				line = strings.ReplaceAll(line, "{for}", t.For.String())
				break
			}
		}
	}
	return line
}
