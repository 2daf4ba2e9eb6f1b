package output

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/meshslo/meshslo/generator/generate"
	"github.com/meshslo/meshslo/generator/output/udiff"
)

// DiffContext is how many unchanged lines surround each change in
// UnifiedDiff, as diff -u.
const DiffContext = 3

// UnifiedDiff is a unified diff of every file Diff lists, from what dir
// holds to what the generator writes: a missing file comes from /dev/null,
// a file that is no longer generated goes to /dev/null. Paths are dir's,
// as given, so `patch -p0` in the working directory would apply it. It
// reads only.
func UnifiedDiff(dir string, outs []*generate.Output) (string, error) {
	list, err := Diff(dir, outs)
	if err != nil {
		return "", err
	}
	want := map[string][]byte{}
	for _, o := range outs {
		for p, data := range withManifest(o) {
			want[o.Profile+"/"+p] = data
		}
	}
	var sb strings.Builder
	for _, entry := range list {
		kind, rel, _ := strings.Cut(entry, ": ")
		path := filepath.ToSlash(filepath.Join(dir, filepath.FromSlash(rel)))
		from, to := path, path
		var have []byte
		if kind != "missing" {
			if have, err = os.ReadFile(filepath.FromSlash(path)); err != nil {
				return "", err
			}
		}
		switch kind {
		case "missing":
			from = "/dev/null"
		case "extra":
			to = "/dev/null"
		case "changed":
		default:
			return "", fmt.Errorf("unexpected difference %q", entry)
		}
		sb.WriteString(udiff.Unified(from, to, have, want[rel], DiffContext))
	}
	return sb.String(), nil
}
