package cli

import (
	"github.com/meshslo/meshslo/dashboards"
)

// templateSource returns the templates of dir over the built-in ones, for
// generate.Options; an empty dir keeps the built-in ones (nil).
func templateSource(dir string) (*dashboards.Source, error) {
	if dir == "" {
		return nil, nil
	}
	src, err := dashboards.Embedded().WithDir(dir)
	if err != nil {
		return nil, fail(ExitInvalid, "%v", err)
	}
	return &src, nil
}

// checkUIDs refuses a run whose dashboards, over all its profiles, share a
// uid: in Grafana the one written last would replace the others.
func checkUIDs(boards []dashboards.Dashboard, what string) error {
	if err := dashboards.CheckUIDs(boards); err != nil {
		return fail(ExitInvalid, "%v; %s", err, what)
	}
	return nil
}
