package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/profiles"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const minimal = `apiVersion: meshslo/v1alpha1
kind: MeshProfile
metadata:
  name: payments
spec:
  mesh: {services: 80, pods: 400}
`

func TestCommands(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "payments.yaml", minimal)
	bad := writeFile(t, dir, "bad.yaml", `apiVersion: meshslo/v1alpha1
kind: MeshProfile
metadata:
  name: Bad_Name
spec:
  istiod:
    heapWarningRatio: 1.5
    memoryLimt: 8Gi
`)
	out := filepath.Join(dir, "out")
	cases := []struct {
		name       string
		args       []string
		code       int
		wantOut    []string
		wantStderr []string
	}{
		{"generate default profile", []string{"generate", "--out", out}, ExitOK, []string{"wrote", "medium"}, nil},
		{"generate a file and a built-in", []string{"generate", "-p", good, "-p", "small", "--out", out}, ExitOK, []string{"payments", "small"}, nil},
		{"check up to date", []string{"generate", "-p", good, "--out", out, "--check"}, ExitOK, []string{"up to date"}, nil},
		{"check finds drift", []string{"generate", "-p", "large", "--out", out, "--check"}, ExitDrift, []string{"missing: large/prometheus/control-plane.yaml"}, []string{"differ"}},
		{"committed out is current", []string{"generate", "--all", "--out", "../../../out", "--check"}, ExitOK, []string{"up to date (7 profile(s))"}, nil},
		{"validate good", []string{"validate", good}, ExitOK, []string{"is valid"}, nil},
		{"validate bad lists every error with its line", []string{"validate", bad}, ExitInvalid, nil, []string{
			bad + `:4:9: metadata.name: expected 1 to 63 characters`,
			bad + `:7:23: spec.istiod.heapWarningRatio: expected a ratio between 0 and 1 (exclusive), got 1.5`,
			bad + `:8:5: spec.istiod.memoryLimt: unknown field; did you mean "memoryLimit"?`,
		}},
		{"unknown built-in", []string{"generate", "-p", "huge", "--out", out}, ExitInvalid, nil, []string{`no built-in profile "huge" (built-in: ambient, large, medium, medium-canary, mixed, multicluster, small)`}},
		{"missing file", []string{"validate", filepath.Join(dir, "nope.yaml")}, ExitInvalid, nil, []string{"nope.yaml: no such profile file"}},
		{"unknown flag is usage", []string{"generate", "--bogus"}, ExitUsage, nil, []string{"unknown flag: --bogus"}},
		{"validate needs an argument", []string{"validate"}, ExitUsage, nil, []string{"validate requires at least 1 profile"}},
		{"validate takes -p too", []string{"validate", good, "-p", "small"}, ExitOK, []string{"\"payments\" is valid", "\"small\" is valid"}, nil},
		{"profiles", []string{"profiles"}, ExitOK, []string{"medium (default)", "small", "large", "16Gi"}, nil},
		{"explain names the source of each threshold", []string{"explain", "-p", good}, ExitOK, []string{
			"IstiodHeapNearLimit", "spec.istiod.heapWarningRatio = 0.8 (default)", "spec.istiod.memoryLimit = 8Gi (default for size medium)", "IstioSLOErrorBudgetBurn",
		}, nil},
		{"explain built-in points at its file lines", []string{"explain"}, ExitOK, []string{"spec.istiod.memoryLimit = 8Gi (profiles/medium.yaml:"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			for _, w := range tc.wantStderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
}

// A run with one bad profile writes nothing, and leaves earlier output as it was.
func TestFailedRunChangesNothing(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "payments.yaml", minimal)
	bad := writeFile(t, dir, "bad.yaml", strings.Replace(minimal, "name: payments", "name: other\n  colour: red", 1))
	out := filepath.Join(dir, "out")
	if code, _, stderr := run(t, "generate", "-p", good, "--out", out); code != 0 {
		t.Fatal(stderr)
	}
	before := snapshot(t, out)
	code, _, stderr := run(t, "generate", "-p", "small", "-p", bad, "--out", out)
	if code != ExitInvalid || !strings.Contains(stderr, "nothing was written") {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	after := snapshot(t, out)
	if len(before) != len(after) {
		t.Fatalf("files changed: %d before, %d after", len(before), len(after))
	}
	for p, data := range before {
		if after[p] != data {
			t.Errorf("%s changed", p)
		}
	}
}

func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		files[path] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// The exit codes are a contract with scripts: usage is sysexits' EX_USAGE
// (64), apart from 2, which the Go runtime uses for a fatal error such as
// running out of memory.
func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		got, want int
	}{
		{"ok", ExitOK, 0},
		{"invalid", ExitInvalid, 1},
		{"usage", ExitUsage, 64},
		{"drift", ExitDrift, 3},
		{"interrupted", ExitInterrupted, 130},
	} {
		if tc.got != tc.want {
			t.Errorf("exit code for %s is %d, want %d", tc.name, tc.got, tc.want)
		}
	}
	if code, _, _ := run(t, "generate", "--bogus"); code != 64 {
		t.Errorf("an unknown flag exits %d, want 64", code)
	}
}

// generate replaces only folders it wrote; --force, named as dangerous in
// the help, replaces one it did not write.
func TestGenerateRefusesFoldersItDidNotWrite(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "payments.yaml", minimal)
	out := filepath.Join(dir, "out")
	if err := os.MkdirAll(filepath.Join(out, "payments"), 0o755); err != nil {
		t.Fatal(err)
	}
	draft := writeFile(t, filepath.Join(out, "payments"), "draft.tex", "thesis")
	code, _, stderr := run(t, "generate", "-p", good, "--out", out)
	want := "meshslo: refusing to replace " + filepath.Join(out, "payments") +
		": it has no .meshslo-manifest, so meshslo did not write it; move it away, or pass --force to delete its files"
	if code != ExitInvalid || !strings.HasPrefix(stderr, want) {
		t.Fatalf("exit %d, stderr %q\nwant exit %d and %q", code, stderr, ExitInvalid, want)
	}
	if got := snapshot(t, out); len(got) != 1 || got[draft] != "thesis" {
		t.Fatalf("the folder changed: %v", got)
	}
	_, help, _ := run(t, "generate", "--help")
	if !strings.Contains(help, "--force") || !strings.Contains(help, "dangerous: replaces folders meshslo did not write, deleting their files") {
		t.Errorf("generate --help does not name --force as dangerous:\n%s", help)
	}
	if code, _, stderr := run(t, "generate", "-p", good, "--out", out, "--force"); code != ExitOK {
		t.Fatalf("--force: exit %d: %s", code, stderr)
	}
	got := snapshot(t, out)
	if _, ok := got[draft]; ok {
		t.Error("--force kept the file it was told to delete")
	}
	if _, ok := got[filepath.Join(out, "payments", ".meshslo-manifest")]; !ok {
		t.Error("no manifest after --force")
	}
}

// explain lists every alert of the descriptors with each of its severities
// and the profile fields behind it, for every built-in profile.
func TestExplainListsEveryAlert(t *testing.T) {
	for _, name := range profiles.Names() {
		code, stdout, stderr := run(t, "explain", "-p", name)
		if code != ExitOK {
			t.Fatalf("%s: exit %d: %s", name, code, stderr)
		}
		for _, d := range rules.Descriptors {
			if !strings.Contains(stdout, "\n"+d.Name+" ") {
				t.Errorf("explain -p %s does not list %s", name, d.Name)
			}
		}
		// Each alert's block: its condition, then the fields behind it.
		blocks := strings.Split(stdout, "\nIstio")
		for _, b := range blocks[1:] {
			lines := strings.Split(b, "\n")
			if len(lines) < 3 || !strings.HasPrefix(lines[1], "    fires when  ") && !strings.HasPrefix(lines[1], "    why  ") ||
				!strings.Contains(b, "\n    from        spec.") {
				t.Errorf("explain -p %s: block %q names no condition or no profile field", name, "Istio"+b)
			}
		}
		for _, line := range strings.Split(stdout, "\n") {
			if len([]rune(line)) > DefaultWidth {
				t.Errorf("explain -p %s: line wider than %d columns: %q", name, DefaultWidth, line)
			}
		}
	}
}
