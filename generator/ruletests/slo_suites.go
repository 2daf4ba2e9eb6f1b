package ruletests

// The SLO test files: edges of every burn tier and of the budget running
// out, and a burst after a long clean history.

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
)

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
// evaluated once per base window (input still sampled every step): their
// for: edge is as exact there, and hours of for: cost a tenth of the
// evaluations. Either file moves to a coarser step when its durations
// would take too many samples (see scaled).
func (b *builder) sloEdges(s config.SLO) []*suite {
	coarse := *b
	coarse.every = rules.Windows(s)[0]
	onCoarse := func(d profile.Duration) bool { return d > 0 && d%coarse.every == 0 && coarse.every%b.step == 0 }
	fine := b.scaled(func(b *builder) *suite {
		return b.edgeSuite(s, "slo-"+s.Name+".test.yaml", func(d profile.Duration) bool { return !onCoarse(d) })
	})
	slow := coarse.scaled(func(b *builder) *suite { return b.edgeSuite(s, "slo-"+s.Name+"-slow.test.yaml", onCoarse) })
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
		var us, others []burn
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
			name += " " + svc.title + " not listed, " + percent(maxBad) + " of requests failing, no alert of " + s.Name + ";"
			// Another SLO that covers it still alerts (seenBy).
			others = append(others, burn{b, s, svc, constantShare(maxBad), b.every})
			g.ExprTests = append(g.ExprTests, b.noSeries(s, svc, end, rules.SLOCurrentBurnRate, rules.SLOPeriodBudgetRemaining, rules.SLOErrorBudget)...)
		}
		g.Name = name[:len(name)-1]
		for _, at := range burnAt {
			g.AlertTests = append(g.AlertTests, b.expectBurn(at, append(us, others...)...))
		}
		for _, at := range exhaustedAt {
			g.AlertTests = append(g.AlertTests, b.expectExhausted(at, append(us, others...)...))
		}
		g.ExprTests = append(b.sliValues(s, us[len(us)-1], end), g.ExprTests...)
		st.Tests = append(st.Tests, g)
	}
	return st
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

// sloHistory: after a full longest window of clean traffic, a short intense
// burst that the fastest tier catches and no slower tier does. The rules
// are evaluated once per base window so days of history stay fast, on
// input sampled at a coarser step when the history would take too many
// samples. The recorded windows tile base windows read at offsets, so the
// rules cannot be evaluated less often: a history longer than
// maxEvaluations base windows gets no burst test.
func (b *builder) sloHistory(s config.SLO) *suite {
	coarse := *b
	coarse.every = rules.Windows(s)[0]
	st := coarse.scaled(func(b *builder) *suite { return b.burstSuite(s) })
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
	if end/every > maxEvaluations {
		return nil
	}
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
