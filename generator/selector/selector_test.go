package selector

import (
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

func TestParseBraces(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{`pod=~"istiod-[a-z0-9]{5}"`, true},
		{`app="a}b", job='x{'`, true},
		{`app="x\"}"`, true},
		{`{job="envoy"}`, false},
		{`app="x"} or vector(1) or {a="`, false},
	} {
		ms, err := Parse(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("Parse(%q) = %v, %v; want ok=%v", tc.in, ms, err, tc.ok)
		}
	}
}

// A matcher rendered for Grafana holds nothing Grafana substitutes ($name,
// ${name}, [[name]]), and Prometheus reads back the very value.
func TestGrafanaKeepsValuesFromVariables(t *testing.T) {
	for _, tc := range []struct{ value, want string }{
		{"prod", `cluster="prod"`},
		{"$namespace", `cluster="\x24namespace"`},
		{"${service:regex}-$__all", `cluster="\x24{service:regex}-\x24__all"`},
		{"[[slo]] [[[x]]]", `cluster="\x5b[slo]] \x5b\x5b[x]]]"`},
		{`a\$"[[`, `cluster="a\\\x24\"\x5b["`},
	} {
		ms := Matchers{Equal("cluster", tc.value), Regex("job", regexp.QuoteMeta(tc.value)+"$")}
		got := ms.Grafana()
		if first := strings.SplitN(got, ", ", 2)[0]; first != tc.want {
			t.Errorf("Grafana() of %q = %s, want %s", tc.value, first, tc.want)
		}
		if strings.Contains(got, "$") || strings.Contains(got, "[[") {
			t.Errorf("Grafana() of %q = %s: Grafana would substitute in it", tc.value, got)
		}
		back, err := parser.NewParser(parser.Options{}).ParseMetricSelector("{" + got + "}")
		if err != nil {
			t.Fatalf("%s: %v", got, err)
		}
		if back[0].Value != tc.value || back[1].Value != regexp.QuoteMeta(tc.value)+"$" || back[1].Type != labels.MatchRegexp {
			t.Errorf("%s reads back as %q and %q, want %q and %q", got, back[0].Value, back[1].Value, tc.value, regexp.QuoteMeta(tc.value)+"$")
		}
	}
}
