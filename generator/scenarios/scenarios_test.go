package scenarios

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshslo/meshslo/generator/internal/realtools"
)

// repoRoot is where out/ and bin/ live, seen from this package.
const repoRoot = "../.."

// TestScenarios runs every testdata/<profile>/*.yaml with `promtool test
// rules`; each file names the committed rule files of its profile.
func TestScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (promtool on every scenario); make test runs them")
	}
	bin := realtools.Promtool(t)
	dirs, err := filepath.Glob("testdata/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no scenario folders under testdata/")
	}
	for _, dir := range dirs {
		profile := filepath.Base(dir)
		t.Run(profile, func(t *testing.T) {
			rules, _ := filepath.Glob(filepath.Join(repoRoot, "out", profile, "prometheus", "*.yaml"))
			if len(rules) == 0 {
				t.Fatalf("no committed rule files in out/%s/prometheus for the scenarios in %s", profile, dir)
			}
			files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
			if len(files) == 0 {
				t.Fatalf("no scenario files in %s", dir)
			}
			for _, file := range files {
				t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
					t.Parallel()
					out, err := exec.Command(bin, "test", "rules", file).CombinedOutput()
					if err != nil {
						t.Errorf("promtool test rules %s: %v\n%s", file, err, out)
					}
				})
			}
		})
	}
}

// TestScenariosReadCommittedRules guards the premise of this package: every
// scenario file must load the committed rules of its own profile, never
// rules generated on the fly next to the test.
func TestScenariosReadCommittedRules(t *testing.T) {
	files, _ := filepath.Glob("testdata/*/*.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		want := "  - ../../../../out/" + filepath.Base(filepath.Dir(file)) + "/prometheus/*.yaml\n"
		if !strings.Contains(string(data), "rule_files:\n"+want) {
			t.Errorf("%s: rule_files must be exactly\n%s", file, want)
		}
	}
}
