package ruletests_test

import (
	"bytes"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/loader"
	"github.com/meshslo/meshslo/generator/render"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/generator/ruletests"
	"github.com/meshslo/meshslo/profiles"
)

func render1(t *testing.T, name string) (*config.Config, []rules.File, map[string][]byte) {
	t.Helper()
	l, errs := loader.Load(name)
	if l == nil || len(errs.Fatal(false)) > 0 {
		t.Fatalf("loading %s: %v", name, errs)
	}
	c, err := config.New(l.Profile)
	if err != nil {
		t.Fatal(err)
	}
	files := rules.Build(c)
	out, err := ruletests.Render(c, files)
	if err != nil {
		t.Fatal(err)
	}
	return c, files, out
}

func TestRenderIsDeterministicAndHeadered(t *testing.T) {
	for _, name := range profiles.Names() {
		_, _, a := render1(t, name)
		_, _, b := render1(t, name)
		for path, data := range a {
			if !bytes.Equal(data, b[path]) {
				t.Errorf("%s/%s differs between two runs", name, path)
			}
			if !bytes.HasPrefix(data, []byte("# "+render.Header(name)+"\n")) {
				t.Errorf("%s/%s does not start with the generated-file header", name, path)
			}
			if !strings.HasPrefix(path, ruletests.Dir+"/") || !strings.HasSuffix(path, ".test.yaml") {
				t.Errorf("unexpected path %s", path)
			}
		}
	}
}

// TestEveryAlertHasFiringAndQuietCases: every alert name and severity is
// expected to fire in some case and expected silent in another.
func TestEveryAlertHasFiringAndQuietCases(t *testing.T) {
	type file struct {
		RuleFiles []string `yaml:"rule_files"`
		Tests     []struct {
			Name       string `yaml:"name"`
			AlertTests []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []struct {
					ExpLabels map[string]string `yaml:"exp_labels"`
				} `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	for _, name := range append(profiles.Names(), listed) {
		_, files, out := render1(t, name)
		fires, quiet := map[string]bool{}, map[string]bool{}
		for path, data := range out {
			var f file
			if err := yaml.Unmarshal(data, &f); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			for _, g := range f.Tests {
				for _, at := range g.AlertTests {
					seen := map[string]bool{}
					for _, a := range at.ExpAlerts {
						key := at.Alertname + "/" + a.ExpLabels["severity"] + "/" + a.ExpLabels["burn_window"] + "/" + a.ExpLabels["slo"]
						fires[key], seen[key] = true, true
					}
					for _, r := range rules.Alerts(files) {
						key := r.Alert + "/" + r.Labels["severity"] + "/" + r.Labels["burn_window"] + "/" + r.Labels["slo"]
						if r.Alert == at.Alertname && !seen[key] {
							quiet[key] = true
						}
					}
				}
			}
		}
		for _, r := range rules.Alerts(files) {
			key := r.Alert + "/" + r.Labels["severity"] + "/" + r.Labels["burn_window"] + "/" + r.Labels["slo"]
			if !fires[key] || !quiet[key] {
				t.Errorf("%s: %s: fires in a case: %v, checked quiet: %v", name, key, fires[key], quiet[key])
			}
		}
	}
}
