package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
)

func init() { plugins.RegisterDefaultPlugins() }

// A small dashboard in the form meshslo writes (schemaVersion 42, every
// required option): the base every case below breaks in one place.
func base(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "valid.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func encode(t *testing.T, d map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func panel(d map[string]any, i int) map[string]any {
	return d["panels"].([]any)[i].(map[string]any)
}

func TestValidPasses(t *testing.T) {
	errs, added := Check(encode(t, base(t)), 42)
	if len(errs) > 0 {
		t.Fatalf("valid dashboard fails: %v", errs)
	}
	if len(added) > 0 {
		t.Errorf("the SDK adds %v to a dashboard with every required field", added)
	}
}

// Each break is caught, with a message that names where.
func TestBreaksAreCaught(t *testing.T) {
	for _, c := range []struct {
		name  string
		edit  func(d map[string]any)
		where string
	}{
		{"unknown option", func(d map[string]any) { panel(d, 1)["options"].(map[string]any)["bogus"] = true }, "unexpected field 'bogus'"},
		{"missing required option", func(d map[string]any) { delete(panel(d, 1)["options"].(map[string]any), "showPercentChange") }, "showPercentChange: required field is missing"},
		{"row description", func(d map[string]any) { panel(d, 0)["description"] = "x" }, "unexpected field 'description'"},
		{"unknown query field", func(d map[string]any) {
			panel(d, 1)["targets"].([]any)[0].(map[string]any)["bogus"] = 1
		}, "unexpected field 'bogus'"},
		{"unknown field config key", func(d map[string]any) {
			panel(d, 1)["fieldConfig"].(map[string]any)["defaults"].(map[string]any)["bogus"] = 1
		}, "fieldConfig: defaults.FieldConfig: unexpected field 'bogus'"},
		{"unknown threshold key", func(d map[string]any) {
			panel(d, 1)["fieldConfig"].(map[string]any)["defaults"].(map[string]any)["thresholds"].(map[string]any)["bogus"] = 1
		}, "ThresholdsConfig: unexpected field 'bogus'"},
		{"custom field config on a stat", func(d map[string]any) {
			panel(d, 1)["fieldConfig"].(map[string]any)["defaults"].(map[string]any)["custom"] = map[string]any{"lineWidth": 1}
		}, `panel type "stat" has no custom field config`},
		{"unknown custom key on a time series", func(d map[string]any) {
			panel(d, 2)["fieldConfig"].(map[string]any)["defaults"].(map[string]any)["custom"].(map[string]any)["bogus"] = 1
		}, "fieldConfig.defaults.custom"},
		{"panel type without a schema", func(d map[string]any) { panel(d, 1)["type"] = "no-such-panel" }, `panel type "no-such-panel" has no schema`},
		{"variable without current value", func(d map[string]any) {
			d["templating"].(map[string]any)["list"].([]any)[0].(map[string]any)["current"] = map[string]any{}
		}, "current.text: required field is missing"},
		{"value mapping of an unknown type", func(d map[string]any) {
			panel(d, 1)["fieldConfig"].(map[string]any)["defaults"].(map[string]any)["mappings"].([]any)[0].(map[string]any)["type"] = "nonsense"
		}, "mappings"},
		{"old schema", func(d map[string]any) { d["schemaVersion"] = 39 }, "schemaVersion is 39, want 42"},
		{"value lost in the round trip", func(d map[string]any) {
			// footer.fields is a list in the schema: a string does not survive.
			panel(d, 3)["options"].(map[string]any)["footer"].(map[string]any)["fields"] = ""
		}, `.options.footer.fields: "" became [""]`},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := base(t)
			c.edit(d)
			errs, _ := Check(encode(t, d), 42)
			if len(errs) == 0 {
				t.Fatalf("passes")
			}
			if !strings.Contains(strings.Join(errs, "\n"), c.where) {
				t.Errorf("errors do not mention %q:\n%s", c.where, strings.Join(errs, "\n"))
			}
		})
	}
}

// Keys the SDK writes that the file has not are listed as added, not
// failed; numbers compare by value; a changed value or a dropped key
// (null included) is lost.
func TestAddedKeysAreListed(t *testing.T) {
	lost, added := Compare(map[string]any{"a": json.Number("1")}, map[string]any{"a": json.Number("1.0"), "b": true}, "")
	if len(lost) != 0 || len(added) != 1 || added[0] != ".b" {
		t.Fatalf("lost %v, added %v", lost, added)
	}
	lost, _ = Compare(map[string]any{"a": []any{"x"}, "n": nil}, map[string]any{"a": []any{"y"}}, "")
	if len(lost) != 2 {
		t.Fatalf("lost %v, want a changed value and a dropped null", lost)
	}
}

func TestCommandLine(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(good, encode(t, base(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	d := base(t)
	d["schemaVersion"] = 39
	if err := os.WriteFile(bad, encode(t, d), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{good}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s %s", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := run([]string{"-json", good, bad}, &out, &errOut); code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, out.String())
	}
	var reports []Report
	if err := json.Unmarshal(out.Bytes(), &reports); err != nil || len(reports) != 2 || len(reports[0].Errors) != 0 || len(reports[1].Errors) == 0 {
		t.Fatalf("reports %+v (%v)", reports, err)
	}
	if code := run(nil, &out, &errOut); code != 2 {
		t.Fatalf("no files: exit %d, want 2", code)
	}
}
