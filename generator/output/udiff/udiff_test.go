package udiff

import (
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A diff applied to a gives b exactly (replaying the script), and it is as
// short as the longest common subsequence allows while under MaxEdits.
func TestEditsAreShortestAndReplay(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 3000; i++ {
		a, b := randomLines(r), randomLines(r)
		ops := Edits(a, b)
		var got []string
		changes := 0
		ia, ib := 0, 0
		for _, o := range ops {
			switch o.Kind {
			case ' ':
				if o.A != ia || o.B != ib || a[o.A] != b[o.B] {
					t.Fatalf("case %d: keep %+v at a=%d b=%d", i, o, ia, ib)
				}
				got = append(got, a[o.A])
				ia, ib = ia+1, ib+1
			case '-':
				if o.A != ia {
					t.Fatalf("case %d: remove %+v at a=%d", i, o, ia)
				}
				ia++
				changes++
			case '+':
				if o.B != ib {
					t.Fatalf("case %d: add %+v at b=%d", i, o, ib)
				}
				got = append(got, b[o.B])
				ib++
				changes++
			}
		}
		if ia != len(a) || ib != len(b) || strings.Join(got, "") != strings.Join(b, "") {
			t.Fatalf("case %d: script does not turn a into b", i)
		}
		if want := len(a) + len(b) - 2*lcs(a, b); changes != want {
			t.Fatalf("case %d: %d changes, the shortest has %d\na=%q\nb=%q", i, changes, want, a, b)
		}
	}
}

// GNU patch, the real consumer of the format, turns a into b with the diff,
// including files without a final newline and empty ones.
func TestPatchAppliesTheDiff(t *testing.T) {
	patch, err := exec.LookPath("patch")
	if err != nil {
		t.Skip("no patch on PATH")
	}
	r := rand.New(rand.NewSource(2))
	dir := t.TempDir()
	for i := 0; i < 200; i++ {
		a, b := strings.Join(randomLines(r), ""), strings.Join(randomLines(r), "")
		if r.Intn(4) == 0 {
			a = strings.TrimSuffix(a, "\n")
		}
		if r.Intn(4) == 0 {
			b = strings.TrimSuffix(b, "\n")
		}
		if a == b {
			continue
		}
		file := filepath.Join(dir, "f")
		if err := os.WriteFile(file, []byte(a), 0o644); err != nil {
			t.Fatal(err)
		}
		d := Unified("a/f", "b/f", []byte(a), []byte(b), r.Intn(4))
		cmd := exec.Command(patch, "-s", "--posix", file)
		cmd.Stdin = strings.NewReader(d)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("case %d: patch: %v\n%s\ndiff:\n%s", i, err, out, d)
		}
		got, _ := os.ReadFile(file)
		if string(got) != b {
			t.Fatalf("case %d: patch made %q, want %q\ndiff:\n%s", i, got, b, d)
		}
	}
}

// Where the shortest script is unique, the diff is byte for byte what GNU
// diff -u writes.
func TestSameAsGNUDiff(t *testing.T) {
	diff, err := exec.LookPath("diff")
	if err != nil {
		t.Skip("no diff on PATH")
	}
	dir := t.TempDir()
	a := "groups:\n  - name: meshslo-istiod\n    interval: 30s\n    rules:\n      - alert: IstiodDown\n        expr: absent(up)\n        for: 1m\n        labels:\n          severity: critical\nend\n"
	b := "groups:\n  - name: meshslo-istiod\n    interval: 15s\n    rules:\n      - alert: IstiodDown\n        expr: absent(up)\n        for: 2m\n        labels:\n          severity: critical\n          team: mesh\nend"
	for _, c := range []struct{ a, b string }{{a, b}, {"", b}, {a, ""}, {"x\n", "x"}} {
		pa, pb := filepath.Join(dir, "a"), filepath.Join(dir, "b")
		os.WriteFile(pa, []byte(c.a), 0o644)
		os.WriteFile(pb, []byte(c.b), 0o644)
		want, _ := exec.Command(diff, "-U2", "--label", "a", "--label", "b", pa, pb).Output()
		if got := Unified("a", "b", []byte(c.a), []byte(c.b), 2); got != string(want) {
			t.Errorf("got:\n%s\nGNU diff:\n%s", got, want)
		}
	}
	if Unified("a", "b", []byte(a), []byte(a), 3) != "" {
		t.Error("equal files give a diff")
	}
}

// Past MaxEdits the diff is still correct: the differing middle, whole.
func TestManyEdits(t *testing.T) {
	var a, b []string
	for i := 0; i < 3*MaxEdits; i++ {
		a = append(a, "a"+string(rune('0'+i%10))+"\n")
		b = append(b, "b"+string(rune('0'+i%7))+"\n")
	}
	ops := Edits(a, b)
	if len(ops) != len(a)+len(b) {
		t.Errorf("%d ops, want %d", len(ops), len(a)+len(b))
	}
}

func randomLines(r *rand.Rand) []string {
	n := r.Intn(12)
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, string(rune('a'+r.Intn(4)))+"\n")
	}
	return out
}

func lcs(a, b []string) int {
	t := make([][]int, len(a)+1)
	for i := range t {
		t[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				t[i][j] = t[i+1][j+1] + 1
			} else {
				t[i][j] = max(t[i+1][j], t[i][j+1])
			}
		}
	}
	return t[0][0]
}
