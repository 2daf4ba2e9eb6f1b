package dashboards

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/loader"
	"github.com/meshslo/meshslo/generator/rules"
)

func TestSelectCluster(t *testing.T) {
	for q, want := range map[string]string{
		`sum(rate(x{a=~"$namespace"}[$__rate_interval]))`:  `sum(rate(x{a=~"$namespace",cluster="$cluster"}[$__rate_interval]))`,
		`max(y) / on (pod) z{pod="\x24name"}`:              `max(y{cluster="$cluster"}) / on (pod) z{cluster="$cluster",pod="\x24name"}`,
		`increase(x[$__range] @ end()) and w{cluster="a"}`: `increase(x{cluster="$cluster"}[$__range] @ end()) and w{cluster="a"}`,
	} {
		got, err := selectCluster(q, "cluster")
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s:\n got %s\nwant %s", q, got, want)
		}
	}
}

// TestFleetDashboardsPickOneCluster: every dashboard of the built-in
// multicluster profile has the cluster picker, and every query and
// variable query (but the picker's own) selects the picked cluster in
// each of its selectors.
func TestFleetDashboardsPickOneCluster(t *testing.T) {
	l, errs := loader.Load("multicluster")
	if fatal := errs.Fatal(false); len(fatal) > 0 {
		t.Fatal(fatal)
	}
	c, err := config.New(l.Profile)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := Embedded().Build(c, rules.Build(c))
	if err != nil {
		t.Fatal(err)
	}
	p := parser.NewParser(parser.Options{})
	for _, d := range ds {
		var v struct {
			Templating struct {
				List []struct{ Name, Definition string } `json:"list"`
			} `json:"templating"`
		}
		if err := json.Unmarshal(d.JSON, &v); err != nil {
			t.Fatal(err)
		}
		var queries []string
		picker := false
		for _, x := range v.Templating.List {
			if x.Name == ClusterVariable {
				picker = true
			} else if m := labelValuesRE.FindStringSubmatch(x.Definition); m != nil {
				queries = append(queries, m[1])
			}
		}
		if !picker {
			t.Errorf("%s: no cluster variable", d.Name)
		}
		for _, m := range regexp.MustCompile(`"expr": ("(?:[^"\\]|\\.)*")`).FindAllSubmatch(d.JSON, -1) {
			var q string
			if err := json.Unmarshal(m[1], &q); err != nil {
				t.Fatal(err)
			}
			queries = append(queries, q)
		}
		if len(queries) < 5 {
			t.Fatalf("%s: found only %d queries", d.Name, len(queries))
		}
		for _, q := range queries {
			e, err := p.ParseExpr(Substitute(q))
			if err != nil {
				t.Fatalf("%s: %s: %v", d.Name, q, err)
			}
			parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
				if vs, ok := n.(*parser.VectorSelector); ok {
					found := false
					for _, m := range vs.LabelMatchers {
						// The picked cluster, or every cluster in the
						// on-call Fleet row (TestFleetRowShowsEveryCluster).
						found = found || m.Name == "cluster" && (m.Type == labels.MatchEqual || d.Name == "oncall" && m.Type == labels.MatchRegexp && m.Value == ".+")
					}
					if !found {
						t.Errorf("%s: %s does not select the cluster in %s", d.Name, vs, q)
					}
				}
				return nil
			})
		}
	}
}

// TestFleetRowShowsEveryCluster: the on-call dashboard of a series fleet
// opens with a Fleet row whose every query selects every cluster (so the
// picker's rewrite leaves it alone) and reads the cross-cluster ratio;
// no other dashboard, and no profile without the cluster in its series,
// has the row.
func TestFleetRowShowsEveryCluster(t *testing.T) {
	for _, tc := range []struct {
		profile  string
		external bool
		want     bool
	}{{"multicluster", false, true}, {"multicluster", true, false}, {"medium", false, false}} {
		l, errs := loader.Load(tc.profile)
		if fatal := errs.Fatal(false); len(fatal) > 0 {
			t.Fatal(fatal)
		}
		p := l.Profile
		if tc.external {
			p.Spec.Mesh.Clusters.LabelSource = "external"
		}
		c, err := config.New(p)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := Embedded().Build(c, rules.Build(c))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			var v struct {
				Panels []struct {
					Type, Title string
					Targets     []struct{ Expr string }
				}
			}
			if err := json.Unmarshal(d.JSON, &v); err != nil {
				t.Fatal(err)
			}
			in, found, queries, matrix := false, false, 0, false
			for _, p := range v.Panels {
				if p.Type == "row" {
					in = p.Title == "Fleet"
					found = found || in
					continue
				}
				if !in {
					continue
				}
				for _, q := range p.Targets {
					queries++
					matrix = matrix || regexp.MustCompile(regexp.QuoteMeta(rules.CrossClusterErrorRatio)+`\{cluster=~"\.\+"\}`).MatchString(q.Expr)
					e, err := parser.NewParser(parser.Options{}).ParseExpr(Substitute(q.Expr))
					if err != nil {
						t.Fatalf("%s: %v", q.Expr, err)
					}
					parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
						if vs, ok := n.(*parser.VectorSelector); ok {
							every := false
							for _, m := range vs.LabelMatchers {
								every = every || m.Name == "cluster" && m.Type == labels.MatchRegexp && m.Value == ".+"
							}
							if !every {
								t.Errorf("%s %s: Fleet row query %s does not select every cluster", tc.profile, d.Name, q.Expr)
							}
						}
						return nil
					})
				}
			}
			want := tc.want && d.Name == "oncall"
			if found != want {
				t.Errorf("%s (external %v) %s: Fleet row %v, want %v", tc.profile, tc.external, d.Name, found, want)
			}
			if want && (queries < 6 || !matrix) {
				t.Errorf("%s %s: Fleet row has %d queries, cross-cluster ratio read: %v", tc.profile, d.Name, queries, matrix)
			}
		}
	}
}
