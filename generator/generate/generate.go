// Package generate runs the whole pipeline for one profile: derive the
// config, build the rules, render every output format and check the result
// with Prometheus's own parsers before anything is written.
package generate

import (
	"fmt"
	"sort"

	"github.com/meshslo/meshslo/dashboards"
	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/render"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/generator/ruletests"
	"github.com/meshslo/meshslo/generator/selfcheck"
)

// Output is everything generated for one profile: file contents by path
// relative to <out>/<profile>/.
type Output struct {
	Profile string
	Files   map[string][]byte
}

// Paths returns the output's file paths in sorted order.
func (o *Output) Paths() []string {
	paths := make([]string, 0, len(o.Files))
	for p := range o.Files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// Extra renders more files from the same config (tests, dashboards); each
// returns paths relative to the profile folder.
type Extra func(c *config.Config, files []rules.File) (map[string][]byte, error)

// extras are the renderers beyond the rule formats that every run includes.
var extras = []Extra{dashboards.Files, ruletests.Render}

// Run generates every file for a validated profile. origin says where each
// profile field came from, for the README.
func Run(p profile.Profile, origin config.Origin) (*Output, error) {
	c, err := config.New(p)
	if err != nil {
		return nil, err
	}
	ruleFiles := rules.Build(c)
	out := &Output{Profile: p.Metadata.Name, Files: map[string][]byte{}}
	add := func(path string, data []byte, err error) error {
		if err != nil {
			return fmt.Errorf("rendering %s: %w", path, err)
		}
		out.Files[path] = data
		return nil
	}
	for _, f := range ruleFiles {
		path := "prometheus/" + f.Name + ".yaml"
		data, err := render.RuleFile(c, f)
		if err := add(path, data, err); err != nil {
			return nil, err
		}
		if err := selfcheck.RuleFile(path, data); err != nil {
			return nil, err
		}
	}
	// The PrometheusRule and the Helm values embed the very group nodes the
	// rule files were rendered from, and every one of those groups has just
	// passed the strict check above; parsing them again in each wrapper cost
	// a fifth of a large profile's run. Tests run promtool on all formats.
	pr, err := render.PrometheusRule(c, ruleFiles)
	if err := add("kubernetes/prometheusrule.yaml", pr, err); err != nil {
		return nil, err
	}
	for _, extra := range extras {
		files, err := extra(c, ruleFiles)
		if err != nil {
			return nil, err
		}
		for path, data := range files {
			out.Files[path] = data
		}
	}
	// The dashboards extra writes the Helm values with its dashboards
	// (and checks them); rendering and checking the rules-only version
	// first would only be thrown away, at a fifth of a large profile's time.
	const helmPath = "helm/kube-prometheus-stack.values.yaml"
	if _, done := out.Files[helmPath]; !done {
		hv, err := render.HelmValues(c, ruleFiles)
		if err := add(helmPath, hv, err); err != nil {
			return nil, err
		}
	}
	out.Files["README.md"] = render.README(c, origin, append(out.Paths(), "README.md"))
	return out, nil
}
