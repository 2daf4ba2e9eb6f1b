package rules

import (
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/selector"
)

// Several clusters under one rule set (spec.mesh.clusters).
//
// With labelSource series every stored series carries the cluster label
// (a central Prometheus, Thanos or Mimir holding every cluster's series):
// every aggregation and vector match of every rule must then keep it, or
// two clusters' series add up into one, IstiodDown in cluster b is hidden
// by a's istiod, and alerts cannot say which cluster is broken. The rule
// builders write their expressions for one cluster; PerCluster rewrites
// every one of them, so a rule added later (by any builder) is covered
// too, and TestEveryAggregationKeepsTheCluster checks the result.
//
// With labelSource external the label is not on any series the rules read
// (each cluster's Prometheus adds it to what leaves it: external_labels);
// the rules stay as for one cluster, select nothing on the label and fire
// locally; the label reaches the alerts on the way to Alertmanager.

// AggregationLabels are the labels an aggregation of the profile keeps
// beside labels: the cluster label first where the series carry it and
// the profile names a cluster or covers several. Every builder that
// writes a by (...) list takes it from here.
func AggregationLabels(c *config.Config, labels ...string) []string {
	if l := clusterKept(c); l != "" && !slices.Contains(labels, l) {
		return append([]string{l}, labels...)
	}
	return labels
}

// clusterKept is the cluster label the rules keep, or "".
func clusterKept(c *config.Config) string {
	m := c.Profile.Spec.Mesh
	if m.ClusterInSeries() && (m.Cluster != "" || m.MultiCluster()) {
		return m.ClusterLabel
	}
	return ""
}

// ClusterMatcher selects the profile's one named cluster, where the series
// carry its label; empty otherwise (no cluster named, several clusters,
// or an external label that no local series has).
func ClusterMatcher(c *config.Config) selector.Matchers {
	m := c.Profile.Spec.Mesh
	if m.Cluster != "" && m.ClusterInSeries() {
		return selector.Matchers{selector.Equal(m.ClusterLabel, m.Cluster)}
	}
	return nil
}

// perClusterRewrite reports whether Build rewrites the rules per cluster.
func perClusterRewrite(c *config.Config) bool {
	m := c.Profile.Spec.Mesh
	return m.MultiCluster() && m.ClusterInSeries()
}

// ControlPlaneFiles are the rule files whose anchors (absent series,
// vector(0) fallbacks) are about istiod, so they expect one only in the
// clusters that run it (every cluster but the remotes of primary-remote).
var ControlPlaneFiles = []string{"control-plane", "certificates"}

// KnownClusters is the expression of the clusters a rule expects series
// from, value 1 each: the listed names and every cluster with an up
// series (of istiod's targets, for the control plane of primary-remote);
// with neither, one series without the label, so an expression over
// series without a cluster label works as it does for one cluster.
func KnownClusters(c *config.Config, controlPlane bool) string {
	m := c.Profile.Spec.Mesh
	l := m.ClusterLabel
	names := m.Clusters.Names
	up := selector.Matchers{}.Metric("up")
	if controlPlane {
		names = m.ControlPlaneClusters()
		if m.Clusters.Topology == profile.TopologyPrimaryRemote {
			up = c.Selectors.Istiod.Metric("up")
		}
	}
	var parts []string
	for _, n := range names {
		parts = append(parts, `label_replace(vector(1), "`+l+`", `+strconv.Quote(n)+`, "", "")`)
	}
	if len(names) > 0 && controlPlane && m.Clusters.Topology == profile.TopologyPrimaryRemote {
		// The remotes have up series too: only the listed primaries.
		return strings.Join(parts, " or ")
	}
	parts = append(parts, "group by ("+l+") ("+up+")")
	// The cluster label set to "" is vector(1) itself (Prometheus drops an
	// empty label); it tells static checks (pint's promql/impossible) that
	// this branch has no cluster.
	return "(" + strings.Join(parts, " or ") + `) or on () label_replace(vector(1), "` + l + `", "", "", "")`
}

// PerCluster rewrites the files' expressions so every aggregation and
// vector match keeps the cluster label, vector(n) becomes n in each known
// cluster and absent(x) fires per known cluster without x. Files are
// returned unchanged unless the profile covers several clusters whose
// series carry the label.
func PerCluster(c *config.Config, files []File) []File {
	if !perClusterRewrite(c) {
		return files
	}
	p := parser.NewParser(parser.Options{})
	out := make([]File, len(files))
	for fi, f := range files {
		cp := slices.Contains(ControlPlaneFiles, f.Name)
		known, err := p.ParseExpr(KnownClusters(c, cp))
		if err != nil {
			panic("rules: known clusters: " + err.Error())
		}
		rw := clusterRewriter{label: c.Profile.Spec.Mesh.ClusterLabel, known: known.String()}
		f.Groups = slices.Clone(f.Groups)
		for gi, g := range f.Groups {
			g.Rules = slices.Clone(g.Rules)
			for ri, r := range g.Rules {
				e, err := p.ParseExpr(r.Expr)
				if err != nil {
					panic("rules: " + r.Record + r.Alert + ": " + err.Error())
				}
				// Prettify indents a binary expression's first operand; an
				// expression never starts with a blank (checkExpr).
				g.Rules[ri].Expr = checkExpr(strings.TrimLeft(parser.Prettify(rw.rewrite(e)), " "))
			}
			f.Groups[gi] = g
		}
		out[fi] = f
	}
	return out
}

type clusterRewriter struct {
	label string
	// known is KnownClusters, printed; each use parses a fresh copy.
	known string
}

func (w clusterRewriter) knownExpr() parser.Expr {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(w.known)
	if err != nil {
		panic(err)
	}
	return &parser.ParenExpr{Expr: e}
}

func (w clusterRewriter) rewrite(e parser.Expr) parser.Expr {
	switch n := e.(type) {
	case *parser.AggregateExpr:
		n.Expr = w.rewrite(n.Expr)
		if n.Param != nil {
			n.Param = w.rewrite(n.Param)
		}
		if n.Without {
			n.Grouping = slices.DeleteFunc(n.Grouping, func(s string) bool { return s == w.label })
		} else if !slices.Contains(n.Grouping, w.label) {
			n.Grouping = append([]string{w.label}, n.Grouping...)
		}
		return n
	case *parser.BinaryExpr:
		n.LHS, n.RHS = w.rewrite(n.LHS), w.rewrite(n.RHS)
		if vm := n.VectorMatching; vm != nil && n.LHS.Type() == parser.ValueTypeVector && n.RHS.Type() == parser.ValueTypeVector {
			if vm.On {
				if !slices.Contains(vm.MatchingLabels, w.label) {
					vm.MatchingLabels = append([]string{w.label}, vm.MatchingLabels...)
				}
				vm.Include = slices.DeleteFunc(vm.Include, func(s string) bool { return s == w.label })
			} else {
				vm.MatchingLabels = slices.DeleteFunc(vm.MatchingLabels, func(s string) bool { return s == w.label })
			}
		}
		return n
	case *parser.Call:
		switch n.Func.Name {
		case "vector":
			// vector(n) has no labels: in a match on the cluster it
			// would stand for no cluster; it becomes n in each one.
			if num, ok := n.Args[0].(*parser.NumberLiteral); ok {
				if num.Val == 1 {
					return w.knownExpr()
				}
				return &parser.BinaryExpr{Op: parser.MUL, LHS: w.knownExpr(), RHS: num,
					VectorMatching: &parser.VectorMatching{Card: parser.CardOneToOne}}
			}
		case "absent", "absent_over_time":
			return w.absent(n)
		}
		for i, a := range n.Args {
			n.Args[i] = w.rewrite(a)
		}
		return n
	case *parser.ParenExpr:
		n.Expr = w.rewrite(n.Expr)
		return n
	case *parser.UnaryExpr:
		n.Expr = w.rewrite(n.Expr)
		return n
	case *parser.SubqueryExpr:
		n.Expr = w.rewrite(n.Expr)
		return n
	case *parser.StepInvariantExpr:
		n.Expr = w.rewrite(n.Expr)
		return n
	}
	return e
}

// absent rewrites absent(x) (absent_over_time(x[d])) to one series per
// known cluster without x, labelled as absent() labels its output: with
// the equality matchers of x.
func (w clusterRewriter) absent(n *parser.Call) parser.Expr {
	var present parser.Expr
	var vs *parser.VectorSelector
	switch a := n.Args[0].(type) {
	case *parser.VectorSelector:
		vs, present = a, a
	case *parser.MatrixSelector:
		vs = a.VectorSelector.(*parser.VectorSelector)
		present = &parser.Call{Func: parser.Functions["count_over_time"], Args: parser.Expressions{a}}
	default:
		// absent() of an expression has no labels to copy; per cluster
		// all the same.
		present = w.rewrite(a)
	}
	var out parser.Expr = &parser.BinaryExpr{Op: parser.LUNLESS, LHS: w.knownExpr(),
		RHS:            &parser.AggregateExpr{Op: parser.GROUP, Expr: present, Grouping: []string{w.label}},
		VectorMatching: &parser.VectorMatching{Card: parser.CardManyToMany, On: true, MatchingLabels: []string{w.label}}}
	if vs != nil {
		for _, m := range vs.LabelMatchers {
			if m.Type != labels.MatchEqual || m.Name == labels.MetricName || m.Name == w.label {
				continue
			}
			out = &parser.Call{Func: parser.Functions["label_replace"], Args: parser.Expressions{
				out, &parser.StringLiteral{Val: m.Name}, &parser.StringLiteral{Val: m.Value},
				&parser.StringLiteral{Val: ""}, &parser.StringLiteral{Val: ""}}}
		}
	}
	return &parser.ParenExpr{Expr: out}
}
