package profile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Limits that keep hostile input cheap: a profile is a page of YAML, so
// anything far larger is a mistake or an attack.
const (
	MaxFileBytes = 1 << 20
	// MaxNodes bounds the YAML nodes visited, aliases counted each time
	// they are followed, so "billion laughs" documents stop early.
	MaxNodes = 20000
	// MaxDepth bounds nesting; the schema itself is four levels deep.
	MaxDepth = 64
)

// Position is a line and column in the profile file.
type Position struct{ Line, Column int }

// Loaded is a profile read from a file, with the position of every field the
// file set. Fields absent from Positions hold defaults.
type Loaded struct {
	Profile   Profile
	File      string
	Positions map[string]Position
}

// Load parses a profile strictly: unknown fields, wrong types and duplicate
// keys are errors, every one reported with its line. Validation of values is
// separate (Loaded.Validate) so callers can list every problem at once. The
// result is nil only when the file is not a YAML mapping at all; with
// errors it holds defaults where the file was wrong.
func Load(file string, data []byte) (*Loaded, Errors) {
	fail := func(line int, msg string) (*Loaded, Errors) {
		return nil, Errors{{File: file, Line: line, Column: 1, Msg: msg}}
	}
	if len(data) > MaxFileBytes {
		return fail(0, fmt.Sprintf("file is %d bytes; a profile may be at most %d bytes", len(data), MaxFileBytes))
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		i := 0
		for i < len(data) {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		return fail(bytes.Count(data[:i], []byte("\n"))+1, "file is not valid UTF-8 text")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return fail(0, "file is empty; a profile needs at least apiVersion, kind and metadata.name")
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, Errors{yamlSyntaxError(file, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return fail(extra.Line, "file holds several YAML documents; put one profile per file")
	} else if !errors.Is(err, io.EOF) {
		return nil, Errors{yamlSyntaxError(file, err)}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return fail(root.Line, "expected a mapping with apiVersion, kind, metadata and spec at the top of the file")
	}
	size := DefaultSize
	if n := lookup(root, "spec", "size"); n != nil && n.Kind == yaml.ScalarNode {
		size = n.Value
	}
	l := &Loaded{Profile: Defaults(size), File: file, Positions: map[string]Position{}}
	d := &decoder{file: file, positions: l.Positions}
	d.decode(root, reflect.ValueOf(&l.Profile).Elem(), "", 0)
	fillSLODefaults(&l.Profile)
	// Decode errors leave the field at its default, so the caller can still
	// validate the rest and report every problem in one run.
	d.errs.Sort()
	return l, d.errs
}

// fillSLODefaults completes SLO entries that leave out optional fields.
func fillSLODefaults(p *Profile) {
	for i := range p.Spec.SLOs {
		s := &p.Spec.SLOs[i]
		if s.Window == 0 {
			s.Window = DefaultSLOWindow
		}
		if s.SLI == SLILatency && s.Threshold == 0 {
			s.Threshold = DefaultLatencyThreshold
		}
	}
}

func yamlSyntaxError(file string, err error) *Error {
	msg := err.Error()
	line := 0
	// yaml.v3 reports "yaml: line N: message"; lift N into the position.
	if rest, ok := strings.CutPrefix(msg, "yaml: line "); ok {
		if i := strings.Index(rest, ":"); i > 0 {
			if n, convErr := strconv.Atoi(rest[:i]); convErr == nil {
				line, msg = n, strings.TrimSpace(rest[i+1:])
			}
		}
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	return &Error{File: file, Line: line, Column: 1, Msg: "invalid YAML: " + msg}
}

func lookup(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

type decoder struct {
	file      string
	errs      Errors
	positions map[string]Position
	nodes     int
}

func (d *decoder) fail(n *yaml.Node, field, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Line: n.Line, Column: n.Column, Field: field, Msg: fmt.Sprintf(format, args...)})
}

var (
	durationType = reflect.TypeOf(Duration(0))
	quantityType = reflect.TypeOf(Quantity(0))
)

// decode fills v from n, walking the Go type and the YAML tree together so
// every error knows its field path.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string, depth int) {
	d.nodes++
	if d.nodes == MaxNodes {
		d.fail(n, path, "document is too large after alias expansion (more than %d nodes)", MaxNodes)
	}
	if d.nodes >= MaxNodes || depth > MaxDepth {
		return
	}
	if n.Kind == yaml.AliasNode {
		d.decode(n.Alias, v, path, depth+1)
		return
	}
	d.positions[path] = Position{n.Line, n.Column}
	switch {
	case v.Type() == durationType:
		if s, ok := d.scalar(n, path, "a duration such as 60s, 5m or 30d"); ok {
			if dur, err := ParseDuration(s); err != nil {
				d.fail(n, path, "%v", err)
			} else {
				v.Set(reflect.ValueOf(dur))
			}
		}
	case v.Type() == quantityType:
		if s, ok := d.scalar(n, path, "a memory quantity such as 800Mi or 8Gi"); ok {
			if q, err := ParseQuantity(s); err != nil {
				d.fail(n, path, "%v", err)
			} else {
				v.Set(reflect.ValueOf(q))
			}
		}
	case v.Kind() == reflect.String:
		if s, ok := d.scalar(n, path, "a string"); ok {
			if n.Tag == "!!null" {
				s = ""
			}
			v.SetString(s)
		}
	case v.Kind() == reflect.Int:
		if s, ok := d.scalar(n, path, "a whole number"); ok {
			i, err := strconv.Atoi(s)
			if n.Tag != "!!int" || err != nil {
				d.fail(n, path, "expected a whole number, got %s", describe(n))
				return
			}
			v.SetInt(int64(i))
		}
	case v.Kind() == reflect.Float64:
		if s, ok := d.scalar(n, path, "a number"); ok {
			f, err := strconv.ParseFloat(s, 64)
			if (n.Tag != "!!int" && n.Tag != "!!float") || err != nil {
				d.fail(n, path, "expected a number, got %s", describe(n))
				return
			}
			v.SetFloat(f)
		}
	case v.Kind() == reflect.Map:
		d.decodeStringMap(n, v, path, depth)
	case v.Kind() == reflect.Slice:
		d.decodeSlice(n, v, path, depth)
	case v.Kind() == reflect.Struct:
		d.decodeStruct(n, v, path, depth)
	default:
		d.fail(n, path, "internal error: no decoder for %s", v.Type())
	}
}

// scalar returns n's text, or records an error naming what was expected.
func (d *decoder) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "expected %s, got %s", want, describe(n))
		return "", false
	}
	return n.Value, true
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!null":
		return "nothing (null)"
	case "!!bool":
		return "the boolean " + n.Value
	case "!!str":
		return strconv.Quote(n.Value)
	}
	return n.Value
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string, depth int) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // "istiod:" with nothing under it keeps the defaults
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "expected a mapping, got %s", describe(n))
		return
	}
	fields := map[string]int{}
	var names []string
	for i := 0; i < v.NumField(); i++ {
		tag := strings.Split(v.Type().Field(i).Tag.Get("yaml"), ",")[0]
		fields[tag] = i
		names = append(names, tag)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := k.Value
		child := join(path, key)
		if seen[key] {
			d.fail(k, child, "duplicate key %q", key)
			continue
		}
		seen[key] = true
		idx, ok := fields[key]
		if !ok {
			msg := "unknown field"
			if s := suggest(key, names); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			} else {
				msg += fmt.Sprintf("; expected one of %s", strings.Join(names, ", "))
			}
			d.fail(k, child, "%s", msg)
			continue
		}
		d.decode(val, v.Field(idx), child, depth+1)
	}
}

func (d *decoder) decodeStringMap(n *yaml.Node, v reflect.Value, path string, depth int) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		v.Set(reflect.Zero(v.Type()))
		return
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "expected a mapping of names to values, got %s", describe(n))
		return
	}
	m := reflect.MakeMap(v.Type())
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		child := join(path, k.Value)
		if m.MapIndex(reflect.ValueOf(k.Value)).IsValid() {
			d.fail(k, child, "duplicate key %q", k.Value)
			continue
		}
		s := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, s, child, depth+1)
		m.SetMapIndex(reflect.ValueOf(k.Value), s)
	}
	v.Set(m)
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string, depth int) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "expected a list, got %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i), depth+1)
	}
	v.Set(s)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// suggest returns the known name closest to key, if any is close enough to
// be a likely typo.
func suggest(key string, names []string) string {
	best, bestDist := "", 3
	for _, name := range names {
		if strings.EqualFold(name, key) {
			return name
		}
		if dist := editDistance(strings.ToLower(key), strings.ToLower(name)); dist < bestDist {
			best, bestDist = name, dist
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
