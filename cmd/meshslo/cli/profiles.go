package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/meshslo/meshslo/generator/loader"
	"github.com/meshslo/meshslo/profiles"
)

func newProfilesCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "profiles",
		Short: "List the built-in profiles",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			for _, name := range profiles.Names() {
				l, errs := loader.Load(name)
				if l == nil || len(errs.Fatal(false)) > 0 {
					return fail(ExitInvalid, "built-in profile %s is invalid: %v", name, errs)
				}
				s := l.Profile.Spec
				def := ""
				if name == profiles.Default {
					def = " (default)"
				}
				fmt.Fprintf(tw, "%s%s\t%s, %d services, %d pods, istiod %s\t%s\n", name, def, s.Size, s.Mesh.Services, s.Mesh.Pods,
					s.Istiod.MemoryLimit, l.Profile.Metadata.Description)
			}
			return tw.Flush()
		},
	}
}
