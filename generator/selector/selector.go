// Package selector turns user-written label matchers and label values into
// PromQL matchers that are always quoted and escaped by Prometheus's own
// code, so nothing a profile says is pasted into an expression as text.
package selector

import (
	"fmt"
	"sort"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// Matchers is a list of label matchers that renders in a stable order.
type Matchers []*labels.Matcher

// Parse reads matchers written as they stand inside braces, such as
// `app="istiod", job=~"pilot|istiod"`. An empty string is no matchers.
func Parse(s string) (Matchers, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	if braceOutsideQuotes(s) {
		return nil, fmt.Errorf("expected label matchers without braces, such as app=\"istiod\", got %q", s)
	}
	ms, err := parser.NewParser(parser.Options{}).ParseMetricSelector("{" + s + "}")
	if err != nil {
		return nil, fmt.Errorf("expected label matchers such as app=\"istiod\", got %q: %v", s, firstLine(err.Error()))
	}
	for _, m := range ms {
		if m.Name == labels.MetricName {
			return nil, fmt.Errorf("selector %q must not match the metric name; it is added to several metrics", s)
		}
	}
	return Matchers(ms), nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Equal builds name="value" with value escaped by Prometheus's own quoting.
func Equal(name, value string) *labels.Matcher {
	return labels.MustNewMatcher(labels.MatchEqual, name, value)
}

// NotEqual builds name!="value".
func NotEqual(name, value string) *labels.Matcher {
	return labels.MustNewMatcher(labels.MatchNotEqual, name, value)
}

// FromMap builds equality matchers from a label map, sorted by name.
func FromMap(m map[string]string) Matchers {
	var out Matchers
	for k, v := range m {
		out = append(out, Equal(k, v))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// With returns a new list: ms followed by more.
func (ms Matchers) With(more ...*labels.Matcher) Matchers {
	out := make(Matchers, 0, len(ms)+len(more))
	out = append(out, ms...)
	return append(out, more...)
}

// String renders matchers comma-separated, without braces.
func (ms Matchers) String() string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.String()
	}
	return strings.Join(parts, ", ")
}

// Grafana renders matchers, as String does, for a query in a Grafana
// dashboard. Grafana replaces $name, ${name} and [[name]] in a query with
// a variable's value before Prometheus sees it, inside string literals as
// well, so a value holding "$namespace" would select what the variable
// holds. PromQL string literals take Go's escapes: every '$' is written
// \x24 and a '[' before another '[' \x5b, which Grafana leaves alone and
// Prometheus reads back as the same value. Outside quotes a rendered
// matcher holds no '$' or '['. Rules keep String: Prometheus does no such
// substitution.
func (ms Matchers) Grafana() string { return GrafanaQuoted(ms.String()) }

var grafanaEscapes = strings.NewReplacer("$", `\x24`, "[[", `\x5b[`)

// GrafanaQuoted rewrites PromQL text for a Grafana query as Matchers.Grafana
// does; every '$' and '[' of s must stand inside a
// double-quoted string literal (or s be the inside of one).
func GrafanaQuoted(s string) string {
	// "[[[" must become \x5b\x5b[: replace until no "[[" is left.
	for strings.Contains(s, "$") || strings.Contains(s, "[[") {
		s = grafanaEscapes.Replace(s)
	}
	return s
}

// Metric renders a vector selector: name{matchers}.
func (ms Matchers) Metric(name string) string {
	if len(ms) == 0 {
		return name
	}
	return name + "{" + ms.String() + "}"
}

// ValidLabelName reports whether s may be used as a label name.
func ValidLabelName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// Regex builds name=~"re"; re must be a valid regular expression.
func Regex(name, re string) *labels.Matcher {
	return labels.MustNewMatcher(labels.MatchRegexp, name, re)
}

// NotRegex builds name!~"re"; re must be a valid regular expression.
func NotRegex(name, re string) *labels.Matcher {
	return labels.MustNewMatcher(labels.MatchNotRegexp, name, re)
}

// braceOutsideQuotes reports a { or } that is not inside a quoted value:
// matchers are written without braces, while a regular expression such as
// "[a-z]{5}" may hold them.
func braceOutsideQuotes(s string) bool {
	var quote rune
	escaped := false
	for _, r := range s {
		switch {
		case escaped:
			escaped = false
		case quote != 0 && r == '\\' && quote != '`':
			escaped = true
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
		case r == '"' || r == '\'' || r == '`':
			quote = r
		case r == '{' || r == '}':
			return true
		}
	}
	return false
}

// Negate returns the matcher that matches exactly the values m does not.
func Negate(m *labels.Matcher) *labels.Matcher {
	t := map[labels.MatchType]labels.MatchType{
		labels.MatchEqual: labels.MatchNotEqual, labels.MatchNotEqual: labels.MatchEqual,
		labels.MatchRegexp: labels.MatchNotRegexp, labels.MatchNotRegexp: labels.MatchRegexp,
	}[m.Type]
	return labels.MustNewMatcher(t, m.Name, m.Value)
}
