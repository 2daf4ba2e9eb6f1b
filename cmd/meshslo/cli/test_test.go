package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTestCommandWithoutPromtool(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv(PromtoolEnv, "")
	code, _, stderr := run(t, "test", "--profile", "small")
	if code != ExitInvalid || !strings.Contains(stderr, "promtool not found") || !strings.Contains(stderr, "go get -tool") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
}

func TestTestCommandRunsGeneratedTests(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (promtool on generated tests); make test runs them")
	}
	p := os.Getenv(PromtoolEnv)
	if p == "" {
		p, _ = filepath.Abs("../../../bin/promtool")
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("promtool not found at %s", p)
		}
		t.Skipf("promtool not found at %s", p)
	}
	out := t.TempDir()
	if code, _, stderr := run(t, "test", "-p", "small", "--out", out, "--promtool", p); code != ExitInvalid || !strings.Contains(stderr, "generate") {
		t.Fatalf("--out without a generated folder: exit %d, stderr:\n%s", code, stderr)
	}
	if code, _, stderr := run(t, "generate", "-p", "small", "--out", out); code != ExitOK {
		t.Fatalf("generate: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := run(t, "test", "-p", "small", "--out", out, "--promtool", p)
	if code != ExitOK || !strings.Contains(stdout, "small: ") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

// test takes several profiles, names each test file with its result, shows
// promtool's output only for a file that fails, and ends with a summary
// line per profile. One expected annotation is edited by hand, as a user
// editing a generated file would, so the real promtool fails that file.
func TestTestCommandReportsEachFile(t *testing.T) {
	p := promtoolForTest(t)
	out := t.TempDir()
	if code, _, stderr := run(t, "generate", "-p", "small", "-p", "medium", "--out", out); code != ExitOK {
		t.Fatalf("generate: exit %d\n%s", code, stderr)
	}
	edited := filepath.Join(out, "medium", "tests", "control-plane.test.yaml")
	data, err := os.ReadFile(edited)
	if err != nil {
		t.Fatal(err)
	}
	const from, to = "summary: istiod's heap is close to its memory limit.", "summary: edited by hand."
	if !strings.Contains(string(data), from) {
		t.Fatalf("%s has no %q", edited, from)
	}
	if err := os.WriteFile(edited, []byte(strings.Replace(string(data), from, to, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, "test", "-p", "small", "-p", "medium", "--out", out, "--promtool", p)
	files := 0
	for _, prof := range []string{"small", "medium"} {
		names, err := filepath.Glob(filepath.Join(out, prof, "tests", "*.test.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		files += len(names)
	}
	if want := fmt.Sprintf("meshslo: 1 of %d test file(s) failed\n", files); code != ExitInvalid || stderr != want {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	// promtool's own report of the failure: indented under the FAIL line.
	var kept []string
	failBlock := ""
	for _, line := range strings.SplitAfter(stdout, "\n") {
		if strings.HasPrefix(line, "    ") {
			failBlock += line
			continue
		}
		kept = append(kept, line)
	}
	for _, w := range []string{"FAILED", "edited by hand", "IstiodHeapNearLimit"} {
		if !strings.Contains(failBlock, w) {
			t.Errorf("promtool's output under the FAIL line lacks %q:\n%s", w, failBlock)
		}
	}
	if strings.Contains(stdout, "SUCCESS") {
		t.Errorf("promtool's output is shown for a file that passed:\n%s", stdout)
	}
	checkGolden(t, "test-report.golden", strings.Join(kept, ""))
}

func promtoolForTest(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short skips the heavy tests (promtool on generated tests); make test runs them")
	}
	p := os.Getenv(PromtoolEnv)
	if p == "" {
		p, _ = filepath.Abs("../../../bin/promtool")
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("promtool not found at %s", p)
		}
		t.Skipf("promtool not found at %s", p)
	}
	return p
}
