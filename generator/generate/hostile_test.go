package generate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/template/parse"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql"
	promtemplate "github.com/prometheus/prometheus/template"
	"gopkg.in/yaml.v3"

	"github.com/meshslo/meshslo/generator/generate"
	"github.com/meshslo/meshslo/generator/loader"
	"github.com/meshslo/meshslo/generator/profile"
)

// Values that act if pasted into one of the contexts profile text reaches:
// Prometheus templates (annotations and alert labels are expanded at alert
// time), Markdown and HTML (the README), Grafana (which substitutes
// variables in dashboard text and queries).
var hostileStrings = []string{
	`{{ range query "up" }}x{{ end }}`,
	`{{"up"|query|first|value}}`,
	`x{{define "t"}}{{end}}{{template "t"}}`,
	`x{`,
	`</a><script>alert(1)</script>`,
	`](javascript:alert(1))`,
	`[click](javascript:alert(1)) ![i](http://x.example/i.png) <http://x.example>`,
	`$__all ${namespace} $namespace [[service]]`,
	"`a` ``b`` ```",
	"- list\n# heading\n<b>bold</b>",
	`\ & &amp; &lt; *em* _em_ | cell`,
}

// A stringField is a string of the profile and how to set it; path is the
// field Validate names when it refuses the value.
type stringField struct {
	path string
	set  func(p *profile.Profile, v string)
}

var stringFields = []stringField{
	{"metadata.name", func(p *profile.Profile, v string) { p.Metadata.Name = v }},
	{"metadata.description", func(p *profile.Profile, v string) { p.Metadata.Description = v }},
	{"spec.environment", func(p *profile.Profile, v string) { p.Spec.Environment = v }},
	{"spec.size", func(p *profile.Profile, v string) { p.Spec.Size = v }},
	{"spec.mesh.cluster", func(p *profile.Profile, v string) { p.Spec.Mesh.Cluster = v }},
	{"spec.mesh.clusterLabel", func(p *profile.Profile, v string) { p.Spec.Mesh.ClusterLabel = v }},
	{"spec.prometheus.selectors.istiod", func(p *profile.Profile, v string) {
		p.Spec.Prometheus.Selectors.Istiod = `app="istiod", version=` + strconv.Quote(v)
	}},
	{"spec.prometheus.selectors.proxies", func(p *profile.Profile, v string) { p.Spec.Prometheus.Selectors.Proxies = "job=" + strconv.Quote(v) }},
	{"spec.prometheus.selectors.cadvisor", func(p *profile.Profile, v string) { p.Spec.Prometheus.Selectors.Cadvisor = "job=" + strconv.Quote(v) }},
	{"spec.prometheus.selectors.kubeStateMetrics", func(p *profile.Profile, v string) {
		p.Spec.Prometheus.Selectors.KubeStateMetrics = "job=" + strconv.Quote(v)
	}},
	{"spec.prometheus.selectors.requests", func(p *profile.Profile, v string) {
		p.Spec.Prometheus.Selectors.Requests = "source_workload=" + strconv.Quote(v)
	}},
	{"spec.prometheus.ruleLabels", func(p *profile.Profile, v string) { p.Spec.Prometheus.RuleLabels[v] = "x" }},
	{"spec.prometheus.ruleLabels", func(p *profile.Profile, v string) { p.Spec.Prometheus.RuleLabels["team"] = v }},
	{"spec.prometheus.namespace", func(p *profile.Profile, v string) { p.Spec.Prometheus.Namespace = v }},
	{"spec.prometheus.runbookBaseURL", func(p *profile.Profile, v string) {
		p.Spec.Prometheus.RunbookBaseURL = runbookHost + "/" + v
	}},
	{"spec.slos[0].name", func(p *profile.Profile, v string) { p.Spec.SLOs[0].Name = v }},
	{"spec.slos[0].sli", func(p *profile.Profile, v string) { p.Spec.SLOs[0].SLI = v }},
	{"spec.slos[0].selector", func(p *profile.Profile, v string) { p.Spec.SLOs[0].Selector[v] = "x" }},
	{"spec.slos[0].selector", func(p *profile.Profile, v string) { p.Spec.SLOs[0].Selector["destination_workload"] = v }},
	{"spec.slos[0].matchers", func(p *profile.Profile, v string) { p.Spec.SLOs[0].Matchers = "source_workload!=" + strconv.Quote(v) }},
	{"spec.slos[0].exclude[0]", func(p *profile.Profile, v string) {
		p.Spec.SLOs[0].Exclude = []string{"source_workload=" + strconv.Quote(v) + `, request_protocol="grpc"`}
	}},
	{"spec.slos[0].labels", func(p *profile.Profile, v string) { p.Spec.SLOs[0].Labels = map[string]string{"team": v} }},
	{"spec.slos[0].annotations", func(p *profile.Profile, v string) { p.Spec.SLOs[0].Annotations = map[string]string{"chat": v} }},
	{"spec.slos[1].services[0].namespace", func(p *profile.Profile, v string) { p.Spec.SLOs[1].Services[0].Namespace = v }},
	{"spec.slos[1].services[0].name", func(p *profile.Profile, v string) { p.Spec.SLOs[1].Services[0].Name = v }},
	{"spec.burnRates[0].severity", func(p *profile.Profile, v string) { p.Spec.BurnRates[0].Severity = v }},
}

const runbookHost = "https://runbooks.example"

// plainProfile is a valid profile with every kind of string the fields
// above set: an SLO with a selector and one that lists a service.
func plainProfile(t *testing.T) profile.Profile {
	t.Helper()
	p := profile.Defaults("small")
	p.Metadata.Name = "hostile"
	p.Spec.Mesh.Cluster = "prod"
	p.Spec.Prometheus.RunbookBaseURL = runbookHost + "/runbooks"
	p.Spec.Prometheus.RuleLabels = map[string]string{"release": "kube-prometheus-stack"}
	p.Spec.SLOs[0].Selector = map[string]string{"destination_workload": "web"}
	p.Spec.SLOs[1].Services = []profile.Service{{Namespace: "shop", Name: "cart"}}
	if errs := profile.Validate(&p).Fatal(false); len(errs) > 0 {
		t.Fatalf("plain profile: %v", errs)
	}
	return p
}

// Every string field of a profile, set to values that act in an output
// context, is either refused by Validate (naming the field) or reaches each
// context inert: annotations and alert labels hold only meshslo's own
// template actions and never run a query, the README holds no HTML tag or
// link from the profile, and dashboards no '$' or "[[" from it.
func TestHostileStringsAreRefusedOrInert(t *testing.T) {
	allowed := ownTemplateActions(t)
	urlTested := false
	values := hostileStrings
	if testing.Short() {
		// One per context: a template, Markdown links and HTML, Grafana.
		values = []string{hostileStrings[1], hostileStrings[6], hostileStrings[7]}
	}
	for _, v := range values {
		t.Run(strconv.Quote(v), func(t *testing.T) {
			// Which fields take v? Each on its own, so a refusal names it.
			var accepted []stringField
			var refused []string
			for _, f := range stringFields {
				p := plainProfile(t)
				f.set(&p, v)
				errs := profile.Validate(&p).Fatal(false)
				if len(errs) == 0 {
					accepted = append(accepted, f)
					urlTested = urlTested || f.path == "spec.prometheus.runbookBaseURL" && strings.Contains(v, "{{")
					continue
				}
				for _, e := range errs {
					if !strings.HasPrefix(e.Field, f.path) {
						t.Fatalf("setting %s to %q: error on another field: %v", f.path, v, e)
					}
				}
				refused = append(refused, f.path)
			}
			t.Logf("refused by %v", refused)
			// All of them at once, and a twin with no '$' or '[' in v:
			// every '$' and "[[" the twin's dashboards lack came from v.
			twinValue := strings.NewReplacer("$", "S", "[", "(").Replace(v)
			gen := func(v string) (*generate.Output, profile.Profile) {
				p := plainProfile(t)
				for _, f := range accepted {
					f.set(&p, v)
				}
				if errs := profile.Validate(&p).Fatal(false); len(errs) > 0 {
					t.Fatalf("fields accepted one by one are refused together: %v", errs)
				}
				out, err := generate.Run(p, func(string) string { return "test" }, generate.Options{})
				if err != nil {
					t.Fatalf("a profile that passed validation does not generate: %v", err)
				}
				return out, p
			}
			out, p := gen(v)
			twin := out
			if twinValue != v {
				twin, _ = gen(twinValue)
			}
			runbook := slices.ContainsFunc(accepted, func(f stringField) bool { return f.path == "spec.prometheus.runbookBaseURL" })
			for _, path := range out.Paths() {
				data := out.Files[path]
				switch {
				case strings.HasSuffix(path, ".yaml"):
					var doc any
					if err := yaml.Unmarshal(data, &doc); err != nil {
						t.Fatalf("%s: %v", path, err)
					}
					checkAlertTemplates(t, path, doc, allowed, runbook, v)
				case path == "README.md":
					checkReadme(t, string(data), p)
				}
				got, want := dashboardSpecials(t, path, data), dashboardSpecials(t, path, twin.Files[path])
				if got != want {
					t.Errorf("%s: dashboards hold %d '$' and \"[[\", the twin without them in the profile %d: Grafana would substitute profile text",
						path, got, want)
				}
			}
		})
	}
	if !urlTested {
		// Validate refuses braces in the URL (they cannot stand in one);
		// the annotations must stay inert even past validation, so build
		// such a profile without it.
		v := `{{range(query"up")}}x{{end}}`
		p := plainProfile(t)
		p.Spec.Prometheus.RunbookBaseURL = runbookHost + "/" + v
		out, err := generate.Run(p, nil, generate.Options{NoTests: true})
		if err != nil {
			t.Fatalf("a runbook URL with braces, past validation: %v", err)
		}
		checked := 0
		for _, path := range out.Paths() {
			if strings.HasSuffix(path, ".yaml") {
				var doc any
				if err := yaml.Unmarshal(out.Files[path], &doc); err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				checkAlertTemplates(t, path, doc, allowed, true, v)
				checked++
			}
		}
		if checked == 0 {
			t.Fatal("no rule file checked")
		}
	}
}

// ownTemplateActions are the template actions of the built-in medium
// profile's annotations and labels: meshslo's own.
func ownTemplateActions(t *testing.T) map[string]bool {
	t.Helper()
	l, errs := loader.Load("medium")
	if l == nil || len(errs.Fatal(true)) > 0 {
		t.Fatalf("medium: %v", errs)
	}
	out, err := generate.Run(l.Profile, l.Origin, generate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(out.Files["kubernetes/prometheusrule.yaml"], &doc); err != nil {
		t.Fatal(err)
	}
	actions := map[string]bool{}
	for _, a := range alertsIn(doc) {
		for _, text := range templated(a) {
			tree, err := parseTemplate(text)
			if err != nil {
				t.Fatalf("medium: %v", err)
			}
			for _, n := range tree.Root.Nodes {
				if n.Type() == parse.NodeAction {
					actions[n.String()] = true
				}
			}
		}
	}
	if len(actions) < 5 {
		t.Fatalf("only %d template actions in the medium profile's alerts: %v", len(actions), actions)
	}
	return actions
}

// Prometheus prepends these to every annotation and alert label it expands.
const templateDefs = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"

func parseTemplate(text string) (*parse.Tree, error) {
	tree := parse.New("t")
	tree.Mode = parse.SkipFuncCheck
	set := map[string]*parse.Tree{}
	if _, err := tree.Parse(templateDefs+text, "", "", set); err != nil {
		return nil, err
	}
	if len(set) != 1 {
		return nil, fmt.Errorf("defines templates: %v", slices.Collect(maps.Keys(set)))
	}
	return tree, nil
}

// alertsIn returns every alerting rule (a map with an alert key) in doc.
func alertsIn(doc any) []map[string]any {
	var out []map[string]any
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if _, ok := v["alert"]; ok {
				out = append(out, v)
				return
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	return out
}

// templated returns the texts of an alerting rule that Prometheus expands:
// its labels and annotations, by "labels.name" or "annotations.name".
func templated(rule map[string]any) map[string]string {
	out := map[string]string{}
	for _, key := range []string{"labels", "annotations"} {
		m, _ := rule[key].(map[string]any)
		for k, v := range m {
			s, _ := v.(string)
			out[key+"."+k] = s
		}
	}
	return out
}

func checkAlertTemplates(t *testing.T, path string, doc any, allowed map[string]bool, runbook bool, v string) {
	t.Helper()
	for _, rule := range alertsIn(doc) {
		alert, _ := rule["alert"].(string)
		for key, text := range templated(rule) {
			where := fmt.Sprintf("%s: %s %s", path, alert, key)
			tree, err := parseTemplate(text)
			if err != nil {
				t.Errorf("%s does not parse as a template: %v\n%s", where, err, text)
				continue
			}
			for _, n := range tree.Root.Nodes {
				switch n.Type() {
				case parse.NodeText:
				case parse.NodeAction:
					if !allowed[n.String()] && !stringLiteral(n.(*parse.ActionNode)) {
						t.Errorf("%s runs a template action meshslo does not write: %s\n%s", where, n, text)
					}
				default:
					t.Errorf("%s holds a %s, which meshslo does not write:\n%s", where, n, text)
				}
			}
			got, err := expand(text, func(q string) {
				t.Errorf("%s ran the query %q", where, q)
			})
			if err != nil {
				t.Errorf("%s: Prometheus cannot expand it: %v", where, err)
			}
			if key == "annotations.runbook_url" && runbook {
				u, err := url.Parse(got)
				want := "/" + v + "/" + alert + ".md"
				if err != nil || u.Scheme+"://"+u.Host != runbookHost || u.Path != want {
					t.Errorf("%s is %q (path %q, %v), want the profile's URL with path %q", where, got, u.Path, err, want)
				}
			}
		}
	}
}

// stringLiteral reports an action that prints one string constant.
func stringLiteral(a *parse.ActionNode) bool {
	cmds := a.Pipe.Cmds
	if len(a.Pipe.Decl) > 0 || len(cmds) != 1 || len(cmds[0].Args) != 1 {
		return false
	}
	_, ok := cmds[0].Args[0].(*parse.StringNode)
	return ok
}

// expand runs text through Prometheus's own template engine as an alert
// would, calling ran for every query it makes.
func expand(text string, ran func(q string)) (string, error) {
	query := func(_ context.Context, q string, _ time.Time) (promql.Vector, error) {
		ran(q)
		return nil, fmt.Errorf("no queries here")
	}
	data := promtemplate.AlertTemplateData(map[string]string{"namespace": "ns", "pod": "p"}, nil, "", promql.Sample{F: 1})
	e := promtemplate.NewTemplateExpander(context.Background(), templateDefs+text, "__alert_test", data,
		model.Time(0), query, nil, nil)
	return e.Expand()
}

var runbookLinkRe = regexp.MustCompile(`^` + regexp.QuoteMeta(runbookHost) + `/[A-Za-z0-9%\-._~!$&+,;=:@/*]*/[A-Za-z]+\.md$`)

func checkReadme(t *testing.T, readme string, p profile.Profile) {
	t.Helper()
	lines := strings.Split(readme, "\n")
	for i, line := range lines {
		if i == 0 {
			continue // the generated-file comment
		}
		targets, tags := scanMarkdown(line)
		for _, tag := range tags {
			t.Errorf("README.md:%d: HTML tag %s:\n%s", i+1, tag, line)
		}
		for _, target := range targets {
			if !runbookLinkRe.MatchString(target) {
				t.Errorf("README.md:%d: link to %q, not a runbook:\n%s", i+1, target, line)
			}
		}
	}
	if d := p.Metadata.Description; d != "" {
		want := strings.Join(strings.Fields(d), " ")
		if got := unescapeMarkdown(lines[4]); got != want {
			t.Errorf("README.md:5 reads %q, want the description %q", got, want)
		}
	}
}

// scanMarkdown reads one line as CommonMark inline text and returns the
// targets of its links and images and its raw HTML tags and autolinks,
// outside code spans and backslash escapes.
func scanMarkdown(line string) (targets, tags []string) {
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && i+1 < len(line) && strings.IndexByte("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", line[i+1]) >= 0:
			i++
		case c == '`':
			n := 1
			for i+n < len(line) && line[i+n] == '`' {
				n++
			}
			fence := strings.Repeat("`", n)
			// The span closes at the next run of exactly n backticks.
			end := -1
			for j := i + n; j < len(line); {
				k := strings.Index(line[j:], fence)
				if k < 0 {
					break
				}
				k += j
				m := k + n
				for m < len(line) && line[m] == '`' {
					m++
				}
				if m-k == n {
					end = m
					break
				}
				j = m
			}
			if end > 0 {
				i = end - 1
			} else {
				i += n - 1
			}
		case c == '<' && i+1 < len(line) && (isLetter(line[i+1]) || strings.IndexByte("/!?", line[i+1]) >= 0):
			end := strings.IndexByte(line[i:], '>')
			if end < 0 {
				end = len(line) - i - 1
			}
			tags = append(tags, line[i:i+end+1])
		case c == ']' && i+1 < len(line) && line[i+1] == '(':
			depth, j := 0, i+2
			for ; j < len(line); j++ {
				if line[j] == '(' {
					depth++
				} else if line[j] == ')' {
					if depth == 0 {
						break
					}
					depth--
				}
			}
			targets = append(targets, line[i+2:j])
		}
	}
	return targets, tags
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// unescapeMarkdown is what a line of escaped text renders as.
func unescapeMarkdown(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return html.UnescapeString(b.String())
}

// dashboardSpecials counts what Grafana substitutes ('$' and "[[") in the
// dashboards of a generated file: a dashboard file, or the JSON strings a
// YAML file carries dashboards in.
func dashboardSpecials(t *testing.T, path string, data []byte) int {
	t.Helper()
	count := func(s string) int { return strings.Count(s, "$") + strings.Count(s, "[[") }
	switch {
	case strings.HasSuffix(path, ".json"):
		return count(string(data))
	case strings.HasSuffix(path, ".yaml"):
		var doc any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		n := 0
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				for _, x := range v {
					walk(x)
				}
			case []any:
				for _, x := range v {
					walk(x)
				}
			case string:
				if json.Valid([]byte(v)) && strings.HasPrefix(v, "{") {
					n += count(v)
				}
			}
		}
		walk(doc)
		return n
	}
	return 0
}
