package render

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/generator/selfcheck"
)

// Built is one profile built as data: what every output file is rendered
// from. Package generate makes it; nothing here builds rules or dashboards.
type Built struct {
	Config *config.Config
	Origin config.Origin
	Rules  []rules.File
	// Dashboards are the evaluated and checked dashboards.
	Dashboards []GrafanaDashboard
	// Tests are the generated promtool unit test files, by path.
	Tests map[string][]byte
}

// File is one rendered output, its path relative to <out>/<profile>/.
type File struct {
	Path string
	Data []byte
}

// Output is one row of the output table: a file, or a folder of files
// when Path ends in "/", what it is (for the README), and how it renders.
type Output struct {
	Path string
	What string
	// Render returns the row's files; paths are those rendered before it
	// (the README lists them, sorted, and itself last).
	Render func(b *Built, paths []string) ([]File, error)
}

// Output paths other packages name.
const (
	PrometheusRulePath = "kubernetes/prometheusrule.yaml"
	HelmValuesPath     = "helm/kube-prometheus-stack.values.yaml"
	ConfigMapsPath     = "kubernetes/grafana-dashboards.yaml"
	MonitorsPath       = "kubernetes/monitors.yaml"
	READMEPath         = "README.md"
)

// RuleFilePath is where a rule file is written.
func RuleFilePath(f rules.File) string { return "prometheus/" + f.Name + ".yaml" }

// DashboardPath is where a dashboard's JSON is written.
func DashboardPath(name string) string { return "dashboards/" + name + ".json" }

// Outputs is every file meshslo writes for a profile, in render order. A
// new output format is one row here and its renderer. (Set in init: the
// README renderer describes files from this table.)
var Outputs []Output

func init() { Outputs = outputs() }

func outputs() []Output {
	return append([]Output{
		{"prometheus/", "Prometheus rule file", renderRuleFiles}}, append(rulerOutputs(), []Output{
		{PrometheusRulePath, "PrometheusRule resource (Prometheus Operator)", one(PrometheusRulePath, func(b *Built) ([]byte, error) {
			return PrometheusRule(b.Config, b.Rules)
		})},
		{MonitorsPath, "ServiceMonitor and PodMonitor (Prometheus Operator): scrape targets for istiod and the proxies", func(b *Built, _ []string) ([]File, error) {
			if !GeneratesMonitors(b.Config) {
				return nil, nil
			}
			data, err := MonitorsYAML(b.Config)
			if err != nil {
				return nil, fmt.Errorf("rendering %s: %w", MonitorsPath, err)
			}
			return []File{{MonitorsPath, data}}, nil
		}},
		{"alertmanager/", "Alertmanager configuration: routes, inhibition, maintenance windows", func(b *Built, _ []string) ([]File, error) {
			am, err := AlertmanagerYAML(b.Config, b.Rules)
			if err != nil {
				return nil, fmt.Errorf("rendering %s: %w", AlertmanagerPath, err)
			}
			amc, err := AlertmanagerConfigYAML(b.Config, b.Rules)
			if err != nil {
				return nil, fmt.Errorf("rendering %s: %w", AlertmanagerConfigPath, err)
			}
			return []File{{AlertmanagerPath, am}, {AlertmanagerConfigPath, amc}}, nil
		}},
		{HelmValuesPath, "kube-prometheus-stack values", one(HelmValuesPath, func(b *Built) ([]byte, error) {
			return HelmValues(b.Config, b.Rules, b.Dashboards...)
		})},
		{"tests/", "promtool unit tests for the rules", func(b *Built, _ []string) ([]File, error) {
			return sortedFiles(b.Tests), nil
		}},
		{"dashboards/", "Grafana dashboard", func(b *Built, _ []string) ([]File, error) {
			var out []File
			for _, d := range b.Dashboards {
				out = append(out, File{DashboardPath(d.Name), d.JSON})
			}
			return out, nil
		}},
		{ConfigMapsPath, "Kubernetes resources", one(ConfigMapsPath, func(b *Built) ([]byte, error) {
			return ConfigMaps(b.Config, b.Dashboards)
		})},
		{config.RunbooksDir + "/", "runbook of each alert, linked from its runbook_url unless spec.prometheus.runbookBaseURL is set", renderRunbooks},
		{READMEPath, "this file", func(b *Built, paths []string) ([]File, error) {
			all := append([]string(nil), paths...)
			sort.Strings(all)
			all = append(all, READMEPath)
			return []File{{READMEPath, README(b.Config, b.Origin, b.Rules, all)}}, nil
		}},
	}...)...)
}

// Files renders every row of Outputs for the build.
func Files(b *Built) ([]File, error) {
	var out []File
	var paths []string
	for _, o := range Outputs {
		files, err := o.Render(b, paths)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if row := OutputOf(f.Path); row == nil || row.Path != o.Path {
				return nil, fmt.Errorf("output %s rendered %s, which is not its path", o.Path, f.Path)
			}
			paths = append(paths, f.Path)
		}
		out = append(out, files...)
	}
	return out, nil
}

// OutputOf returns the row a file path belongs to, or nil.
func OutputOf(p string) *Output {
	for i, o := range Outputs {
		if o.Path == p || (strings.HasSuffix(o.Path, "/") && strings.HasPrefix(p, o.Path) && path.Clean(p) == p) {
			return &Outputs[i]
		}
	}
	return nil
}

func one(p string, f func(b *Built) ([]byte, error)) func(*Built, []string) ([]File, error) {
	return func(b *Built, _ []string) ([]File, error) {
		data, err := f(b)
		if err != nil {
			return nil, fmt.Errorf("rendering %s: %w", p, err)
		}
		return []File{{p, data}}, nil
	}
}

// renderRuleFiles renders each concern's rule file and checks it with
// Prometheus's own parsers (rulefmt strict, PromQL). The PrometheusRule and
// Helm values embed the very group nodes checked here; parsing them again
// in each wrapper cost a fifth of a large profile's run, and the tests run
// promtool on every format.
func renderRuleFiles(b *Built, _ []string) ([]File, error) {
	var out []File
	for _, f := range b.Rules {
		p := RuleFilePath(f)
		data, err := RuleFile(b.Config, f)
		if err != nil {
			return nil, fmt.Errorf("rendering %s: %w", p, err)
		}
		if err := selfcheck.RuleFile(p, data); err != nil {
			return nil, err
		}
		out = append(out, File{p, data})
	}
	return out, nil
}

func sortedFiles(m map[string][]byte) []File {
	paths := make([]string, 0, len(m))
	for p := range m {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	out := make([]File, len(paths))
	for i, p := range paths {
		out[i] = File{p, m[p]}
	}
	return out
}

// describeFile says what a file is, from its row of Outputs.
func describeFile(p string) string {
	if o := OutputOf(p); o != nil {
		return o.What
	}
	return "this file"
}
