// Package generate runs the whole pipeline for one profile: derive the
// config, build rules, dashboards and tests as data once (New), then
// render every output file from render's one table (Run). Every command
// that needs any of it (generate, validate, test, explain, preview, push)
// calls the same step.
package generate

import (
	"sort"

	"github.com/meshslo/meshslo/dashboards"
	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/render"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/generator/ruletests"
)

// Options change what a build uses; the zero value is the built-in set.
type Options struct {
	// Templates are the dashboard templates; nil means the built-in ones.
	Templates *dashboards.Source
	// NoTests skips building the generated promtool tests (explain,
	// preview and push do not need them).
	NoTests bool
}

// Build is one profile built as data, with the dashboards as evaluated
// (their uids and titles, for push and preview).
type Build struct {
	render.Built
	Boards []dashboards.Dashboard
}

// New builds the rules, dashboards and (unless o.NoTests) tests of a
// validated profile. origin says where each profile field came from (nil:
// the profile).
func New(p profile.Profile, origin config.Origin, o Options) (*Build, error) {
	c, err := config.New(p)
	if err != nil {
		return nil, err
	}
	if origin == nil {
		origin = func(string) string { return "profile" }
	}
	b := &Build{Built: render.Built{Config: c, Origin: origin, Rules: rules.Build(c)}}
	src := dashboards.Embedded()
	if o.Templates != nil {
		src = *o.Templates
	}
	b.Boards, err = src.Build(c, b.Rules)
	if err != nil {
		return nil, err
	}
	for _, d := range b.Boards {
		b.Dashboards = append(b.Dashboards, render.GrafanaDashboard{Name: d.Name, JSON: d.JSON})
	}
	if !o.NoTests {
		b.Tests, err = ruletests.Render(c, b.Rules)
		if err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Output is everything generated for one profile: file contents by path
// relative to <out>/<profile>/.
type Output struct {
	Profile string
	Files   map[string][]byte
}

// Paths returns the output's file paths in sorted order.
func (o *Output) Paths() []string {
	paths := make([]string, 0, len(o.Files))
	for p := range o.Files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// Run builds a validated profile and renders every output file.
func Run(p profile.Profile, origin config.Origin, o Options) (*Output, error) {
	b, err := New(p, origin, o)
	if err != nil {
		return nil, err
	}
	return b.Output()
}

// Output renders every file of the build (render.Outputs).
func (b *Build) Output() (*Output, error) {
	files, err := render.Files(&b.Built)
	if err != nil {
		return nil, err
	}
	out := &Output{Profile: b.Config.Profile.Metadata.Name, Files: make(map[string][]byte, len(files))}
	for _, f := range files {
		out.Files[f.Path] = f.Data
	}
	return out, nil
}
