package cli

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/meshslo/meshslo/generator/output/udiff"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// testdata is absolute: some tests change the working directory.
var testdata, _ = filepath.Abs("testdata")

// checkGolden compares got with testdata/name, printing a unified diff on a
// mismatch; -update rewrites the file.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(testdata, name)
	if *update {
		if err := os.MkdirAll(testdata, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/meshslo/cli -update writes it)", err)
	}
	if d := udiff.Unified("testdata/"+name+" (committed)", "testdata/"+name+" (got)", want, []byte(got), 2); d != "" {
		t.Errorf("%s differs (go test ./cmd/meshslo/cli -update refreshes it):\n%s", path, d)
	}
}
