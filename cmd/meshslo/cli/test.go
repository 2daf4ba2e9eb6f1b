package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

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
	profiles      []string
	out, promtool string
}

func newTestCmd(stdout, stderr io.Writer) *cobra.Command {
	o := &testOptions{}
	cmd := &cobra.Command{
		Use:   "test",
		Short: "Run the generated promtool unit tests of one or more profiles against their generated rules",
		Long: `Test runs 'promtool test rules' on each tests/*.test.yaml of each profile's output
folder: the folder under --out when given (as generate wrote it), else a fresh
generation in a temporary folder. It prints one line per test file (ok or FAIL,
promtool's own output only for a file that fails) and a summary line.
promtool comes from --promtool, then $` + PromtoolEnv + `, then PATH.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(stdout, stderr) },
	}
	f := cmd.Flags()
	f.StringArrayVarP(&o.profiles, "profile", "p", nil, "built-in profile name or profile file; may repeat (default "+profiles.Default+")")
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

// testFile is one generated test file and what promtool made of it.
type testFile struct {
	profile, dir, rel string
	failed            bool
	output            []byte
}

func (o *testOptions) run(stdout, stderr io.Writer) error {
	promtool, err := o.findPromtool()
	if err != nil {
		return err
	}
	refs := o.profiles
	if len(refs) == 0 {
		refs = []string{profiles.Default}
	}
	loaded, err := loadAll(refs, false, stderr)
	if err != nil {
		return err
	}
	// dirs[i] is the output folder of loaded[i].
	dirs := make([]string, len(loaded))
	if o.out != "" {
		for i, l := range loaded {
			dirs[i] = filepath.Join(o.out, l.Profile.Metadata.Name)
			if _, err := os.Stat(filepath.Join(dirs[i], ruletests.Dir)); errors.Is(err, fs.ErrNotExist) {
				return fail(ExitInvalid, "%s has no %s folder: run meshslo generate -p %s --out %s first, or leave out --out",
					dirs[i], ruletests.Dir, refs[i], o.out)
			}
		}
	} else {
		var outs []*generate.Output
		for _, l := range loaded {
			out, err := generate.Run(l.Profile, l.Origin, generate.Options{})
			if err != nil {
				return fail(ExitInvalid, "%s: %v", l.File, err)
			}
			outs = append(outs, out)
		}
		tmp, err := os.MkdirTemp("", "meshslo-test-")
		if err != nil {
			return fail(ExitInvalid, "%v", err)
		}
		defer os.RemoveAll(tmp)
		if err := output.Write(tmp, outs); err != nil {
			return fail(ExitInvalid, "%v", err)
		}
		for i, out := range outs {
			dirs[i] = filepath.Join(tmp, out.Profile)
		}
	}
	var files []*testFile
	for i, l := range loaded {
		found, err := filepath.Glob(filepath.Join(dirs[i], ruletests.Dir, "*.test.yaml"))
		if err != nil || len(found) == 0 {
			return fail(ExitInvalid, "no %s/*.test.yaml in %s", ruletests.Dir, dirs[i])
		}
		sort.Strings(found)
		for _, f := range found {
			rel, _ := filepath.Rel(dirs[i], f)
			files = append(files, &testFile{profile: l.Profile.Metadata.Name, dir: dirs[i], rel: filepath.ToSlash(rel)})
		}
	}
	// promtool runs in each profile folder: a relative path must not
	// change meaning there.
	if strings.ContainsRune(promtool, filepath.Separator) {
		if abs, err := filepath.Abs(promtool); err == nil {
			promtool = abs
		}
	}
	runTests(promtool, files, stdout)
	return summarize(files, stdout)
}

// runTests runs promtool on every file, a few at a time (each promtool is
// single-threaded for most of its run), and prints each file's line in
// order as soon as it and the ones before it are done.
func runTests(promtool string, files []*testFile, stdout io.Writer) {
	done := make([]chan struct{}, len(files))
	for i := range done {
		done[i] = make(chan struct{})
	}
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for i, f := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			cmd := exec.Command(promtool, "test", "rules", filepath.FromSlash(f.rel))
			cmd.Dir = f.dir
			var err error
			f.output, err = cmd.CombinedOutput()
			// Any failure, promtool's or starting it, fails the file.
			f.failed = err != nil
			if cmd.ProcessState == nil {
				f.output = []byte(fmt.Sprintf("could not run %s: %v", promtool, err))
			}
			close(done[i])
		}()
	}
	for i, f := range files {
		<-done[i]
		printResult(stdout, f)
	}
	wg.Wait()
}

func printResult(w io.Writer, f *testFile) {
	if !f.failed {
		fmt.Fprintf(w, "ok    %s/%s\n", f.profile, f.rel)
		return
	}
	fmt.Fprintf(w, "FAIL  %s/%s\n", f.profile, f.rel)
	for _, line := range strings.Split(strings.TrimRight(string(bytes.TrimSpace(f.output)), "\n"), "\n") {
		fmt.Fprintf(w, "    %s\n", strings.TrimRight(line, " \t\r"))
	}
}

// summarize prints the summary line, per profile in the order of the run,
// and fails when any file failed.
func summarize(files []*testFile, stdout io.Writer) error {
	type count struct{ passed, failed int }
	var order []string
	per := map[string]*count{}
	total := count{}
	for _, f := range files {
		c := per[f.profile]
		if c == nil {
			c = &count{}
			per[f.profile] = c
			order = append(order, f.profile)
		}
		if f.failed {
			c.failed++
			total.failed++
		} else {
			c.passed++
			total.passed++
		}
	}
	show := func(c count) string {
		s := fmt.Sprintf("%d passed", c.passed)
		if c.failed > 0 {
			s += fmt.Sprintf(", %d failed", c.failed)
		}
		return s
	}
	var parts []string
	for _, p := range order {
		parts = append(parts, p+": "+show(*per[p]))
	}
	fmt.Fprintf(stdout, "%d test file(s), %d passed, %d failed (%s)\n", len(files), total.passed, total.failed, strings.Join(parts, "; "))
	if total.failed > 0 {
		return fail(ExitInvalid, "%d of %d test file(s) failed", total.failed, len(files))
	}
	return nil
}
