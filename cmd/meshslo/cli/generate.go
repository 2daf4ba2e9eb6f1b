package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/meshslo/meshslo/dashboards"
	"github.com/meshslo/meshslo/generator/generate"
	"github.com/meshslo/meshslo/generator/output"
	"github.com/meshslo/meshslo/profiles"
)

type generateOptions struct {
	profiles []string
	all      bool
	out      string
	check    bool
	diff     bool
	strict   bool
	force    bool
	// templates overlays the built-in dashboard templates (see templates.go).
	templates string
}

func newGenerateCmd(stdout, stderr io.Writer) *cobra.Command {
	o := &generateOptions{}
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Write rules, PrometheusRule, Helm values and README for one or more profiles",
		Long: `Generate writes <out>/<profile>/ for each profile: prometheus/*.yaml rule files,
kubernetes/prometheusrule.yaml, helm/kube-prometheus-stack.values.yaml, tests/*.test.yaml
(promtool unit tests for the rules), dashboards/*.json with kubernetes/grafana-dashboards.yaml
(Grafana), runbooks/<alert>.md and README.md.
Without --profile it uses the built-in profile "` + profiles.Default + `".
Nothing is written unless every profile of the run succeeds.
Each profile folder gets a ` + output.ManifestName + ` listing the files meshslo wrote; a folder
without one, or holding files it does not list, is not replaced (see --force).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(stdout, stderr) },
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.profiles, "profile", "p", nil, "built-in profile name or profile file; may repeat")
	f.BoolVar(&o.all, "all", false, "every built-in profile")
	f.StringVarP(&o.out, "out", "o", "out", "output directory")
	f.BoolVar(&o.check, "check", false, "write nothing; exit 3 and list the files that would change")
	f.BoolVar(&o.diff, "diff", false, "with --check: print a unified diff of each file that would change, instead of the list")
	f.BoolVar(&o.strict, "strict", false, "treat warnings as errors")
	f.BoolVar(&o.force, "force", false, "dangerous: replaces folders meshslo did not write, deleting their files")
	f.StringVar(&o.templates, "templates", "", "directory of jsonnet dashboard templates that replace or add to the built-in ones")
	return cmd
}

func (o *generateOptions) refs() []string {
	refs := o.profiles
	if o.all {
		refs = append(profiles.Names(), refs...)
	}
	if len(refs) == 0 {
		refs = []string{profiles.Default}
	}
	return refs
}

func (o *generateOptions) run(stdout, stderr io.Writer) error {
	if o.diff && !o.check {
		return fail(ExitUsage, "generate: --diff needs --check (generate without --check writes the files instead)")
	}
	templates, err := templateSource(o.templates)
	if err != nil {
		return err
	}
	loaded, err := loadAll(o.refs(), o.strict, stderr)
	if err != nil {
		return err
	}
	var outs []*generate.Output
	var boards []dashboards.Dashboard
	for _, l := range loaded {
		b, err := generate.New(l.Profile, l.Origin, generate.Options{Templates: templates})
		if err != nil {
			return fail(ExitInvalid, "%s: %v; nothing was written", l.File, err)
		}
		out, err := b.Output()
		if err != nil {
			return fail(ExitInvalid, "%s: %v; nothing was written", l.File, err)
		}
		outs = append(outs, out)
		boards = append(boards, b.Boards...)
	}
	if err := checkUIDs(boards, "nothing was written"); err != nil {
		return err
	}
	if o.check {
		diffs, err := output.Diff(o.out, outs)
		if err != nil {
			return fail(ExitInvalid, "checking %s: %v", o.out, err)
		}
		if len(diffs) > 0 {
			if o.diff {
				text, err := output.UnifiedDiff(o.out, outs)
				if err != nil {
					return fail(ExitInvalid, "checking %s: %v", o.out, err)
				}
				fmt.Fprint(stdout, text)
			} else {
				for _, d := range diffs {
					fmt.Fprintln(stdout, d)
				}
			}
			fmt.Fprintf(stderr, "%d file(s) in %s differ from what the generator writes; run without --check to update them\n", len(diffs), o.out)
			return failSilently(ExitDrift)
		}
		fmt.Fprintf(stdout, "%s is up to date (%d profile(s))\n", o.out, len(outs))
		return nil
	}
	if err := output.WriteOptions(o.out, outs, output.Options{Force: o.force}); err != nil {
		code := ExitInvalid
		if errors.Is(err, output.ErrInterrupted) {
			code = ExitInterrupted
		}
		return fail(code, "%v; previously generated files are unchanged", err)
	}
	for _, out := range outs {
		fmt.Fprintf(stdout, "wrote %d files to %s/%s\n", len(out.Files), o.out, out.Profile)
	}
	return nil
}
