package selector

import "testing"

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
