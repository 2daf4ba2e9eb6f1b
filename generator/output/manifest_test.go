package output

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/meshslo/meshslo/generator/generate"
)

// meshslo replaces a profile folder only if it wrote it: the folder has a
// manifest for that profile and no file the manifest does not list. Else
// the run fails before it writes anything, naming the folder and what is
// wrong, and every folder (the other profile's too) stays as it was.
// --force lifts the rule for folders, never for a file or symlink.
func TestRefusesFoldersMeshsloDidNotWrite(t *testing.T) {
	write := func(t *testing.T, path, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const advice = "; move it away, or pass --force to delete its files"
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string)
		force bool
		want  string // "" means the run succeeds and leaves the new output
	}{
		{
			name: "a folder of the user's named like the profile",
			setup: func(t *testing.T, dir string) {
				os.RemoveAll(filepath.Join(dir, "beta"))
				write(t, filepath.Join(dir, "beta", "chapter1", "draft.tex"), "thesis")
			},
			want: "refusing to replace beta: it has no .meshslo-manifest, so meshslo did not write it" + advice,
		},
		{
			name:  "a file added to a generated folder",
			setup: func(t *testing.T, dir string) { write(t, filepath.Join(dir, "beta", "notes.txt"), "mine") },
			want:  "refusing to replace beta: it holds notes.txt, which meshslo did not write (not in its .meshslo-manifest)" + advice,
		},
		{
			name:  "an empty folder added to a generated folder",
			setup: func(t *testing.T, dir string) { os.Mkdir(filepath.Join(dir, "beta", "prometheus", "mine"), 0o755) },
			want:  "refusing to replace beta: it holds prometheus/mine/, which meshslo did not write (not in its .meshslo-manifest)" + advice,
		},
		{
			name: "many files added",
			setup: func(t *testing.T, dir string) {
				for _, n := range []string{"e", "d", "c", "b", "a"} {
					write(t, filepath.Join(dir, "beta", n), n)
				}
			},
			want: "refusing to replace beta: it holds a, b, c and 2 more, which meshslo did not write (not in its .meshslo-manifest)" + advice,
		},
		{
			name: "a generated file replaced by a folder",
			setup: func(t *testing.T, dir string) {
				os.Remove(filepath.Join(dir, "beta", "README.md"))
				write(t, filepath.Join(dir, "beta", "README.md", "x"), "x")
			},
			want: "refusing to replace beta: it holds README.md/, which meshslo did not write (not in its .meshslo-manifest)" + advice,
		},
		{
			name: "the manifest of another profile",
			setup: func(t *testing.T, dir string) {
				data, _ := os.ReadFile(filepath.Join(dir, "alpha", ManifestName))
				write(t, filepath.Join(dir, "beta", ManifestName), string(data))
			},
			want: `refusing to replace beta: its .meshslo-manifest is for profile "alpha"` + advice,
		},
		{
			name: "a broken manifest",
			setup: func(t *testing.T, dir string) {
				write(t, filepath.Join(dir, "beta", ManifestName), "# profile: beta\nREADME.md\n")
			},
			want: `refusing to replace beta: its .meshslo-manifest line 2 is not "<sha256>  <path>"` + advice,
		},
		{
			name: "two folders refused at once",
			setup: func(t *testing.T, dir string) {
				os.Remove(filepath.Join(dir, "alpha", ManifestName))
				write(t, filepath.Join(dir, "beta", "notes.txt"), "mine")
			},
			want: "refusing to replace alpha: it has no .meshslo-manifest, so meshslo did not write it" + advice +
				"\nrefusing to replace beta: it holds notes.txt, which meshslo did not write (not in its .meshslo-manifest)" + advice,
		},
		{
			name: "a file where the folder goes, even with force",
			setup: func(t *testing.T, dir string) {
				os.RemoveAll(filepath.Join(dir, "beta"))
				write(t, filepath.Join(dir, "beta"), "a file")
			},
			force: true,
			want:  "refusing to replace beta: it is a file, not a folder meshslo wrote; move it away (not even --force replaces it)",
		},
		{
			name: "a symlink where the folder goes, even with force",
			setup: func(t *testing.T, dir string) {
				os.RemoveAll(filepath.Join(dir, "beta"))
				write(t, filepath.Join(dir, "elsewhere", "keep.txt"), "keep")
				if err := os.Symlink("elsewhere", filepath.Join(dir, "beta")); err != nil {
					t.Fatal(err)
				}
			},
			force: true,
			want:  "refusing to replace beta: it is a symbolic link, not a folder meshslo wrote; move it away (not even --force replaces it)",
		},
		{
			name:  "an edited generated file is replaced",
			setup: func(t *testing.T, dir string) { write(t, filepath.Join(dir, "beta", "README.md"), "edited by hand") },
		},
		{
			name:  "a deleted generated file is written again",
			setup: func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "beta", "prometheus", "slo.yaml")) },
		},
		{
			name: "force replaces a folder meshslo did not write",
			setup: func(t *testing.T, dir string) {
				os.RemoveAll(filepath.Join(dir, "beta"))
				write(t, filepath.Join(dir, "beta", "chapter1", "draft.tex"), "thesis")
			},
			force: true,
		},
		{
			name:  "force replaces a folder with added files",
			setup: func(t *testing.T, dir string) { write(t, filepath.Join(dir, "beta", "notes.txt"), "mine") },
			force: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := Write(dir, outputs("old", 10)); err != nil {
				t.Fatal(err)
			}
			tc.setup(t, dir)
			before := tree(t, dir)
			err := WriteOptions(dir, outputs("new", 10), Options{Force: tc.force})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Write = %v, want success", err)
				}
				wantTree(t, dir, tree(t, writeAlone(t, outputs("new", 10))))
				return
			}
			if err == nil || strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "") != tc.want {
				t.Fatalf("Write = %v\nwant %q", err, tc.want)
			}
			wantTree(t, dir, before)
		})
	}
}

// The manifest is the sha256sum listing of the folder's files with the
// profile in a comment: no time, same output same bytes, and
// `sha256sum -c` accepts it. The sums are printf ... | sha256sum.
func TestManifest(t *testing.T) {
	o := &generate.Output{Profile: "mesh", Files: map[string][]byte{
		"prometheus/rules.yaml": []byte("groups: []\n"),
		"README.md":             []byte("# mesh\n"),
	}}
	want := `# meshslo manifest: the files meshslo wrote to this folder, with their sha256.
# meshslo replaces this folder only while it holds no other file. Check: sha256sum -c .meshslo-manifest
# profile: mesh
4a2143ddff5775688c05ce10a3b05dfa67be8ca63d15a002937df0355f35110e  README.md
761adf8d97e15214e4da44effe63bc331092f597e3089818d5825c87444b1f27  prometheus/rules.yaml
`
	dir := t.TempDir()
	if err := Write(dir, []*generate.Output{o}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "mesh", ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("manifest:\n%s\nwant:\n%s", got, want)
	}
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Skip("no sha256sum here")
	}
	cmd := exec.Command("sha256sum", "--strict", "-c", ManifestName)
	cmd.Dir = filepath.Join(dir, "mesh")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("sha256sum -c: %v: %s", err, out)
	}
}

// --check compares the manifest like any generated file.
func TestDiffReportsManifest(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(dir string) error
		want  []string
	}{
		{"up to date", func(string) error { return nil }, nil},
		{"missing", func(dir string) error { return os.Remove(filepath.Join(dir, "beta", ManifestName)) }, []string{"missing: beta/.meshslo-manifest"}},
		{"changed", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "alpha", ManifestName), []byte("# profile: alpha\n"), 0o644)
		}, []string{"changed: alpha/.meshslo-manifest"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeAlone(t, outputs("v", 10))
			if err := tc.setup(dir); err != nil {
				t.Fatal(err)
			}
			got, err := Diff(dir, outputs("v", 10))
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("Diff = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
