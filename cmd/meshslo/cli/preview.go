package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/meshslo/meshslo/dashboards"
	"github.com/meshslo/meshslo/dashboards/preview"
	"github.com/meshslo/meshslo/generator/generate"
	"github.com/meshslo/meshslo/profiles"
)

func init() { extraCommands = append(extraCommands, newPreviewCmd) }

type previewOptions struct {
	profile, templates, out string
}

func newPreviewCmd(stdout, stderr io.Writer) *cobra.Command {
	o := &previewOptions{}
	cmd := &cobra.Command{
		Use:   "preview",
		Short: "Draw each dashboard's layout as an SVG picture, for review without Grafana",
		Long: `Preview writes <out>/<dashboard>.svg for one profile: every panel in its place with
its title, type, unit and threshold values. docs/dashboards/ holds the medium profile's.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(stdout, stderr) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.profile, "profile", "p", profiles.Default, "built-in profile name or profile file")
	f.StringVar(&o.templates, "templates", "", "directory of jsonnet templates that replace or add to the built-in ones")
	f.StringVarP(&o.out, "out", "o", "docs/dashboards", "directory for the SVG files")
	return cmd
}

func (o *previewOptions) run(stdout, stderr io.Writer) error {
	templates, err := templateSource(o.templates)
	if err != nil {
		return err
	}
	loaded, err := loadAll([]string{o.profile}, false, stderr)
	if err != nil {
		return err
	}
	l := loaded[0]
	b, err := generate.New(l.Profile, l.Origin, generate.Options{Templates: templates, NoTests: true})
	if err != nil {
		return fail(ExitInvalid, "%s: %v", l.File, err)
	}
	boards := b.Boards
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return fail(ExitInvalid, "%v", err)
	}
	for _, d := range boards {
		svg, err := preview.SVG(d, dashboards.CheckOptionsFor(l.Profile.Metadata.Name, d.Name).MaxRows)
		if err != nil {
			return fail(ExitInvalid, "%s: %v", d.Name, err)
		}
		path := filepath.Join(o.out, d.Name+".svg")
		if err := os.WriteFile(path, svg, 0o644); err != nil {
			return fail(ExitInvalid, "%v", err)
		}
		fmt.Fprintln(stdout, "wrote", path)
	}
	return nil
}
