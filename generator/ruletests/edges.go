package ruletests

import (
	"fmt"

	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
)

// edgeRatio is how far past a ratio, byte or duration threshold the edge
// cases sit: close enough that a threshold moved by a few percent in a rule
// file fails a test, far enough that float rounding cannot decide a case.
// Counts use the next whole number instead.
const edgeRatio = 0.01

// A watch is one alert as its edge cases see it: the quantity its
// expression compares (a level over time), how its severities judge that
// level, and how the level turns into input series.
type watch struct {
	alert string
	// window is the range of the expression's rate or increase; 0 when it
	// compares a gauge, whose level is read as it is at each evaluation.
	window profile.Duration
	// baseline is the healthy level before each case's onset.
	baseline float64
	labels   lbls
	sevs     []sev
	// inputs returns the input series for level over the samples 0..n-1
	// (for a rate, level(t) is the slope from sample t to the next).
	inputs func(level func(t profile.Duration) float64, n int) []series
	// show describes a level in test names.
	show func(float64) string
	// query, where the annotations run a query, answers it for one
	// severity's alert at time at with the single value of its result.
	query func(s sev, level func(profile.Duration) float64, at profile.Duration, q string) (float64, error)
}

// sev is one severity of the watched alert.
type sev struct {
	rule  rules.Rule
	holds func(q float64) bool
	// value turns the level into the value the alert's annotations print;
	// nil when it is the level itself.
	value func(q float64) float64
	// above is just past the threshold, below just short of it.
	above, below float64
}

func gt(t float64) func(float64) bool { return func(q float64) bool { return q > t } }
func ge(t float64) func(float64) bool { return func(q float64) bool { return q >= t } }
func lt(t float64) func(float64) bool { return func(q float64) bool { return q < t } }

// quantity is the level the expression sees at evaluation time ts: the
// level of the sample for a gauge, the mean slope of the samples in the
// window for a rate (the window (ts-w, ts] holds w/step samples, so
// w/step-1 increments, which rate() extrapolates to the window).
func (b *builder) quantity(w *watch, level func(profile.Duration) float64, ts profile.Duration) (float64, bool) {
	if w.window == 0 {
		return level(ts), true
	}
	n := int(ts / b.step)
	if n < 1 {
		return 0, false
	}
	first := n - int(w.window/b.step) + 1
	if first < 0 {
		first = 0
	}
	sum := 0.0
	for j := first; j < n; j++ {
		sum += level(profile.Duration(j) * b.step)
	}
	return sum / float64(n-first), true
}

// firing runs one severity's alert state over evaluations 0..at: pending
// from the first evaluation its condition holds, firing once it has held
// for its for:, gone as soon as it stops holding.
func (b *builder) firing(w *watch, s sev, level func(profile.Duration) float64, at profile.Duration) bool {
	active, since := false, profile.Duration(0)
	for ts := profile.Duration(0); ts <= at; ts += b.step {
		q, ok := b.quantity(w, level, ts)
		if !ok || !s.holds(q) {
			active = false
			continue
		}
		if !active {
			active, since = true, ts
		}
	}
	return active && at-since >= s.rule.For
}

// expectAt is the alert test at time at: every severity of the watch that
// fires then, with the value its expression has.
func (b *builder) expectAt(w *watch, level func(profile.Duration) float64, at profile.Duration) alertTest {
	var fs []fired
	var answers []answer
	for _, s := range w.sevs {
		if b.firing(w, s, level, at) {
			q, _ := b.quantity(w, level, at)
			v := q
			if s.value != nil {
				v = s.value(q)
			}
			fs = append(fs, fired{rule: s.rule, labels: w.labels, value: v})
			var a answer
			if w.query != nil {
				s := s
				a = func(q string) (float64, error) { return w.query(s, level, at, q) }
			}
			answers = append(answers, a)
		}
	}
	return b.expectAnswered(at, w.alert, answers, fs...)
}

func step(before float64, at profile.Duration, after float64) func(profile.Duration) float64 {
	return func(t profile.Duration) float64 {
		if t < at {
			return before
		}
		return after
	}
}

func pulse(base float64, from, to profile.Duration, high float64) func(profile.Duration) float64 {
	return func(t profile.Duration) float64 {
		if t >= from && t < to {
			return high
		}
		return base
	}
}

// edgeCases returns, for every severity: a case just past the threshold
// that fires exactly when for: has passed, one just short of it that stays
// quiet, and a blip past the threshold that ends before for: and must not
// fire. Each case's expectations list every severity firing at that time.
func (b *builder) edgeCases(w *watch) []*testGroup {
	var out []*testGroup
	for _, s := range w.sevs {
		sevName := s.rule.Labels["severity"]
		forDur := b.ceilStep(s.rule.For)
		onset := 2 * b.step
		if w.window > 0 {
			onset = w.window + b.step
		}
		// Fires: past the threshold from onset on.
		fire := step(w.baseline, onset, s.above)
		var fireAt []profile.Duration
		if w.window == 0 {
			if forDur > 0 {
				fireAt = append(fireAt, onset+forDur-b.step)
			}
			fireAt = append(fireAt, onset+forDur)
		} else {
			// A rate crosses the threshold while its window fills; check
			// once the window is full and for: has passed.
			fireAt = append(fireAt, onset+w.window+forDur+b.step)
		}
		out = append(out, b.edgeGroup(w, fmt.Sprintf("%s %s fires just past its threshold (%s) once it holds for %s",
			w.alert, sevName, w.show(s.above), s.rule.For), fire, fireAt))

		// Quiet: just short of the threshold for as long.
		quiet := step(w.baseline, onset, s.below)
		out = append(out, b.edgeGroup(w, fmt.Sprintf("%s %s stays quiet just short of its threshold (%s)",
			w.alert, sevName, w.show(s.below)), quiet, fireAt[len(fireAt)-1:]))

		// Blip: past the threshold for less than for:.
		var blip func(profile.Duration) float64
		var blipAt []profile.Duration
		if w.window == 0 && forDur >= b.step {
			// The longest blip that must not fire: it holds at every
			// evaluation before for: is reached, then clears.
			blip = pulse(w.baseline, onset, onset+forDur, s.above)
			blipAt = []profile.Duration{onset + forDur - b.step, onset + forDur}
		} else if d := b.floorStep(s.rule.For - w.window - 2*b.step); w.window > 0 && d >= b.step {
			// A rate sees a blip of d for at most d plus its window.
			blip = pulse(w.baseline, onset, onset+d, s.above)
			blipAt = []profile.Duration{onset + d + w.window - b.step}
		}
		if blip != nil {
			out = append(out, b.edgeGroup(w, fmt.Sprintf("%s %s does not fire for a blip past its threshold (%s) shorter than its for: %s",
				w.alert, sevName, w.show(s.above), s.rule.For), blip, blipAt))
		}
	}
	return out
}

func (b *builder) edgeGroup(w *watch, name string, level func(profile.Duration) float64, at []profile.Duration) *testGroup {
	end := at[len(at)-1]
	g := &testGroup{Name: name, Interval: b.step.String(), InputSeries: w.inputs(level, b.samples(end))}
	for _, t := range at {
		g.AlertTests = append(g.AlertTests, b.expectAt(w, level, t))
	}
	return g
}

// levels samples a level function at every input sample.
func (b *builder) levels(level func(profile.Duration) float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = level(profile.Duration(i) * b.step)
	}
	return out
}

// slopes returns the increments of a counter whose rate is rate(level):
// sample i to i+1 grows by rate(level(t_i)) per second.
func (b *builder) slopes(level func(profile.Duration) float64, n int, rate func(float64) float64) []float64 {
	out := make([]float64, n-1)
	for i := range out {
		out[i] = rate(level(profile.Duration(i)*b.step)) * b.step.Seconds()
	}
	return out
}

// Edge levels of the common threshold kinds.
func above(t float64) float64 { return t * (1 + edgeRatio) }
func below(t float64) float64 { return t * (1 - edgeRatio) }

func errTopBucket(d profile.Duration) error {
	return fmt.Errorf("istiod.pushLatencyWarning %s is at or above the top finite bucket (%ss) of pilot_proxy_convergence_time, so IstiodPushLatencyHigh could never fire",
		d, num(convergenceBuckets[len(convergenceBuckets)-1]))
}
