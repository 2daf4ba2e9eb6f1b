// Package rulers places meshslo's rules on scale-out rulers (Thanos Ruler,
// Mimir/Cortex, vmalert) from the recording-rule dependency graph. It reads
// rules.File values and their PromQL only; it knows nothing of what a rule
// computes, so it follows whatever expressions package rules writes.
package rulers

import (
	"fmt"
	"slices"
	"sort"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/meshslo/meshslo/generator/rules"
)

// Read is one series name a rule's expression selects.
type Read struct {
	Name string
	// Now is true when the selector reads the evaluation instant itself
	// (no offset, no @, not inside an offset subquery): the rule needs
	// what its producer wrote in the same cycle. A read with an offset of
	// at least one interval reads samples written cycles ago.
	Now bool
}

// Ref names one rule by its position in a []rules.File.
type Ref struct{ File, Group, Rule int }

// Node is one rule of the graph and what it reads.
type Node struct {
	Ref   Ref
	Rule  rules.Rule
	Reads []Read
	// Raw is true when the rule reads a series no rule of the set
	// records: a scraped series.
	Raw bool
}

// Graph is the dependency graph of a rule set: every rule, and which rules
// produce each recorded (or ALERTS) series name.
type Graph struct {
	Nodes     []Node
	producers map[string][]int
}

// alertSeries are the series Prometheus writes for alerting rules.
var alertSeries = []string{"ALERTS", "ALERTS_FOR_STATE"}

// NewGraph parses every rule's expression.
func NewGraph(files []rules.File) (*Graph, error) {
	g := &Graph{producers: map[string][]int{}}
	p := parser.NewParser(parser.Options{})
	for fi, f := range files {
		for gi, grp := range f.Groups {
			for ri, r := range grp.Rules {
				reads, err := Reads(p, r.Expr)
				if err != nil {
					return nil, fmt.Errorf("%s, group %s, rule %s: %w", f.Name, grp.Name, name(r), err)
				}
				i := len(g.Nodes)
				g.Nodes = append(g.Nodes, Node{Ref: Ref{fi, gi, ri}, Rule: r, Reads: reads})
				if r.Record != "" {
					g.producers[r.Record] = append(g.producers[r.Record], i)
				} else {
					for _, s := range alertSeries {
						g.producers[s] = append(g.producers[s], i)
					}
				}
			}
		}
	}
	for i := range g.Nodes {
		for _, rd := range g.Nodes[i].Reads {
			if len(g.producers[rd.Name]) == 0 {
				g.Nodes[i].Raw = true
			}
		}
	}
	return g, nil
}

func name(r rules.Rule) string {
	if r.Record != "" {
		return r.Record
	}
	return r.Alert
}

// Producers returns the indexes of the rules that write series name.
func (g *Graph) Producers(name string) []int { return g.producers[name] }

// Reads returns the series names an expression selects, sorted, each once
// (a name read both now and in the past is returned with Now set). A
// selector without a metric name is an error: no rule set can say what it
// reads.
func Reads(p parser.Parser, expr string) ([]Read, error) {
	e, err := p.ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var bad error
	parser.Inspect(e, func(n parser.Node, path []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		nm := vs.Name
		if nm == "" {
			for _, m := range vs.LabelMatchers {
				if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
					nm = m.Value
				}
			}
		}
		if nm == "" {
			bad = fmt.Errorf("selector %s has no metric name", vs)
			return nil
		}
		now := vs.OriginalOffset == 0 && vs.Timestamp == nil && vs.StartOrEnd == 0
		for _, anc := range path {
			if sq, ok := anc.(*parser.SubqueryExpr); ok && (sq.OriginalOffset != 0 || sq.Timestamp != nil || sq.StartOrEnd != 0) {
				now = false
			}
		}
		seen[nm] = seen[nm] || now
		return nil
	})
	if bad != nil {
		return nil, bad
	}
	out := make([]Read, 0, len(seen))
	for nm, now := range seen {
		out = append(out, Read{nm, now})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Depth is the longest chain of same-cycle reads ending in each rule: 0 for
// a rule that reads only scraped series (or recorded ones in the past), 1
// for one that reads at the evaluation instant what a depth-0 rule writes,
// and so on. Prometheus evaluates a group's rules in order, so a chain
// inside one group costs it nothing; a ruler that queries a store its
// writes reach later (Thanos Ruler, vmalert) sees a chain's first link
// one or more cycles late.
func (g *Graph) Depth() []int {
	depth := make([]int, len(g.Nodes))
	state := make([]int, len(g.Nodes)) // 0 new, 1 on the stack, 2 done
	var visit func(i int) int
	visit = func(i int) int {
		switch state[i] {
		case 1:
			panic("rulers: a rule reads itself at the evaluation instant: " + name(g.Nodes[i].Rule))
		case 2:
			return depth[i]
		}
		state[i] = 1
		d := 0
		for _, rd := range g.Nodes[i].Reads {
			if !rd.Now {
				continue
			}
			for _, p := range g.producers[rd.Name] {
				if p != i {
					d = max(d, visit(p)+1)
				}
			}
		}
		state[i], depth[i] = 2, d
		return d
	}
	for i := range g.Nodes {
		visit(i)
	}
	return depth
}

// subset returns the files with only the rules keep selects, in their
// order; groups and files left empty are dropped.
func subset(files []rules.File, g *Graph, keep []bool) []rules.File {
	var out []rules.File
	i := 0
	for _, f := range files {
		nf := rules.File{Name: f.Name, Comment: f.Comment}
		for _, grp := range f.Groups {
			ng := rules.Group{Name: grp.Name, Interval: grp.Interval}
			for _, r := range grp.Rules {
				if keep[i] {
					ng.Rules = append(ng.Rules, r)
				}
				i++
			}
			if len(ng.Rules) > 0 {
				nf.Groups = append(nf.Groups, ng)
			}
		}
		if len(nf.Groups) > 0 {
			out = append(out, nf)
		}
	}
	if i != len(g.Nodes) {
		panic("rulers: graph and files disagree")
	}
	return slices.Clip(out)
}
