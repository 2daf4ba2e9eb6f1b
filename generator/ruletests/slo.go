package ruletests

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
)

// requestsPerSecond is the destination service's traffic in the SLO tests.
const requestsPerSecond = 120

// clientErrorShare is the share of 4xx responses: the client's errors,
// never the service's.
const clientErrorShare = 0.1

// service is the destination service the SLO tests send traffic to.
type service struct {
	namespace, name string
	pods            []string
	sources         []struct{ namespace, workload, pod string }
	// budget is the service's error budget: the SLO's, or its own when the
	// SLO lists its services.
	budget float64
	// title names the service in test group names.
	title string
}

// serviceNames name the destination services of the SLO tests, one per case.
var serviceNames = []string{"cart", "checkout", "catalog", "ledger", "fraud", "search", "reviews", "shipping", "inventory", "pricing", "wishlist", "orders"}

func testService(name string) service { return testServiceIn("shop", name) }

func testServiceIn(namespace, name string) service {
	return service{
		namespace: namespace, name: name, title: name,
		pods: []string{name + "-v1-7c9d8b6f5-" + podSuffix(0), name + "-v1-7c9d8b6f5-" + podSuffix(1)},
		sources: []struct{ namespace, workload, pod string }{
			{"web", "frontend", "frontend-6f8b7d9c5-" + podSuffix(2)},
			{"shop", "checkout", "checkout-5d7c9b8f6-" + podSuffix(3)},
		},
	}
}

// requestLabels are the labels Istio's stats plugin puts on a request metric,
// plus the scrape labels of the proxy that reported it.
func (b *builder) requestLabels(s config.SLO, svc service, reporter string, src struct{ namespace, workload, pod string }, dstPod string) lbls {
	policy := "mutual_tls"
	scraped := b.envoy(svc.namespace, dstPod, svc.name, 40)
	if reporter == "source" {
		policy = "unknown"
		scraped = b.envoy(src.namespace, src.pod, src.workload, 41)
	}
	l := scraped.with(
		"reporter", reporter,
		"source_workload", src.workload, "source_workload_namespace", src.namespace,
		"source_principal", "spiffe://cluster.local/ns/"+src.namespace+"/sa/"+src.workload,
		"source_app", src.workload, "source_version", "v1", "source_canonical_service", src.workload,
		"source_canonical_revision", "v1", "source_cluster", "Kubernetes",
		"destination_workload", svc.name+"-v1", "destination_workload_namespace", svc.namespace,
		"destination_principal", "spiffe://cluster.local/ns/"+svc.namespace+"/sa/"+svc.name,
		"destination_app", svc.name, "destination_version", "v1",
		"destination_service", svc.name+"."+svc.namespace+".svc.cluster.local",
		"destination_service_name", svc.name, "destination_service_namespace", svc.namespace,
		"destination_canonical_service", svc.name, "destination_canonical_revision", "v1",
		"destination_cluster", "Kubernetes", "request_protocol", "http", "response_flags", "-",
		"connection_security_policy", policy,
	)
	l = b.fitted(l, s.Requests, "istio_requests_total")
	if reporter == "source" {
		l = l.with("reporter", "source")
	}
	return l
}

// sliLabels are the labels of the SLO's recorded series for the test service.
func (b *builder) sliLabels(s config.SLO, svc service) lbls {
	l := b.requestLabels(s, svc, config.Reporter, svc.sources[0], svc.pods[0])
	out := l.only(rules.ServiceLabels...)
	if m := b.c.Profile.Spec.Mesh; m.Cluster != "" {
		out[m.ClusterLabel] = l[m.ClusterLabel]
	}
	out["slo"] = s.Name
	return out
}

// traffic is the SLO's bad share of the test service's requests over time.
type traffic func(t profile.Duration) float64

// sloInputs are the input series for traffic: every destination pod and
// source shares requestsPerSecond; with traps, the client-side view
// (reporter="source") that must not count.
func (b *builder) sloInputs(s config.SLO, svc service, bad traffic, n int, traps bool) []series {
	var out []series
	share := float64(len(svc.pods) * len(svc.sources))
	incs := func(rate func(bad float64) float64) []float64 {
		return b.slopes(func(t profile.Duration) float64 { return bad(t) }, n, rate)
	}
	start := float64(len(svc.name)) * 1000
	next := func() float64 { start += 7919; return start }
	if s.SLI == profile.SLILatency {
		buckets := latencyBuckets(s)
		for _, pod := range svc.pods[:1] {
			for _, src := range svc.sources[:1] {
				l := b.requestLabels(s, svc, config.Reporter, src, pod)
				for _, bk := range buckets {
					out = append(out, series{l.with("le", bk.le).of("istio_request_duration_milliseconds_bucket"),
						counter(next(), incs(func(e float64) float64 { return requestsPerSecond * bk.share(e) }))})
				}
				out = append(out, series{l.of("istio_request_duration_milliseconds_count"), counter(next(), incs(func(float64) float64 { return requestsPerSecond }))})
			}
		}
		if traps {
			// The client's sidecar times the network too: all its requests are slow.
			l := b.requestLabels(s, svc, "source", svc.sources[0], svc.pods[0])
			for _, bk := range buckets {
				out = append(out, series{l.with("le", bk.le).of("istio_request_duration_milliseconds_bucket"),
					counter(next(), incs(func(float64) float64 { return requestsPerSecond * bk.share(1) }))})
			}
			out = append(out, series{l.of("istio_request_duration_milliseconds_count"), counter(next(), incs(func(float64) float64 { return requestsPerSecond }))})
		}
		return out
	}
	for _, pod := range svc.pods {
		for _, src := range svc.sources {
			l := b.requestLabels(s, svc, config.Reporter, src, pod)
			for _, code := range []struct {
				code string
				rate func(e float64) float64
			}{
				{"200", func(e float64) float64 { return requestsPerSecond / share * (1 - clientErrorShare - e) }},
				{"404", func(float64) float64 { return requestsPerSecond / share * clientErrorShare }},
				{"503", func(e float64) float64 { return requestsPerSecond / share * e }},
			} {
				out = append(out, series{l.with("response_code", code.code).of("istio_requests_total"), counter(next(), incs(code.rate))})
			}
		}
	}
	if traps {
		// The client sees upstream resets (UF) as 503s of its own.
		l := b.requestLabels(s, svc, "source", svc.sources[0], svc.pods[0])
		out = append(out,
			series{l.with("response_code", "503", "response_flags", "UF").of("istio_requests_total"), counter(next(), incs(func(float64) float64 { return requestsPerSecond / 2 }))},
			series{l.with("response_code", "200").of("istio_requests_total"), counter(next(), incs(func(float64) float64 { return requestsPerSecond / 2 }))})
	}
	return out
}

// bucket is one le bucket of the latency histogram: share(e) is the share
// of requests at or under its bound when a share e is slower than the SLO.
type bucket struct {
	le    string
	share func(e float64) float64
}

// latencyBuckets puts fast requests just under the SLO threshold (half in
// its bucket, half in the one before) and slow ones in the next bucket.
// le values are written as Prometheus 3 stores them ("250.0").
func latencyBuckets(s config.SLO) []bucket {
	bounds := profile.EnvoyLatencyBucketsMs
	t := float64(time.Duration(s.Threshold)) / float64(time.Millisecond)
	ti := slices.Index(bounds, t)
	var out []bucket
	for j, ub := range bounds {
		le := num(ub)
		if ub == math.Trunc(ub) {
			le += ".0"
		}
		j := j
		out = append(out, bucket{le, func(e float64) float64 {
			switch {
			case j < ti-1:
				return 0
			case j == ti-1:
				return (1 - e) / 2
			case j <= ti:
				return 1 - e
			default:
				return 1
			}
		}})
	}
	return append(out, bucket{"+Inf", func(float64) float64 { return 1 }})
}

// burn simulates one SLO's alerts over evaluations every `every`, from the
// bad share over time, as the recording rules define them: per window, the
// errors over the requests of the window.
type burn struct {
	b     *builder
	s     config.SLO
	svc   service
	bad   traffic
	every profile.Duration
}

// ratio is the error ratio over the window w at ts: traffic is constant, so
// the ratio of errors to requests is the mean bad share of the increments
// inside the window (those after the first sample the window holds).
func (u burn) ratio(w, ts profile.Duration) (float64, bool) {
	if ts < u.b.step {
		return 0, false
	}
	from := max(ts-w, 0)
	sum, n := 0.0, 0
	for t := from; t < ts; t += u.b.step {
		sum += u.bad(t)
		n++
	}
	return sum / float64(n), true
}

// ratios returns ratio for every ts up to at, in time that does not grow
// with the windows: the bad shares at each step from 0 are summed once, so
// a window's mean is a difference of two sums (a 90d period simulated over
// a day of evaluations took minutes otherwise). Windows that do not start
// on a step fall back to ratio.
func (u burn) ratios(at profile.Duration) func(w, ts profile.Duration) (float64, bool) {
	step := u.b.step
	sums := make([]float64, int(at/step)+2)
	for k := 1; k < len(sums); k++ {
		sums[k] = sums[k-1] + u.bad(profile.Duration(k-1)*step)
	}
	return func(w, ts profile.Duration) (float64, bool) {
		from := max(ts-w, 0)
		if ts < step || ts > at || from%step != 0 {
			return u.ratio(w, ts)
		}
		// The samples at from, from+step, ... before ts.
		i, j := int(from/step), int((ts+step-1)/step)
		return (sums[j] - sums[i]) / float64(j-i), true
	}
}

type tierState struct {
	fires bool
	value float64
}

// tiers returns each tier's state at `at`, and the budget-exhausted alert's.
func (u burn) run(at profile.Duration) ([]tierState, tierState) {
	out := make([]tierState, len(u.s.Tiers))
	since := make([]profile.Duration, len(u.s.Tiers)+1)
	active := make([]bool, len(u.s.Tiers)+1)
	step := func(i int, holds bool, ts profile.Duration, f profile.Duration) bool {
		if !holds {
			active[i] = false
			return false
		}
		if !active[i] {
			active[i], since[i] = true, ts
		}
		return ts-since[i] >= f
	}
	var exhausted tierState
	ratio := u.ratios(at)
	for ts := profile.Duration(0); ts <= at; ts += u.every {
		for i, t := range u.s.Tiers {
			long, ok := ratio(t.Long, ts)
			short, _ := ratio(t.Short, ts)
			holds := ok && long/u.svc.budget > t.Factor && short/u.svc.budget > t.Factor
			out[i] = tierState{step(i, holds, ts, t.For), long / u.svc.budget}
		}
		period, ok := ratio(u.s.Window, ts)
		left := 1 - period/u.svc.budget
		exhausted = tierState{step(len(u.s.Tiers), ok && left <= 0, ts, u.b.c.Profile.Spec.ErrorBudget.ExhaustedFor), left}
	}
	return out, exhausted
}

func (b *builder) burnRule(s config.SLO, t config.Tier) rules.Rule {
	return b.rule("IstioSLOErrorBudgetBurn", map[string]string{"slo": s.Name, "severity": t.Severity, "burn_window": t.Long.String()})
}

// expectBurn is the burn alert test at `at`: every tier of every
// service that fires then.
func (b *builder) expectBurn(at profile.Duration, us ...burn) alertTest {
	var fs []fired
	for _, u := range us {
		states, _ := u.run(at)
		for i, st := range states {
			if st.fires {
				fs = append(fs, fired{b.burnRule(u.s, u.s.Tiers[i]), b.sliLabels(u.s, u.svc), st.value})
			}
		}
	}
	return b.expect(at, "IstioSLOErrorBudgetBurn", fs...)
}

// expectExhausted is the budget-exhausted alert test at `at`.
func (b *builder) expectExhausted(at profile.Duration, us ...burn) alertTest {
	var fs []fired
	for _, u := range us {
		if _, ex := u.run(at); ex.fires {
			fs = append(fs, fired{b.rule("IstioSLOErrorBudgetExhausted", map[string]string{"slo": u.s.Name}), b.sliLabels(u.s, u.svc), ex.value})
		}
	}
	return b.expect(at, "IstioSLOErrorBudgetExhausted", fs...)
}

func constantShare(e float64) traffic { return func(profile.Duration) float64 { return e } }

func action(severity string) string {
	if severity == profile.SeverityCritical {
		return "pages"
	}
	return "tickets"
}

// sloEdges: one service per edge, all in one test group so the long for:
// durations are evaluated once: for every burn tier a service just past its
// factor and one just short of it, two around the budget running out. The
// bad share is constant, so every window reads the same ratio from the
// first evaluation and each tier fires exactly when its for: has passed.
// Every service also has 4xx responses and a client-side view
// (reporter="source") that must not count.
//
// Cases whose for: is a whole number of base windows run in a second file
// evaluated once per base window (input still scraped every step): their for: edge
// is as exact there, and hours of for: cost a tenth of the evaluations.
func (b *builder) sloEdges(s config.SLO) []*suite {
	coarse := *b
	coarse.every = rules.Windows(s)[0]
	onCoarse := func(d profile.Duration) bool { return d > 0 && d%coarse.every == 0 && coarse.every%b.step == 0 }
	fine := b.edgeSuite(s, "slo-"+s.Name+".test.yaml", func(d profile.Duration) bool { return !onCoarse(d) })
	slow := coarse.edgeSuite(s, "slo-"+s.Name+"-slow.test.yaml", onCoarse)
	b.fail(coarse.err)
	return []*suite{fine, slow}
}

func (b *builder) edgeSuite(s config.SLO, path string, include func(profile.Duration) bool) *suite {
	st := b.newSuite(path, "SLO "+s.Name+": burn tiers at the edge of their factor, the budget running out, and what the SLI does not count,\n"+
		"for the cases whose for: is evaluated every "+b.every.String()+". One destination service per case, named in the test group's name.")
	st.alerts = []string{"IstioSLOErrorBudgetBurn", "IstioSLOErrorBudgetExhausted"}
	st.records = []string{rules.SLIErrorRatio(s.Tiers[0].Long), rules.SLOCurrentBurnRate, rules.SLOPeriodBudgetRemaining}
	// A case's bad share and description follow the budget of the service
	// it runs on: listed services each have their own.
	type edgeCase struct {
		what func(budget float64) string
		bad  func(budget float64) float64
	}
	var cases []edgeCase
	var burnAt, exhaustedAt []profile.Duration
	for _, t := range s.Tiers {
		if !include(t.For) {
			continue
		}
		cases = append(cases,
			edgeCase{func(budget float64) string {
				return fmt.Sprintf("%s over %s just past %sx (%s, %s after %s)", t.Severity, t.Long, num(t.Factor), percent(above(t.ErrorRatioFor(budget))), action(t.Severity), t.For)
			}, func(budget float64) float64 { return above(t.ErrorRatioFor(budget)) }},
			edgeCase{func(budget float64) string {
				return fmt.Sprintf("%s over %s just short of %sx (%s)", t.Severity, t.Long, num(t.Factor), percent(below(t.ErrorRatioFor(budget))))
			}, func(budget float64) float64 { return below(t.ErrorRatioFor(budget)) }})
		// The first evaluation with two samples has data; for: counts from there.
		at := b.every + b.ceilEvery(t.For)
		if at-b.every >= b.every {
			burnAt = append(burnAt, at-b.every)
		}
		burnAt = append(burnAt, at)
	}
	exhausted := b.every + b.ceilEvery(b.c.Profile.Spec.ErrorBudget.ExhaustedFor)
	if include(b.c.Profile.Spec.ErrorBudget.ExhaustedFor) {
		exhaustedAt = []profile.Duration{exhausted - b.every, exhausted}
		cases = append(cases,
			edgeCase{func(budget float64) string { return "budget just spent (" + percent(above(budget)) + ")" }, above},
			edgeCase{func(budget float64) string { return "budget just not spent (" + percent(below(budget)) + ")" }, below})
	} else {
		exhausted = 0
	}
	if len(cases) == 0 {
		return nil
	}
	svcs := b.edgeServices(s)
	if len(svcs) == 0 {
		b.fail(fmt.Errorf("SLO %s: no service to run its burn tiers on", s.Name))
		return nil
	}
	slices.Sort(burnAt)
	burnAt = slices.Compact(burnAt)
	end := exhausted
	if len(burnAt) > 0 {
		end = max(burnAt[len(burnAt)-1], exhausted)
	}
	n := b.samples(end)
	// Each case runs on its own service, one whose budget lets the case's
	// bad share happen at all (14.4x a 10% budget is more than every
	// request); when too few services can take a case, it runs in a
	// further test group.
	maxBad := 1.0
	if s.SLI != profile.SLILatency {
		maxBad = 1 - clientErrorShare
	}
	type pair struct {
		c   edgeCase
		svc service
	}
	var parts [][]pair
	for _, c := range cases {
		placed := false
		for p := 0; !placed; p++ {
			if p == len(parts) {
				parts = append(parts, nil)
			}
			for _, svc := range svcs {
				if bad := c.bad(svc.budget); bad <= 0 || bad > maxBad ||
					slices.ContainsFunc(parts[p], func(x pair) bool { return x.svc.name == svc.name && x.svc.namespace == svc.namespace }) {
					continue
				}
				parts[p] = append(parts[p], pair{c, svc})
				placed = true
				break
			}
			if !placed && len(parts[p]) == 0 {
				parts = parts[:p] // no tested service can take this case
				break
			}
		}
	}
	for part, pairs := range parts {
		g := &testGroup{Interval: b.step.String()}
		var us []burn
		name := "SLO " + s.Name + " edges, one service each:"
		if part > 0 {
			name = fmt.Sprintf("SLO %s edges (part %d), one service each:", s.Name, part+1)
		}
		for _, pc := range pairs {
			svc := pc.svc
			bad := constantShare(pc.c.bad(svc.budget))
			g.InputSeries = append(g.InputSeries, b.sloInputs(s, svc, bad, n, true)...)
			us = append(us, burn{b, s, svc, bad, b.every})
			name += " " + svc.title + " " + pc.c.what(svc.budget) + ";"
		}
		if part == 0 && len(s.Listed) > 0 {
			// A service the SLO does not list gets no budget, so no
			// burn rate and no alert, however hard it burns.
			svc := b.unlisted(s)
			g.InputSeries = append(g.InputSeries, b.sloInputs(s, svc, constantShare(maxBad), n, true)...)
			name += " " + svc.title + " not listed, " + percent(maxBad) + " of requests failing, never alerts;"
			g.ExprTests = append(g.ExprTests, b.noSeries(s, svc, end, rules.SLOCurrentBurnRate, rules.SLOPeriodBudgetRemaining, rules.SLOErrorBudget)...)
		}
		g.Name = name[:len(name)-1]
		for _, at := range burnAt {
			g.AlertTests = append(g.AlertTests, b.expectBurn(at, us...))
		}
		for _, at := range exhaustedAt {
			g.AlertTests = append(g.AlertTests, b.expectExhausted(at, us...))
		}
		g.ExprTests = append(b.sliValues(s, us[len(us)-1], end), g.ExprTests...)
		st.Tests = append(st.Tests, g)
	}
	return st
}

// edgeServices are the services the edge cases run on, one per case: the
// test's own names, or for an SLO that lists its services a few of them,
// one per distinct objective first so services with different budgets are
// tested side by side. Only a handful are tested whatever the list holds.
func (b *builder) edgeServices(s config.SLO) []service {
	var out []service
	if name, pinned := s.Selector[rules.ServiceLabels[1]]; pinned && len(s.Listed) == 0 {
		// A selector naming one service leaves one service to test on:
		// every other name would be folded into it. Each case then runs in
		// a test group of its own.
		ns, ok := s.Selector[rules.ServiceLabels[0]]
		if !ok {
			ns = "shop"
		}
		svc := testServiceIn(ns, name)
		svc.budget = s.Budget
		svc.title = ns + "/" + name
		return []service{svc}
	}
	if len(s.Listed) == 0 {
		for _, name := range serviceNames {
			svc := testService(name)
			svc.budget = s.Budget
			out = append(out, svc)
		}
		return out
	}
	var first, rest []config.Service
	seen := map[float64]bool{}
	for _, l := range s.Listed {
		if seen[l.Budget] {
			rest = append(rest, l)
		} else {
			seen[l.Budget] = true
			first = append(first, l)
		}
	}
	picked := append(first, rest...)
	for _, l := range picked[:min(len(serviceNames), len(picked))] {
		svc := testServiceIn(l.Namespace, l.Name)
		svc.budget = l.Budget
		svc.title = l.Namespace + "/" + l.Name + " (objective " + num(float64(l.Objective)) + "%)"
		out = append(out, svc)
	}
	return out
}

// unlisted is a service in the namespace of the SLO's first listed service
// that the SLO does not list.
func (b *builder) unlisted(s config.SLO) service {
	ns := s.Listed[0].Namespace
	name := "unlisted"
	for k := 2; slices.ContainsFunc(s.Listed, func(l config.Service) bool { return l.Namespace == ns && l.Name == name }); k++ {
		name = fmt.Sprintf("unlisted-%d", k)
	}
	svc := testServiceIn(ns, name)
	svc.title = ns + "/" + name
	return svc
}

// noSeries checks that none of the recorded series names exist for svc.
func (b *builder) noSeries(s config.SLO, svc service, at profile.Duration, names ...string) []exprTest {
	l := b.sliLabels(s, svc).only("slo", rules.ServiceLabels[0], rules.ServiceLabels[1])
	var out []exprTest
	for _, name := range names {
		out = append(out, exprTest{Expr: l.of(name), EvalTime: at.String(), ExpSamples: []expSample{}})
	}
	return out
}

// sliValues checks the recorded SLI, burn rate and budget left of one
// service against the numbers worked out from its input.
func (b *builder) sliValues(s config.SLO, u burn, at profile.Duration) []exprTest {
	e := u.bad(at)
	l := b.sliLabels(s, u.svc)
	check := func(name string, v float64) exprTest {
		sel := l.only("slo", "destination_service_name").of(name)
		return exprTest{Expr: fmt.Sprintf("round(%s, %s)", sel, num(sliPrecision)), EvalTime: at.String(),
			ExpSamples: []expSample{{l.String(), roundTo(v, sliPrecision)}}}
	}
	out := []exprTest{check(rules.SLIErrorRatio(rules.Windows(s)[0]), e)}
	for _, t := range s.Tiers {
		out = append(out, check(rules.SLIErrorRatio(t.Long), e))
	}
	return append(out, check(rules.SLOCurrentBurnRate, e/u.svc.budget), check(rules.SLOPeriodBudgetRemaining, 1-e/u.svc.budget))
}

// sliPrecision is what recorded SLO values are compared to: they come from
// extrapolated rates, equal to the worked-out numbers up to float rounding.
const sliPrecision = 1e-9

// roundTo rounds as PromQL's round(v, to) does, bit for bit.
func roundTo(v, to float64) float64 {
	inv := 1.0 / to
	return math.Floor(v*inv+0.5) / inv
}

// sloHistory: after a full longest window of clean traffic, a short intense
// burst that the fastest tier catches and no slower tier does. The rules
// are evaluated once per base window so days of history stay fast.
func (b *builder) sloHistory(s config.SLO) *suite {
	coarse := *b
	coarse.every = rules.Windows(s)[0]
	st := coarse.burstSuite(s)
	b.fail(coarse.err)
	return st
}

func (b *builder) burstSuite(s config.SLO) *suite {
	fast := s.Tiers[0]
	var longest profile.Duration
	for _, t := range s.Tiers {
		if t.Factor > fast.Factor {
			fast = t
		}
		longest = max(longest, t.Long)
	}
	// The burst spends k times the fast tier's share of the budget: k past
	// 1 so it pages, and under every slower tier's share by as much.
	room := math.Inf(1)
	for _, t := range s.Tiers {
		if t != fast {
			room = min(room, t.Factor*t.Long.Seconds()/(fast.Factor*fast.Long.Seconds()))
		}
	}
	every := rules.Windows(s)[0]
	if room <= 1 || math.IsInf(room, 1) {
		return nil
	}
	k := math.Sqrt(room)
	// Long enough that the fast tier's condition holds for its for:.
	d := (fast.For + 2*every) * profile.Duration(math.Ceil(k/(k-1)))
	d = (d + every - 1) / every * every
	svc := b.edgeServices(s)[0]
	spent := k * fast.ErrorRatioFor(svc.budget) * fast.Long.Seconds()
	p := spent / d.Seconds()
	if d > fast.Long || p >= 1-clientErrorShare {
		return nil
	}
	// History long enough that every slower tier's long window dilutes the
	// burst k times under its factor (its whole window when that is shorter).
	var history profile.Duration
	for _, t := range s.Tiers {
		if t != fast {
			need := profile.Duration(k*spent/(t.Factor*svc.budget)) * profile.Duration(time.Second)
			history = max(history, min(t.Long, need))
		}
	}
	longest = history
	onset := (history + every - 1) / every * every
	bad := func(t profile.Duration) float64 {
		if t >= onset && t < onset+d {
			return p
		}
		return 0
	}
	u := burn{b, s, svc, bad, every}
	end := onset + d
	st := b.newSuite("slo-"+s.Name+"-burst.test.yaml", "SLO "+s.Name+": a short, intense burst after "+longest.String()+
		" of clean traffic pages through the fastest tier only.\nEvaluated once per base window ("+every.String()+") so days of input stay fast.")
	st.EvaluationInterval = every.String()
	st.alerts = []string{"IstioSLOErrorBudgetBurn"}
	g := &testGroup{
		Name: fmt.Sprintf("IstioSLOErrorBudgetBurn: %s of requests failing for %s after %s of clean traffic pages over %s and nothing slower fires",
			percent(roundTo(p, 1e-6)), d, longest, fast.Long),
		Interval:    b.step.String(),
		InputSeries: b.sloInputs(s, svc, bad, b.samples(end), false),
		AlertTests:  []alertTest{b.expectBurn(onset, u), b.expectBurn(end, u)},
	}
	states, _ := u.run(end)
	for i, t := range s.Tiers {
		if states[i].fires != (t == fast) {
			b.fail(fmt.Errorf("SLO %s: the burst test does not isolate the %s tier", s.Name, fast.Long))
		}
	}
	st.Tests = []*testGroup{g}
	return st
}
