package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// preview writes under --out (out/previews/<profile>/ by default), never
// into the docs of whatever repository it runs in; --dir writes one
// profile's pictures where this repository keeps the medium profile's, and
// those are the committed ones.
func TestPreviewWritesUnderOut(t *testing.T) {
	committed, err := filepath.Abs("../../../docs/dashboards")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Chdir(dir)
	code, stdout, stderr := run(t, "preview", "-p", "small", "-p", "medium")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, p := range []string{"small", "medium"} {
		for _, n := range []string{"executive", "oncall", "debug"} {
			path := filepath.Join("out", "previews", p, n+".svg")
			if _, err := os.Stat(path); err != nil || !strings.Contains(stdout, "wrote "+path+"\n") {
				t.Errorf("%s: %v\n%s", path, err, stdout)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "docs")); err == nil {
		t.Error("preview wrote into ./docs")
	}
	if code, _, stderr := run(t, "preview", "-p", "small", "-p", "medium", "--dir", "pics"); code != ExitUsage || !strings.Contains(stderr, "--dir takes the pictures of one profile") {
		t.Errorf("--dir with two profiles: exit %d, %s", code, stderr)
	}
	if code, _, stderr := run(t, "preview", "-p", "medium", "--dir", "pics"); code != ExitOK {
		t.Fatalf("--dir: exit %d: %s", code, stderr)
	}
	for _, n := range []string{"executive", "oncall", "debug"} {
		got, err1 := os.ReadFile(filepath.Join("pics", n+".svg"))
		want, err2 := os.ReadFile(filepath.Join(committed, n+".svg"))
		if err1 != nil || err2 != nil || string(got) != string(want) {
			t.Errorf("%s.svg: --dir gives other pictures than docs/dashboards holds (%v, %v)", n, err1, err2)
		}
	}
	// A profile named previews has its output there: preview does not
	// mix pictures into it.
	previews := strings.Replace(minimal, "name: payments", "name: previews", 1)
	file := writeFile(t, dir, "previews.yaml", previews)
	if code, _, stderr := run(t, "generate", "-p", file, "--out", "o2"); code != ExitOK {
		t.Fatalf("generate: %d %s", code, stderr)
	}
	if code, _, stderr := run(t, "preview", "--out", "o2"); code != ExitInvalid || !strings.Contains(stderr, "holds the output of a profile named previews") {
		t.Errorf("preview into a profile folder: exit %d, %s", code, stderr)
	}
}
