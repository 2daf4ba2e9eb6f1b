package cli

import (
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
