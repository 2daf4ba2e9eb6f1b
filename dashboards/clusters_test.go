package dashboards

import (
	"encoding/json"
	"regexp"
	"testing"

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
						found = found || m.Name == "cluster"
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
