package rules

import (
	"fmt"
	"strings"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
)

// Build returns every rule file for the config, in a fixed order.
func Build(c *config.Config) []File {
	b := &builder{c: c}
	files := []File{
		b.controlPlane(),
		b.proxies(),
		b.certificates(),
	}
	if c.Profile.Spec.Ambient() {
		files = append(files, b.ztunnel())
	}
	files = append(files, b.sloRecordings(), b.sloAlerts())
	if gw := b.gateways(); len(gw.Groups) > 0 {
		files = append(files, gw)
	}
	if wp := b.waypoints(); len(wp.Groups) > 0 {
		files = append(files, wp)
	}
	if canarySkip(c) == "" {
		files = append(files, b.canaryVerdict())
	}
	if notMultiCluster(c) == "" {
		files = append(files, b.remoteClusters())
	}
	files = append(files, b.versions())
	// Several clusters: every expression keeps the cluster label (clusters.go).
	return PerCluster(c, files)
}

type builder struct{ c *config.Config }

// group returns a group evaluated at the profile's interval.
func (b *builder) group(name string, rules ...Rule) Group {
	return Group{Name: "meshslo-" + name, Interval: b.c.Profile.Spec.Prometheus.EvaluationInterval, Rules: rules}
}

// alert fills the parts every alert shares from the threshold it is built
// from: name, severity, hold, runbook and the annotations, so no alert can
// leave one out or disagree with its descriptor.
func (b *builder) alert(t Threshold, expr, summary, description string) Rule {
	labels := map[string]string{"severity": t.Severity}
	for k, v := range t.Labels {
		labels[k] = v
	}
	return Rule{
		Alert:  t.Alert,
		Expr:   checkExpr(expr),
		For:    t.For,
		Labels: labels,
		Annotations: map[string]string{
			"summary":     summary,
			"description": description,
			"runbook_url": b.c.RunbookURL(t.Alert),
		},
		Threshold: &t,
	}
}

// An expression never starts with a blank: YAML writers then need an
// indentation indicator (|2-), which some, yaml.v3 among them, misplace
// inside lists, and the Helm values or PrometheusRule no longer parse.
func checkExpr(expr string) string {
	if strings.TrimLeft(expr, " \t\n") != expr {
		panic("rules: an expression starts with a blank: " + expr)
	}
	return expr
}

func record(name, expr, comment string) Rule {
	return Rule{Record: name, Expr: checkExpr(expr), Comment: comment}
}

// num prints a number from the profile for PromQL.
func num(f float64) string { return profile.FormatNumber(f) }

// percent prints a ratio as a percentage for people (0.8 -> "80%").
func percent(f float64) string { return profile.FormatNumber(f*100) + "%" }

// lines joins expression lines; multi-line expressions read better in review.
func lines(parts ...string) string { return strings.Join(parts, "\n") }

// indent prefixes every line of s.
func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
