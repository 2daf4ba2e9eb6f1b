package ruletests

// The SLO tests' oracle: error ratios per window, burn tier and
// budget-exhausted states worked out from the input, and the alerts and
// recorded values they expect.

import (
	"fmt"
	"math"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
)

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

// run returns each tier's state at `at`, and the budget-exhausted alert's.
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
	for _, u := range b.seenBy(us) {
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
	for _, u := range b.seenBy(us) {
		if _, ex := u.run(at); ex.fires {
			fs = append(fs, fired{b.rule("IstioSLOErrorBudgetExhausted", map[string]string{"slo": u.s.Name}), b.sliLabels(u.s, u.svc), ex.value})
		}
	}
	return b.expect(at, "IstioSLOErrorBudgetExhausted", fs...)
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
