package generate_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"

	"github.com/meshslo/meshslo/dashboards"
	"github.com/meshslo/meshslo/generator/generate"
	"github.com/meshslo/meshslo/generator/profile"
)

// Label values a profile may legally hold that are PromQL (or YAML, or
// JSON) if pasted: each must reach every generated expression as the whole
// value of one matcher, escaped by Prometheus's own quoting.
var hostileValues = map[string]string{
	"destination_service_name":      `"} or vector(1) or up{x="`,
	"destination_service_namespace": `it's "quoted" {braces} \ and ` + "`backticks`",
	"source_workload":               `.*`,
	"grpc_response_status":          `a", response_code=~".*`,
	"destination_canonical_service": `#: not a comment - [list] {map}`,
	// Grafana substitutes variables in dashboard queries, inside strings too.
	"destination_workload": `$namespace ${service} $__all [[slo]] $`,
}

const hostileCluster = `prod"} or vector(1) or {a="$namespace`

func hostileProfile(t *testing.T) profile.Profile {
	t.Helper()
	var b strings.Builder
	b.WriteString("apiVersion: meshslo/v1alpha1\nkind: MeshProfile\nmetadata: {name: hostile}\nspec:\n")
	b.WriteString("  mesh: {cluster: " + quoteYAML(hostileCluster) + "}\n")
	b.WriteString("  slos:\n")
	for _, sli := range []string{"availability", "latency"} {
		b.WriteString("    - name: " + sli + "\n      sli: " + sli + "\n      objective: 99\n      selector:\n")
		for k, v := range hostileValues {
			b.WriteString("        " + k + ": " + quoteYAML(v) + "\n")
		}
	}
	l, errs := profile.Load("hostile.yaml", []byte(b.String()))
	if l == nil || len(errs) > 0 {
		t.Fatalf("load: %v\n%s", errs, b.String())
	}
	if errs := l.Validate().Fatal(false); len(errs) > 0 {
		t.Fatalf("validate: %v", errs)
	}
	for k, v := range hostileValues {
		if got := l.Profile.Spec.SLOs[0].Selector[k]; got != v {
			t.Fatalf("selector %s read as %q, want %q", k, got, v)
		}
	}
	return l.Profile
}

// quoteYAML writes s as a double-quoted YAML scalar; JSON escaping is a
// subset of YAML's.
func quoteYAML(s string) string {
	data, _ := json.Marshal(s)
	return string(data)
}

// Every expression meshslo writes, in every format (rule files,
// PrometheusRule, Helm values and dashboards), parses, and wherever it
// matches a label the profile gave a hostile value, the matcher's value is
// exactly that value: it was quoted, never pasted.
func TestSelectorValuesAreEscapedEverywhere(t *testing.T) {
	p := hostileProfile(t)
	out, err := generate.Run(p, func(string) string { return "test" }, generate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{p.Spec.Mesh.ClusterLabel: hostileCluster}
	for k, v := range hostileValues {
		want[k] = v
	}
	seen := map[string]int{}
	exprs := 0
	for _, path := range out.Paths() {
		for _, e := range expressions(t, path, out.Files[path]) {
			exprs++
			expr, q := e.text, e.text
			if e.grafana {
				// Grafana fills its variables before the query reaches
				// Prometheus; rules reach it as they are.
				q = dashboards.Substitute(expr)
			}
			parsed, err := parser.NewParser(parser.Options{}).ParseExpr(q)
			if err != nil {
				t.Errorf("%s: %v\n%s", path, err, expr)
				continue
			}
			parser.Inspect(parsed, func(node parser.Node, _ []parser.Node) error {
				if call, ok := node.(*parser.Call); ok && call.Func.Name == "vector" && call.Args[0].String() != "0" {
					t.Errorf("%s: a vector() that meshslo does not write: %s", path, expr)
				}
				vs, ok := node.(*parser.VectorSelector)
				if !ok {
					return nil
				}
				for _, m := range vs.LabelMatchers {
					// Profile values become equality matchers; the dashboards'
					// own filters ($service, flag patterns) are regexes.
					if v, hostile := want[m.Name]; hostile && m.Type == labels.MatchEqual {
						seen[m.Name]++
						if m.Value != v {
							t.Errorf("%s: matcher %s, want the value %q whole:\n%s", path, m, v, expr)
						}
					}
				}
				return nil
			})
		}
	}
	if exprs == 0 {
		t.Fatal("no expressions found")
	}
	for name := range want {
		if seen[name] == 0 {
			t.Errorf("no generated expression matches %s; the test proves nothing for it", name)
		}
	}
	t.Logf("%d expressions checked; matchers per label: %v", exprs, seen)
}

// expression is a PromQL expression of a generated file; grafana marks
// the queries of dashboards.
type expression struct {
	text    string
	grafana bool
}

// expressions returns every PromQL expression in a generated file: the
// expr fields of rule groups (YAML) and dashboard targets (JSON, alone or
// carried in YAML).
func expressions(t *testing.T, path string, data []byte) []expression {
	t.Helper()
	var doc any
	switch {
	case strings.HasSuffix(path, ".yaml"):
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		// A ConfigMap carries dashboards as JSON strings.
		doc = expandJSON(doc)
	case strings.HasSuffix(path, ".json"):
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	default:
		return nil
	}
	var exprs []expression
	var walk func(v any, grafana bool)
	walk = func(v any, grafana bool) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "expr" {
					exprs = append(exprs, expression{s, grafana})
				}
				_, dashboard := x.(dashboardJSON)
				walk(x, grafana || dashboard)
			}
		case dashboardJSON:
			walk(map[string]any(v), true)
		case []any:
			for _, x := range v {
				walk(x, grafana)
			}
		}
	}
	walk(doc, strings.HasSuffix(path, ".json"))
	return exprs
}

// dashboardJSON is a JSON document found in a YAML string.
type dashboardJSON map[string]any

func expandJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = expandJSON(x)
		}
	case []any:
		for i, x := range v {
			v[i] = expandJSON(x)
		}
	case string:
		var inner map[string]any
		if strings.HasPrefix(v, "{") && json.Unmarshal([]byte(v), &inner) == nil {
			return dashboardJSON(expandJSON(inner).(map[string]any))
		}
	}
	return v
}
