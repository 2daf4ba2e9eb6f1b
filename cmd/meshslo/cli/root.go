// Package cli holds meshslo's commands. Each command is thin: it parses
// flags, calls the generator packages and picks the exit code.
package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes, a contract with scripts and CI.
const (
	ExitOK      = 0
	ExitInvalid = 1 // invalid input or generation error
	// ExitUsage is sysexits' EX_USAGE: a wrong flag or argument. Not 2,
	// which is the Go runtime's exit for a fatal error such as running
	// out of memory.
	ExitUsage = 64
	ExitDrift = 3 // generate --check found files that would change
	// ExitInterrupted is the shell's code for a run stopped by SIGINT.
	ExitInterrupted = 130
)

// exitError carries an exit code out of a command; its message has already
// been printed when silent is set.
type exitError struct {
	code   int
	msg    string
	silent bool
}

func (e *exitError) Error() string { return e.msg }

func fail(code int, format string, args ...any) error {
	return &exitError{code: code, msg: fmt.Sprintf(format, args...)}
}

func failSilently(code int) error { return &exitError{code: code, silent: true} }

// Main runs meshslo with args and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if !ee.silent {
			fmt.Fprintln(stderr, "meshslo: "+ee.msg)
		}
		return ee.code
	}
	// Anything cobra itself rejects (unknown flag, wrong arguments) is usage.
	fmt.Fprintln(stderr, "meshslo: "+err.Error())
	fmt.Fprintln(stderr, "Run 'meshslo --help' for usage.")
	return ExitUsage
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "meshslo",
		Short:         "Prometheus rules, SLO alerts and Grafana dashboards for an Istio mesh, from one profile",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		newGenerateCmd(stdout, stderr),
		newValidateCmd(stdout, stderr),
		newProfilesCmd(stdout),
		newExplainCmd(stdout, stderr),
	)
	for _, extra := range extraCommands {
		root.AddCommand(extra(stdout, stderr))
	}
	return root
}

// extraCommands lets commands in other files of this package register
// themselves without editing the root.
var extraCommands []func(stdout, stderr io.Writer) *cobra.Command
