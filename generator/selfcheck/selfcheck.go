// Package selfcheck parses what meshslo is about to write with Prometheus's
// own rule loader, strictly, so a generator bug becomes an error instead of
// a committed file that Prometheus would refuse.
package selfcheck

import (
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// RuleFile checks a plain Prometheus rule file: every group and rule parses
// with rulefmt in strict mode (unknown fields are errors) and every
// expression with the PromQL parser.
func RuleFile(name string, content []byte) error {
	_, errs := rulefmt.Parse(content, false, model.UTF8Validation, parser.NewParser(parser.Options{}), quiet)
	if len(errs) > 0 {
		return fmt.Errorf("%s: generated rules do not parse: %w", name, errors.Join(errs...))
	}
	return nil
}

// Embedded checks the rule groups found at path inside a larger YAML
// document (a PrometheusRule's spec, a Helm values map).
func Embedded(name string, content []byte, path ...string) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(content, &doc); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	n := &doc
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	for _, key := range path {
		var next *yaml.Node
		for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return fmt.Errorf("%s: no %q in the document", name, key)
		}
		n = next
	}
	out, err := yaml.Marshal(n)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return RuleFile(name, out)
}
