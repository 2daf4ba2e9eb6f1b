package ruletests_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/generator/ruletests"
)

// listed is a profile whose SLOs list their services.
const listed = "testdata/listed-services.yaml"

func TestListedServicesTestsPassWithPromtool(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (promtool on generated tests); make test runs them")
	}
	// promtool runs single-threaded: the promtool tests share the cores.
	t.Parallel()
	promtool(t)
	dir, _ := generated(t, listed)
	out, err := runTests(t, dir, testFiles(t, dir)...)
	if err != nil {
		t.Fatalf("promtool test rules failed: %v\n%s", err, out)
	}
	// The tests must exercise what listing services changes: services
	// with different objectives side by side, and one not listed.
	for _, want := range []string{"shop/checkout (objective 99.95%)", "shop/cart (objective 99.9%)", "(objective 99%)", "shop/unlisted not listed"} {
		if !strings.Contains(allTests(t, dir), want) {
			t.Errorf("no generated test case names %q", want)
		}
	}
}

// A profile listing 1,000 services gets tests on the same few services as
// one listing a dozen: test files do not grow with the list.
func TestListedServicesTestsStayBounded(t *testing.T) {
	size := func(n int) (inputs, bytes int) {
		p := profile.Defaults("large")
		p.Metadata.Name = "many"
		objectives := []profile.Percent{99.9, 99.5, 99.95, 99}
		for i := range p.Spec.SLOs {
			for k := 0; k < n; k++ {
				o := objectives[k%len(objectives)]
				p.Spec.SLOs[i].Services = append(p.Spec.SLOs[i].Services,
					profile.Service{Namespace: fmt.Sprintf("ns-%d", k%20), Name: fmt.Sprintf("svc-%04d", k), Objective: &o})
			}
		}
		if errs := profile.Validate(&p).Fatal(false); len(errs) > 0 {
			t.Fatal(errs)
		}
		c, err := config.New(p)
		if err != nil {
			t.Fatal(err)
		}
		files, err := ruletests.Render(c, rules.Build(c))
		if err != nil {
			t.Fatal(err)
		}
		for _, data := range files {
			bytes += len(data)
			inputs += strings.Count(string(data), "\n      - series: ")
		}
		return inputs, bytes
	}
	in12, b12 := size(12)
	in1000, b1000 := size(1000)
	if in12 == 0 || in1000 != in12 || b1000 > b12*11/10 {
		t.Errorf("1,000 listed services: %d input series, %d bytes of tests; 12 services: %d, %d", in1000, b1000, in12, b12)
	}
}

func allTests(t *testing.T, dir string) string {
	t.Helper()
	var names []string
	for _, f := range testFiles(t, dir) {
		var doc struct {
			Tests []struct {
				Name string `yaml:"name"`
			} `yaml:"tests"`
		}
		data := readFile(t, dir, f)
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		for _, g := range doc.Tests {
			names = append(names, g.Name)
		}
	}
	return strings.Join(names, "\n")
}

func readFile(t *testing.T, dir, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Generated tests hold for profiles far from the built-ins: regex and
// negative selectors, a cluster label, other periods and intervals, and an
// SLO whose selector names a single service (every case on that service,
// each in its own test group, since other names would fold into it).
func TestUnusualSelectorsTestsPassWithPromtool(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (promtool on generated tests); make test runs them")
	}
	// promtool runs single-threaded: the promtool tests share the cores.
	t.Parallel()
	promtool(t)
	dir, _ := generated(t, "testdata/selectors.yaml")
	out, err := runTests(t, dir, testFiles(t, dir)...)
	if err != nil {
		t.Fatalf("promtool test rules failed: %v\n%s", err, out)
	}
	if !strings.Contains(allTests(t, dir), "SLO checkout-availability edges (part 2), one service each: shop/checkout") {
		t.Error("the one-service SLO's cases do not run in groups of their own on shop/checkout")
	}
}
