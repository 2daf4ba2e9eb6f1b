package generate_test

import (
	"strings"
	"testing"

	"github.com/meshslo/meshslo/generator/generate"
	"github.com/meshslo/meshslo/generator/profile"
)

// A profile's README says which services an SLO that lists them covers,
// summarised by objective so a long list stays one line.
func TestReadmeSummarisesListedServices(t *testing.T) {
	l, errs := profile.Load("listed.yaml", []byte(`apiVersion: meshslo/v1alpha1
kind: MeshProfile
metadata: {name: listed}
spec:
  slos:
    - name: availability
      sli: availability
      objective: 99.9
      services:
        - {namespace: shop, name: cart}
        - {namespace: shop, name: checkout, objective: 99.95}
        - {namespace: shop, name: ledger, objective: 99.95}
`))
	if errs = append(errs, l.Validate()...); len(errs.Fatal(true)) > 0 {
		t.Fatal(errs)
	}
	out, err := generate.Run(l.Profile, l.Origin, generate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "SLO availability covers only the 3 services it lists, each with its own objective: 2 at 99.95%, 1 at 99.9%."
	if !strings.Contains(string(out.Files["README.md"]), want) {
		t.Errorf("README lacks %q", want)
	}
}
