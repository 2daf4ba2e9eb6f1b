package generate_test

// Completeness: every piece an alert needs beside its rule exists and
// agrees with its descriptor (rules.Descriptors). A contributor who adds
// an alert and forgets a piece gets a failure that names the piece.

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/meshslo/meshslo/generator/internal/golden"
	"github.com/meshslo/meshslo/generator/promqltest"
	"github.com/meshslo/meshslo/generator/render"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/profiles"
)

const runbookDir = "../../docs/runbooks"

// Every alerting rule is built from its descriptor's thresholds, in order,
// with the descriptor's severity and hold, and compares against the
// threshold's Value; every descriptor yields at least one rule.
func TestRulesFollowTheirDescriptors(t *testing.T) {
	for _, b := range builds(t) {
		name := b.Config.Profile.Metadata.Name
		got := map[string][]rules.Rule{}
		for _, r := range rules.Alerts(b.Rules) {
			if r.Threshold == nil {
				t.Errorf("%s: alert %s has no threshold: build it with the builder's alert()", name, r.Alert)
				continue
			}
			got[r.Alert] = append(got[r.Alert], r)
		}
		for alert := range got {
			if rules.DescriptorOf(alert) == nil {
				t.Errorf("%s: alert %s has no descriptor in rules.Descriptors", name, alert)
			}
		}
		for _, d := range rules.Descriptors {
			want := d.Thresholds(b.Config)
			rs := got[d.Name]
			if why := d.SkippedFor(b.Config); why != "" {
				if len(rs) > 0 {
					t.Errorf("%s: %s is generated although its descriptor says %s", name, d.Name, why)
				}
				continue
			}
			if len(rs) == 0 {
				t.Errorf("%s: descriptor %s yields no rule: add its rule to the builder of its concern", name, d.Name)
				continue
			}
			if len(rs) != len(want) {
				t.Errorf("%s: %s has %d rules for %d thresholds", name, d.Name, len(rs), len(want))
				continue
			}
			for i, r := range rs {
				w := want[i]
				if !reflect.DeepEqual(*r.Threshold, w) {
					t.Errorf("%s: %s rule %d was built from %+v, its descriptor says %+v", name, d.Name, i, *r.Threshold, w)
				}
				if r.Labels["severity"] != w.Severity || r.For != w.For {
					t.Errorf("%s: %s rule %d: severity %s for %s, descriptor %s for %s", name, d.Name, i, r.Labels["severity"], r.For, w.Severity, w.For)
				}
				if w.Shown == rules.NoSeries {
					// Alerts on missing series compare nothing: they
					// test for absence, with absent() or unless.
					if !strings.Contains(r.Expr, "absent(") && !regexp.MustCompile(`\n\s*unless `).MatchString(r.Expr) {
						t.Errorf("%s: %s rule %d is about missing series but tests for none:\n%s", name, d.Name, i, r.Expr)
					}
				} else if !slices.Contains(comparedNumbers(t, r.Expr), w.Value) {
					t.Errorf("%s: %s rule %d does not compare against its threshold %v:\n%s", name, d.Name, i, w.Value, r.Expr)
				}
				if w.Condition == "" || w.Shown == "" || len(w.Fields) == 0 {
					t.Errorf("%s: %s threshold %d lacks a condition, a shown value or its profile fields", name, d.Name, i)
				}
			}
		}
	}
}

// Every alert has a runbook file, every runbook file an alert, and the
// runbook index is generated from the descriptors (refresh with -update).
func TestEveryAlertHasARunbookAndAnIndexRow(t *testing.T) {
	for _, d := range rules.Descriptors {
		if _, err := os.Stat(filepath.Join(runbookDir, d.Name+".md")); err != nil {
			t.Errorf("alert %s has no runbook: write docs/runbooks/%s.md", d.Name, d.Name)
		}
		if d.Meaning == "" {
			t.Errorf("alert %s has no Meaning for the runbook index", d.Name)
		}
	}
	files, _ := filepath.Glob(filepath.Join(runbookDir, "*.md"))
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".md")
		if base != "README" && rules.DescriptorOf(base) == nil && !slices.Contains(render.RunbookGuides, base) {
			t.Errorf("docs/runbooks/%s.md is the runbook of no alert", base)
		}
	}

	path := filepath.Join(runbookDir, "README.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var def *render.Built
	for _, b := range builds(t) {
		if b.Config.Profile.Metadata.Name == profiles.Default {
			def = &b.Built
		}
	}
	table := render.RunbookIndex(def.Config, def.Rules)
	want, ok := render.ReplaceRunbookIndex(string(doc), table)
	if !ok {
		t.Fatalf("docs/runbooks/README.md lacks the markers %q and %q", render.RunbookIndexBegin, render.RunbookIndexEnd)
	}
	if *update && want != string(doc) {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		doc = []byte(want)
	}
	if d := golden.Diff("docs/runbooks/README.md", doc, []byte(want)); d != "" {
		t.Errorf("the runbook index is stale (go test ./generator/generate -update):\n%s", d)
	}
	for _, d := range rules.Descriptors {
		if !strings.Contains(string(doc), "| "+d.Name+" |") {
			t.Errorf("docs/runbooks/README.md has no row for %s", d.Name)
		}
	}
}

// Every alert of a profile is in its README's alert table, with each
// severity it has.
func TestEveryAlertIsInTheProfileREADME(t *testing.T) {
	for _, out := range builtins(t) {
		readme := string(out.Files[render.READMEPath])
		var b *render.Built
		for _, x := range builds(t) {
			if x.Config.Profile.Metadata.Name == out.Profile {
				b = &x.Built
			}
		}
		for _, th := range rules.Thresholds(b.Rules) {
			row := regexp.MustCompile(`(?m)^\| \[` + th.Alert + `\]\([^)]*\) \| ` + th.Severity + ` \| `)
			if !row.MatchString(readme) {
				t.Errorf("%s/README.md has no %s row for %s", out.Profile, th.Severity, th.Alert)
			}
		}
	}
}

// Every profile field a threshold or a dashboard param names resolves to a
// field of profile.Profile, so explain and the README point at real fields.
func TestEveryNamedFieldResolves(t *testing.T) {
	for _, b := range builds(t) {
		p := b.Config.Profile
		var fields []string
		for _, th := range rules.Thresholds(b.Rules) {
			fields = append(fields, th.Fields...)
		}
		for _, d := range rules.Descriptors {
			if d.Params != nil {
				for _, prm := range d.Params(b.Config) {
					fields = append(fields, prm.Field)
				}
			}
		}
		for _, f := range fields {
			if err := resolve(reflect.ValueOf(p), f); err != "" {
				t.Errorf("%s: field %s: %s", p.Metadata.Name, f, err)
			}
		}
	}
}

// Every alert and severity has generated promtool tests (package
// ruletests) in every built-in profile.
func TestEveryAlertHasGeneratedTests(t *testing.T) {
	for _, out := range builtins(t) {
		type key struct{ alert, severity string }
		tested := map[key]bool{}
		for _, p := range out.Paths() {
			if !strings.HasPrefix(p, "tests/") {
				continue
			}
			var f struct {
				Tests []struct {
					AlertRuleTests []struct {
						Alertname string `yaml:"alertname"`
						ExpAlerts []struct {
							ExpLabels map[string]string `yaml:"exp_labels"`
						} `yaml:"exp_alerts"`
					} `yaml:"alert_rule_test"`
				} `yaml:"tests"`
			}
			if err := yaml.Unmarshal(out.Files[p], &f); err != nil {
				t.Fatalf("%s/%s: %v", out.Profile, p, err)
			}
			for _, tc := range f.Tests {
				for _, a := range tc.AlertRuleTests {
					for _, e := range a.ExpAlerts {
						tested[key{a.Alertname, e.ExpLabels["severity"]}] = true
					}
				}
			}
		}
		for _, b := range builds(t) {
			if b.Config.Profile.Metadata.Name != out.Profile {
				continue
			}
			for _, th := range rules.Thresholds(b.Rules) {
				if !tested[key{th.Alert, th.Severity}] {
					t.Errorf("%s: no generated test expects %s at %s: add a suite in package ruletests", out.Profile, th.Alert, th.Severity)
				}
			}
		}
	}
}

// resolve follows a field path (spec.slos[0].objective) through yaml tags.
func resolve(v reflect.Value, path string) string {
	for _, part := range strings.Split(path, ".") {
		name, index, indexed := strings.Cut(part, "[")
		for v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return "no field " + name + " in a " + v.Kind().String()
		}
		found := false
		for i := 0; i < v.NumField(); i++ {
			tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
			if tag == name {
				v, found = v.Field(i), true
				break
			}
		}
		if !found {
			return "no field " + name + " in " + v.Type().String()
		}
		if indexed {
			n, err := strconv.Atoi(strings.TrimSuffix(index, "]"))
			if err != nil || v.Kind() != reflect.Slice || n >= v.Len() {
				return "no element " + part
			}
			v = v.Index(n)
		}
	}
	return ""
}

// comparedNumbers returns the numbers an expression compares against.
func comparedNumbers(t *testing.T, expr string) []float64 {
	t.Helper()
	out, err := promqltest.ComparedNumbers(expr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
