package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// root is the meshslo repository.
const root = "../.."

// allModeProfile writes every ruler format with every rule on the ruler
// (spec.rulers.mode: all) and a cluster label, so recording groups get
// partial_response_strategy: warn; the committed large profile covers
// split mode without a cluster label (abort everywhere).
const allModeProfile = `apiVersion: meshslo/v1alpha1
kind: MeshProfile
metadata: {name: rulers-all}
spec:
  mesh: {cluster: eu-1, clusterLabel: cluster}
  rulers: {formats: [thanos, mimir, vmalert], mode: all, namespace: istio-mesh}
`

// outDirs returns the committed out/ profile folders with ruler outputs
// and a fresh generation of allModeProfile.
func outDirs(t *testing.T) []string {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(root, "out", "*"))
	var out []string
	for _, d := range dirs {
		if st, err := os.Stat(filepath.Join(d, "thanos")); err == nil && st.IsDir() {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		t.Fatal("no out/*/thanos: the committed large profile writes one")
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
	return append(out, filepath.Join(tmp, "out", "rulers-all"))
}

func checker(t *testing.T) string {
	bin := os.Getenv("THANOS_RULES_CHECK")
	if bin == "" {
		if testing.Short() {
			t.Skip("THANOS_RULES_CHECK not set (make test builds bin/thanos-rules-check)")
		}
		t.Fatal("THANOS_RULES_CHECK not set: run through make test-rulers")
	}
	return bin
}

// TestThanosRulesCheck runs Thanos' rule file validation on every thanos/
// file, and on files it must refuse: an unknown strategy, an unknown
// field, a broken expression.
func TestThanosRulesCheck(t *testing.T) {
	bin := checker(t)
	strategies := map[string]int{}
	for _, d := range outDirs(t) {
		files, _ := filepath.Glob(filepath.Join(d, "thanos", "*.yaml"))
		if len(files) == 0 {
			t.Errorf("%s/thanos: no files", d)
		}
		out, err := exec.Command(bin, files...).CombinedOutput()
		if err != nil {
			t.Errorf("thanos rules check %s: %v\n%s", d, err, out)
		}
		if got := strings.Count(string(out), "SUCCESS"); got != len(files) {
			t.Errorf("%s: %d of %d files passed:\n%s", d, got, len(files), out)
		}
		for _, f := range files {
			data, _ := os.ReadFile(f)
			for _, s := range []string{"abort", "warn"} {
				strategies[s] += strings.Count(string(data), "partial_response_strategy: "+s+"\n")
			}
		}
	}
	if strategies["abort"] == 0 || strategies["warn"] == 0 {
		t.Errorf("expected groups with each strategy, got %v", strategies)
	}
	t.Logf("groups by partial_response_strategy: %v", strategies)
	dir := t.TempDir()
	for name, body := range map[string]string{
		"strategy":   "groups:\n  - name: g\n    partial_response_strategy: sometimes\n    rules:\n      - record: x\n        expr: up\n",
		"field":      "groups:\n  - name: g\n    partial_response: warn\n    rules:\n      - record: x\n        expr: up\n",
		"expression": "groups:\n  - name: g\n    rules:\n      - record: x\n        expr: sum(up\n",
	} {
		p := filepath.Join(dir, name+".yaml")
		_ = os.WriteFile(p, []byte(body), 0o644)
		if out, err := exec.Command(bin, p).CombinedOutput(); err == nil {
			t.Errorf("the check accepted a bad file (%s):\n%s", name, out)
		}
	}
}
