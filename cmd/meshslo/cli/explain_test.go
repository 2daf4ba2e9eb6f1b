package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/meshslo/meshslo/generator/rules"
)

// explain's three outputs for a built-in profile, golden; json and yaml
// are the same document, every alert is in it with every field it names,
// and each field's value is the profile's.
func TestExplainOutputs(t *testing.T) {
	for _, format := range []string{"text", "json", "yaml"} {
		code, stdout, stderr := run(t, "explain", "-p", "large", "--output", format)
		if code != ExitOK {
			t.Fatalf("%s: exit %d: %s", format, code, stderr)
		}
		checkGolden(t, "explain-large."+format+".golden", stdout)
	}
	_, js, _ := run(t, "explain", "-p", "large", "-p", "small", "--output", "json")
	_, ym, _ := run(t, "explain", "-p", "large", "-p", "small", "--output", "yaml")
	var fromJSON, fromYAML explainDoc
	if err := json.Unmarshal([]byte(js), &fromJSON); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(ym), &fromYAML); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(fromJSON)
	b, _ := json.Marshal(fromYAML)
	if string(a) != string(b) {
		t.Errorf("json and yaml differ:\n%s\n%s", a, b)
	}
	if fromJSON.Schema != ExplainSchema || len(fromJSON.Profiles) != 2 || fromJSON.Profiles[1].Name != "small" {
		t.Fatalf("document: %s %d profiles", fromJSON.Schema, len(fromJSON.Profiles))
	}
	large := fromJSON.Profiles[0]
	seen := map[string]bool{}
	for _, al := range large.Alerts {
		seen[al.Alert] = true
		if len(al.Fields) == 0 || al.Condition == "" || al.Threshold.Shown == "" {
			t.Errorf("%s %s: incomplete: %+v", al.Alert, al.Severity, al)
		}
		for _, f := range al.Fields {
			if f.Value == nil || (f.Source == "file") != (f.Line > 0) {
				t.Errorf("%s: field %+v", al.Alert, f)
			}
		}
	}
	for _, s := range large.NotGenerated {
		seen[s.Alert] = true
	}
	for _, d := range rules.Descriptors {
		if !seen[d.Name] {
			t.Errorf("%s is neither in alerts nor in notGenerated", d.Name)
		}
	}
	// Values as the file writes them: profiles/large.yaml sets memoryLimit 16Gi.
	found := false
	for _, al := range large.Alerts {
		for _, f := range al.Fields {
			if f.Path == "spec.istiod.memoryLimit" {
				found = true
				if f.Value != "16Gi" || f.Source != "file" {
					t.Errorf("memoryLimit: %+v", f)
				}
			}
		}
	}
	if !found {
		t.Error("no alert names spec.istiod.memoryLimit")
	}
	if code, _, stderr := run(t, "explain", "--output", "xml"); code != ExitUsage || !strings.Contains(stderr, "text, json or yaml") {
		t.Errorf("--output xml: exit %d, %s", code, stderr)
	}
}

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		text  string
		width int
		want  []string
	}{
		{"a bb ccc dddd", 6, []string{"a bb", "ccc", "dddd"}},
		{"averyveryverylongword x", 5, []string{"averyveryverylongword", "x"}},
		{"", 10, []string{""}},
		{"fits exactly", 12, []string{"fits exactly"}},
	} {
		if got := wrap(tc.text, tc.width); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("wrap(%q, %d) = %q, want %q", tc.text, tc.width, got, tc.want)
		}
	}
}
