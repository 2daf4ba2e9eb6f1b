package generate_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/meshslo/meshslo/generator/internal/realtools"
)

// Every rule file, and the groups inside the PrometheusRule and the Helm
// values, pass promtool's checker with every lint enabled and fatal.
func TestPromtoolCheckRulesOnEveryFormat(t *testing.T) {
	bin := realtools.Promtool(t)
	dir := t.TempDir()
	var files []string
	for _, out := range builtins(t) {
		for _, p := range out.Paths() {
			data := out.Files[p]
			var groups any
			switch {
			case strings.HasPrefix(p, "prometheus/"):
				groups = nil
			case p == "kubernetes/prometheusrule.yaml":
				groups = extract(t, data, "spec")
			case strings.HasPrefix(p, "helm/"):
				groups = extract(t, data, "additionalPrometheusRulesMap", "meshslo-"+out.Profile)
			default:
				continue
			}
			if groups != nil {
				var err error
				if data, err = yaml.Marshal(groups); err != nil {
					t.Fatal(err)
				}
			}
			name := filepath.Join(dir, out.Profile+"-"+strings.NewReplacer("/", "-").Replace(p))
			if err := os.WriteFile(name, data, 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, name)
		}
	}
	cmd := exec.Command(bin, append([]string{"check", "rules", "--lint=all", "--lint-fatal"}, files...)...)
	if outb, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules failed: %v\n%s", err, outb)
	}
}

func extract(t *testing.T, data []byte, path ...string) any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var cur any = doc
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok || m[k] == nil {
			t.Fatalf("no %q in document", k)
		}
		cur = m[k]
	}
	return cur
}
