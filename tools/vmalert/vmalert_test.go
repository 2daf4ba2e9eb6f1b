package vmalert

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/VictoriaMetrics/metricsql"
	"gopkg.in/yaml.v2"
)

// root is the meshslo repository.
const root = "../.."

// allModeProfile writes every ruler format with every rule on the ruler
// (spec.rulers.mode: all) and a cluster label; the committed large profile
// covers split mode.
const allModeProfile = `apiVersion: meshslo/v1alpha1
kind: MeshProfile
metadata: {name: rulers-all}
spec:
  mesh: {cluster: eu-1, clusterLabel: cluster}
  rulers: {formats: [thanos, mimir, vmalert], mode: all, namespace: istio-mesh}
`

// vmalertDirs returns every vmalert/ folder to check: the committed out/
// and a fresh generation of allModeProfile.
func vmalertDirs(t *testing.T) []string {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(root, "out", "*", "vmalert"))
	if len(dirs) == 0 {
		t.Fatal("no out/*/vmalert: the committed large profile writes one")
	}
	tmp := t.TempDir()
	prof := filepath.Join(tmp, "rulers-all.yaml")
	if err := os.WriteFile(prof, []byte(allModeProfile), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", "./cmd/meshslo", "generate", "-p", prof, "--out", filepath.Join(tmp, "out"))
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("meshslo generate: %v\n%s", err, out)
	}
	return append(dirs, filepath.Join(tmp, "out", "rulers-all", "vmalert"))
}

func vmalert(t *testing.T) string {
	bin := os.Getenv("VMALERT")
	if bin == "" {
		if testing.Short() {
			t.Skip("VMALERT not set (make test builds bin/vmalert)")
		}
		t.Fatal("VMALERT not set: run through make test-rulers, which builds bin/vmalert")
	}
	return bin
}

// TestVMAlertDryRun loads every generated vmalert/ folder with the real
// vmalert -dryRun, which parses each group and rule and checks every
// expression with MetricsQL and every annotation template, then exits. A
// file with a broken expression must fail, or the check proves nothing.
func TestVMAlertDryRun(t *testing.T) {
	bin := vmalert(t)
	for _, dir := range vmalertDirs(t) {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		if len(files) == 0 {
			t.Errorf("%s: no rule files", dir)
			continue
		}
		out, err := exec.Command(bin, "-dryRun", "-rule="+filepath.Join(dir, "*.yaml")).CombinedOutput()
		if err != nil {
			t.Errorf("vmalert -dryRun %s: %v\n%s", dir, err, out)
			continue
		}
		if !strings.Contains(string(out), "finished reading "+strconv.Itoa(len(files))+" files") {
			t.Errorf("vmalert -dryRun %s: did not read the %d files:\n%s", dir, len(files), out)
		}
		t.Logf("vmalert -dryRun: %s: %d files OK", dir, len(files))
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	_ = os.WriteFile(bad, []byte("groups:\n  - name: g\n    rules:\n      - record: x\n        expr: sum(rate(y[5m])\n"), 0o644)
	if out, err := exec.Command(bin, "-dryRun", "-rule="+bad).CombinedOutput(); err == nil {
		t.Errorf("vmalert -dryRun accepted a broken expression:\n%s", out)
	}
}

// TestMetricsQLParsesEveryExpression parses every expression of every
// generated vmalert/ file with MetricsQL (VictoriaMetrics' query language,
// a superset of PromQL with a few differences in what it accepts).
func TestMetricsQLParsesEveryExpression(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: generates a profile with go run")
	}
	n := 0
	for _, dir := range vmalertDirs(t) {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Groups []struct {
					Name  string `yaml:"name"`
					Rules []struct {
						Record, Alert, Expr string
					} `yaml:"rules"`
				} `yaml:"groups"`
			}
			if err := yaml.Unmarshal(data, &doc); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			for _, g := range doc.Groups {
				for _, r := range g.Rules {
					if _, err := metricsql.Parse(r.Expr); err != nil {
						t.Errorf("%s: group %s, rule %s%s: MetricsQL: %v", f, g.Name, r.Record, r.Alert, err)
					}
					n++
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no expressions parsed")
	}
	t.Logf("MetricsQL parsed %d expressions", n)
}
