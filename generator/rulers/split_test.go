package rulers

import (
	"strings"
	"testing"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/loader"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/profiles"
)

func builtin(t *testing.T, name string) []rules.File {
	t.Helper()
	l, errs := loader.Load(name)
	if l == nil || len(errs.Fatal(false)) > 0 {
		t.Fatalf("loading %s: %v", name, errs)
	}
	c, err := config.New(l.Profile)
	if err != nil {
		t.Fatal(err)
	}
	return rules.Build(c)
}

func rec(name, expr string) rules.Rule   { return rules.Rule{Record: name, Expr: expr} }
func alert(name, expr string) rules.Rule { return rules.Rule{Alert: name, Expr: expr} }

func TestReads(t *testing.T) {
	g, err := NewGraph([]rules.File{{Name: "f", Groups: []rules.Group{{Name: "g", Rules: []rules.Rule{
		rec("a", `sum(rate(raw_total[5m]))`),
		rec("b", `a + (a offset 5m or 0 * a) + max_over_time(c[1h] offset 1h) + sum_over_time((a)[30m:5m] offset 30m)`),
		alert("X", `{__name__="b"} > 1 unless absent(ALERTS{alertname="Y"})`),
	}}}}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]Read{}
	for _, n := range g.Nodes {
		got[name(n.Rule)] = n.Reads
	}
	want := map[string][]Read{
		"a": {{"raw_total", true}},
		"b": {{"a", true}, {"c", false}},
		"X": {{"ALERTS", true}, {"b", true}},
	}
	for k, w := range want {
		if strings.Join(show(got[k]), " ") != strings.Join(show(w), " ") {
			t.Errorf("%s reads %v, want %v", k, got[k], w)
		}
	}
	if !g.Nodes[0].Raw || !g.Nodes[1].Raw || g.Nodes[2].Raw {
		t.Errorf("raw: a %v (reads raw_total), b %v (reads c, which nothing records), X %v", g.Nodes[0].Raw, g.Nodes[1].Raw, g.Nodes[2].Raw)
	}
	if d := g.Depth(); d[0] != 0 || d[1] != 1 || d[2] != 2 {
		t.Errorf("depths %v, want [0 1 2]", d)
	}
	if _, err := NewGraph([]rules.File{{Name: "f", Groups: []rules.Group{{Name: "g", Rules: []rules.Rule{rec("a", `{job="x"}`)}}}}}); err == nil {
		t.Error("a selector without a metric name: no error")
	}
}

func show(rs []Read) []string {
	var out []string
	for _, r := range rs {
		s := r.Name
		if r.Now {
			s += "@now"
		}
		out = append(out, s)
	}
	return out
}

// A chain: raw -> t5 -> w1h (now) -> w1d (past only) -> alert (now on w1d
// and t5). The ruler may read w1h's past but not its present.
func TestSplitToy(t *testing.T) {
	files := []rules.File{{Name: "f", Groups: []rules.Group{{Name: "g", Rules: []rules.Rule{
		rec("t5", `sum(increase(raw_total[5m]))`),
		rec("w1h", `t5 + t5 offset 5m`),
		rec("w1d", `w1h offset 1h + w1h offset 2h`),
		rec("period", `w1d offset 1d + w1d offset 2d`),
		alert("Burn", `w1d > 1 and t5 > 0`),
		alert("Up", `up == 0`),
	}}}}}
	s, err := SplitFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	names := func(fs []rules.File) string {
		var out []string
		for _, f := range fs {
			for _, g := range f.Groups {
				for _, r := range g.Rules {
					out = append(out, name(r))
				}
			}
		}
		return strings.Join(out, " ")
	}
	// w1d is read now by Burn: local. w1d reads w1h (past): local reads
	// need their producers local too. period reads w1d only in the past
	// and nothing local reads it: the ruler's.
	if got := names(s.Local); got != "t5 w1h w1d Up" {
		t.Errorf("local: got %q, want %q", got, "t5 w1h w1d Up")
	}
	if got := names(s.Ruler); got != "period Burn" {
		t.Errorf("ruler: got %q, want %q", got, "period Burn")
	}
	if s.LocalRules+s.RulerRules != 6 {
		t.Errorf("%d + %d rules, want 6", s.LocalRules, s.RulerRules)
	}
}

// Every built-in profile splits with its promises held (SplitFiles checks
// them on the result), no rule lost or duplicated, and every alert that
// reads only recorded series on the ruler.
func TestSplitBuiltins(t *testing.T) {
	for _, p := range profiles.Names() {
		t.Run(p, func(t *testing.T) {
			files := builtin(t, p)
			s, err := SplitFiles(files)
			if err != nil {
				t.Fatal(err)
			}
			total := 0
			for _, f := range files {
				for _, g := range f.Groups {
					total += len(g.Rules)
				}
			}
			if s.LocalRules+s.RulerRules != total || count(s.Local)+count(s.Ruler) != total {
				t.Fatalf("%d local + %d ruler rules, want %d", s.LocalRules, s.RulerRules, total)
			}
			g, _ := NewGraph(files)
			onRuler := map[string]bool{}
			for _, f := range s.Ruler {
				for _, gr := range f.Groups {
					for _, r := range gr.Rules {
						onRuler[gr.Name+"/"+name(r)+"/"+r.Expr] = true
					}
				}
			}
			for _, n := range g.Nodes {
				gr := files[n.Ref.File].Groups[n.Ref.Group]
				if n.Rule.Alert != "" && !n.Raw && !onRuler[gr.Name+"/"+name(n.Rule)+"/"+n.Rule.Expr] {
					t.Errorf("alert %s reads only recorded series but stayed local", n.Rule.Alert)
				}
			}
			t.Logf("%s: %d rules local, %d on the ruler", p, s.LocalRules, s.RulerRules)
		})
	}
}

func count(fs []rules.File) int {
	n := 0
	for _, f := range fs {
		for _, g := range f.Groups {
			n += len(g.Rules)
		}
	}
	return n
}

func TestPartialResponse(t *testing.T) {
	g := func(rs ...rules.Rule) rules.Group { return rules.Group{Name: "g", Rules: rs} }
	for _, tc := range []struct {
		name    string
		group   rules.Group
		cluster string
		want    string
	}{
		{"alerts abort", g(rec("a", `sum by (cluster) (x)`), alert("A", `a > 1`)), "cluster", PartialAbort},
		{"recordings keeping the cluster warn", g(rec("a", `sum by (cluster, svc) (x)`), rec("b", `a / on (cluster, svc) c`), rec("k", `0 * a + 1`)), "cluster", PartialWarn},
		{"without() not dropping it warns", g(rec("a", `sum without (pod) (x)`)), "cluster", PartialWarn},
		{"an aggregation dropping it aborts", g(rec("a", `sum by (svc) (x)`)), "cluster", PartialAbort},
		{"without(cluster) aborts", g(rec("a", `sum without (cluster) (x)`)), "cluster", PartialAbort},
		{"on() without it aborts", g(rec("a", `x / on (svc) y`)), "cluster", PartialAbort},
		{"absent aborts", g(rec("a", `absent(x)`)), "cluster", PartialAbort},
		{"no cluster label aborts", g(rec("a", `sum by (svc) (x)`)), "", PartialAbort},
	} {
		if got, why := PartialResponse(tc.group, tc.cluster); got != tc.want {
			t.Errorf("%s: %s (%s), want %s", tc.name, got, why, tc.want)
		}
	}
}
