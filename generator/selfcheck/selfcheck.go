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
