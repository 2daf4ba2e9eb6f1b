package ruletests

import (
	"fmt"
	"time"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/meshslo/meshslo/generator/profile"
)

// window is the longest range selector a rule reads, through the recorded
// series it reads, so the tests follow the rules' rate windows instead of
// repeating them.
func (b *builder) window(name string) profile.Duration {
	seen := map[string]bool{}
	var walk func(name string) time.Duration
	walk = func(name string) time.Duration {
		if seen[name] {
			return 0
		}
		seen[name] = true
		var longest time.Duration
		p := parser.NewParser(parser.Options{})
		for _, f := range b.files {
			for _, g := range f.Groups {
				for _, r := range g.Rules {
					if r.Alert != name && r.Record != name {
						continue
					}
					expr, err := p.ParseExpr(r.Expr)
					if err != nil {
						b.fail(fmt.Errorf("%s: %w", name, err))
						return 0
					}
					parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
						switch n := n.(type) {
						case *parser.MatrixSelector:
							longest = max(longest, n.Range)
						case *parser.VectorSelector:
							longest = max(longest, walk(n.Name))
						}
						return nil
					})
				}
			}
		}
		return longest
	}
	w := walk(name)
	if w == 0 {
		b.fail(fmt.Errorf("%s reads no range of samples", name))
		return b.step
	}
	return profile.Duration(w)
}
