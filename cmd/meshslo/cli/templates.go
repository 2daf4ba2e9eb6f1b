package cli

import "github.com/meshslo/meshslo/dashboards"

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
