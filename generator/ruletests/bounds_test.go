package ruletests_test

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/ruletests"
)

// upperBounds is a profile with every duration at its upper bound:
// evaluationInterval 5s, every for: 1d, SLO windows 90d, CA expiry 365d.
const upperBounds = "testdata/upper-bounds.yaml"

// TestUpperBoundsTestsStayBounded: at the upper bound of every duration,
// no test group makes promtool evaluate the rules more than
// MaxEvaluations times or load more than MaxSamples samples per series
// (one sample and one evaluation per 5s over a day would be 17,281).
func TestUpperBoundsTestsStayBounded(t *testing.T) {
	type file struct {
		EvaluationInterval string `yaml:"evaluation_interval"`
		Tests              []struct {
			Name        string `yaml:"name"`
			Interval    string `yaml:"interval"`
			InputSeries []struct {
				Series string `yaml:"series"`
				Values string `yaml:"values"`
			} `yaml:"input_series"`
			AlertTests []struct {
				EvalTime string `yaml:"eval_time"`
			} `yaml:"alert_rule_test"`
			ExprTests []struct {
				EvalTime string `yaml:"eval_time"`
			} `yaml:"promql_expr_test"`
		} `yaml:"tests"`
	}
	dur := func(t *testing.T, s string) profile.Duration {
		t.Helper()
		d, err := profile.ParseDuration(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	_, _, out := render1(t, upperBounds)
	if len(out) == 0 {
		t.Fatal("no test files")
	}
	for path, data := range out {
		var f file
		if err := yaml.Unmarshal(data, &f); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		every := dur(t, f.EvaluationInterval)
		for _, g := range f.Tests {
			var end profile.Duration
			for _, a := range g.AlertTests {
				end = max(end, dur(t, a.EvalTime))
			}
			for _, e := range g.ExprTests {
				end = max(end, dur(t, e.EvalTime))
			}
			if n := int(end/every) + 1; n > ruletests.MaxEvaluations {
				t.Errorf("%s: %q: %d evaluations (every %s until %s), more than %d", path, g.Name, n, every, end, ruletests.MaxEvaluations)
			}
			for _, s := range g.InputSeries {
				n, err := samples(s.Values)
				if err != nil {
					t.Fatalf("%s: %q: %s: %v", path, g.Name, s.Series, err)
				}
				if n > ruletests.MaxSamples {
					t.Errorf("%s: %q: %s has %d samples (every %s), more than %d", path, g.Name, s.Series, n, g.Interval, ruletests.MaxSamples)
					break
				}
			}
		}
	}
}

// samples counts the samples of promtool's expanding notation: a, a+bxn
// and axn (n+1 samples), _ and _xn.
func samples(values string) (int, error) {
	n := 0
	for _, term := range strings.Fields(values) {
		k := strings.LastIndexByte(term, 'x')
		if k < 0 {
			n++
			continue
		}
		reps, err := strconv.Atoi(term[k+1:])
		if err != nil {
			return 0, err
		}
		n += reps + 1
	}
	return n, nil
}

// TestUpperBoundsTestsPassWithPromtool runs promtool on the tests of the
// upper-bounds profile. The timeout only turns a hang into a failure.
func TestUpperBoundsTestsPassWithPromtool(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (promtool on generated tests); make test runs them")
	}
	// promtool runs single-threaded: the promtool tests share the cores.
	t.Parallel()
	bin := promtool(t)
	dir, _ := generated(t, upperBounds)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	// One promtool per file, side by side: the files are independent.
	files := testFiles(t, dir)
	errs := make([]string, len(files))
	var wg sync.WaitGroup
	for i, f := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.CommandContext(ctx, bin, "test", "rules", f)
			cmd.Dir = dir
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				errs[i] = fmt.Sprintf("%s: promtool test rules failed (%v; context: %v):\n%s", f, err, ctx.Err(), out.String())
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Error(e)
		}
	}
}
