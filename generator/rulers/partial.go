package rulers

import (
	"slices"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/meshslo/meshslo/generator/rules"
)

// Thanos Ruler's partial_response_strategy values (thanos-io/thanos
// docs/components/rule.md, "Partial Response"): abort fails the evaluation
// when a store does not answer; warn evaluates over what answered.
const (
	PartialAbort = "abort"
	PartialWarn  = "warn"
)

// PartialResponse is the strategy a group gets on Thanos Ruler, and why.
//   - A group with an alerting rule: abort. Thanos recommends it for alerts
//     (and makes it the default): over a partial answer, an alert on a
//     missing series (absent, a no-data check, "unless") fires for the
//     store that did not answer, and a threshold alert misses the symptom.
//     It is written out so a changed default cannot flip it.
//   - A recording-only group whose every aggregation keeps clusterLabel:
//     warn. Each series belongs to one cluster, so a store that does not
//     answer leaves a gap in its clusters' series only; the others stay
//     exact (with abort, every cluster would get the gap).
//   - Any other recording group: abort, since a partial answer would be
//     recorded as a complete but wrong aggregate across clusters.
func PartialResponse(g rules.Group, clusterLabel string) (string, string) {
	p := parser.NewParser(parser.Options{})
	for _, r := range g.Rules {
		if r.Alert != "" {
			return PartialAbort, "alerting rules: a store that does not answer must fail the evaluation, not silence or raise an alert"
		}
	}
	if clusterLabel == "" {
		return PartialAbort, "no cluster label (spec.mesh.cluster unset): series of clusters that answered and of those that did not cannot be told apart, so a partial answer would be recorded as complete"
	}
	for _, r := range g.Rules {
		e, err := p.ParseExpr(r.Expr)
		if err != nil || !keepsLabel(e, clusterLabel) {
			return PartialAbort, "a recording drops the " + clusterLabel + " label: a partial answer would record a wrong total"
		}
	}
	return PartialWarn, "every recording keeps the " + clusterLabel + " label: a store that does not answer leaves a gap in its own clusters' series only"
}

// keepsLabel says whether every aggregation, label-dropping function and
// one-to-one on() match of e keeps label.
func keepsLabel(e parser.Expr, label string) bool {
	ok := true
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.AggregateExpr:
			if n.Without == slices.Contains(n.Grouping, label) {
				ok = false
			}
		case *parser.Call:
			switch n.Func.Name {
			case "absent", "absent_over_time", "vector", "scalar", "time":
				ok = false
			}
		case *parser.BinaryExpr:
			vm := n.VectorMatching
			if vm != nil && vm.On && vm.Card == parser.CardOneToOne && !n.Op.IsSetOperator() && !slices.Contains(vm.MatchingLabels, label) {
				ok = false
			}
		}
		return nil
	})
	return ok
}
