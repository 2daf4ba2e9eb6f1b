package main

// Whole-binary tests of what a failed, interrupted or concurrent run does
// to the output directory. They build meshslo, run it as users do and look
// only at the files it leaves.

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// meshslo builds the binary once per test process.
func meshslo(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "meshslo-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "meshslo")
		out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", binary, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary != "" {
		os.RemoveAll(filepath.Dir(binary))
	}
	os.Exit(code)
}

type result struct {
	code           int
	signaled       bool
	stdout, stderr string
}

func run(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(meshslo(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return result{cmd.ProcessState.ExitCode(), !cmd.ProcessState.Exited(), stdout.String(), stderr.String()}
}

// profileFile writes a copy of a small valid profile named name whose
// description is version, so two versions generate different bytes.
func profileFile(t *testing.T, dir, name, version string) string {
	t.Helper()
	path := filepath.Join(dir, name+"-"+version+".yaml")
	data := fmt.Sprintf("apiVersion: meshslo/v1alpha1\nkind: MeshProfile\nmetadata: {name: %s, description: %s}\nspec: {size: small}\n", name, version)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// snapshot reads every file and folder under dir, with mtimes when asked;
// leftover temporary folders show up as entries.
func snapshot(t *testing.T, dir string, withTimes bool) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		v := ""
		if !d.IsDir() {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			v = string(data)
		}
		if withTimes {
			info, err := d.Info()
			if err != nil {
				return err
			}
			v += "@" + info.ModTime().Format(time.RFC3339Nano)
		}
		m[filepath.ToSlash(rel)] = v
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func diffSnapshots(got, want map[string]string) string {
	var out []string
	for k, v := range got {
		if w, ok := want[k]; !ok {
			out = append(out, "unexpected "+k)
		} else if w != v {
			out = append(out, "changed "+k)
		}
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			out = append(out, "missing "+k)
		}
	}
	return strings.Join(out, ", ")
}

// SIGINT or SIGTERM while meshslo writes: it stops, removes its temporary
// folder and the previous output stays byte for byte. The signal is sent
// the moment the temporary folder appears, so it lands in the write; a
// signal during loading or generation must leave the output alone too.
func TestSignalDuringGenerate(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (signals to a child process); make test runs them")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	var oldArgs, newArgs []string
	for i := range 2 {
		name := fmt.Sprintf("mesh-%d", i)
		oldArgs = append(oldArgs, "-p", profileFile(t, dir, name, "old"))
		newArgs = append(newArgs, "-p", profileFile(t, dir, name, "new"))
	}
	if r := run(t, nil, append([]string{"generate", "-o", out}, oldArgs...)...); r.code != 0 {
		t.Fatalf("first run: %+v", r)
	}
	old := snapshot(t, out, false)
	solo := filepath.Join(dir, "solo")
	if r := run(t, nil, append([]string{"generate", "-o", solo}, newArgs...)...); r.code != 0 {
		t.Fatalf("solo run: %+v", r)
	}
	complete := snapshot(t, solo, false)

	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		for _, when := range []string{"while writing", "while generating"} {
			t.Run(sig.String()+" "+when, func(t *testing.T) {
				for attempt := 1; ; attempt++ {
					cmd := exec.Command(meshslo(t), append([]string{"generate", "-o", out}, newArgs...)...)
					var stderr bytes.Buffer
					cmd.Stderr = &stderr
					if err := cmd.Start(); err != nil {
						t.Fatal(err)
					}
					if when == "while writing" {
						waitForTemp(out, 10*time.Second)
					} else {
						time.Sleep(20 * time.Millisecond)
					}
					cmd.Process.Signal(sig)
					cmd.Wait()
					got := snapshot(t, out, false)
					interrupted := strings.Contains(stderr.String(), "interrupted; previously generated files are unchanged")
					switch {
					case maps.Equal(got, old) && (interrupted || when == "while generating"):
						if when == "while writing" && cmd.ProcessState.ExitCode() != 130 {
							t.Errorf("exit %d after an interrupted write, want 130", cmd.ProcessState.ExitCode())
						}
						t.Logf("attempt %d: stopped, output unchanged (%s)", attempt, cmd.ProcessState)
						return
					case maps.Equal(got, complete):
						// The signal came after the swap had begun, which
						// finishes; undo it and try again.
						if attempt == 5 {
							t.Fatalf("the signal never landed before the swap in %d attempts", attempt)
						}
						os.RemoveAll(out)
						if r := run(t, nil, append([]string{"generate", "-o", out}, oldArgs...)...); r.code != 0 {
							t.Fatal(r)
						}
					default:
						t.Fatalf("after %s %s the output is neither the old nor the new one: %s\nstderr: %s",
							sig, when, diffSnapshots(got, old), stderr.String())
					}
				}
			})
		}
	}
}

// waitForTemp returns once a temporary folder shows up in dir.
func waitForTemp(dir string, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".meshslo-tmp-") {
				return
			}
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// Two runs at once on the same output directory both succeed, and the
// directory then holds exactly one complete run, never a mix.
func TestConcurrentGenerateRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (concurrent whole runs); make test runs them")
	}
	dir := t.TempDir()
	a := profileFile(t, dir, "shared", "a")
	b := profileFile(t, dir, "shared", "b")
	want := map[string]map[string]string{}
	for name, p := range map[string]string{"a": a, "b": b} {
		solo := filepath.Join(dir, "solo-"+name)
		if r := run(t, nil, "generate", "-p", p, "-o", solo); r.code != 0 {
			t.Fatal(r)
		}
		want[name] = snapshot(t, solo, false)
	}
	for round := range 2 {
		out := filepath.Join(dir, fmt.Sprint("out", round))
		var wg sync.WaitGroup
		results := make([]result, 2)
		for i, p := range []string{a, b} {
			wg.Go(func() { results[i] = run(t, nil, "generate", "-p", p, "-o", out) })
		}
		wg.Wait()
		for i, r := range results {
			if r.code != 0 {
				t.Errorf("round %d, run %d: exit %d: %s", round, i, r.code, r.stderr)
			}
		}
		got := snapshot(t, out, false)
		if !maps.Equal(got, want["a"]) && !maps.Equal(got, want["b"]) {
			t.Errorf("round %d: the output is a mix of both runs: %s", round, diffSnapshots(got, want["a"]))
		}
	}
}

// generate --check writes nothing: not in an up-to-date directory, not in
// a stale one, not in a missing one. The directory is read-only where this
// process can make it so, and every mtime must stay the same.
func TestCheckNeverWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (whole-binary runs); make test runs them")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	p := profileFile(t, dir, "checked", "v1")
	if r := run(t, nil, "generate", "-p", p, "-o", out); r.code != 0 {
		t.Fatal(r)
	}
	stale := profileFile(t, dir, "checked", "v2")
	readOnlyDir(t, out)
	before := snapshot(t, out, true)
	for _, tc := range []struct {
		profile string
		code    int
	}{{p, 0}, {stale, 3}} {
		r := run(t, nil, "generate", "-p", tc.profile, "-o", out, "--check")
		if r.code != tc.code {
			t.Errorf("--check with %s: exit %d, want %d: %s", filepath.Base(tc.profile), r.code, tc.code, r.stderr)
		}
		if d := diffSnapshots(snapshot(t, out, true), before); d != "" {
			t.Errorf("--check with %s touched the output: %s", filepath.Base(tc.profile), d)
		}
	}
	missing := filepath.Join(dir, "missing")
	if r := run(t, nil, "generate", "-p", p, "-o", missing, "--check"); r.code != 3 {
		t.Errorf("--check of a missing directory: exit %d, want 3", r.code)
	}
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("--check created %s", missing)
	}
}

// readOnlyDir makes dir unwritable: by mode for an ordinary user, by a
// read-only bind mount for root (which ignores modes). Where neither is
// possible the mtime comparison alone has to prove nothing was written.
func readOnlyDir(t *testing.T, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		os.Chmod(dir, 0o555)
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
		return
	}
	if out, err := exec.Command("mount", "--bind", dir, dir).CombinedOutput(); err != nil {
		t.Logf("cannot bind-mount %s read-only (%v: %s); relying on mtimes", dir, err, bytes.TrimSpace(out))
		return
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	if out, err := exec.Command("mount", "-o", "remount,ro,bind", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount read-only: %v: %s", err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "probe"), nil, 0o644); err == nil {
		t.Fatal("the read-only mount accepts writes")
	}
}

// The same profiles give the same bytes whatever the scheduler and the
// map iteration order (random in every run) do. The profile sets every
// field and has several rule labels and SLO selectors: maps in the input.
func TestGenerateIsDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (whole-binary runs); make test runs them")
	}
	dir := t.TempDir()
	everyField := filepath.Join("..", "..", "generator", "generate", "testdata", "fuzz", "FuzzGenerate", "every-field")
	data, err := os.ReadFile(everyField)
	if err != nil {
		t.Fatal(err)
	}
	// A fuzz corpus entry is the profile as a Go string literal.
	yaml, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(string(data), "go test fuzz v1\n[]byte("), ")\n"))
	if err != nil {
		t.Fatal(err)
	}
	profile := filepath.Join(dir, "every-field.yaml")
	if err := os.WriteFile(profile, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	var first map[string]string
	for i, procs := range []string{"1", "8", "1", "8"} {
		out := filepath.Join(dir, fmt.Sprint("out", i))
		if r := run(t, []string{"GOMAXPROCS=" + procs}, "generate", "-p", profile, "-o", out); r.code != 0 {
			t.Fatalf("GOMAXPROCS=%s: %+v", procs, r)
		}
		got := snapshot(t, out, false)
		if first == nil {
			first = got
		} else if d := diffSnapshots(got, first); d != "" {
			t.Errorf("run %d (GOMAXPROCS=%s) differs from the first: %s", i, procs, d)
		}
	}
}

// The attack on issue 10: --out pointed at a folder of the user's, with a
// profile named like one of its subfolders. meshslo refuses, exit 1, and
// every file and mtime under the folder stays; no temporary folder is left.
// A file of that name is refused too, --force or not.
func TestForeignFolderIsNeverReplaced(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (whole-binary runs); make test runs them")
	}
	dir := t.TempDir()
	projects := filepath.Join(dir, "projects")
	for _, f := range []string{"thesis/chapter1/draft.tex", "thesis/refs.bib", "other/notes.txt"} {
		p := filepath.Join(projects, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	thesis := profileFile(t, dir, "thesis", "v1")
	before := snapshot(t, projects, true)
	r := run(t, nil, "generate", "-p", thesis, "-o", projects)
	want := "meshslo: refusing to replace " + filepath.Join(projects, "thesis") + ": it has no .meshslo-manifest, so meshslo did not write it"
	if r.code != 1 || !strings.HasPrefix(r.stderr, want) {
		t.Fatalf("exit %d, stderr %q; want exit 1 and %q", r.code, r.stderr, want)
	}
	if d := diffSnapshots(snapshot(t, projects, true), before); d != "" {
		t.Errorf("the refused run touched the folder: %s", d)
	}

	other := profileFile(t, dir, "file", "v1")
	if err := os.WriteFile(filepath.Join(projects, "file"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	before = snapshot(t, projects, true)
	for _, force := range []bool{false, true} {
		args := []string{"generate", "-p", other, "-o", projects}
		if force {
			args = append(args, "--force")
		}
		r := run(t, nil, args...)
		want := "meshslo: refusing to replace " + filepath.Join(projects, "file") + ": it is a file, not a folder meshslo wrote"
		if r.code != 1 || !strings.HasPrefix(r.stderr, want) {
			t.Errorf("force %v: exit %d, stderr %q; want exit 1 and %q", force, r.code, r.stderr, want)
		}
		if d := diffSnapshots(snapshot(t, projects, true), before); d != "" {
			t.Errorf("force %v: the refused run touched the folder: %s", force, d)
		}
	}
}

// Usage errors exit 64 (EX_USAGE); 2 is left to the Go runtime, whose
// fatal errors (out of memory) exit 2.
func TestUsageErrorsExit64(t *testing.T) {
	for _, args := range [][]string{{"generate", "--bogus"}, {"validate"}, {"generate", "extra-argument"}} {
		if r := run(t, nil, args...); r.code != 64 || !strings.Contains(r.stderr, "Run 'meshslo --help' for usage.") {
			t.Errorf("meshslo %s: exit %d, stderr %q; want 64 and the usage hint", strings.Join(args, " "), r.code, r.stderr)
		}
	}
}
