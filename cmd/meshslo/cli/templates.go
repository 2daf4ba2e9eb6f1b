package cli

import (
	"github.com/meshslo/meshslo/dashboards"
	"github.com/meshslo/meshslo/generator/generate"
)

// useTemplates puts the templates of dir (over the built-in ones) in use
// for the generator's dashboard renderer until restore is called; an empty
// dir keeps the built-in ones. It returns the set in use.
func useTemplates(dir string) (src dashboards.Source, restore func(), err error) {
	if dir == "" {
		return dashboards.Embedded(), func() {}, nil
	}
	src, err = dashboards.Embedded().WithDir(dir)
	if err != nil {
		return src, nil, fail(ExitInvalid, "%v", err)
	}
	return src, dashboards.Use(src), nil
}

// checkUIDs refuses a run whose dashboards, over all its profiles, share a
// uid: in Grafana the one written last would replace the others.
func checkUIDs(src dashboards.Source, outs []*generate.Output) error {
	var all []dashboards.Dashboard
	for _, out := range outs {
		boards, err := src.Generated(out.Profile, out.Files)
		if err != nil {
			return fail(ExitInvalid, "%v; nothing was written", err)
		}
		all = append(all, boards...)
	}
	if err := dashboards.CheckUIDs(all); err != nil {
		return fail(ExitInvalid, "%v; nothing was written", err)
	}
	return nil
}
