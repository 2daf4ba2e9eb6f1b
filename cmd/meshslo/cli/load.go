package cli

import (
	"fmt"
	"io"

	"github.com/meshslo/meshslo/generator/loader"
	"github.com/meshslo/meshslo/generator/profile"
)

// loadAll loads every ref, prints every problem of every profile (warnings
// included) and fails with ExitInvalid if any is fatal.
func loadAll(refs []string, strict bool, stderr io.Writer) ([]*profile.Loaded, error) {
	var loaded []*profile.Loaded
	fatal := 0
	names := map[string]string{}
	for _, ref := range refs {
		l, errs := loader.Load(ref)
		for _, e := range errs {
			if e.Warning && strict {
				e.Warning = false
			}
			fmt.Fprintln(stderr, e.Error())
		}
		fatal += len(errs.Fatal(strict))
		if l == nil {
			continue
		}
		if prev, dup := names[l.Profile.Metadata.Name]; dup {
			fmt.Fprintf(stderr, "%s: metadata.name: %q is also the name of %s; each profile needs its own output folder\n", l.File, l.Profile.Metadata.Name, prev)
			fatal++
		}
		names[l.Profile.Metadata.Name] = l.File
		loaded = append(loaded, l)
	}
	if fatal > 0 {
		return nil, fail(ExitInvalid, "%d problem(s) found; nothing was written", fatal)
	}
	return loaded, nil
}
