package cost

import (
	"strings"
	"testing"
	"time"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/loader"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/render"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/generator/selector"
)

// builtinConfig is a built-in profile evaluated every interval, as in the
// brief's setup (the built-ins evaluate every 30s).
func builtinConfig(tb testing.TB, name string, interval time.Duration) *config.Config {
	tb.Helper()
	l, errs := loader.Load(name)
	if l == nil || len(errs.Fatal(false)) > 0 {
		tb.Fatalf("loading profile %s: %v", name, errs)
	}
	p := l.Profile
	p.Spec.Prometheus.EvaluationInterval = profile.Duration(interval)
	c, err := config.New(p)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// sloFiles are the generated SLO rule files (recordings, then alerts) as
// meshslo writes them.
func sloFiles(tb testing.TB, c *config.Config) []rules.File {
	tb.Helper()
	var out []rules.File
	for _, f := range rules.Build(c) {
		if f.Name == "slo-recordings" || f.Name == "slo-alerts" {
			out = append(out, f)
		}
	}
	if len(out) != 2 {
		tb.Fatalf("expected the slo-recordings and slo-alerts files, got %d files", len(out))
	}
	return out
}

func renderFiles(tb testing.TB, c *config.Config, files []rules.File) []namedFile {
	tb.Helper()
	var out []namedFile
	for _, f := range files {
		data, err := render.RuleFile(c, f)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, namedFile{f.Name, data})
	}
	return out
}

// Reference rule sets record under their own prefix and alert under their
// own names, so that they can run beside ours in the same TSDB.
const (
	slothPrefix = "sloth"
	lowerPrefix = "lower"
)

// rename points every slo:* series of an expression at prefix:*.
func rename(expr, prefix string) string { return strings.ReplaceAll(expr, "slo:", prefix+":") }

// slothFiles is the Sloth-shaped reference, written from the shape Sloth
// publishes (one recording per window, each from the raw counters; the
// period from the recorded 5m ratio), with the same alerts as ours. With
// periodFromRaw the period is read from the raw counters too: these are the
// exact rules the accuracy test compares with (Sloth's period is a plain
// mean of 5m ratios, which a quiet night weighs as much as a busy day).
func slothFiles(c *config.Config, ours []rules.File, periodFromRaw bool) []rules.File {
	rec := rules.File{Name: "sloth-recordings"}
	for _, s := range c.SLOs {
		g := rules.Group{Name: "sloth-" + s.Name, Interval: c.Profile.Spec.Prometheus.EvaluationInterval}
		for _, w := range rules.Windows(s) {
			expr := rawRatio(s, w)
			if w == s.Window && !periodFromRaw {
				r5m := selector.Matchers{selector.Equal("slo", s.Name)}.Metric(rules.SLIErrorRatio(5 * profile.Duration(time.Minute)))
				expr = "sum_over_time(" + r5m + "[" + w.String() + "])\n/ count_over_time(" + r5m + "[" + w.String() + "])"
			}
			g.Rules = append(g.Rules, rules.Rule{Record: rules.SLIErrorRatio(w), Expr: expr, Labels: map[string]string{"slo": s.Name}},
				// The alerts' traffic guard and no-data check read it.
				rules.Rule{Record: rules.SLIRequestsRate(w), Expr: rawRequests(s, w), Labels: map[string]string{"slo": s.Name}})
		}
		sel := selector.Matchers{selector.Equal("slo", s.Name)}
		g.Rules = append(g.Rules, rules.Rule{Record: rules.SLOPeriodBudgetRemaining,
			Expr: "1 - " + sel.Metric(rules.SLIErrorRatio(s.Window)) + " / " + profile.FormatNumber(s.Budget), Labels: map[string]string{"slo": s.Name}})
		rec.Groups = append(rec.Groups, renameGroup(g, slothPrefix))
	}
	alerts := ours[1]
	alerts.Name = "sloth-alerts"
	alerts.Groups = nil
	for _, g := range ours[1].Groups {
		alerts.Groups = append(alerts.Groups, renameGroup(g, slothPrefix))
	}
	return []rules.File{rec, alerts}
}

// rawRatio is an SLO's error ratio over w read straight from the raw
// counters, per destination service.
func rawRatio(s config.SLO, w profile.Duration) string {
	by := "sum by (" + strings.Join(rules.ServiceLabels, ", ") + ") "
	rate := func(ms selector.Matchers, metric string) string {
		return by + "(rate(" + ms.Metric(metric) + "[" + w.String() + "]))"
	}
	if s.SLI == profile.SLILatency {
		count := rate(s.Requests, "istio_request_duration_milliseconds_count")
		fast := rate(s.Requests.With(selector.Regex("le", `250(\.0)?`)), "istio_request_duration_milliseconds_bucket")
		return "(" + count + " - " + fast + ")\n/ " + count
	}
	return rate(s.Requests.With(selector.Regex("response_code", "5..")), "istio_requests_total") + "\n/ " + rate(s.Requests, "istio_requests_total")
}

// rawRequests is an SLO's request rate over w from the raw counters.
func rawRequests(s config.SLO, w profile.Duration) string {
	metric := "istio_requests_total"
	if s.SLI == profile.SLILatency {
		metric = "istio_request_duration_milliseconds_count"
	}
	return "sum by (" + strings.Join(rules.ServiceLabels, ", ") + ") (rate(" + s.Requests.Metric(metric) + "[" + w.String() + "]))"
}

// lowerFiles is the physical minimum: every raw series an SLI needs read
// once over the shortest window. An SLO that lists its services (the
// large profile's payments SLOs) reads only theirs, through the same
// selectors the peers' specs use (peerSLOs): raw series of services it
// does not cover are no part of the minimum.
func lowerFiles(c *config.Config) []rules.File {
	f := rules.File{Name: "lower-bound"}
	for _, s := range peerSLOs(c) {
		g := rules.Group{Name: "lower-" + s.Name, Interval: c.Profile.Spec.Prometheus.EvaluationInterval}
		by := "sum by (" + strings.Join(rules.ServiceLabels, ", ") + ") "
		add := func(name, sel string) {
			g.Rules = append(g.Rules, rules.Rule{Record: "lower:" + name + ":rate5m", Expr: by + "(rate(" + sel + "[5m]))",
				Labels: map[string]string{"slo": s.Name}})
		}
		if s.Latency {
			add("fast", s.Errors)
			add("count", s.Total)
		} else {
			add("errors", s.Errors)
			add("requests", s.Total)
		}
		f.Groups = append(f.Groups, g)
	}
	return []rules.File{f}
}

func renameGroup(g rules.Group, prefix string) rules.Group {
	out := rules.Group{Name: prefix + "-" + g.Name, Interval: g.Interval}
	for _, r := range g.Rules {
		r.Expr = rename(r.Expr, prefix)
		if r.Record != "" {
			r.Record = rename(r.Record, prefix)
		}
		if r.Alert != "" {
			r.Alert = strings.ToUpper(prefix[:1]) + prefix[1:] + r.Alert
		}
		out.Rules = append(out.Rules, r)
	}
	return out
}
