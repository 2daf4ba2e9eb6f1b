package rules_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/internal/realtools"
	"github.com/meshslo/meshslo/generator/loader"
	"github.com/meshslo/meshslo/generator/render"
	"github.com/meshslo/meshslo/generator/rules"
)

// TestListedClusterWithoutSeries runs testdata/clusters-named.yaml with the
// real promtool over the rules of the multicluster profile with its
// clusters listed: a listed cluster that sends no series at all still
// pages IstiodDown for itself.
func TestListedClusterWithoutSeries(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (promtool); make test runs them")
	}
	bin := realtools.Promtool(t)
	l, errs := loader.Load("multicluster")
	if fatal := errs.Fatal(false); len(fatal) > 0 {
		t.Fatal(fatal)
	}
	p := l.Profile
	p.Spec.Mesh.Clusters.Names = []string{"a", "b"}
	c, err := config.New(p)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "rules"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range rules.Build(c) {
		data, err := render.RuleFile(c, f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "rules", f.Name+".yaml"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	test, err := os.ReadFile("testdata/clusters-named.yaml")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "test.yaml")
	if err := os.WriteFile(file, test, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "test", "rules", file).CombinedOutput(); err != nil {
		t.Errorf("promtool test rules %s: %v\n%s", file, err, out)
	}
}
