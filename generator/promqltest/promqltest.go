// Package promqltest reads generated expressions back for tests.
package promqltest

import "github.com/prometheus/prometheus/promql/parser"

// ComparedNumbers returns the numbers an expression compares against: the
// number literals on the right of its comparison operators, in order.
func ComparedNumbers(expr string) ([]float64, error) {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	var out []float64
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if b, ok := n.(*parser.BinaryExpr); ok && b.Op.IsComparisonOperator() {
			if lit, ok := b.RHS.(*parser.NumberLiteral); ok {
				out = append(out, lit.Val)
			}
		}
		return nil
	})
	return out, nil
}
