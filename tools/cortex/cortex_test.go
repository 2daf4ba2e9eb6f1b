// Package cortex checks meshslo's mimir/ namespace files the way
// `cortextool rules load` and the Cortex ruler read them.
package cortex

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/cortexproject/cortex/pkg/ruler"
	"github.com/prometheus/prometheus/model/rulefmt"
	"gopkg.in/yaml.v3"
)

const root = "../.."

// allModeProfile: every rule on the ruler, a custom namespace.
const allModeProfile = `apiVersion: meshslo/v1alpha1
kind: MeshProfile
metadata: {name: rulers-all}
spec:
  mesh: {cluster: eu-1, clusterLabel: cluster}
  rulers: {formats: [thanos, mimir, vmalert], mode: all, namespace: istio-mesh}
`

// namespaceFile is the shape cortextool rules load reads: a namespace and
// its groups, decoded with unknown fields refused (grafana/cortex-tools
// pkg/rules/parser.go, Parse: yaml.v3 KnownFields over RuleNamespace, whose
// groups are rulefmt.RuleGroup).
type namespaceFile struct {
	Namespace string              `yaml:"namespace"`
	Groups    []rulefmt.RuleGroup `yaml:"groups"`
}

func files(t *testing.T) map[string]string {
	t.Helper()
	got, _ := filepath.Glob(filepath.Join(root, "out", "*", "mimir", "*.yaml"))
	if len(got) == 0 {
		t.Fatal("no out/*/mimir: the committed large profile writes one")
	}
	want := map[string]string{}
	for _, f := range got {
		want[f] = "meshslo-" + filepath.Base(filepath.Dir(filepath.Dir(f)))
	}
	tmp := t.TempDir()
	prof := filepath.Join(tmp, "rulers-all.yaml")
	if err := os.WriteFile(prof, []byte(allModeProfile), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", "./cmd/meshslo", "generate", "-p", prof, "--out", filepath.Join(tmp, "out"))
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("meshslo generate: %v\n%s", err, b)
	}
	want[filepath.Join(tmp, "out", "rulers-all", "mimir", "istio-mesh.yaml")] = "istio-mesh"
	return want
}

// TestCortexAcceptsNamespaceFiles decodes every mimir/ file strictly, then
// sends each group through what the Cortex ruler API does with a group
// cortextool posts (pkg/ruler/api.go, CreateRuleGroup): unmarshal into
// rulefmt.RuleGroup, then DefaultMultiTenantManager.ValidateRuleGroup.
func TestCortexAcceptsNamespaceFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: generates a profile with go run")
	}
	m := &ruler.DefaultMultiTenantManager{}
	for f, ns := range files(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var nf namespaceFile
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&nf); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if nf.Namespace != ns {
			t.Errorf("%s: namespace %q, want %q", f, nf.Namespace, ns)
		}
		if len(nf.Groups) == 0 {
			t.Errorf("%s: no groups", f)
		}
		names := map[string]bool{}
		for _, g := range nf.Groups {
			if names[g.Name] {
				t.Errorf("%s: group %s twice in the namespace", f, g.Name)
			}
			names[g.Name] = true
			body, err := yaml.Marshal(g)
			if err != nil {
				t.Fatal(err)
			}
			var posted rulefmt.RuleGroup
			if err := yaml.Unmarshal(body, &posted); err != nil {
				t.Errorf("%s: group %s: %v", f, g.Name, err)
				continue
			}
			for _, e := range m.ValidateRuleGroup(posted) {
				t.Errorf("%s: Cortex: %v", f, e)
			}
		}
		t.Logf("%s: namespace %s, %d groups accepted", f, nf.Namespace, len(nf.Groups))
	}
	// The check must refuse what Cortex refuses.
	var bad rulefmt.RuleGroup
	if err := yaml.Unmarshal([]byte("name: g\nrules:\n  - record: x\n    expr: sum(up\n"), &bad); err != nil {
		t.Fatal(err)
	}
	if errs := m.ValidateRuleGroup(bad); len(errs) == 0 {
		t.Error("Cortex accepted a broken expression")
	}
}
