// Package dashboards evaluates meshslo's jsonnet dashboard templates
// (package templates) against a profile's config and turns the result into
// files: dashboard JSON, Grafana sidecar ConfigMaps and kube-prometheus-stack
// values. It also checks what it builds: layout, units, descriptions and
// that every query parses as PromQL.
package dashboards

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	jsonnet "github.com/google/go-jsonnet"
	"github.com/google/go-jsonnet/ast"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/templates"
)

// Dashboard is one evaluated template.
type Dashboard struct {
	// Name is the template name (executive for executive.jsonnet).
	Name  string
	UID   string
	Title string
	// JSON is the dashboard, indented, keys sorted, with a trailing newline.
	JSON []byte
	// Profile is the name of the profile it was built for; Template is
	// where its template came from (templates/executive.jsonnet for a
	// built-in one), for messages.
	Profile, Template string
}

// Source is a set of templates by file name: dashboards (*.jsonnet) and
// libraries (*.libsonnet).
type Source struct {
	files map[string]string
	// from says where each file came from, for error messages.
	from map[string]string
	// isolated is set once a file comes from a --templates directory:
	// Build then evaluates in a child process within limits (evaluator.go).
	isolated bool
	limits   Limits
}

// Embedded returns the templates built into meshslo.
func Embedded() Source {
	s := Source{files: map[string]string{}, from: map[string]string{}, limits: DefaultLimits()}
	entries, _ := fs.ReadDir(templates.FS, ".")
	for _, e := range entries {
		if isTemplate(e.Name()) {
			data, _ := fs.ReadFile(templates.FS, e.Name())
			s.files[e.Name()] = string(data)
			s.from[e.Name()] = "templates/" + e.Name()
		}
	}
	return s
}

// nameRE is what a dashboard template may be called: its name becomes a
// file name, a ConfigMap key and part of a Kubernetes name.
var nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$`)

func isTemplate(name string) bool {
	return strings.HasSuffix(name, ".jsonnet") || strings.HasSuffix(name, ".libsonnet")
}

// WithDir returns s overlaid with the templates in dir: a file with the
// name of a built-in one replaces it, other .jsonnet files add dashboards.
// Only regular files directly inside dir are read (see readTemplate); a
// symbolic link is refused even when it points inside dir, so what is
// evaluated is what the directory holds. Templates of the result are
// evaluated apart, within s's limits (see WithLimits).
func (s Source) WithDir(dir string) (Source, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Source{}, fmt.Errorf("--templates %s: %v", dir, unwrapPath(err))
	}
	out := Source{files: map[string]string{}, from: map[string]string{}, isolated: true, limits: s.limits}
	for k, v := range s.files {
		out.files[k], out.from[k] = v, s.from[k]
	}
	found, total := 0, 0
	for _, e := range entries {
		if e.IsDir() || !isTemplate(e.Name()) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if base, ok := strings.CutSuffix(e.Name(), ".jsonnet"); ok && !nameRE.MatchString(base) {
			return Source{}, fmt.Errorf("%s: a dashboard template name must match %s (it becomes a file and ConfigMap key)", path, nameRE)
		}
		data, err := readTemplate(path, e.Type())
		if err != nil {
			return Source{}, err
		}
		if total += len(data); total > MaxTemplateDir {
			return Source{}, fmt.Errorf("--templates %s: its templates are more than %d bytes (8 MiB) together, the limit for a directory", dir, MaxTemplateDir)
		}
		out.files[e.Name()], out.from[e.Name()] = string(data), path
		found++
	}
	if found == 0 {
		return Source{}, fmt.Errorf("--templates %s: no .jsonnet or .libsonnet files", dir)
	}
	return out, nil
}

// Names returns the dashboard templates of the set, sorted.
func (s Source) Names() []string {
	var names []string
	for f := range s.files {
		if base, ok := strings.CutSuffix(f, ".jsonnet"); ok {
			names = append(names, base)
		}
	}
	sort.Strings(names)
	return names
}

// UID is a dashboard's uid: a short hash of profile and template name, so
// the same input gives the same uid and uploads overwrite in place.
func UID(profileName, name string) string {
	sum := sha256.Sum256([]byte("meshslo/" + profileName + "/" + name))
	return "meshslo-" + hex.EncodeToString(sum[:])[:12]
}

// Build evaluates every dashboard template of s for the config, checks
// each result (see Check) and that no two share a uid (see CheckUIDs).
// Built-in templates are evaluated in process; a set with files from a
// --templates directory is evaluated in a child process within s's limits.
func (s Source) Build(c *config.Config, files []rules.File) ([]Dashboard, error) {
	names := s.Names()
	in, err := NewInput(c, files, names)
	if err != nil {
		return nil, err
	}
	input, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	s.limits = s.limits.orDefault()
	var raws []string
	if s.isolated {
		raws, err = s.evaluateIsolated(names, input)
	} else {
		var arg any
		if arg, err = decodeInput(input); err == nil {
			err = evaluate(s.files, s.from, arg, names, s.limits.Stack, func(_, raw string) error {
				raws = append(raws, raw)
				return nil
			})
		}
	}
	if err != nil {
		return nil, err
	}
	var out []Dashboard
	for i, name := range names {
		file := s.from[name+".jsonnet"]
		pretty, err := Pretty([]byte(raws[i]))
		if err != nil {
			return nil, fmt.Errorf("dashboard template %s: %v", file, err)
		}
		// Several clusters: a cluster picker and its matcher (clusters.go).
		if pretty, err = perClusterDashboard(c, pretty); err != nil {
			return nil, fmt.Errorf("dashboard template %s: %v", file, err)
		}
		var head struct {
			UID   string `json:"uid"`
			Title string `json:"title"`
		}
		if err := json.Unmarshal(pretty, &head); err != nil {
			return nil, fmt.Errorf("dashboard template %s: expected a dashboard object: %v", file, err)
		}
		d := Dashboard{Name: name, UID: head.UID, Title: head.Title, JSON: pretty, Profile: c.Profile.Metadata.Name, Template: file}
		if problems := Check(d, CheckOptionsFor(c.Profile.Metadata.Name, name)); len(problems) > 0 {
			return nil, fmt.Errorf("dashboard template %s: %s", file, strings.Join(problems, "; "))
		}
		out = append(out, d)
	}
	if err := CheckUIDs(out); err != nil {
		return nil, err
	}
	return out, nil
}

// evaluate runs the named dashboard templates of files on the input arg in
// one jsonnet VM, handing each one's JSON to done in order. Imports reach
// only files (see importer); the natives are the formatting functions and
// the input.
func evaluate(files, from map[string]string, arg any, names []string, stack int, done func(name, raw string) error) error {
	vm := jsonnet.MakeVM()
	vm.MaxStack = stack
	vm.Importer(newImporter(files, from))
	vm.SetTraceOut(io.Discard)
	for _, f := range natives {
		vm.NativeFunction(f)
	}
	// The input reaches the templates as a value, not as code: jsonnet
	// parses TLA code again for every template, and a profile of 1,000
	// SLOs gives a megabyte of it (half a second per template).
	vm.NativeFunction(&jsonnet.NativeFunction{
		Name: inputNative,
		Func: func([]any) (any, error) { return arg, nil },
	})
	vm.TLACode("meshslo", "std.native('"+inputNative+"')()")
	for _, name := range names {
		file := name + ".jsonnet"
		raw, err := vm.EvaluateAnonymousSnippet(from[file], files[file])
		if err != nil {
			return fmt.Errorf("dashboard template %s: %v", from[file], strings.TrimSpace(err.Error()))
		}
		if err := done(name, raw); err != nil {
			return err
		}
	}
	return nil
}

// inputNative is the native function that returns the template input.
const inputNative = "meshsloInput"

// decodeInput is the input as the plain values go-jsonnet takes from a
// native function (maps, slices, float64, string, bool, nil): its JSON
// form decoded, so field names are the JSON ones.
func decodeInput(data []byte) (any, error) {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// natives print numbers the way the rules and the README do: jsonnet's
// std.toString prints 0.99 as 0.98999999999999999 and knows no units.
var natives = []*jsonnet.NativeFunction{
	native("formatNumber", profile.FormatNumber),
	native("formatDuration", func(seconds float64) string {
		return profile.Duration(time.Duration(seconds * float64(time.Second))).String()
	}),
	native("formatBytes", func(bytes float64) string { return profile.Quantity(bytes).String() }),
}

func native(name string, f func(float64) string) *jsonnet.NativeFunction {
	return &jsonnet.NativeFunction{
		Name:   name,
		Params: ast.Identifiers{"x"},
		Func: func(args []any) (any, error) {
			x, ok := args[0].(float64)
			if !ok {
				return nil, fmt.Errorf("%s: expected a number, got %T", name, args[0])
			}
			return f(x), nil
		},
	}
}

// Pretty re-encodes JSON with two-space indents, sorted keys, the shortest
// exact form of each number and a trailing newline.
func Pretty(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	v, err := shortNumbers(v)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func shortNumbers(v any) (any, error) {
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return nil, err
		}
		return json.Number(strconv.FormatFloat(f, 'f', -1, 64)), nil
	case map[string]any:
		for k, e := range x {
			n, err := shortNumbers(e)
			if err != nil {
				return nil, err
			}
			x[k] = n
		}
	case []any:
		for i, e := range x {
			n, err := shortNumbers(e)
			if err != nil {
				return nil, err
			}
			x[i] = n
		}
	}
	return v, nil
}
