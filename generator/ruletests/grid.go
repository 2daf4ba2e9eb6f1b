package ruletests

import (
	"fmt"
	"time"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/meshslo/meshslo/generator/profile"
)

// promtool evaluates every rule at every evaluation_interval from 0 to a
// test group's last eval_time, and loads every input sample: with one
// sample and one evaluation per profile interval, a for: of a day at 5s is
// 17,280 evaluations per test group. A suite whose longest test group
// would take more than these is built again on a coarser grid, so the cost
// of the tests does not grow with the durations they test.
const (
	// maxEvaluations bounds the evaluations of a test group that is
	// evaluated at every input sample. A day of for: at the coarsest step
	// that still leaves two samples in a 5m range (150s) takes about 580.
	maxEvaluations = 600
	// maxSamples bounds the input samples per series of a suite evaluated
	// less often than its input is sampled (once per base window).
	maxSamples = 5000
)

// lookback is how far back Prometheus reads an instant vector.
const lookback = profile.Duration(5 * time.Minute)

// scaled builds a suite with b and, when its longest test group is too
// long for the limits above, again with a builder whose step (and every,
// when the suite is evaluated at each sample) is the coarser grid. Every
// case is written in steps and the oracle reads the same step, so the
// edges stay exact on the coarser grid: a for: is observed at the first
// evaluation at least for: after onset, as Prometheus does.
func (b *builder) scaled(build func(*builder) *suite) *suite {
	s := build(b)
	if s == nil || b.err != nil {
		return s
	}
	g := b.grid(b.span(s))
	if g == b.step {
		return s
	}
	c := *b
	if c.every == c.step {
		c.every = g
	}
	c.step = g
	s = build(&c)
	b.fail(c.err)
	if s != nil {
		s.comment += "\nInput sampled every " + g.String() + " and rules evaluated every " + c.every.String() + ", not every " + b.step.String() +
			": a coarser step that divides every range and offset the rules read, so long durations cost a bounded number of samples."
	}
	return s
}

// grid is the input step for a suite whose test groups end by span: the
// finest multiple of b.step that keeps the suite within its limit, among
// the steps the rules can be tested on. Those divide every range and
// offset the rules read, so each lands on samples and on past evaluations
// exactly, leave at least two samples in every range, and divide the
// suite's evaluation interval when it is coarser than its input.
func (b *builder) grid(span profile.Duration) profile.Duration {
	unit, shortest := b.ranges()
	limit := profile.Duration(maxEvaluations)
	if b.every != b.step {
		limit = maxSamples
	}
	best := b.step
	for g := b.step; g <= unit && 2*g <= shortest && 2*g <= lookback; g += b.step {
		if unit%g != 0 || (b.every != b.step && b.every%g != 0) {
			continue
		}
		best = g
		if span/g <= limit {
			break
		}
	}
	return best
}

// ranges returns the greatest common divisor of every range, offset and
// subquery step the rules read, and the shortest range, parsing the rules
// once per Render.
func (b *builder) ranges() (unit, shortest profile.Duration) {
	if b.grids != nil && b.grids.unit > 0 {
		return b.grids.unit, b.grids.shortest
	}
	var g, short time.Duration
	add := func(d time.Duration) {
		if d > 0 {
			g = gcd(g, d)
		}
	}
	p := parser.NewParser(parser.Options{})
	for _, f := range b.files {
		for _, grp := range f.Groups {
			for _, r := range grp.Rules {
				expr, err := p.ParseExpr(r.Expr)
				if err != nil {
					b.fail(fmt.Errorf("%s: %w", rName(r), err))
					continue
				}
				parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
					switch n := n.(type) {
					case *parser.MatrixSelector:
						add(n.Range)
						if short == 0 || n.Range < short {
							short = n.Range
						}
					case *parser.VectorSelector:
						add(n.OriginalOffset)
					case *parser.SubqueryExpr:
						add(n.Range)
						add(n.Step)
						add(n.OriginalOffset)
					}
					return nil
				})
			}
		}
	}
	if g == 0 {
		// Rules that read no range are tested at any step.
		g = time.Duration(lookback)
	}
	if short == 0 {
		short = 2 * time.Duration(lookback)
	}
	if b.grids != nil {
		b.grids.unit, b.grids.shortest = profile.Duration(g), profile.Duration(short)
	}
	return profile.Duration(g), profile.Duration(short)
}

func gcd(a, b time.Duration) time.Duration {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// span is the last evaluation time of the suite's test groups.
func (b *builder) span(s *suite) profile.Duration {
	var end profile.Duration
	at := func(text string) {
		d, err := profile.ParseDuration(text)
		if err != nil {
			b.fail(fmt.Errorf("%s: eval_time %q: %w", s.path, text, err))
		}
		end = max(end, d)
	}
	for _, g := range s.Tests {
		for _, t := range g.AlertTests {
			at(t.EvalTime)
		}
		for _, t := range g.ExprTests {
			at(t.EvalTime)
		}
	}
	return end
}
