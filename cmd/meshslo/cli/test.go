package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"

	"github.com/spf13/cobra"

	"github.com/meshslo/meshslo/generator/generate"
	"github.com/meshslo/meshslo/generator/output"
	"github.com/meshslo/meshslo/generator/ruletests"
	"github.com/meshslo/meshslo/profiles"
)

// PromtoolEnv names a promtool binary when neither --promtool nor PATH has one.
const PromtoolEnv = "PROMTOOL"

func init() { extraCommands = append(extraCommands, newTestCmd) }

type testOptions struct {
	profile, out, promtool string
}

func newTestCmd(stdout, stderr io.Writer) *cobra.Command {
	o := &testOptions{}
	cmd := &cobra.Command{
		Use:   "test",
		Short: "Run the generated promtool unit tests of a profile against its generated rules",
		Long: `Test runs 'promtool test rules tests/*.test.yaml' in a profile's output folder:
the folder under --out when given (as generate wrote it), else a fresh generation
in a temporary folder. promtool comes from --promtool, then $` + PromtoolEnv + `, then PATH.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(stdout, stderr) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.profile, "profile", "p", profiles.Default, "built-in profile name or profile file")
	f.StringVarP(&o.out, "out", "o", "", "output directory that generate wrote; empty generates into a temporary folder")
	f.StringVar(&o.promtool, "promtool", "", "path of the promtool binary")
	return cmd
}

// howToGetPromtool is printed when no promtool is found.
const howToGetPromtool = `promtool not found: pass --promtool PATH, set ` + PromtoolEnv + `, or put it on PATH.
Get it from a release archive (https://github.com/prometheus/prometheus/releases), or build it
with Go through the tool directive (go install ...@version is refused: the module has replace directives):
    go get -tool github.com/prometheus/prometheus/cmd/promtool@v0.315.0 && go tool promtool
or, in this repository, make tools (writes ./bin/promtool).`

func (o *testOptions) findPromtool() (string, error) {
	for _, p := range []string{o.promtool, os.Getenv(PromtoolEnv)} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err != nil {
			return "", fail(ExitInvalid, "promtool %s: %v\n%s", p, err, howToGetPromtool)
		}
		return p, nil
	}
	if p, err := exec.LookPath("promtool"); err == nil {
		return p, nil
	}
	return "", fail(ExitInvalid, "%s", howToGetPromtool)
}

func (o *testOptions) run(stdout, stderr io.Writer) error {
	promtool, err := o.findPromtool()
	if err != nil {
		return err
	}
	loaded, err := loadAll([]string{o.profile}, false, stderr)
	if err != nil {
		return err
	}
	l := loaded[0]
	dir := ""
	if o.out != "" {
		dir = filepath.Join(o.out, l.Profile.Metadata.Name)
		if _, err := os.Stat(filepath.Join(dir, ruletests.Dir)); errors.Is(err, fs.ErrNotExist) {
			return fail(ExitInvalid, "%s has no %s folder: run meshslo generate -p %s --out %s first, or leave out --out",
				dir, ruletests.Dir, o.profile, o.out)
		}
	} else {
		out, err := generate.Run(l.Profile, l.Origin, generate.Options{})
		if err != nil {
			return fail(ExitInvalid, "%s: %v", l.File, err)
		}
		tmp, err := os.MkdirTemp("", "meshslo-test-")
		if err != nil {
			return fail(ExitInvalid, "%v", err)
		}
		defer os.RemoveAll(tmp)
		if err := output.Write(tmp, []*generate.Output{out}); err != nil {
			return fail(ExitInvalid, "%v", err)
		}
		dir = filepath.Join(tmp, out.Profile)
	}
	files, err := filepath.Glob(filepath.Join(dir, ruletests.Dir, "*.test.yaml"))
	if err != nil || len(files) == 0 {
		return fail(ExitInvalid, "no %s/*.test.yaml in %s", ruletests.Dir, dir)
	}
	sort.Strings(files)
	args := []string{"test", "rules"}
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		args = append(args, rel)
	}
	cmd := exec.Command(promtool, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, stdout, stderr
	if err := cmd.Run(); err != nil {
		return fail(ExitInvalid, "%s: rule unit tests failed (%v)", l.Profile.Metadata.Name, err)
	}
	fmt.Fprintf(stdout, "%s: %d test file(s) passed\n", l.Profile.Metadata.Name, len(files))
	return nil
}
