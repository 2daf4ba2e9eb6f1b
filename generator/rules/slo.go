package rules

import (
	"slices"
	"strings"
	"time"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/selector"
)

// SLO series names, a contract with the dashboards. Every series carries
// the labels slo, destination_service_namespace and destination_service_name.
const (
	SLIErrorsRate5m          = "slo:sli_errors:rate5m"
	SLIRequestsRate5m        = "slo:sli_requests:rate5m"
	SLIErrorRatioPrefix      = "slo:sli_error:ratio_rate"
	SLOObjective             = "slo:objective:ratio"
	SLOErrorBudget           = "slo:error_budget:ratio"
	SLOCurrentBurnRate       = "slo:current_burn_rate:ratio"
	SLOPeriodBudgetRemaining = "slo:period_error_budget_remaining:ratio"
)

// ServiceLabels are the labels each SLO is evaluated per.
var ServiceLabels = []string{"destination_service_namespace", "destination_service_name"}

// baseWindow is the shortest window: raw counters are read only here.
const baseWindow = profile.Duration(5 * time.Minute)

// SLIErrorRatio names the recorded error ratio over a window.
func SLIErrorRatio(window profile.Duration) string { return SLIErrorRatioPrefix + window.String() }

// Windows returns every window an SLO needs, shortest first: the base
// window, each tier's long and short window, and the SLO period.
func Windows(s config.SLO) []profile.Duration {
	ws := []profile.Duration{baseWindow, s.Window}
	for _, t := range s.Tiers {
		ws = append(ws, t.Long, t.Short)
	}
	slices.Sort(ws)
	return slices.Compact(ws)
}

func by() string { return "sum by (" + strings.Join(ServiceLabels, ", ") + ") " }

// sliExprs returns the raw error and request rates of an SLO over the base window.
func sliExprs(s config.SLO) (errors, requests string) {
	w := "[" + baseWindow.String() + "]"
	switch s.SLI {
	case profile.SLILatency:
		count := s.Requests.Metric("istio_request_duration_milliseconds_count")
		// Prometheus 3 writes le="250.0" for a scraped le="250"; accept both.
		le := profile.FormatNumber(float64(time.Duration(s.Threshold)) / float64(time.Millisecond))
		bucket := s.Requests.With(selector.Regex("le", regexpQuote(le)+`(\.0)?`)).Metric("istio_request_duration_milliseconds_bucket")
		requests = by() + "(rate(" + count + w + "))"
		errors = lines(requests, "-", by()+"(rate("+bucket+w+"))")
	default:
		total := s.Requests.Metric("istio_requests_total")
		failed := s.Requests.With(selector.Regex("response_code", "5..")).Metric("istio_requests_total")
		requests = by() + "(rate(" + total + w + "))"
		errors = by() + "(rate(" + failed + w + "))"
	}
	return errors, requests
}

func regexpQuote(s string) string { return strings.ReplaceAll(s, ".", `\.`) }

func sloLabels(s config.SLO) map[string]string { return map[string]string{"slo": s.Name} }

func (b *builder) sloRecordings() File {
	f := File{Name: "slo-recordings", Comment: "SLIs per SLO and destination service, error ratios per window, budgets and burn rates."}
	for _, s := range b.c.SLOs {
		sel := selector.Matchers{selector.Equal("slo", s.Name)}
		errs, reqs := sliExprs(s)
		rules := []Rule{
			{Record: SLIErrorsRate5m, Expr: errs, Labels: sloLabels(s), Comment: sliComment(s)},
			{Record: SLIRequestsRate5m, Expr: reqs, Labels: sloLabels(s)},
		}
		for _, w := range Windows(s) {
			expr := sel.Metric(SLIErrorsRate5m) + " / " + sel.Metric(SLIRequestsRate5m)
			comment := ""
			if w != baseWindow {
				// Sum of errors over sum of requests: weighted by traffic, so a
				// quiet night cannot outweigh a busy day.
				expr = lines(
					"sum_over_time("+sel.Metric(SLIErrorsRate5m)+"["+w.String()+"])",
					"/",
					"sum_over_time("+sel.Metric(SLIRequestsRate5m)+"["+w.String()+"])",
				)
			}
			rules = append(rules, Rule{Record: SLIErrorRatio(w), Expr: expr, Labels: sloLabels(s), Comment: comment})
		}
		current := s.Tiers[0].Long
		rules = append(rules,
			Rule{Record: SLOObjective, Expr: "0 * " + sel.Metric(SLIRequestsRate5m) + " + " + num(s.ObjectiveRatio), Labels: sloLabels(s),
				Comment: "Constant per service, so dashboards can draw and join it."},
			Rule{Record: SLOErrorBudget, Expr: "0 * " + sel.Metric(SLIRequestsRate5m) + " + " + num(s.Budget), Labels: sloLabels(s)},
			Rule{Record: SLOCurrentBurnRate, Expr: sel.Metric(SLIErrorRatio(current)) + " / " + num(s.Budget), Labels: sloLabels(s),
				Comment: "Burn rate over " + current.String() + ": 1 spends the budget exactly over the period."},
			Rule{Record: SLOPeriodBudgetRemaining, Expr: "1 - " + sel.Metric(SLIErrorRatio(s.Window)) + " / " + num(s.Budget), Labels: sloLabels(s)},
		)
		f.Groups = append(f.Groups, b.group("slo-"+s.Name+"-sli", rules...))
	}
	return f
}

func sliComment(s config.SLO) string {
	if s.SLI == profile.SLILatency {
		return "SLO " + s.Name + ": requests slower than " + s.Threshold.String() + " (a bucket boundary) count as errors."
	}
	return "SLO " + s.Name + ": 5xx responses count as errors; 4xx are the client's."
}

func (b *builder) sloAlerts() File {
	f := File{Name: "slo-alerts", Comment: "Multiwindow, multi-burn-rate SLO alerts (Google SRE workbook, ch. 5)."}
	for _, s := range b.c.SLOs {
		sel := selector.Matchers{selector.Equal("slo", s.Name)}
		var rules []Rule
		for _, t := range s.Tiers {
			burn := func(w profile.Duration) string {
				return sel.Metric(SLIErrorRatio(w)) + " / " + num(s.Budget) + " > " + num(t.Factor)
			}
			action := "tickets"
			if t.Severity == profile.SeverityCritical {
				action = "pages"
			}
			r := b.alert("IstioSLOErrorBudgetBurn", t.Severity, lines(burn(t.Long), "and", burn(t.Short)), t.For,
				"A service burns its error budget too fast.",
				"{{ $labels.destination_service_namespace }}/{{ $labels.destination_service_name }} burns the "+s.Name+
					" error budget {{ $value | humanize }}x faster than sustainable over "+t.Long.String()+"; this "+action+
					" above "+num(t.Factor)+"x ("+percent(t.BudgetShare)+" of the "+s.Window.String()+" budget in "+t.Long.String()+").")
			r.Labels["slo"] = s.Name
			r.Labels["burn_window"] = t.Long.String()
			r.Comment = "Burn factor " + num(t.Factor) + " = " + num(t.BudgetShare) + " x " + s.Window.String() + " / " + t.Long.String() +
				", confirmed over " + t.Short.String() + "."
			rules = append(rules, r)
		}
		rules = append(rules, b.alert("IstioSLOErrorBudgetExhausted", profile.SeverityWarning,
			sel.Metric(SLOPeriodBudgetRemaining)+" <= 0", b.c.Profile.Spec.ErrorBudget.ExhaustedFor,
			"A service has spent its error budget.",
			"{{ $labels.destination_service_namespace }}/{{ $labels.destination_service_name }} has spent the "+s.Name+
				" error budget of the last "+s.Window.String()+" ({{ $value | humanizePercentage }} left)."))
		rules[len(rules)-1].Labels["slo"] = s.Name
		f.Groups = append(f.Groups, b.group("slo-"+s.Name+"-alerts", rules...))
	}
	return f
}
