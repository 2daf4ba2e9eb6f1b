package ruletests_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/generate"
	"github.com/meshslo/meshslo/generator/internal/realtools"
	"github.com/meshslo/meshslo/generator/loader"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/profiles"
)

// promtool is the real promtool (see realtools).
func promtool(t *testing.T) string { return realtools.Promtool(t) }

// generated writes every file generate produces for a built-in profile
// into a temporary folder and returns the profile folder and its config.
func generated(t *testing.T, name string) (string, *config.Config) {
	t.Helper()
	l, errs := loader.Load(name)
	if l == nil || len(errs.Fatal(false)) > 0 {
		t.Fatalf("loading %s: %v", name, errs)
	}
	out, err := generate.Run(l.Profile, l.Origin, generate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), name)
	for p, data := range out.Files {
		path := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, err := config.New(l.Profile)
	if err != nil {
		t.Fatal(err)
	}
	return dir, c
}

// runTests runs promtool test rules on test files of dir, as a user would
// from the profile folder.
func runTests(t *testing.T, dir string, files ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(promtool(t), append([]string{"test", "rules"}, files...)...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func testFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "tests", "*.test.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files in %s/tests", dir)
	}
	for k, f := range files {
		files[k], _ = filepath.Rel(dir, f)
	}
	return files
}

func TestGeneratedTestsPassWithPromtool(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (promtool on generated tests); make test runs them")
	}
	// promtool runs single-threaded: the promtool tests share the cores.
	t.Parallel()
	promtool(t)
	for _, name := range profiles.Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir, _ := generated(t, name)
			if out, err := runTests(t, dir, testFiles(t, dir)...); err != nil {
				t.Fatalf("promtool test rules failed: %v\n%s", err, out)
			}
		})
	}
}

// TestGeneratedTestsCatchEditedThresholds edits one threshold in a
// generated rule file only, as a hand edit would, and expects the shipped
// tests to fail on that alert.
func TestGeneratedTestsCatchEditedThresholds(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (promtool on mutated rules); make test runs them")
	}
	// promtool runs single-threaded: the promtool tests share the cores.
	t.Parallel()
	promtool(t)
	dir, c := generated(t, profiles.Default)
	num := profile.FormatNumber
	i, px, slo := c.Profile.Spec.Istiod, c.Profile.Spec.Proxies, c.SLOs[0]
	fast := slo.Tiers[0]
	for _, tc := range []struct {
		name, ruleFile, testFile, alert string
		from, to                        string
	}{
		{"heap warning ratio", "control-plane", "control-plane", "IstiodHeapNearLimit",
			rules.IstiodHeapRatio + " >= " + num(i.HeapWarningRatio), rules.IstiodHeapRatio + " >= " + num(i.HeapCriticalRatio)},
		{"stale ratio", "proxies", "proxies", "IstioProxiesStale",
			rules.ProxiesOutOfSyncRatio + " > " + num(px.StaleRatio), rules.ProxiesOutOfSyncRatio + " > " + num(px.StaleRatio*2)},
		{"fast burn factor", "slo-alerts", "slo-" + slo.Name, "IstioSLOErrorBudgetBurn",
			" / " + num(slo.Budget) + " > " + num(fast.Factor) + "\n", " / " + num(slo.Budget) + " > " + num(fast.Factor*2) + "\n"},
		{"sidecar memory for:", "proxies", "proxies", "IstioSidecarMemoryHigh",
			"for: " + px.MemoryFor.String(), "for: " + (px.MemoryFor * 2).String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "prometheus", tc.ruleFile+".yaml")
			orig, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(orig, []byte(tc.from)) {
				t.Fatalf("%s does not contain %q", path, tc.from)
			}
			t.Cleanup(func() { os.WriteFile(path, orig, 0o644) })
			mutated := bytes.ReplaceAll(orig, []byte(tc.from), []byte(tc.to))
			if err := os.WriteFile(path, mutated, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := runTests(t, dir, filepath.Join("tests", tc.testFile+".test.yaml"))
			if err == nil {
				t.Fatalf("promtool passed with %q changed to %q in %s", tc.from, tc.to, path)
			}
			if !strings.Contains(out, "alertname: "+tc.alert) {
				t.Fatalf("promtool failed, but not on %s:\n%s", tc.alert, out)
			}
			t.Logf("%s: %q -> %q fails:\n%s", tc.alert, strings.TrimSpace(tc.from), strings.TrimSpace(tc.to), firstFailure(out))
		})
	}
}

func firstFailure(out string) string {
	lines := strings.Split(out, "\n")
	for k, l := range lines {
		if strings.Contains(l, "name:") {
			return strings.Join(lines[k:min(k+2, len(lines))], "\n")
		}
	}
	return ""
}
