// Package ruletests generates promtool rule unit tests that ship beside the
// rules (`promtool test rules tests/*.test.yaml`). Every alert gets input
// just above and just below its threshold and a blip shorter than its
// `for:`, built from the same config values that set the thresholds: change
// a threshold in the profile and the rule and its tests move together, edit
// a threshold in a rule file by hand and the tests fail.
package ruletests

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/render"
	"github.com/meshslo/meshslo/generator/rules"
)

// Dir is the folder of the tests inside a profile's output folder; the rule
// files are found from there as ../prometheus/<name>.yaml.
const Dir = "tests"

// Render returns every test file for the config, by path relative to the
// profile folder.
func Render(c *config.Config, files []rules.File) (map[string][]byte, error) {
	iv := c.Profile.Spec.Prometheus.EvaluationInterval
	b := &builder{c: c, files: files, step: iv, every: iv, readsOf: map[int][]string{}, grids: &grids{}}
	suites := []*suite{b.scaled((*builder).controlPlane), b.scaled((*builder).proxies), b.scaled((*builder).certificates), b.scaled((*builder).gateways), b.scaled((*builder).waypoints), b.scaled((*builder).ztunnel), b.scaled((*builder).canary), b.scaled((*builder).remoteClusters), b.scaled((*builder).versions)}
	for _, s := range c.SLOs {
		suites = append(suites, b.sloEdges(s)...)
		suites = append(suites, b.sloHistory(s), b.sloNoData(s))
	}
	if b.err != nil {
		return nil, b.err
	}
	out := map[string][]byte{}
	for _, s := range suites {
		if s == nil || len(s.Tests) == 0 {
			continue
		}
		if err := b.resolveRuleFiles(s); err != nil {
			return nil, err
		}
		data, err := encode(c.Profile.Metadata.Name, s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.path, err)
		}
		out[Dir+"/"+s.path] = data
	}
	return out, nil
}

// suite is one promtool test file.
type suite struct {
	path    string   // relative to Dir
	comment string   // said under the header
	alerts  []string // alerts the suite tests; their rule files are loaded
	records []string // recorded series the suite reads

	RuleFiles          []string     `yaml:"rule_files"`
	EvaluationInterval string       `yaml:"evaluation_interval"`
	GroupEvalOrder     []string     `yaml:"group_eval_order"`
	Tests              []*testGroup `yaml:"tests"`
}

type testGroup struct {
	Name        string      `yaml:"name"`
	Interval    string      `yaml:"interval"`
	InputSeries []series    `yaml:"input_series"`
	AlertTests  []alertTest `yaml:"alert_rule_test,omitempty"`
	ExprTests   []exprTest  `yaml:"promql_expr_test,omitempty"`
}

type series struct {
	Series string `yaml:"series"`
	Values string `yaml:"values"`
}

type alertTest struct {
	EvalTime  string     `yaml:"eval_time"`
	Alertname string     `yaml:"alertname"`
	ExpAlerts []expAlert `yaml:"exp_alerts"`
}

type expAlert struct {
	ExpLabels      map[string]string `yaml:"exp_labels"`
	ExpAnnotations map[string]string `yaml:"exp_annotations"`
}

type exprTest struct {
	Expr       string      `yaml:"expr"`
	EvalTime   string      `yaml:"eval_time"`
	ExpSamples []expSample `yaml:"exp_samples"`
}

type expSample struct {
	Labels string  `yaml:"labels"`
	Value  float64 `yaml:"value"`
}

// builder keeps the first error so case code reads as a list of cases.
type builder struct {
	c     *config.Config
	files []rules.File
	// step is the interval of the input samples: the rules' evaluation
	// interval, or a multiple of it for suites whose durations would
	// otherwise take too many samples (see scaled).
	step  profile.Duration
	every profile.Duration // how often the tests evaluate the rules: step, or coarser for long SLO cases
	err   error
	// readsOf caches reads per file index; copies of the builder share it.
	readsOf map[int][]string
	// grids caches what ranges found; copies share it.
	grids *grids
}

type grids struct{ unit, shortest profile.Duration }

func (b *builder) fail(err error) {
	if b.err == nil && err != nil {
		b.err = fmt.Errorf("ruletests: %w", err)
	}
}

func (b *builder) newSuite(path, comment string) *suite {
	return &suite{path: path, comment: comment, EvaluationInterval: b.every.String()}
}

// rule returns the alerting rule named name whose labels include match.
// identity is what tells an alerting rule from the others of its name:
// its static labels and its threshold's, which may name what the series
// carry instead (a waypoint's namespace).
func identity(r rules.Rule) map[string]string {
	out := map[string]string{}
	if r.Threshold != nil {
		for k, v := range r.Threshold.Labels {
			out[k] = v
		}
	}
	for k, v := range r.Labels {
		out[k] = v
	}
	return out
}

func (b *builder) rule(name string, match map[string]string) rules.Rule {
	var found []rules.Rule
	for _, r := range rules.Alerts(b.files) {
		if r.Alert != name {
			continue
		}
		ok := true
		for k, v := range match {
			ok = ok && identity(r)[k] == v
		}
		if ok {
			found = append(found, r)
		}
	}
	if len(found) > 1 {
		// One severity with several rules: the one without other labels.
		found = slices.DeleteFunc(found, func(r rules.Rule) bool { return len(identity(r)) != len(match) })
	}
	if len(found) != 1 {
		b.fail(fmt.Errorf("expected one alerting rule %s with labels %v, found %d", name, match, len(found)))
		return rules.Rule{Alert: name, Labels: map[string]string{}, Annotations: map[string]string{}}
	}
	return found[0]
}

// resolveRuleFiles lists the rule files that define the suite's alerts and
// records and, transitively, every recorded series those rules read, and
// orders the groups as the files do, so recordings run before their readers
// at each evaluation (promtool otherwise orders groups at random).
func (b *builder) resolveRuleFiles(s *suite) error {
	records := map[string]int{} // recorded name -> file index
	for i, f := range b.files {
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				if r.Record != "" {
					records[r.Record] = i
				}
			}
		}
	}
	need := map[int]bool{}
	var queue []int
	add := func(i int) {
		if !need[i] {
			need[i] = true
			queue = append(queue, i)
		}
	}
	for i, f := range b.files {
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				if slices.Contains(s.alerts, r.Alert) || slices.Contains(s.records, r.Record) {
					add(i)
				}
			}
		}
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		reads, err := b.reads(i)
		if err != nil {
			return err
		}
		for _, name := range reads {
			if j, ok := records[name]; ok {
				add(j)
			}
		}
	}
	s.RuleFiles, s.GroupEvalOrder = nil, nil
	for i, f := range b.files {
		if !need[i] {
			continue
		}
		s.RuleFiles = append(s.RuleFiles, "../prometheus/"+f.Name+".yaml")
		for _, g := range f.Groups {
			s.GroupEvalOrder = append(s.GroupEvalOrder, g.Name)
		}
	}
	if len(s.RuleFiles) == 0 {
		return fmt.Errorf("ruletests: %s: no rule file defines what it tests", s.path)
	}
	return nil
}

// reads returns the series names the rules of file i read, parsing the
// file once per Render: every suite asks, and a profile listing many
// services has thousands of rules.
func (b *builder) reads(i int) ([]string, error) {
	if b.readsOf == nil {
		b.readsOf = map[int][]string{}
	}
	if names, ok := b.readsOf[i]; ok {
		return names, nil
	}
	p := parser.NewParser(parser.Options{})
	seen := map[string]bool{}
	var names []string
	for _, g := range b.files[i].Groups {
		for _, r := range g.Rules {
			expr, err := p.ParseExpr(r.Expr)
			if err != nil {
				return nil, fmt.Errorf("ruletests: %s: %w", rName(r), err)
			}
			parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
				if vs, ok := n.(*parser.VectorSelector); ok && !seen[vs.Name] {
					seen[vs.Name] = true
					names = append(names, vs.Name)
				}
				return nil
			})
		}
	}
	b.readsOf[i] = names
	return names, nil
}

func rName(r rules.Rule) string {
	if r.Alert != "" {
		return r.Alert
	}
	return r.Record
}

// encode writes the suite under the generated-file header.
func encode(profileName string, s *suite) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("# " + render.Header(profileName) + "\n")
	for _, line := range strings.Split(s.comment, "\n") {
		buf.WriteString(strings.TrimRight("# "+line, " ") + "\n")
	}
	buf.WriteString("# Run from the profile folder: promtool test rules " + Dir + "/*.test.yaml\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
