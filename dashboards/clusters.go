package dashboards

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/meshslo/meshslo/generator/config"
)

// ClusterVariable is the dashboards' cluster picker of a multi-cluster
// profile whose series carry the cluster label.
const ClusterVariable = "cluster"

// perClusterDashboard gives a dashboard of a fleet (spec.mesh.clusters,
// labelSource series) a cluster picker, one cluster at a time, and selects
// that cluster in every query and variable query: raw and recorded series
// alike carry the label (the rules keep it, rules/clusters.go), so each
// panel's sums and counts are one cluster's. With one cluster or an
// external label the dashboard is returned as it is.
func perClusterDashboard(c *config.Config, raw []byte) ([]byte, error) {
	m := c.Profile.Spec.Mesh
	if !m.MultiCluster() || !m.ClusterInSeries() {
		return raw, nil
	}
	var d map[string]any
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, err
	}
	var err error
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "expr" && err == nil {
					v[k], err = selectCluster(s, m.ClusterLabel)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(d["panels"])
	tmpl, _ := d["templating"].(map[string]any)
	list, _ := tmpl["list"].([]any)
	for _, v := range list {
		v, _ := v.(map[string]any)
		def, _ := v["definition"].(string)
		if m := labelValuesRE.FindStringSubmatch(strings.TrimSpace(def)); m != nil && err == nil {
			var q string
			q, err = selectCluster(m[1], c.Profile.Spec.Mesh.ClusterLabel)
			def = "label_values(" + q + ", " + m[2] + ")"
			v["definition"] = def
			if qm, ok := v["query"].(map[string]any); ok {
				qm["query"] = def
			}
		}
	}
	if err != nil {
		return nil, err
	}
	// After the data source: every other variable's query reads it.
	picker := clusterPicker(m.ClusterLabel)
	if len(list) > 0 {
		list = append(list[:1], append([]any{picker}, list[1:]...)...)
	} else {
		list = []any{picker}
	}
	tmpl["list"] = list
	out, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	return Pretty(out)
}

// clusterPicker lists the clusters that have any up series, one at a time
// (no All: a panel's sums would add clusters up again).
func clusterPicker(label string) map[string]any {
	q := "label_values(up, " + label + ")"
	return map[string]any{
		"name": ClusterVariable, "label": "Cluster", "type": "query",
		"datasource": map[string]any{"type": "prometheus", "uid": "${datasource}"},
		"definition": q,
		"query":      map[string]any{"qryType": 1, "query": q, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
		"current":    map[string]any{"text": "", "value": ""},
		"hide":       0, "includeAll": false, "multi": false, "refresh": 2, "regex": "", "sort": 1,
	}
}

var rangeVariableRE = regexp.MustCompile(`\[(` + variableRE.String() + `)`)

// selectCluster adds label="$cluster" to every vector selector of the
// Grafana query q. Grafana's variables do not parse as PromQL: they are
// swapped for placeholders (strings inside strings, durations in ranges)
// and back; \x24, the profile's escaped $, is kept as written.
func selectCluster(q, label string) (string, error) {
	var back []string
	n := 0
	placeholder := func(orig, printed string) string {
		back = append(back, printed, orig)
		return printed
	}
	s := strings.ReplaceAll(q, `\x24`, placeholder(`\x24`, "__meshslo_dollar__"))
	s = rangeVariableRE.ReplaceAllStringFunc(s, func(v string) string {
		n++
		d := model.Duration(time.Duration(1000003+n) * time.Millisecond)
		return "[" + placeholder(v[1:], d.String())
	})
	s = variableRE.ReplaceAllStringFunc(s, func(v string) string {
		n++
		return placeholder(v, "__meshslo_var"+strconv.Itoa(n)+"__")
	})
	e, err := parser.NewParser(parser.Options{}).ParseExpr(s)
	if err != nil {
		return "", fmt.Errorf("cluster variable: query %q: %v", q, err)
	}
	cluster := placeholder("$"+ClusterVariable, "__meshslo_cluster__")
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			for _, m := range vs.LabelMatchers {
				if m.Name == label {
					return nil
				}
			}
			vs.LabelMatchers = append(vs.LabelMatchers, labels.MustNewMatcher(labels.MatchEqual, label, cluster))
		}
		return nil
	})
	out := e.String()
	for i := 0; i < len(back); i += 2 {
		out = strings.ReplaceAll(out, back[i], back[i+1])
	}
	return out, nil
}
