package profile

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshslo/meshslo/generator/internal/golden"
)

var update = flag.Bool("update", false, "rewrite docs/profile-reference.md from the types")

// referenceFile is docs/profile-reference.md from this package's directory.
var referenceFile = filepath.Join("..", "..", filepath.FromSlash(ReferencePath))

// The committed reference is what Reference renders from types.go.
// Refresh with: go test ./generator/profile -update
func TestProfileReferenceIsFresh(t *testing.T) {
	want, err := Reference()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(referenceFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	have, err := os.ReadFile(referenceFile)
	if err != nil {
		t.Fatalf("%v (run: go test ./generator/profile -update)", err)
	}
	if d := golden.Diff(ReferencePath, have, want); d != "" {
		t.Errorf("%s is stale (run: go test ./generator/profile -update):\n%s", ReferencePath, d)
	}
}

// Every field of the profile carries a doc comment in types.go (its own or,
// for a nested object, its type's), so the reference describes it.
func TestEveryProfileFieldIsDocumented(t *testing.T) {
	fields, err := ReferenceFields()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fields {
		if f.Description == "" {
			t.Errorf("%s has no doc comment in generator/profile/types.go", f.Path)
		}
	}
}

// The reference reaches every nested field, shows size-dependent defaults
// per size, tag defaults, the code's allowed values and user-facing types.
func TestProfileReferenceContent(t *testing.T) {
	fields, err := ReferenceFields()
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]RefField{}
	for _, f := range fields {
		if _, dup := byPath[f.Path]; dup {
			t.Errorf("%s listed twice", f.Path)
		}
		byPath[f.Path] = f
	}
	get := func(p string) RefField {
		t.Helper()
		f, ok := byPath[p]
		if !ok {
			t.Fatalf("%s missing from the reference", p)
		}
		return f
	}
	if f := get("spec.istiod.memoryLimit"); f.Type != "memory quantity" ||
		f.Default != "small: "+sizeTable["small"].istiodMemory.String()+", medium: "+sizeTable["medium"].istiodMemory.String()+", large: "+sizeTable["large"].istiodMemory.String() {
		t.Errorf("memoryLimit: %+v", f)
	}
	if f := get("spec.istiod.heapFor"); f.Type != "duration" || f.Default != Defaults("small").Spec.Istiod.HeapFor.String() || f.Allowed != "0 to "+MaxFor.String() {
		t.Errorf("heapFor: %+v", f)
	}
	if f := get("spec.istiod.cpuWarningRatio"); f.Type != "ratio 0-1" || f.Default != FormatNumber(Defaults("large").Spec.Istiod.CPUWarningRatio) {
		t.Errorf("cpuWarningRatio: %+v", f)
	}
	if f := get("spec.slos[].threshold"); f.Type != "duration" || !strings.HasPrefix(f.Default, DefaultLatencyThreshold.String()) {
		t.Errorf("slos[].threshold: %+v", f)
	}
	if f := get("spec.slos[].objective"); f.Type != "percentage" {
		t.Errorf("slos[].objective: %+v", f)
	}
	if f := get("spec.prometheus.ruleLabels"); f.Type != "map of string to string" || f.Default != "{release: kube-prometheus-stack}" {
		t.Errorf("ruleLabels: %+v", f)
	}
	if f := get("spec.environment"); f.Allowed != strings.Join(Environments, ", ") || f.Default != DefaultEnvironment {
		t.Errorf("environment: %+v", f)
	}
	if f := get("spec.size"); f.Default != DefaultSize || f.Allowed != strings.Join(Sizes, ", ") {
		t.Errorf("size: %+v", f)
	}
	if f := get("spec.mesh.services"); f.Type != "integer" || !strings.Contains(f.Default, "small: 30") {
		t.Errorf("mesh.services: %+v", f)
	}
	get("spec.slos[].services[].objective")
	get("spec.prometheus.selectors.certManager")
	get("spec.burnRates[].for")
}
