package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func newValidateCmd(stdout, stderr io.Writer) *cobra.Command {
	var strict bool
	cmd := &cobra.Command{
		Use:   "validate PROFILE...",
		Short: "Check profiles and print every problem with file:line, field and what was expected",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			loaded, err := loadAll(args, strict, stderr)
			if err != nil {
				return err
			}
			for _, l := range loaded {
				fmt.Fprintf(stdout, "%s: profile %q is valid\n", l.File, l.Profile.Metadata.Name)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&strict, "strict", false, "treat warnings as errors")
	return cmd
}
