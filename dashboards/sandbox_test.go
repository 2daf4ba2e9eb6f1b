package dashboards_test

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/meshslo/meshslo/dashboards"
	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/templates"
)

const onlyRegular = "; --templates reads only regular files inside the directory"

// --templates reads regular files inside the directory and nothing else:
// not through a link (to a secret, to /dev/zero, to a file next to it),
// not a FIFO, device or socket, not more than the size caps.
func TestTemplatesDirReadsOnlyRegularFiles(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "env")
	if err := os.WriteFile(secret, []byte("GRAFANA_TOKEN=glsa_s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		// make creates the file dir/file.
		file string
		make func(t *testing.T, path string)
		want string // after "<dir>/<file>: ", or the whole message when it starts with "--templates"
	}{
		{"link to a secret outside", "secret.libsonnet", link(secret), "is a symbolic link" + onlyRegular},
		{"link to the environment", "env.jsonnet", link("/proc/self/environ"), "is a symbolic link" + onlyRegular},
		{"link to /dev/zero", "zero.libsonnet", link("/dev/zero"), "is a symbolic link" + onlyRegular},
		{"link to /dev/null", "null.jsonnet", link("/dev/null"), "is a symbolic link" + onlyRegular},
		{"link to a file inside", "again.libsonnet", func(t *testing.T, path string) {
			inside := filepath.Join(filepath.Dir(path), "real.txt")
			if err := os.WriteFile(inside, []byte("{}"), 0o644); err != nil {
				t.Fatal(err)
			}
			link("real.txt")(t, path)
		}, "is a symbolic link" + onlyRegular},
		{"FIFO", "pipe.jsonnet", func(t *testing.T, path string) {
			if err := syscall.Mkfifo(path, 0o644); err != nil {
				t.Skip(err)
			}
		}, "is a named pipe (FIFO)" + onlyRegular},
		{"device", "dev.libsonnet", func(t *testing.T, path string) {
			// /dev/null's numbers: 1, 3.
			if err := syscall.Mknod(path, syscall.S_IFCHR|0o644, 1<<8|3); err != nil {
				t.Skipf("mknod (needs root): %v", err)
			}
		}, "is a device" + onlyRegular},
		{"socket", "sock.jsonnet", func(t *testing.T, path string) {
			l, err := net.Listen("unix", path)
			if err != nil {
				t.Skip(err)
			}
			t.Cleanup(func() { l.Close() })
		}, "is a socket" + onlyRegular},
		{"file over 1 MiB", "big.libsonnet", func(t *testing.T, path string) {
			writeSize(t, path, dashboards.MaxTemplateFile+1)
		}, "is larger than 1048576 bytes (1 MiB), the limit for a template file"},
		{"directory over 8 MiB", "a0.libsonnet", func(t *testing.T, path string) {
			for i := range 9 {
				writeSize(t, filepath.Join(filepath.Dir(path), "a"+string(rune('0'+i))+".libsonnet"), dashboards.MaxTemplateFile)
			}
		}, "--templates DIR: its templates are more than 8388608 bytes (8 MiB) together, the limit for a directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "tpl")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			tc.make(t, filepath.Join(dir, tc.file))
			_, err := dashboards.Embedded().WithDir(dir)
			want := filepath.Join(dir, tc.file) + ": " + tc.want
			if strings.HasPrefix(tc.want, "--templates") {
				want = strings.Replace(tc.want, "DIR", dir, 1)
			}
			if err == nil || err.Error() != want {
				t.Fatalf("got %v\nwant %s", err, want)
			}
		})
	}
}

func link(target string) func(t *testing.T, path string) {
	return func(t *testing.T, path string) {
		t.Helper()
		if err := os.Symlink(target, path); err != nil {
			t.Fatal(err)
		}
	}
}

func writeSize(t *testing.T, path string, n int) {
	t.Helper()
	if err := os.WriteFile(path, []byte("//"+strings.Repeat("x", n-2)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Imports reach only the files of the template set, by name.
func TestTemplatesImportOnlyTheSet(t *testing.T) {
	c, files := load(t, "small")
	const rule = "templates import only files of the template set, by file name (no directories, no absolute paths, no ..)"
	cases := []struct {
		name, code, want string
	}{
		{"parent directory", `import '../outside.libsonnet'`, `import "../outside.libsonnet": ` + rule},
		{"absolute path", `import '/etc/passwd'`, `import "/etc/passwd": ` + rule},
		{"importstr of the environment", `importstr '/proc/self/environ'`, `import "/proc/self/environ": ` + rule},
		{"subdirectory", `import 'sub/x.libsonnet'`, `import "sub/x.libsonnet": ` + rule},
		{"dot dot", `importstr '..'`, `import "..": ` + rule},
		{"missing", `import 'nope.libsonnet'`, `import "nope.libsonnet": no such template file; the set has debug.jsonnet, executive.jsonnet, grafana.libsonnet, mesh.libsonnet, oncall.jsonnet, team.jsonnet`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "tpl")
			if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Dir(dir), "outside.libsonnet", "{ leaked: true }")
			write(t, filepath.Join(dir, "sub"), "x.libsonnet", "{ leaked: true }")
			write(t, dir, "team.jsonnet", "function(meshslo) { x: "+tc.code+" }")
			src, err := dashboards.Embedded().WithDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			_, err = src.Build(c, files)
			path := filepath.Join(dir, "team.jsonnet")
			want := "dashboard template " + path + ": RUNTIME ERROR: " + tc.want + "\n\t" + path + ":1:24-" + strconv.Itoa(24+len(tc.code)) + "\tobject <anonymous>"
			if err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("got %v\nwant %s", err, want)
			}
		})
	}
}

// A template from --templates that loops, recurses or allocates without
// end is stopped at the limit, and the message names it and the limit.
func TestTemplateLimits(t *testing.T) {
	c, files := load(t, "small")
	// Templates evaluate in name order: the a- files come first, before
	// the built-in debug, executive and oncall.
	cases := []struct {
		name   string
		file   string
		code   string
		limits dashboards.Limits
		want   string // after "dashboard template <path>: "
	}{
		{"makeArray bomb", "a-bomb.jsonnet", `function(meshslo) { n: std.length(std.makeArray(5e8, function(i) i)) }`,
			dashboards.Limits{Memory: 128 << 20},
			"evaluation used more than the memory limit of 128 MiB; stopped"},
		{"growing memory", "a-grow.jsonnet", `function(meshslo) { n: std.length(std.join('', [std.repeat('x', 100) + i for i in std.range(1, 1e8)])) }`,
			dashboards.Limits{Memory: 128 << 20},
			"evaluation used more than the memory limit of 128 MiB; stopped"},
		{"exponential recursion", "a-exp.jsonnet", `local f(n) = if n == 0 then 1 else f(n - 1) + f(n - 1); function(meshslo) { n: f(64) }`,
			dashboards.Limits{Time: time.Second},
			"evaluation took longer than the time limit of 1s; stopped"},
		// The endless recursion grows the stack: which limit stops it first,
		// the 1s or the default 1 GiB, depends on the machine; the point is
		// that the second template is named.
		{"endless loop after another template", "b-loop.jsonnet", `local f(n) = if n < 0 then n else f(n + 1); function(meshslo) { n: f(0) }`,
			dashboards.Limits{Time: time.Second, Stack: 1 << 30},
			" limit of 1"},
		{"recursion deeper than the stack limit", "a-deep.jsonnet", `local f(n) = if n == 0 then 0 else 1 + f(n - 1); function(meshslo) { n: f(100) }`,
			dashboards.Limits{Stack: 50},
			"RUNTIME ERROR: max stack frames exceeded."},
		{"huge dashboard", "a-huge.jsonnet", `local d(s, n) = if n == 0 then s else d(s + s, n - 1); function(meshslo) { uid: d('x', 21) }`,
			dashboards.Limits{Output: 1 << 20},
			"its JSON is 2097169 bytes, more than the limit of 1 MiB"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, tc.file, tc.code)
			write(t, dir, "a-ok.jsonnet", "function(meshslo) {}")
			src, err := dashboards.Embedded().WithLimits(tc.limits).WithDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			_, err = src.Build(c, files)
			want := "dashboard template " + filepath.Join(dir, tc.file) + ": "
			if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v\nwant %s...%s", err, want, tc.want)
			}
		})
	}
}

// Templates from a directory evaluate in the child process to the same
// bytes as in process: a directory holding copies of the built-in
// templates builds the built-in dashboards.
func TestIsolatedEvaluationGivesTheSameDashboards(t *testing.T) {
	c, files := load(t, "medium")
	dir := t.TempDir()
	for _, name := range []string{"executive.jsonnet", "oncall.jsonnet", "debug.jsonnet", "grafana.libsonnet", "mesh.libsonnet"} {
		data, err := templates.FS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		write(t, dir, name, string(data))
	}
	src, err := dashboards.Embedded().WithDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := src.Build(c, files)
	if err != nil {
		t.Fatal(err)
	}
	want, err := dashboards.Embedded().Build(c, files)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d dashboards, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Name != want[i].Name || string(got[i].JSON) != string(want[i].JSON) {
			t.Errorf("%s: the child's dashboard differs from the in-process one", want[i].Name)
		}
		if got[i].Template != filepath.Join(dir, want[i].Name+".jsonnet") || want[i].Template != "templates/"+want[i].Name+".jsonnet" {
			t.Errorf("templates %s and %s", got[i].Template, want[i].Template)
		}
	}
}

// Two dashboards with one uid overwrite each other in Grafana: refused
// within one Build, and across the profiles of a run.
func TestDuplicateUIDs(t *testing.T) {
	small, smallFiles := load(t, "small")
	dir := t.TempDir()
	// A copy of the executive dashboard under another file name keeps the
	// executive uid.
	write(t, dir, "copy.jsonnet", `
local g = import 'grafana.libsonnet';
local mesh = import 'mesh.libsonnet';
function(meshslo) mesh.dashboard(meshslo, 'executive', 'Copy', 'A copy.', [], [
  g.line(4, [g.stat('Services', 'Services.', 'short', [g.target('max(pilot_services)')])]),
])`)
	src, err := dashboards.Embedded().WithDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Build(small, smallFiles)
	want := `dashboard template templates/executive.jsonnet (profile small) gives uid "` + dashboards.UID("small", "executive") +
		`", which dashboard template ` + filepath.Join(dir, "copy.jsonnet") + ` (profile small) already gives; Grafana keeps one dashboard per uid`
	if err == nil || err.Error() != want {
		t.Fatalf("within a profile: got %v\nwant %s", err, want)
	}

	// A fixed uid is fine in one profile and clashes across two.
	dir = t.TempDir()
	write(t, dir, "team.jsonnet", `
local g = import 'grafana.libsonnet';
local mesh = import 'mesh.libsonnet';
function(meshslo) mesh.dashboard(meshslo, 'team', 'Team', 'Ours.', [], [
  g.line(4, [g.stat('Services', 'Services.', 'short', [g.target('max(pilot_services)')])]),
]) + { uid: 'team' }`)
	src, err = dashboards.Embedded().WithDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	medium, mediumFiles := load(t, "medium")
	var all []dashboards.Dashboard
	for _, p := range []struct {
		c     *config.Config
		files []rules.File
	}{{small, smallFiles}, {medium, mediumFiles}} {
		boards, err := src.Build(p.c, p.files)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, boards...)
	}
	team := filepath.Join(dir, "team.jsonnet")
	want = `dashboard template ` + team + ` (profile medium) gives uid "team", which dashboard template ` + team + ` (profile small) already gives; Grafana keeps one dashboard per uid`
	if err := dashboards.CheckUIDs(all); err == nil || err.Error() != want {
		t.Fatalf("across profiles: got %v\nwant %s", err, want)
	}
	if err := dashboards.CheckUIDs(all[:len(all)/2]); err != nil {
		t.Fatalf("one profile: %v", err)
	}
}

// go test -run '^$' -bench BuildIsolated ./dashboards: the three built-in
// templates, copied into a directory, for 1,000 SLOs: the cost of the
// child process against BenchmarkBuildSLOs/1000.
func BenchmarkBuildIsolated(b *testing.B) {
	c, files := sloProfile(b, 1000)
	dir := b.TempDir()
	for _, name := range []string{"executive.jsonnet", "oncall.jsonnet", "debug.jsonnet", "grafana.libsonnet", "mesh.libsonnet"} {
		data, err := templates.FS.ReadFile(name)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	src, err := dashboards.Embedded().WithDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := src.Build(c, files); err != nil {
			b.Fatal(err)
		}
	}
}
