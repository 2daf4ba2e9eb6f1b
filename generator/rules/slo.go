package rules

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/escape"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/selector"
)

// SLO series names, a contract with the dashboards. Every series carries
// the labels slo, destination_service_namespace and destination_service_name
// (and the profile's cluster label when it names a cluster).
const (
	SLIErrorsRate5m          = "slo:sli_errors:rate5m"
	SLIRequestsRate5m        = "slo:sli_requests:rate5m"
	SLIErrorRatioPrefix      = "slo:sli_error:ratio_rate"
	SLOObjective             = "slo:objective:ratio"
	SLOErrorBudget           = "slo:error_budget:ratio"
	SLOCurrentBurnRate       = "slo:current_burn_rate:ratio"
	SLOPeriodBudgetRemaining = "slo:period_error_budget_remaining:ratio"
)

// Intermediate series: the raw counters' increase per service with only the
// error split kept, and the error and request rates of every window, which
// longer windows are assembled from. Names are free to change.
const (
	requestsIncreasePrefix = "slo:istio_requests:increase"
	bucketsIncreasePrefix  = "slo:istio_request_duration_milliseconds_bucket:increase"
	errorsRatePrefix       = "slo:sli_errors:rate"
	requestsRatePrefix     = "slo:sli_requests:rate"
)

// ServiceLabels are the labels each SLO is evaluated per.
var ServiceLabels = []string{"destination_service_namespace", "destination_service_name"}

// baseWindow is the shortest window: raw counters are read only here.
const baseWindow = profile.Duration(5 * time.Minute)

// maxTerms bounds how many tiles one window adds up. A window that would
// need more gets an intermediate tile window, so expressions stay readable.
const maxTerms = 12

// SLIRequestsRate names the recorded request rate over a window, which the
// traffic guard and IstioSLONoData read.
func SLIRequestsRate(window profile.Duration) string { return requestsRatePrefix + window.String() }

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

// A window's error and request rates come either from the raw counters
// (Tile 0) or from Terms back-to-back copies of a shorter recorded window
// read at offsets 0, Tile, 2×Tile, ...: the copies tile the window exactly,
// so its rate is their mean, weighted by traffic like one long rate().
type windowSource struct {
	Window, Tile profile.Duration
	Terms        int
	// Public windows get the slo:sli_error:ratio_rate<w> series; the others
	// only exist to be tiled into longer windows.
	Public bool
}

// windowPlan says how each window of s is computed when its rules run every
// interval, shortest first so each window's tiles are recorded before it.
// A tile must be a multiple of the interval: its offset copies then fall on
// past evaluations exactly instead of up to one interval apart.
func windowPlan(s config.SLO, interval profile.Duration) []windowSource {
	var plan []windowSource
	recorded := func(w profile.Duration) bool {
		return slices.ContainsFunc(plan, func(p windowSource) bool { return p.Window == w })
	}
	var add func(w profile.Duration, public bool)
	add = func(w profile.Duration, public bool) {
		if recorded(w) {
			for i := range plan {
				if plan[i].Window == w {
					plan[i].Public = plan[i].Public || public
				}
			}
			return
		}
		var tile profile.Duration
		for _, p := range plan {
			if p.Window < w && w%p.Window == 0 && interval > 0 && p.Window%interval == 0 && p.Window > tile {
				tile = p.Window
			}
		}
		if w == baseWindow || tile == 0 {
			plan = append(plan, windowSource{Window: w, Public: public})
			return
		}
		terms := int(w / tile)
		if terms > maxTerms {
			if d := largestDivisor(terms, maxTerms); d > 1 {
				add(tile*profile.Duration(d), false)
				add(w, public)
				return
			}
		}
		plan = append(plan, windowSource{Window: w, Tile: tile, Terms: terms, Public: public})
	}
	for _, w := range Windows(s) {
		add(w, true)
	}
	return plan
}

// largestDivisor returns the largest divisor of n that is at most max and
// smaller than n, or 1.
func largestDivisor(n, max int) int {
	for d := min(max, n-1); d > 1; d-- {
		if n%d == 0 {
			return d
		}
	}
	return 1
}

// serviceLabels are the labels SLO series are kept per: the service, and the
// cluster when the profile names one, so series federated from several
// clusters stay apart.
func (b *builder) serviceLabels() []string {
	return AggregationLabels(b.c, ServiceLabels...)
}

func by(labels ...string) string { return "sum by (" + strings.Join(labels, ", ") + ") " }

// perSLOLabels are the labels every SLI series of s keeps: slo, the SLO's
// own labels and the service's. The SLO's labels ride along from the
// increase series, so the rates keep them (their rule labels then add
// nothing new).
func (b *builder) perSLOLabels(s config.SLO) []string {
	return append(append([]string{"slo"}, slices.Sorted(maps.Keys(s.Labels))...), b.serviceLabels()...)
}

// increaseExpr is the increase of the raw counter series sel over w.
// Consecutive windows share their boundary sample (x - x offset w), so
// windows recorded at t, t-w, t-2w, ... add up to exactly the counters'
// increase over the whole span, which rate() over back-to-back ranges does
// not: each range drops the scrape interval before its first sample. A
// series that is new, ended or reset within w has no such difference; it
// falls back to increase(), which handles all three the usual way.
func increaseExpr(sel string, w profile.Duration) string {
	return lines(
		"("+sel+" - "+sel+" offset "+w.String()+" >= 0)",
		"or",
		"increase("+sel+"["+w.String()+"])",
	)
}

func regexpQuote(s string) string { return strings.ReplaceAll(s, ".", `\.`) }

// sloLabels are the static labels of every recording rule of s: its name
// and the profile's labels for it (team: payments), so dashboards and
// alerts can tell teams apart.
func sloLabels(s config.SLO) map[string]string {
	out := map[string]string{"slo": s.Name}
	for k, v := range s.Labels {
		out[k] = v
	}
	return out
}

// sloAlert adds what every alert of s carries beyond the builder's: the
// SLO's name, labels and annotations. Prometheus expands alert labels and
// annotations as templates, so profile text goes in escaped, printing as
// written.
func sloAlert(r Rule, s config.SLO) Rule {
	r.Labels["slo"] = s.Name
	for k, v := range s.Labels {
		r.Labels[k] = escape.PromTemplate(v)
	}
	for k, v := range s.Annotations {
		r.Annotations[k] = escape.PromTemplate(v)
	}
	return r
}

// excluded subtracts from the raw series expression expr the series of
// metric that match an exclude entry of s with more than one matcher
// (entries of one matcher are already negated in s.Requests).
func excluded(s config.SLO, expr string, metric selector.Matchers, name string) string {
	if len(s.Exclude) == 0 {
		return expr
	}
	out := "(\n" + indent(expr, "  ") + "\n)"
	for _, e := range s.Exclude {
		out += " unless " + metric.With(e...).Metric(name)
	}
	return out
}

// coveredBy is the expression of the services an overriding SLO covers:
// its listed services' budgets, or the services its SLI has traffic for.
func (b *builder) coveredBy(name string) string {
	sel := selector.Matchers{selector.Equal("slo", name)}
	for _, o := range b.c.SLOs {
		if o.Name == name && len(o.Listed) > 0 {
			return sel.Metric(SLOErrorBudget)
		}
	}
	return sel.Metric(SLIRequestsRate5m)
}

// unlessOverridden leaves out of an alert of s the services an SLO that
// overrides s covers: that SLO alerts for them instead.
func (b *builder) unlessOverridden(s config.SLO, expr string) string {
	for _, o := range s.OverriddenBy {
		expr = lines("("+expr+")", "unless on ("+strings.Join(ServiceLabels, ", ")+")", b.coveredBy(o))
	}
	return expr
}

// leRegex matches a latency threshold's bucket: Prometheus 3 writes
// le="250.0" for a scraped le="250"; accept both.
func leRegex(s config.SLO) string {
	le := profile.FormatNumber(float64(time.Duration(s.Threshold)) / float64(time.Millisecond))
	return regexpQuote(le) + `(\.0)?`
}

// rawRates returns the rules that read the raw counters over w: their
// increase per service with the error split kept, then the service's error
// and request rates. Every raw series is read once per evaluation.
func (b *builder) rawRates(s config.SLO, w profile.Duration) []Rule {
	sel := selector.Matchers{selector.Equal("slo", s.Name)}
	svc := b.serviceLabels()
	perSLO := b.perSLOLabels(s)
	secs := num(w.Seconds())
	reqs := sel.Metric(requestsRatePrefix + w.String())
	if multiSource(s) {
		return b.sourceRates(s, w)
	}
	// The raw tile keeps both branches (increaseExpr), seven samples per
	// series at a 60s scrape. Cheaper tiles in plain PromQL each lose
	// something a real mesh does (README, Performance): without a range
	// read, clamp_min(x - x offset 5m, 0) counts a new series' first 5m as
	// 0 (a new service's SLI reads NaN, the generated tests miss their
	// pages), and falling back to x itself counts a series' whole lifetime
	// whenever x offset 5m finds no sample: after a failed scrape (its
	// staleness marker) or a Prometheus outage longer than the lookback.
	increase := increaseExpr
	switch s.SLI {
	case profile.SLILatency:
		name := bucketsIncreasePrefix + w.String()
		bucketSel := s.Requests.With(selector.Regex("le", leRegex(s)+`|\+Inf`))
		bucket := bucketSel.Metric("istio_request_duration_milliseconds_bucket")
		inc := excluded(s, increase(bucket, w), bucketSel, "istio_request_duration_milliseconds_bucket")
		return []Rule{
			{Record: name, Expr: by(append(svc, "le")...) + "(\n" + indent(inc, "  ") + "\n)", Labels: sloLabels(s),
				Comment: "The threshold's bucket and the +Inf bucket (every request), per service."},
			{Record: requestsRatePrefix + w.String(), Expr: by(perSLO...) + "(" + sel.With(selector.Equal("le", "+Inf")).Metric(name) + ") / " + secs, Labels: sloLabels(s)},
			{Record: errorsRatePrefix + w.String(), Expr: reqs + " - " + by(perSLO...) + "(" + sel.With(selector.Regex("le", leRegex(s))).Metric(name) + ") / " + secs, Labels: sloLabels(s),
				Comment: "SLO " + s.Name + ": requests slower than " + s.Threshold.String() + " (a bucket boundary) count as errors."},
		}
	default:
		name := requestsIncreasePrefix + w.String()
		total := s.Requests.Metric("istio_requests_total")
		inc := excluded(s, increase(total, w), s.Requests, "istio_requests_total")
		return []Rule{
			{Record: name, Expr: by(append(svc, "response_code")...) + "(\n" + indent(inc, "  ") + "\n)", Labels: sloLabels(s),
				Comment: "Requests per service and response code; the code is all the SLI needs of the raw labels."},
			{Record: requestsRatePrefix + w.String(), Expr: by(perSLO...) + "(" + sel.Metric(name) + ") / " + secs, Labels: sloLabels(s)},
			{Record: errorsRatePrefix + w.String(), Expr: lines(by(perSLO...)+"("+sel.With(selector.Regex("response_code", "5..")).Metric(name)+") / "+secs, "or", "0 * "+reqs), Labels: sloLabels(s),
				Comment: "SLO " + s.Name + ": 5xx responses count as errors; 4xx are the client's. A service without 5xx series has none."},
		}
	}
}

// tiledRate adds up terms copies of the rate series name over tile, read
// at offsets 0, tile, 2×tile, ... Each copy is one sample per series: the
// copies are told apart by a copyLabel (label_replace, so or keeps them
// all) and summed away again (sum without keeps every other label, as +
// would). A copy that is missing (the first days after the rules are
// deployed, or a gap in evaluation) then adds nothing, so the window
// covers the data there is, like sum_over_time would; a series with no
// copy at all has no window.
func tiledRate(name string, tile profile.Duration, terms int) string {
	var parts []string
	for i := 0; i < terms; i++ {
		term := name
		if i > 0 {
			term += " offset " + (tile * profile.Duration(i)).String()
		}
		parts = append(parts, "  label_replace("+term+`, "`+copyLabel+`", "`+strconv.Itoa(i)+`", "", "")`)
	}
	return "sum without (" + copyLabel + ") (\n" + strings.Join(parts, "\n  or\n") + "\n) / " + strconv.Itoa(terms)
}

// copyLabel tells a window's copies apart inside its rule; no recorded
// series keeps it.
const copyLabel = "meshslo_copy"

// sloRecordings puts every SLO's recordings in one group. The SLOs record
// the same names, told apart only by their slo label, and a rule reading a
// name recorded in another group reads it from that group's last cycle:
// Prometheus evaluates groups independently and orders rules only within a
// group. One group makes every dependency one of rule order, which pint's
// rule/dependency check (cloudflare/pint internal/checks/rule_dependency.go,
// matching by metric name) and Prometheus's own concurrent rule evaluation
// (prometheus/prometheus rules/group.go, buildDependencyMap, also by name)
// can both see.
func (b *builder) sloRecordings() File {
	f := File{Name: "slo-recordings", Comment: "SLIs per SLO and destination service, error ratios per window, budgets and burn rates."}
	all := b.sloWindows()
	for _, s := range b.c.SLOs {
		sel := selector.Matchers{selector.Equal("slo", s.Name)}
		current := s.Tiers[0].Long
		if len(s.Listed) > 0 {
			all = append(all, listedBudgets(s)...)
			continue
		}
		all = append(all,
			Rule{Record: SLOObjective, Expr: "0 * " + sel.Metric(SLIRequestsRate5m) + " + " + num(s.ObjectiveRatio), Labels: sloLabels(s),
				Comment: "Constant per service, so dashboards can draw and join it."},
			Rule{Record: SLOErrorBudget, Expr: "0 * " + sel.Metric(SLIRequestsRate5m) + " + " + num(s.Budget), Labels: sloLabels(s)},
			Rule{Record: SLOCurrentBurnRate, Expr: sel.Metric(SLIErrorRatio(current)) + " / " + num(s.Budget), Labels: sloLabels(s),
				Comment: "Burn rate over " + current.String() + ": 1 spends the budget exactly over the period."},
			Rule{Record: SLOPeriodBudgetRemaining, Expr: "1 - " + sel.Metric(SLIErrorRatio(s.Window)) + " / " + num(s.Budget), Labels: sloLabels(s)},
		)
	}
	f.Groups = []Group{b.group(SLORecordingGroup, all...)}
	return f
}

// sloWindows are the error and request rates of every window of every SLO,
// shortest window first, each public window followed by its error ratio.
// The raw counters are read per SLO (each has its own selector); a longer
// window is one rule for every SLO that tiles it the same way, and its
// ratio one rule for every SLO that publishes it: the series keep their
// slo label (and the SLO's own labels) from the raw rules, so one
// expression serves them all, and a cycle runs a few dozen rules instead of
// a few dozen per SLO. A rule's slo matcher is left out when it covers
// every SLO.
func (b *builder) sloWindows() []Rule {
	type key struct {
		window, tile profile.Duration
		terms        int
	}
	var keys []key
	slos := map[key][]config.SLO{}
	public := map[profile.Duration][]string{}
	for _, s := range b.c.SLOs {
		for _, p := range windowPlan(s, b.c.Profile.Spec.Prometheus.EvaluationInterval) {
			k := key{p.Window, p.Tile, p.Terms}
			if _, ok := slos[k]; !ok {
				keys = append(keys, k)
			}
			slos[k] = append(slos[k], s)
			if p.Public {
				public[p.Window] = append(public[p.Window], s.Name)
			}
		}
	}
	// Every tile is shorter than its window, so by window length each rule
	// comes after the rules it reads; raw windows (tile 0) first.
	slices.SortStableFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.window, b.window), cmp.Compare(a.tile, b.tile))
	})
	var rules []Rule
	for i, k := range keys {
		ss := slos[k]
		if k.tile == 0 {
			for _, s := range ss {
				rules = append(rules, b.rawRates(s, k.window)...)
			}
		} else {
			names := make([]string, len(ss))
			for j, s := range ss {
				names[j] = s.Name
			}
			sel := b.sloMatcher(names)
			w := k.window.String()
			comment := w + " from " + strconv.Itoa(k.terms) + " back-to-back " + k.tile.String() + " windows"
			if len(sel) > 0 {
				comment += ", for SLO " + strings.Join(names, ", ")
			}
			rules = append(rules,
				Rule{Record: errorsRatePrefix + w, Expr: tiledRate(sel.Metric(errorsRatePrefix+k.tile.String()), k.tile, k.terms), Comment: comment + ".", SLOs: names},
				Rule{Record: requestsRatePrefix + w, Expr: tiledRate(sel.Metric(requestsRatePrefix+k.tile.String()), k.tile, k.terms), SLOs: names},
			)
		}
		if names := public[k.window]; len(names) > 0 && (i+1 == len(keys) || keys[i+1].window != k.window) {
			// Errors over requests of the same window: weighted by
			// traffic, so a quiet night cannot outweigh a busy day.
			sel := b.sloMatcher(names)
			w := k.window.String()
			rules = append(rules, Rule{Record: SLIErrorRatio(k.window), Expr: sel.Metric(errorsRatePrefix+w) + " / " + sel.Metric(requestsRatePrefix+w), SLOs: names})
		}
	}
	return rules
}

// sloMatcher selects the series of the SLOs named, or every SLO's (no
// matcher) when they are all of them.
func (b *builder) sloMatcher(names []string) selector.Matchers {
	if len(names) == len(b.c.SLOs) {
		return nil
	}
	return selector.Matchers{oneOf("slo", names)}
}

// SLORecordingGroup names the one group of every SLO recording (prefixed
// meshslo- like every group).
const SLORecordingGroup = "slo-sli"

// perService matches a listed SLO's series to its services' budgets.
// group_left keeps every label of the left-hand side (the cluster label
// among them); plain on() would keep only the matched ones.
const perService = " / on (slo, destination_service_namespace, destination_service_name) group_left () "

// overBudget divides the recorded series name of a listed SLO by each
// service's own budget.
func overBudget(s config.SLO, name string) string {
	sel := selector.Matchers{selector.Equal("slo", s.Name)}
	return sel.Metric(name) + perService + sel.Metric(SLOErrorBudget)
}

// listedBudgets are the budget rules of an SLO that lists its services: one
// constant series per service, labelled with the service, that the burn
// rates and alerts divide by. Only listed services have one, so only they
// get burn rates and alerts. The SLI windows before them read only the
// listed services' raw series (config's listedMatchers).
func listedBudgets(s config.SLO) []Rule {
	sel := selector.Matchers{selector.Equal("slo", s.Name)}
	var rules []Rule
	for i, svc := range s.Listed {
		labels := sloLabels(s)
		labels[ServiceLabels[0]], labels[ServiceLabels[1]] = svc.Namespace, svc.Name
		r := Rule{Record: SLOErrorBudget, Expr: "vector(" + num(svc.Budget) + ")", Labels: labels}
		if i == 0 {
			// One rule per service: a rule's static labels are the only way
			// to name a service without a series of its own to copy them
			// from, and keep the budget while the service has no traffic.
			r.Comment = "Error budget of each listed service (1 - its objective); services not listed get no burn rates or alerts."
		}
		rules = append(rules, r)
	}
	current := s.Tiers[0].Long
	return append(rules,
		Rule{Record: SLOObjective, Expr: "1 - " + sel.Metric(SLOErrorBudget), Labels: sloLabels(s)},
		Rule{Record: SLOCurrentBurnRate, Expr: overBudget(s, SLIErrorRatio(current)), Labels: sloLabels(s),
			Comment: "Burn rate over " + current.String() + ": 1 spends the service's budget exactly over the period."},
		Rule{Record: SLOPeriodBudgetRemaining, Expr: "1 - " + overBudget(s, SLIErrorRatio(s.Window)), Labels: sloLabels(s)},
	)
}

func (b *builder) sloAlerts() File {
	f := File{Name: "slo-alerts", Comment: "Multiwindow, multi-burn-rate SLO alerts (Google SRE workbook, ch. 5)."}
	for si, s := range b.c.SLOs {
		sel := selector.Matchers{selector.Equal("slo", s.Name)}
		var rules []Rule
		thresholds := sloBurn(b.c, si)
		for ti, t := range s.Tiers {
			th := thresholds[ti]
			burn := func(w profile.Duration) string {
				if len(s.Listed) > 0 {
					return overBudget(s, SLIErrorRatio(w)) + " > " + num(th.Value)
				}
				return sel.Metric(SLIErrorRatio(w)) + " / " + num(s.Budget) + " > " + num(th.Value)
			}
			action := "tickets"
			if t.Severity == profile.SeverityCritical {
				action = "pages"
			}
			cond := lines(burn(t.Long), "and", burn(t.Short))
			if s.MinRequests > 0 {
				// Too few requests in the long window: one error among
				// them says nothing about the service.
				cond = lines(cond, "and", sel.Metric(requestsRatePrefix+t.Long.String())+" * "+num(t.Long.Seconds())+" >= "+strconv.Itoa(s.MinRequests))
			}
			r := b.alert(th, b.unlessOverridden(s, cond),
				"A service burns its error budget too fast.",
				throughGateway(s)+"{{ $labels.destination_service_namespace }}/{{ $labels.destination_service_name }} burns the "+s.Name+
					" error budget {{ $value | humanize }}x faster than sustainable over "+t.Long.String()+"; this "+action+
					" above "+num(t.Factor)+"x ("+percent(t.BudgetShare)+" of the "+s.Window.String()+" budget in "+t.Long.String()+").")
			r = sloAlert(r, s)
			r.Labels["burn_window"] = t.Long.String()
			r.Comment = "Burn factor " + num(t.Factor) + " = " + num(t.BudgetShare) + " x " + s.Window.String() + " / " + t.Long.String() +
				", confirmed over " + t.Short.String() + "."
			rules = append(rules, r)
		}
		exhausted := sloExhausted(b.c, si)
		rules = append(rules, b.alert(exhausted,
			// Only for a service that still has series: its period window
			// keeps the old copies for the whole period after it is gone.
			b.unlessOverridden(s, lines("("+sel.Metric(SLOPeriodBudgetRemaining)+" <= "+num(exhausted.Value)+")",
				"and on ("+strings.Join(b.serviceLabels(), ", ")+")", sel.Metric(SLIRequestsRate5m))),
			"A service has spent its error budget.",
			throughGateway(s)+"{{ $labels.destination_service_namespace }}/{{ $labels.destination_service_name }} has spent the "+s.Name+
				" error budget of the last "+s.Window.String()+" ({{ $value | humanizePercentage }} left)."))
		rules[len(rules)-1] = sloAlert(rules[len(rules)-1], s)
		rules = append(rules, b.sloNoData(s, si))
		f.Groups = append(f.Groups, b.group("slo-"+s.Name+"-alerts", rules...))
	}
	return f
}

// sloNoData tickets when the SLI of s has no series: the raw counters
// vanished (a scrape or relabelling change, a renamed metric, a selector
// that no longer matches), so every other alert of s is blind. An SLO that
// lists its services checks each of them; one that does not can only say
// that it sees no service at all.
func (b *builder) sloNoData(s config.SLO, si int) Rule {
	th := sloNoData(b.c, si)
	sel := selector.Matchers{selector.Equal("slo", s.Name)}
	var expr, description string
	if len(s.Listed) > 0 {
		expr = lines(sel.Metric(SLOErrorBudget), "unless on ("+strings.Join(ServiceLabels, ", ")+")", sel.Metric(SLIRequestsRate5m))
		description = "{{ $labels.destination_service_namespace }}/{{ $labels.destination_service_name }} has had no " + s.Name +
			" SLI series for " + th.For.String() + " (its error budget is {{ $value | humanizePercentage }}): no istio_requests_total series reach the SLO, so its burn alerts cannot fire."
	} else {
		sel = sel.With(ClusterMatcher(b.c)...)
		expr = "absent(" + sel.Metric(SLIRequestsRate5m) + ")"
		description = "No service has had " + s.Name + " SLI series for " + th.For.String() +
			": no istio_requests_total series match the SLO, so none of its alerts can fire."
	}
	r := b.alert(th, expr, "An SLO's SLI has no data.", description)
	r.Comment = "Held " + th.For.String() + ": " + th.Condition + "."
	return sloAlert(r, s)
}

// sloNoData is one SLO's no-data ticket.
func sloNoData(c *config.Config, si int) Threshold {
	slo := c.SLOs[si]
	fields := []string{slo.Field + ".objective", slo.Field + ".window"}
	if slo.Gateway == nil {
		// A gateway's SLO has no noDataFor of its own: always the default.
		fields = append(fields, slo.Field+".noDataFor")
	}
	why := "set by noDataFor"
	if slo.SLO.NoDataFor == 0 {
		why = "a tenth of the " + num(slo.Budget*100) + "% budget's time in " + slo.Window.String() + ", within 5m to 1h"
	}
	return Threshold{Alert: AlertIstioSLONoData, Severity: profile.SeverityWarning,
		Condition: fmt.Sprintf("SLO %s: no SLI series for %s (%s)", slo.Name, slo.NoDataFor, why),
		Fields:    fields,
		Value:     0, Shown: NoSeries, For: slo.NoDataFor}
}

// NoSeries is the Shown value of a threshold that fires on missing series.
const NoSeries = "no series"

// Alert names of this concern.
const (
	AlertIstioSLOErrorBudgetBurn      = "IstioSLOErrorBudgetBurn"
	AlertIstioSLOErrorBudgetExhausted = "IstioSLOErrorBudgetExhausted"
	AlertIstioSLONoData               = "IstioSLONoData"
)

// sloAlertDescriptors describe the SLO alerts; their thresholds are per SLO and tier.
var sloAlertDescriptors = []*Descriptor{
	{
		Name:    AlertIstioSLOErrorBudgetBurn,
		Meaning: "a service burns its SLO error budget too fast (multiwindow burn rate)",
		Thresholds: func(c *config.Config) []Threshold {
			var out []Threshold
			for si := range c.SLOs {
				out = append(out, sloBurn(c, si)...)
			}
			return out
		},
	},
	{
		Name:    AlertIstioSLONoData,
		Meaning: "an SLO's SLI has no series, so its burn alerts are blind",
		Thresholds: func(c *config.Config) []Threshold {
			var out []Threshold
			for si := range c.SLOs {
				out = append(out, sloNoData(c, si))
			}
			return out
		},
	},
	{
		Name:    AlertIstioSLOErrorBudgetExhausted,
		Meaning: "a service has no error budget left for the SLO period",
		Thresholds: func(c *config.Config) []Threshold {
			var out []Threshold
			for si := range c.SLOs {
				out = append(out, sloExhausted(c, si))
			}
			return out
		},
	},
}
