package rules

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/loader"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/profiles"
)

// fleetVariants are the built-in profile name itself and, for every
// built-in profile, the same profile as each kind of fleet: so every rule
// any builder writes for any built-in profile is checked multi-cluster.
func fleetVariants(t *testing.T) map[string]*config.Config {
	t.Helper()
	out := map[string]*config.Config{}
	for _, name := range profiles.Names() {
		l, errs := loader.Load(name)
		if fatal := errs.Fatal(false); len(fatal) > 0 {
			t.Fatalf("%s: %v", name, fatal)
		}
		variants := map[string]func(*profile.Mesh){
			"": func(*profile.Mesh) {},
			"/multi-primary": func(m *profile.Mesh) {
				m.Clusters = profile.Clusters{Topology: profile.TopologyMultiPrimary, LabelSource: profile.LabelSourceSeries}
			},
			"/multi-primary-names": func(m *profile.Mesh) {
				m.Clusters = profile.Clusters{Topology: profile.TopologyMultiPrimary, LabelSource: profile.LabelSourceSeries, Names: []string{"a", "b"}}
			},
			"/primary-remote": func(m *profile.Mesh) {
				m.Clusters = profile.Clusters{Topology: profile.TopologyPrimaryRemote, LabelSource: profile.LabelSourceSeries}
			},
			"/primary-remote-names": func(m *profile.Mesh) {
				m.Clusters = profile.Clusters{Topology: profile.TopologyPrimaryRemote, LabelSource: profile.LabelSourceSeries, Names: []string{"a", "b"}}
			},
			"/multi-primary-external": func(m *profile.Mesh) {
				m.Clusters = profile.Clusters{Topology: profile.TopologyMultiPrimary, LabelSource: profile.LabelSourceExternal}
			},
			"/multi-primary-external-names": func(m *profile.Mesh) {
				m.Clusters = profile.Clusters{Topology: profile.TopologyMultiPrimary, LabelSource: profile.LabelSourceExternal, Names: []string{"a", "b"}}
			},
		}
		for suffix, set := range variants {
			p := l.Profile
			p.Spec.Mesh.Clusters.Names = slices.Clone(p.Spec.Mesh.Clusters.Names)
			if suffix != "" {
				p.Spec.Mesh.Cluster = ""
				set(&p.Spec.Mesh)
			}
			if errs := profile.Validate(&p).Fatal(false); len(errs) > 0 {
				t.Fatalf("%s%s: %v", name, suffix, errs)
			}
			c, err := config.New(p)
			if err != nil {
				t.Fatal(err)
			}
			out[name+suffix] = c
		}
	}
	return out
}

// TestEveryAggregationKeepsTheCluster walks every generated rule of every
// built-in profile, and of each built-in profile made a fleet, and fails on
// an expression that loses the cluster label: an aggregation without it in
// by (...), a vector match on (...) without it, a vector() or absent()
// that stands for no cluster, a scalar() that drops every label.
func TestEveryAggregationKeepsTheCluster(t *testing.T) {
	p := parser.NewParser(parser.Options{})
	checked := 0
	for name, c := range fleetVariants(t) {
		m := c.Profile.Spec.Mesh
		if !m.MultiCluster() {
			continue
		}
		for _, f := range Build(c) {
			for _, g := range f.Groups {
				for _, r := range g.Rules {
					e, err := p.ParseExpr(r.Expr)
					if err != nil {
						t.Fatalf("%s %s: %v", name, r.Record+r.Alert, err)
					}
					var problems []string
					if m.ClusterInSeries() {
						problems = clusterLost(e, m.ClusterLabel)
					} else {
						problems = clusterUsed(e, m.ClusterLabel)
					}
					for _, pr := range problems {
						t.Errorf("%s: %s/%s %s: %s", name, f.Name, g.Name, r.Record+r.Alert, pr)
					}
					checked++
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no multi-cluster rule checked")
	}
}

// clusterLost lists where e drops the cluster label l.
func clusterLost(e parser.Expr, l string) []string {
	var out []string
	parser.Inspect(e, func(n parser.Node, path []parser.Node) error {
		switch n := n.(type) {
		case *parser.AggregateExpr:
			if n.Without == slices.Contains(n.Grouping, l) {
				out = append(out, fmt.Sprintf("%s aggregates the cluster label away: %s", n.Op, short(n)))
			}
		case *parser.BinaryExpr:
			vm := n.VectorMatching
			if vm == nil || n.LHS.Type() != parser.ValueTypeVector || n.RHS.Type() != parser.ValueTypeVector {
				break
			}
			if vm.On && !slices.Contains(vm.MatchingLabels, l) && !isFallback(n) {
				out = append(out, fmt.Sprintf("%s on (%s) matches across clusters: %s", n.Op, strings.Join(vm.MatchingLabels, ", "), short(n)))
			}
			if !vm.On && slices.Contains(vm.MatchingLabels, l) {
				out = append(out, fmt.Sprintf("%s ignoring (%s) matches across clusters", n.Op, l))
			}
		case *parser.Call:
			switch n.Func.Name {
			case "absent", "absent_over_time":
				out = append(out, n.Func.Name+"() fires once for every cluster together: "+short(n))
			case "scalar":
				out = append(out, "scalar() drops the cluster label: "+short(n))
			case "vector":
				if !clusterVector(path, l) {
					out = append(out, "vector() stands for no cluster: "+short(parent(path)))
				}
			}
		}
		return nil
	})
	return out
}

// clusterUsed lists where e selects on or groups by an external cluster
// label l, which no series the rules read has.
func clusterUsed(e parser.Expr, l string) []string {
	var out []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.VectorSelector:
			for _, m := range n.LabelMatchers {
				if m.Name == l {
					out = append(out, "selects on the external label: "+n.String())
				}
			}
		case *parser.AggregateExpr:
			if slices.Contains(n.Grouping, l) {
				out = append(out, "groups by the external label: "+short(n))
			}
		case *parser.BinaryExpr:
			if vm := n.VectorMatching; vm != nil && slices.Contains(vm.MatchingLabels, l) {
				out = append(out, "matches on the external label: "+short(n))
			}
		}
		return nil
	})
	return out
}

// isFallback is KnownClusters' "or on () vector(1)": one series without
// the label when no cluster is known at all (written with the label set to
// "", label_replace(vector(1), "cluster", "", "", ""), which is the same).
func isFallback(n *parser.BinaryExpr) bool {
	c, ok := unparen(n.RHS).(*parser.Call)
	if ok && c.Func.Name == "label_replace" && len(c.Args) == 5 {
		if s, isStr := unparen(c.Args[2]).(*parser.StringLiteral); isStr && s.Val == "" {
			c, ok = unparen(c.Args[0]).(*parser.Call)
		}
	}
	return n.Op == parser.LOR && len(n.VectorMatching.MatchingLabels) == 0 && ok && c.Func.Name == "vector"
}

// clusterVector reports whether the vector() at the end of path names a
// cluster (label_replace(vector(1), "cluster", ...)) or is the fallback.
func clusterVector(path []parser.Node, l string) bool {
	switch p := parent(path).(type) {
	case *parser.Call:
		if p.Func.Name != "label_replace" {
			return false
		}
		if s, ok := p.Args[1].(*parser.StringLiteral); ok && s.Val == l {
			return true
		}
	case *parser.BinaryExpr:
		return p.VectorMatching != nil && isFallback(p)
	}
	return false
}

func parent(path []parser.Node) parser.Node {
	for i := len(path) - 1; i >= 0; i-- {
		if _, ok := path[i].(*parser.ParenExpr); !ok {
			return path[i]
		}
	}
	return nil
}

func unparen(e parser.Expr) parser.Expr {
	for {
		p, ok := e.(*parser.ParenExpr)
		if !ok {
			return e
		}
		e = p.Expr
	}
}

func short(n parser.Node) string {
	if n == nil {
		return "(the whole expression)"
	}
	s := n.String()
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return s
}

// TestClusterCheckCatches proves the walker fails on the expressions it
// is there to catch, and passes their per-cluster forms.
func TestClusterCheckCatches(t *testing.T) {
	p := parser.NewParser(parser.Options{})
	for expr, want := range map[string]int{
		`sum(up)`:                                          1,
		`count(up == 1) > 0`:                               1,
		`sum by (revision) (up)`:                           1,
		`sum without (cluster) (up)`:                       1,
		`a / on (namespace, pod) b`:                        1,
		`a / ignoring (cluster) b`:                         1,
		`absent(up{job="x"})`:                              1,
		`x unless on () vector(0)`:                         2,
		`scalar(sum by (cluster) (up))`:                    1,
		`sum by (cluster) (up)`:                            0,
		`sum without (pod) (up)`:                           0,
		`a / on (cluster, pod) group_left b`:               0,
		`a / b`:                                            0,
		`(group by (cluster) (up)) or on () vector(1)`:     0,
		`label_replace(vector(1), "cluster", "a", "", "")`: 0,
	} {
		e, err := p.ParseExpr(expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := clusterLost(e, "cluster"); len(got) != want {
			t.Errorf("%s: %d problems, want %d: %v", expr, len(got), want, got)
		}
	}
	e, _ := p.ParseExpr(`sum by (cluster) (up{cluster="a"})`)
	if got := clusterUsed(e, "cluster"); len(got) != 2 {
		t.Errorf("external: %v", got)
	}
}
