package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/meshslo/meshslo/dashboards"
	"github.com/meshslo/meshslo/dashboards/preview"
	"github.com/meshslo/meshslo/generator/generate"
	"github.com/meshslo/meshslo/generator/output"
	"github.com/meshslo/meshslo/profiles"
)

func init() { extraCommands = append(extraCommands, newPreviewCmd) }

// PreviewsDir is the folder under --out that preview writes into, one
// subfolder per profile. It is not a profile folder, so generate neither
// checks nor replaces it.
const PreviewsDir = "previews"

type previewOptions struct {
	profiles            []string
	templates, out, dir string
}

func newPreviewCmd(stdout, stderr io.Writer) *cobra.Command {
	o := &previewOptions{}
	cmd := &cobra.Command{
		Use:   "preview",
		Short: "Draw each dashboard's layout as an SVG picture, for review without Grafana",
		Long: `Preview writes <out>/` + PreviewsDir + `/<profile>/<dashboard>.svg for each profile: every panel
in its place with its title, type, unit and threshold values. --dir DIR writes one
profile's pictures straight into DIR instead (this repository keeps the medium
profile's in docs/dashboards: meshslo preview -p medium --dir docs/dashboards).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(stdout, stderr) },
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.profiles, "profile", "p", nil, "built-in profile name or profile file; may repeat (default "+profiles.Default+")")
	f.StringVar(&o.templates, "templates", "", "directory of jsonnet templates that replace or add to the built-in ones")
	f.StringVarP(&o.out, "out", "o", "out", "output directory; the pictures go to <out>/"+PreviewsDir+"/<profile>/")
	f.StringVar(&o.dir, "dir", "", "write the pictures of a single profile into this directory instead")
	return cmd
}

func (o *previewOptions) run(stdout, stderr io.Writer) error {
	refs := o.profiles
	if len(refs) == 0 {
		refs = []string{profiles.Default}
	}
	if o.dir != "" && len(refs) > 1 {
		return fail(ExitUsage, "preview: --dir takes the pictures of one profile (got %d); leave it out to write <out>/%s/<profile>/", len(refs), PreviewsDir)
	}
	base := filepath.Join(o.out, PreviewsDir)
	// A profile named like the folder would have its output there.
	if _, err := os.Stat(filepath.Join(base, output.ManifestName)); err == nil && o.dir == "" {
		return fail(ExitInvalid, "preview: %s holds the output of a profile named %s; pass --out elsewhere or --dir", base, PreviewsDir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fail(ExitInvalid, "%v", err)
	}
	templates, err := templateSource(o.templates)
	if err != nil {
		return err
	}
	loaded, err := loadAll(refs, false, stderr)
	if err != nil {
		return err
	}
	type picture struct {
		path string
		svg  []byte
	}
	var pictures []picture
	var boards []dashboards.Dashboard
	for _, l := range loaded {
		b, err := generate.New(l.Profile, l.Origin, generate.Options{Templates: templates, NoTests: true})
		if err != nil {
			return fail(ExitInvalid, "%s: %v", l.File, err)
		}
		dir := o.dir
		if dir == "" {
			dir = filepath.Join(base, l.Profile.Metadata.Name)
		}
		for _, d := range b.Boards {
			svg, err := preview.SVG(d, dashboards.CheckOptionsFor(l.Profile.Metadata.Name, d.Name).MaxRows)
			if err != nil {
				return fail(ExitInvalid, "%s: %s: %v", l.File, d.Name, err)
			}
			pictures = append(pictures, picture{filepath.Join(dir, d.Name+".svg"), svg})
		}
		boards = append(boards, b.Boards...)
	}
	if err := checkUIDs(boards, "nothing was written"); err != nil {
		return err
	}
	// Everything is drawn before anything is written.
	for _, p := range pictures {
		if err := os.MkdirAll(filepath.Dir(p.path), 0o755); err != nil {
			return fail(ExitInvalid, "%v", err)
		}
		if err := os.WriteFile(p.path, p.svg, 0o644); err != nil {
			return fail(ExitInvalid, "%v", err)
		}
		fmt.Fprintln(stdout, "wrote", p.path)
	}
	return nil
}
