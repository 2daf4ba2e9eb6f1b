package generate_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"

	"github.com/meshslo/meshslo/generator/generate"
	"github.com/meshslo/meshslo/generator/profile"
)

// FuzzGenerate runs arbitrary bytes through the whole path a profile takes:
// load, validate and, when valid, generate. A valid profile must generate
// (Validate is the only gate), and what it generates must parse again with
// Prometheus's strict rule loader and keep every profile value inside its
// own matcher. Seeds: testdata/fuzz/FuzzGenerate, kept to inputs that
// reach different parts of the generator because every valid one costs a
// whole generation in make test (the encodings and the built-in profiles
// are FuzzLoad's and the golden test's); determinism is
// TestGenerateIsDeterministic's. Run it with make fuzz.
func FuzzGenerate(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		l, errs := profile.Load("fuzz.yaml", data)
		if l == nil || len(errs) > 0 {
			return // FuzzLoad owns the error properties
		}
		if len(l.Validate().Fatal(false)) > 0 {
			return
		}
		out, err := generate.Run(l.Profile, l.Origin, generate.Options{})
		if err != nil {
			t.Fatalf("a profile that passed validation does not generate: %v", err)
		}
		checkOutput(t, l.Profile, out)
	})
}

// checkOutput re-parses every generated rule file independently of
// generate.Run's own self-check.
func checkOutput(t *testing.T, p profile.Profile, out *generate.Output) {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, path := range out.Paths() {
		data := out.Files[path]
		if !strings.HasSuffix(path, ".yaml") {
			continue
		}
		var doc any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s is not YAML: %v", path, err)
		}
		if !strings.HasPrefix(path, "prometheus/") {
			continue
		}
		groups, errs := rulefmt.Parse(data, false, model.UTF8Validation, parser.NewParser(parser.Options{}), quiet)
		if len(errs) > 0 {
			t.Fatalf("%s does not parse: %v", path, errs)
		}
		for _, g := range groups.Groups {
			for _, r := range g.Rules {
				expr, err := parser.NewParser(parser.Options{}).ParseExpr(r.Expr)
				if err != nil {
					t.Fatalf("%s: %s: %v", path, r.Expr, err)
				}
				if name, ok := r.Labels["slo"]; ok && r.Record != "" {
					checkSLOMatchers(t, p, name, expr)
				}
			}
		}
	}
}

// checkSLOMatchers proves that every SLO selector value and the cluster
// value reach PromQL as the value of an equality matcher, whatever quotes,
// braces or PromQL they hold: each istio_* series the SLO reads carries a
// matcher with the raw value, and no other series sneaks in.
func checkSLOMatchers(t *testing.T, p profile.Profile, name string, expr parser.Expr) {
	t.Helper()
	var slo *profile.SLO
	for i := range p.Spec.SLOs {
		if p.Spec.SLOs[i].Name == name {
			slo = &p.Spec.SLOs[i]
		}
	}
	if slo == nil {
		t.Fatalf("recording rule for SLO %q, which the profile does not have", name)
	}
	want := map[string]string{}
	for k, v := range slo.Selector {
		want[k] = v
	}
	if c := p.Spec.Mesh.Cluster; c != "" {
		want[p.Spec.Mesh.ClusterLabel] = c
	}
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		vs, ok := node.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		if !strings.HasPrefix(vs.Name, "istio_") && !strings.HasPrefix(vs.Name, "slo:") {
			t.Errorf("SLO %s: unexpected series %s in %s", name, vs, expr)
		}
		if !strings.HasPrefix(vs.Name, "istio_") {
			return nil
		}
		for label, value := range want {
			if countEqual(vs.LabelMatchers, label, value) == 0 {
				t.Errorf("SLO %s: %s has no matcher %s=%q", slo.Name, vs, label, value)
			}
		}
		return nil
	})
}

func countEqual(ms []*labels.Matcher, name, value string) int {
	n := 0
	for _, m := range ms {
		if m.Name == name && m.Type == labels.MatchEqual && m.Value == value {
			n++
		}
	}
	return n
}
