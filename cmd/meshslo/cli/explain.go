package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/meshslo/meshslo/generator/generate"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/profiles"
)

func newExplainCmd(stdout, stderr io.Writer) *cobra.Command {
	var refs []string
	cmd := &cobra.Command{
		Use:   "explain",
		Short: "Print every derived threshold and the profile field (file line or size default) it came from",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(refs) == 0 {
				refs = []string{profiles.Default}
			}
			loaded, err := loadAll(refs, false, stderr)
			if err != nil {
				return err
			}
			for _, l := range loaded {
				b, err := generate.New(l.Profile, l.Origin, generate.Options{NoTests: true})
				if err != nil {
					return fail(ExitInvalid, "%s: %v", l.File, err)
				}
				explain(stdout, l, b)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&refs, "profile", "p", nil, "built-in profile name or profile file; may repeat")
	return cmd
}

func explain(w io.Writer, l *profile.Loaded, b *generate.Build) {
	c := b.Config
	p := c.Profile
	fmt.Fprintf(w, "Profile %s (%s), size %s, %s\n\n", p.Metadata.Name, l.File, p.Spec.Size, p.Spec.Environment)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ALERT\tSEVERITY\tFIRES WHEN\tFROM")
	for _, t := range rules.Thresholds(b.Rules) {
		var from []string
		for _, f := range t.Fields {
			from = append(from, f+" ("+l.Origin(f)+")")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Alert, t.Severity, t.Condition, strings.Join(from, "; "))
	}
	for _, d := range rules.Descriptors {
		if why := d.SkippedFor(c); why != "" {
			fmt.Fprintf(tw, "%s\t-\t%s\t%s\n", d.Name, why, "spec.certificates.ca ("+l.Origin("spec.certificates.ca")+")")
		}
	}
	tw.Flush()
	cp := c.Capacity
	fmt.Fprintf(w, "\nCapacity: %d sidecars x %s (%s) + %d istiod x %s = %s\n\n", p.Spec.Mesh.Pods, profile.Quantity(cp.SidecarBytes),
		cp.SidecarReason, p.Spec.Istiod.MinReplicas, p.Spec.Istiod.MemoryLimit, profile.Quantity(cp.TotalBytes).Human())
}
