package output

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/meshslo/meshslo/generator/generate"
)

// outputs builds two profiles of a few files each; version tells runs apart.
func outputs(version string, size int) []*generate.Output {
	var outs []*generate.Output
	for _, name := range []string{"alpha", "beta"} {
		o := &generate.Output{Profile: name, Files: map[string][]byte{}}
		for _, p := range []string{"README.md", "prometheus/rules.yaml", "prometheus/slo.yaml", "kubernetes/prometheusrule.yaml"} {
			o.Files[p] = []byte(fmt.Sprintf("%s %s %s\n%s", version, name, p, strings.Repeat("x", size)))
		}
		outs = append(outs, o)
	}
	return outs
}

// tree reads every file under dir, by slash path; temporary folders show
// up as entries too, so a leftover one makes two trees differ.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			files[filepath.ToSlash(rel)+"/"] = ""
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			to, err := os.Readlink(path)
			files[filepath.ToSlash(rel)] = "-> " + to
			return err
		}
		data, err := os.ReadFile(path)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func wantTree(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	got := tree(t, dir)
	if maps.Equal(got, want) {
		return
	}
	for k, v := range got {
		if w, ok := want[k]; !ok {
			t.Errorf("%s: unexpected %s", dir, k)
		} else if w != v {
			t.Errorf("%s: %s changed", dir, k)
		}
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("%s: %s is gone", dir, k)
		}
	}
}

// Whatever fails part-way, the previous output stays byte for byte and no
// temporary folder is left behind. The disk is made to fail through the
// writeFile, exchange and renameNoReplace hooks, at the first file, in the
// middle (a full disk) and while a profile folder is being swapped in, with
// and without an atomic exchange.
func TestFailedWriteKeepsPreviousOutput(t *testing.T) {
	enospc := &fs.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}
	for _, tc := range []struct {
		name       string
		failWrite  int // fail the n-th file written (1-based); 0 never
		failSwap   int // fail the n-th exchange or rename; 0 never
		noExchange bool
		want       string
	}{
		{name: "first file", failWrite: 1, want: "writing alpha/.meshslo-manifest: write x: no space left on device"},
		{name: "disk full half-way", failWrite: 8, want: "writing beta/kubernetes/prometheusrule.yaml: write x: no space left on device"},
		// Exchanges go: alpha, beta.
		{name: "first profile exchange", failSwap: 1, want: "replacing alpha: rename failed: input/output error"},
		{name: "second profile exchange", failSwap: 2, want: "replacing beta: rename failed: input/output error"},
		// Without exchange, renames go: alpha aside, alpha in, beta aside, beta in.
		{name: "second profile swap", failSwap: 4, noExchange: true, want: "replacing beta: rename failed: input/output error"},
		{name: "moving the old folder aside", failSwap: 3, noExchange: true, want: "replacing beta: rename failed: input/output error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := Write(dir, outputs("old", 10)); err != nil {
				t.Fatal(err)
			}
			before := tree(t, dir)
			writes, swaps := 0, 0
			t.Cleanup(func() { writeFile, exchange, renameNoReplace = writeFileSync, exchangeAt, renameNoReplaceAt })
			writeFile = func(path string, data []byte) error {
				if writes++; writes == tc.failWrite {
					// Leave half a file behind, as a full disk does.
					os.WriteFile(path, data[:len(data)/2], 0o644)
					return enospc
				}
				return writeFileSync(path, data)
			}
			exchange = func(a, b string) error {
				if tc.noExchange {
					return errNoExchange
				}
				if swaps++; swaps == tc.failSwap {
					return errors.New("rename failed: input/output error")
				}
				return exchangeAt(a, b)
			}
			renameNoReplace = func(from, to string) error {
				if swaps++; swaps == tc.failSwap {
					return errors.New("rename failed: input/output error")
				}
				return renameNoReplaceAt(from, to)
			}
			err := Write(dir, outputs("new", 10))
			if err == nil || strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "") != tc.want {
				t.Fatalf("Write = %v, want %q", err, tc.want)
			}
			wantTree(t, dir, before)
		})
	}
}

// A cancelled write (what SIGINT and SIGTERM do to Write) stops between
// files, removes its temporary folder and returns ErrInterrupted.
func TestInterruptedWriteKeepsPreviousOutput(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, outputs("old", 10)); err != nil {
		t.Fatal(err)
	}
	before := tree(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	writes := 0
	t.Cleanup(func() { writeFile = writeFileSync })
	writeFile = func(path string, data []byte) error {
		if writes++; writes == 3 {
			cancel()
		}
		return writeFileSync(path, data)
	}
	if err := WriteContext(ctx, dir, outputs("new", 10), Options{}); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("WriteContext = %v, want ErrInterrupted", err)
	}
	wantTree(t, dir, before)
}

// A run killed outright (SIGKILL) leaves its temporary folder; the next
// run removes it while it holds the lock.
func TestStaleTemporaryFoldersAreRemoved(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, tmpPrefix+"12345", "new", "alpha")
	if err := os.MkdirAll(stale, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, outputs("new", 10)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(filepath.Dir(stale))); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale temporary folder is still there: %v", err)
	}
}

// Concurrent writers to one directory are serialised by the lock: every
// one succeeds and the result is exactly one writer's output.
func TestConcurrentWritesLeaveOneCompleteRun(t *testing.T) {
	dir := t.TempDir()
	const writers = 6
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() { errs[i] = Write(dir, outputs(fmt.Sprint("run", i), 2000)) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	got := tree(t, dir)
	for i := range writers {
		want := tree(t, writeAlone(t, outputs(fmt.Sprint("run", i), 2000)))
		if maps.Equal(got, want) {
			return
		}
	}
	t.Errorf("the output directory is no single writer's output: %v", keys(got))
}

func writeAlone(t *testing.T, outs []*generate.Output) string {
	dir := t.TempDir()
	if err := Write(dir, outs); err != nil {
		t.Fatal(err)
	}
	return dir
}

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// An output directory that cannot be written fails the run before it
// touches anything. Root ignores file modes, so as root the directory is
// a read-only mount instead.
func TestReadOnlyOutputDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, outputs("old", 10)); err != nil {
		t.Fatal(err)
	}
	readOnly(t, dir)
	before := tree(t, dir)
	err := Write(dir, outputs("new", 10))
	if err == nil || !strings.Contains(err.Error(), "is not writable") {
		t.Fatalf("Write = %v, want a not-writable error", err)
	}
	wantTree(t, dir, before)
}

// readOnly makes dir read-only for this process: by mode when that binds,
// else (root) by bind-mounting it read-only over itself.
func readOnly(t *testing.T, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		chmodTree(t, dir, 0o555)
		t.Cleanup(func() { chmodTree(t, dir, 0o755) })
		return
	}
	mount(t, "--bind", dir, dir)
	if out, err := exec.Command("mount", "-o", "remount,ro,bind", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount read-only: %v: %s", err, out)
	}
}

func chmodTree(t *testing.T, dir string, mode os.FileMode) {
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(path, mode)
		}
		return nil
	})
}

// mount runs mount(8) with args, the last being the mount point, and
// unmounts it when the test ends. Without the privilege to mount the test
// is skipped: TestFailedWriteKeepsPreviousOutput covers the same failures
// through the hooks.
func mount(t *testing.T, args ...string) {
	t.Helper()
	target := args[len(args)-1]
	if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
		t.Skipf("cannot mount here (%v: %s); the hook-based tests cover this failure", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", target).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", target, err, out)
		}
	})
}

// A real full disk: a tmpfs with room for one copy of the output but not
// two. The run fails with ENOSPC and the old copy is untouched.
func TestDiskFull(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "small-disk")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mount(t, "-t", "tmpfs", "-o", "size=160k", "tmpfs", dir)
	old, bigger := outputs("old", 8<<10), outputs("new", 12<<10)
	if err := Write(dir, old); err != nil {
		t.Fatal(err)
	}
	before := tree(t, dir)
	err := Write(dir, bigger)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Write = %v, want ENOSPC", err)
	}
	wantTree(t, dir, before)
}
