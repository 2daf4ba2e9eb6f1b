package output

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/meshslo/meshslo/generator/generate"
)

// The kill tests run this test binary again as a helper that does one
// Write (or one recovery) and SIGKILLs itself right after its n-th step,
// as a power cut or the OOM killer would stop it: no deferred clean-up
// runs. The variables are read only here, in the test binary.
const (
	killDir        = "MESHSLO_TEST_KILL_DIR"
	killAction     = "MESHSLO_TEST_KILL_ACTION" // write or recover
	killAt         = "MESHSLO_TEST_KILL_AT"     // step number, 0 never
	killNoExchange = "MESHSLO_TEST_KILL_NO_EXCHANGE"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(killDir); dir != "" {
		os.Exit(killHelper(dir))
	}
	os.Exit(m.Run())
}

func killHelper(dir string) int {
	at, _ := strconv.Atoi(os.Getenv(killAt))
	if os.Getenv(killNoExchange) == "1" {
		exchange = func(a, b string) error { return errNoExchange }
	}
	n := 0
	afterStep = func(step string) {
		n++
		fmt.Fprintln(os.Stdout, step)
		if n == at {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	}
	var err error
	switch os.Getenv(killAction) {
	case "write":
		err = WriteContext(context.Background(), dir, killOutputs("new"), Options{})
	case "recover":
		err = recoverStale(dir)
	default:
		err = fmt.Errorf("unknown %s", killAction)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// killOutputs: the old run has alpha and beta, the new one also gamma, so a
// run both replaces folders and creates one.
func killOutputs(version string) []*generate.Output {
	outs := outputs(version, 10)
	if version == "new" {
		gamma := outputs(version, 10)[0]
		gamma.Profile = "gamma"
		outs = append(outs, gamma)
	}
	return outs
}

// runHelper runs the helper and reports whether it killed itself, and the
// steps it went through.
func runHelper(t *testing.T, dir, action string, at int, noExchange bool) (killed bool, steps []string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), killDir+"="+dir, killAction+"="+action, killAt+"="+strconv.Itoa(at))
	if noExchange {
		cmd.Env = append(cmd.Env, killNoExchange+"=1")
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		killed = true
	} else if err != nil {
		t.Fatalf("helper %s (kill at %d): %v: %s", action, at, err, stderr.String())
	}
	return killed, strings.Fields(strings.ReplaceAll(stdout.String(), " ", "_"))
}

// A run SIGKILLed after any step of its swap, and the recovery of that
// run SIGKILLed after any of its own steps: the next run finds all the old
// folders (killed before the commit) or all the new ones (after it), and
// never a folder lost. With an atomic exchange no profile folder is ever
// missing, even right after the kill; with two renames one may be missing
// until the next run, which puts it back from the temporary folder.
func TestKillAtEveryStep(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (a killed child process at every step); make test runs them")
	}
	allOld := tree(t, writeAlone(t, killOutputs("old")))
	allNew := tree(t, writeAlone(t, killOutputs("new")))
	sub := func(m map[string]string, profile string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			if strings.HasPrefix(k, profile+"/") {
				out[k] = v
			}
		}
		return out
	}
	for _, mode := range []struct {
		name       string
		noExchange bool
		steps      []string
	}{
		{"exchange", false, []string{"journal", "exchange_alpha", "exchange_beta", "create_gamma", "commit"}},
		{"two renames", true, []string{"journal", "aside_alpha", "in_alpha", "aside_beta", "in_beta", "create_gamma", "commit"}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			setup := func(t *testing.T, at int) string {
				dir := t.TempDir()
				if err := Write(dir, killOutputs("old")); err != nil {
					t.Fatal(err)
				}
				killed, steps := runHelper(t, dir, "write", at, mode.noExchange)
				if at == 0 && (killed || !slices.Equal(steps, mode.steps)) {
					t.Fatalf("a whole run went through %v (killed %v), want %v", steps, killed, mode.steps)
				}
				if at > 0 && !killed {
					t.Fatalf("the run was not killed at step %d", at)
				}
				return dir
			}
			setup(t, 0)
			for at := 1; at <= len(mode.steps); at++ {
				step := mode.steps[at-1]
				want, wantName := allOld, "the old output"
				if step == "commit" {
					want, wantName = allNew, "the new output"
				}
				t.Run("killed after "+step, func(t *testing.T) {
					// Right after the kill: every folder that was there is
					// complete, old or new, in its place or in the
					// temporary folder (only between two renames).
					dir := setup(t, at)
					got := tree(t, dir)
					for _, p := range []string{"alpha", "beta"} {
						in := sub(got, p)
						if maps.Equal(in, sub(allOld, p)) || maps.Equal(in, sub(allNew, p)) {
							continue
						}
						if mode.noExchange && len(in) == 0 && strings.HasSuffix(step, "aside_"+p) {
							continue
						}
						t.Errorf("after the kill %s is neither old nor new: %v", p, slices.Sorted(maps.Keys(in)))
					}
					for m := 1; ; m++ {
						dir := setup(t, at)
						killed, _ := runHelper(t, dir, "recover", m, mode.noExchange)
						if err := recoverStale(dir); err != nil {
							t.Fatalf("recovery after a recovery killed at step %d: %v", m, err)
						}
						wantTree(t, dir, want)
						if t.Failed() {
							t.Fatalf("recovery killed at step %d did not leave %s", m, wantName)
						}
						if !killed {
							t.Logf("recovery has %d step(s), each killed once", m-1)
							break
						}
						if m > 10 {
							t.Fatal("the recovery never ends")
						}
					}
					// And the next run proper writes its own output.
					if err := Write(dir, killOutputs("new")); err != nil {
						t.Fatal(err)
					}
					wantTree(t, dir, allNew)
				})
			}
		})
	}
}

// A temporary folder left by a meshslo before the journal, killed between
// its two renames, holds the only copy of a profile folder in old/: the
// next run puts it back instead of deleting it.
func TestLegacyTemporaryFolderIsPutBack(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, outputs("old", 10)); err != nil {
		t.Fatal(err)
	}
	before := tree(t, dir)
	tmp := filepath.Join(dir, tmpPrefix+"42")
	if err := os.MkdirAll(filepath.Join(tmp, "new", "beta"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(tmp, "old"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "beta"), filepath.Join(tmp, "old", "beta")); err != nil {
		t.Fatal(err)
	}
	if err := recoverStale(dir); err != nil {
		t.Fatal(err)
	}
	wantTree(t, dir, before)
}

// A journal that cannot be rolled back (its previous folder is gone) stops
// the run with the path of the temporary folder, which stays.
func TestFailedRecoveryKeepsTemporaryFolder(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, outputs("old", 10)); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, tmpPrefix+"7")
	if err := os.MkdirAll(filepath.Join(tmp, "old"), 0o755); err != nil {
		t.Fatal(err)
	}
	// beta was moved aside, then the folder meant for old/ vanished.
	if err := writeJournal(tmp, []journalEntry{{profile: "beta", dev: 1, ino: 1, hadOld: true}}); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "beta")); err != nil {
		t.Fatal(err)
	}
	before := tree(t, dir)
	err := Write(dir, outputs("new", 10))
	want := "an interrupted run left TMP and putting its previous folders back failed: beta: rename TMP/old/beta DIR/beta: no such file or directory; move them back by hand from TMP"
	if err == nil || strings.NewReplacer(tmp, "TMP", dir, "DIR").Replace(err.Error()) != want {
		t.Fatalf("Write = %v, want %q", err, want)
	}
	wantTree(t, dir, before)
}
