package cli

import (
	"fmt"
	"path/filepath"
	"testing"
)

// A problem only the build finds (here a selector no test series can
// match) fails validate with generate's own message, so validate never
// passes a profile generate refuses.
func TestValidateBuildsInMemory(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "nothing.yaml", `apiVersion: meshslo/v1alpha1
kind: MeshProfile
metadata: {name: nothing}
spec:
  prometheus: {selectors: {proxies: 'job=~"x{0}y^"'}}
`)
	const want = "meshslo: " + "%s: ruletests: cannot build proxies test series that match the selector job=~\"x{0}y^\" (matcher job=~\"x{0}y^\"); nothing was written\n"
	vCode, vOut, vErr := run(t, "validate", path)
	gCode, _, gErr := run(t, "generate", "--profile", path, "--out", filepath.Join(dir, "out"))
	if vCode != ExitInvalid || gCode != ExitInvalid || vErr != gErr || vOut != "" {
		t.Errorf("validate: exit %d, stdout %q, stderr %q\ngenerate: exit %d, stderr %q", vCode, vOut, vErr, gCode, gErr)
	}
	if vErr != fmt.Sprintf(want, path) {
		t.Errorf("validate prints %q, want %q", vErr, fmt.Sprintf(want, path))
	}
}
