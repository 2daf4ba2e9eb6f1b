package ruletests

import (
	"fmt"
	"math"
	"strings"
	"text/template"

	"github.com/prometheus/common/helpers/templates"

	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
)

// fired is one alert expected to be firing: its rule, the labels of the
// expression's result and the value the annotations print.
type fired struct {
	rule   rules.Rule
	labels lbls
	value  float64
}

// answer answers the queries an alert's annotations run ({{ query }})
// with the one value of their result.
type answer func(q string) (float64, error)

// expect checks alert at one time: exactly fs fire, with full labels and
// annotations.
func (b *builder) expect(at profile.Duration, alert string, fs ...fired) alertTest {
	return b.expectAnswered(at, alert, nil, fs...)
}

// expectAnswered is expect for alerts whose annotations run queries:
// answers[i] answers those of fs[i] (nil: none).
func (b *builder) expectAnswered(at profile.Duration, alert string, answers []answer, fs ...fired) alertTest {
	t := alertTest{EvalTime: at.String(), Alertname: alert, ExpAlerts: []expAlert{}}
	for i, f := range fs {
		var query answer
		if i < len(answers) {
			query = answers[i]
		}
		l := f.labels.with()
		for k, v := range f.rule.Labels {
			// Prometheus expands alert labels as templates too.
			s, err := expand(v, f.labels, f.value, query)
			if err != nil {
				b.fail(fmt.Errorf("%s label %s: %w", alert, k, err))
			}
			l[k] = s
		}
		ann := map[string]string{}
		for k, text := range f.rule.Annotations {
			s, err := expand(text, f.labels, f.value, query)
			if err != nil {
				b.fail(fmt.Errorf("%s annotation %s: %w", alert, k, err))
			}
			ann[k] = s
		}
		t.ExpAlerts = append(t.ExpAlerts, expAlert{ExpLabels: l, ExpAnnotations: ann})
	}
	return t
}

// expand fills an annotation template as Prometheus does for an alert:
// the same variables and the same humanize functions.
func expand(text string, l lbls, value float64, query func(string) (float64, error)) (string, error) {
	const defs = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"
	// query, first and value as Prometheus's template/template.go defines
	// them, answered by the case's oracle instead of a query engine.
	qfuncs := template.FuncMap{
		"query": func(q string) ([]*sample, error) {
			if query == nil {
				return nil, fmt.Errorf("the annotation runs a query (%s) the test case cannot answer", q)
			}
			v, err := query(q)
			if err != nil {
				return nil, err
			}
			return []*sample{{Labels: map[string]string{}, Value: v}}, nil
		},
		"first": func(v []*sample) (*sample, error) {
			if len(v) == 0 {
				return nil, fmt.Errorf("first() called on vector with no elements")
			}
			return v[0], nil
		},
		"value": func(s *sample) float64 { return s.Value },
	}
	t, err := template.New("annotation").Option("missingkey=zero").Funcs(funcs).Funcs(qfuncs).Parse(defs + text)
	if err != nil {
		return "", err
	}
	data := struct {
		Labels         map[string]string
		ExternalLabels map[string]string
		ExternalURL    string
		Value          any
	}{Labels: l, ExternalLabels: map[string]string{}, Value: value}
	var sb strings.Builder
	if err := t.Execute(&sb, data); err != nil {
		return "", err
	}
	return sb.String(), nil
}

// sample is one element of a query result in a template.
type sample struct {
	Labels map[string]string
	Value  float64
}

// funcs are Prometheus's template functions the rules use (prometheus
// template/template.go; humanizeDuration is shared in prometheus/common).
var funcs = template.FuncMap{
	"humanize": func(v float64) string {
		if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Sprintf("%.4g", v)
		}
		prefix := ""
		if math.Abs(v) >= 1 {
			for _, p := range []string{"k", "M", "G", "T", "P", "E", "Z", "Y"} {
				if math.Abs(v) < 1000 {
					break
				}
				prefix, v = p, v/1000
			}
			return fmt.Sprintf("%.4g%s", v, prefix)
		}
		for _, p := range []string{"m", "u", "n", "p", "f", "a", "z", "y"} {
			if math.Abs(v) >= 1 {
				break
			}
			prefix, v = p, v*1000
		}
		return fmt.Sprintf("%.4g%s", v, prefix)
	},
	"humanize1024": func(v float64) string {
		if math.Abs(v) <= 1 || math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Sprintf("%.4g", v)
		}
		prefix := ""
		for _, p := range []string{"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"} {
			if math.Abs(v) < 1024 {
				break
			}
			prefix, v = p, v/1024
		}
		return fmt.Sprintf("%.4g%s", v, prefix)
	},
	"humanizePercentage": func(v float64) string { return fmt.Sprintf("%.4g%%", v*100) },
	"humanizeDuration":   func(v float64) (string, error) { return templates.HumanizeDuration(v) },
}
