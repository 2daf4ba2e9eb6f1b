package rules_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/internal/realtools"
	"github.com/meshslo/meshslo/generator/loader"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/render"
	"github.com/meshslo/meshslo/generator/rules"
)

// TestListedClusterWithoutSeries runs testdata/clusters-named.yaml with the
// real promtool over the rules of the multicluster profile with its
// clusters listed: a listed cluster that sends no series at all still
// pages IstiodDown for itself.
func TestListedClusterWithoutSeries(t *testing.T) {
	runClusterScenario(t, "testdata/clusters-named.yaml", func(p *profile.Profile) {
		p.Spec.Mesh.Clusters.Names = []string{"a", "b"}
	})
}

// TestPrimaryRemoteCountsRemoteProxiesOnThePrimary runs
// testdata/clusters-primary-remote.yaml over the multicluster profile
// turned primary-remote (primary a, remote b): b's proxies stream to a's
// istiod, so b running proxies that no pilot_xds of b counts pages
// nothing, and a remote proxy losing its stream pages for the primary.
func TestPrimaryRemoteCountsRemoteProxiesOnThePrimary(t *testing.T) {
	runClusterScenario(t, "testdata/clusters-primary-remote.yaml", func(p *profile.Profile) {
		p.Spec.Mesh.Clusters.Topology = profile.TopologyPrimaryRemote
		p.Spec.Mesh.Clusters.Names = []string{"a", "b"}
		p.Spec.Mesh.Clusters.Primaries = []string{"a"}
	})
}

// TestCrossClusterRequestsPerPair runs testdata/clusters-cross-cluster.yaml
// over the multicluster profile: the client-side request rate and 5xx
// ratio are recorded per (source_cluster, destination_cluster) pair that
// differ, 0 for a pair without errors, and nothing for the pairs within
// one cluster.
func TestCrossClusterRequestsPerPair(t *testing.T) {
	runClusterScenario(t, "testdata/clusters-cross-cluster.yaml", func(*profile.Profile) {})
}

// runClusterScenario runs a hand-written promtool test with the real
// promtool over the rules of the multicluster profile as tweak changes it.
func runClusterScenario(t *testing.T, testFile string, tweak func(*profile.Profile)) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short skips the heavy tests (promtool); make test runs them")
	}
	bin := realtools.Promtool(t)
	l, errs := loader.Load("multicluster")
	if fatal := errs.Fatal(false); len(fatal) > 0 {
		t.Fatal(fatal)
	}
	p := l.Profile
	tweak(&p)
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
	test, err := os.ReadFile(testFile)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "test.yaml")
	if err := os.WriteFile(file, test, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "test", "rules", file).CombinedOutput(); err != nil {
		t.Errorf("promtool test rules %s: %v\n%s", testFile, err, out)
	}
}
