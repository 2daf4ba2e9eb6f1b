package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// generate --check --diff prints a unified diff of each file that would
// change (edited, deleted, added by hand), exits 3, and the diff is one
// GNU patch applies: afterwards --check finds nothing.
func TestCheckDiff(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if code, _, stderr := run(t, "generate", "-p", "small", "--out", "out"); code != ExitOK {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	rules := filepath.Join("out", "small", "prometheus", "control-plane.yaml")
	data, err := os.ReadFile(rules)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), "for: 1m", "for: 10m", 1)
	if edited == string(data) {
		t.Fatalf("%s has no for: 1m", rules)
	}
	if err := os.WriteFile(rules, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join("out", "small", "tests", "proxies.test.yaml")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join("out", "small"), "notes.txt", "mine\n")

	code, stdout, stderr := run(t, "generate", "-p", "small", "--out", "out", "--check", "--diff")
	if code != ExitDrift || !strings.Contains(stderr, "3 file(s) in out differ") {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	// The deleted test file is long; its hunk is checked by patch below.
	var shown []string
	for _, part := range strings.Split(stdout, "\n--- ") {
		if !strings.Contains(part, "+++ out/small/tests/proxies.test.yaml") {
			shown = append(shown, part)
		}
	}
	checkGolden(t, "check-diff.golden", strings.Join(shown, "\n--- "))
	if !strings.Contains(stdout, "--- /dev/null\n+++ out/small/tests/proxies.test.yaml\n@@ -0,0 +1,") {
		t.Errorf("no diff from /dev/null for the deleted file:\n%.400s", stdout)
	}

	if _, err := exec.LookPath("patch"); err == nil {
		cmd := exec.Command("patch", "-s", "-p0", "-E")
		cmd.Stdin = strings.NewReader(stdout)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("patch: %v\n%s", err, out)
		}
		if code, stdout, stderr := run(t, "generate", "-p", "small", "--out", "out", "--check"); code != ExitOK {
			t.Errorf("after patch: exit %d\n%s%s", code, stdout, stderr)
		}
	}
	if code, _, stderr := run(t, "generate", "-p", "small", "--out", "out", "--diff"); code != ExitUsage || !strings.Contains(stderr, "--diff needs --check") {
		t.Errorf("--diff without --check: exit %d, %s", code, stderr)
	}
}
