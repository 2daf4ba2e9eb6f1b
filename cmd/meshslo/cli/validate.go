package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/meshslo/meshslo/generator/generate"
)

func newValidateCmd(stdout, stderr io.Writer) *cobra.Command {
	var strict bool
	var refs []string
	cmd := &cobra.Command{
		Use:   "validate [PROFILE...] [-p PROFILE]...",
		Short: "Check profiles and print every problem with file:line, field and what was expected",
		Long: `Validate loads and checks each profile, then builds everything generate would
write, in memory, so a profile validate passes is one generate accepts.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args)+len(refs) == 0 {
				return fmt.Errorf("validate requires at least 1 profile: a file or built-in name, as an argument or with -p")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			loaded, err := loadAll(append(args, refs...), strict, stderr)
			if err != nil {
				return err
			}
			for _, l := range loaded {
				// The profile checks place problems at their line; this
				// catches whatever only the build finds, with generate's
				// own message.
				if _, err := generate.Run(l.Profile, l.Origin, generate.Options{}); err != nil {
					return fail(ExitInvalid, "%s: %v; nothing was written", l.File, err)
				}
				fmt.Fprintf(stdout, "%s: profile %q is valid\n", l.File, l.Profile.Metadata.Name)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&strict, "strict", false, "treat warnings as errors")
	cmd.Flags().StringArrayVarP(&refs, "profile", "p", nil, "built-in profile name or profile file; may repeat (as do arguments)")
	return cmd
}
