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
}

// Source is a set of templates by file name: dashboards (*.jsonnet) and
// libraries (*.libsonnet).
type Source struct {
	files map[string]string
	// from says where each file came from, for error messages.
	from map[string]string
}

// Embedded returns the templates built into meshslo.
func Embedded() Source {
	s := Source{files: map[string]string{}, from: map[string]string{}}
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
func (s Source) WithDir(dir string) (Source, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Source{}, fmt.Errorf("--templates %s: %v", dir, err)
	}
	out := Source{files: map[string]string{}, from: map[string]string{}}
	for k, v := range s.files {
		out.files[k], out.from[k] = v, s.from[k]
	}
	found := 0
	for _, e := range entries {
		if e.IsDir() || !isTemplate(e.Name()) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if base, ok := strings.CutSuffix(e.Name(), ".jsonnet"); ok && !nameRE.MatchString(base) {
			return Source{}, fmt.Errorf("%s: a dashboard template name must match %s (it becomes a file and ConfigMap key)", path, nameRE)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return Source{}, fmt.Errorf("%s: %v", path, err)
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

// Build evaluates every dashboard template of s for the config, and checks
// each result (see Check).
func (s Source) Build(c *config.Config, files []rules.File) ([]Dashboard, error) {
	names := s.Names()
	in, err := NewInput(c, files, names)
	if err != nil {
		return nil, err
	}
	arg, err := inputValue(in)
	if err != nil {
		return nil, err
	}
	vm := jsonnet.MakeVM()
	vm.Importer(&jsonnet.MemoryImporter{Data: s.contents()})
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
	var out []Dashboard
	for _, name := range names {
		file := name + ".jsonnet"
		raw, err := vm.EvaluateAnonymousSnippet(s.from[file], s.files[file])
		if err != nil {
			return nil, fmt.Errorf("dashboard template %s: %v", s.from[file], strings.TrimSpace(err.Error()))
		}
		pretty, err := Pretty([]byte(raw))
		if err != nil {
			return nil, fmt.Errorf("dashboard template %s: %v", s.from[file], err)
		}
		var head struct {
			UID   string `json:"uid"`
			Title string `json:"title"`
		}
		if err := json.Unmarshal(pretty, &head); err != nil {
			return nil, fmt.Errorf("dashboard template %s: expected a dashboard object: %v", s.from[file], err)
		}
		d := Dashboard{Name: name, UID: head.UID, Title: head.Title, JSON: pretty}
		if problems := Check(d, CheckOptionsFor(c.Profile.Metadata.Name, name)); len(problems) > 0 {
			return nil, fmt.Errorf("dashboard template %s: %s", s.from[file], strings.Join(problems, "; "))
		}
		out = append(out, d)
	}
	return out, nil
}

// inputNative is the native function that returns the template input.
const inputNative = "meshsloInput"

// inputValue is the input as the plain values go-jsonnet takes from a
// native function (maps, slices, float64, string, bool, nil): its JSON
// form decoded, so field names are the JSON ones.
func inputValue(in *Input) (any, error) {
	data, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	return v, nil
}

func (s Source) contents() map[string]jsonnet.Contents {
	m := map[string]jsonnet.Contents{}
	for k, v := range s.files {
		m[k] = jsonnet.MakeContents(v)
	}
	return m
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
