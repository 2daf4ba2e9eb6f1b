package cli

import "github.com/meshslo/meshslo/dashboards"

// useTemplates puts the templates of dir (over the built-in ones) in use
// for the generator's dashboard renderer until restore is called; an empty
// dir keeps the built-in ones.
func useTemplates(dir string) (restore func(), err error) {
	if dir == "" {
		return func() {}, nil
	}
	src, err := dashboards.Embedded().WithDir(dir)
	if err != nil {
		return nil, fail(ExitInvalid, "%v", err)
	}
	return dashboards.Use(src), nil
}
