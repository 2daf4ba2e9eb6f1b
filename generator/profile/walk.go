// The reflective walker: decodes the YAML tree into the Go types field by
// field, so every error names its field path and position.

package profile

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

type decoder struct {
	file      string
	errs      Errors
	positions map[string]Position
	// failed holds the paths whose value could not be decoded, so Validate
	// does not report them a second time.
	failed map[string]bool
	nodes  int
	// limit is set when the document passes MaxNodes or MaxDepth; decoding
	// stops there.
	limit *Error
}

func (d *decoder) fail(n *yaml.Node, field, format string, args ...any) {
	d.failed[field] = true
	d.errs = append(d.errs, &Error{File: d.file, Line: n.Line, Column: n.Column, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// visit counts a node against the limits and reports whether decoding may
// go on. Aliases count each time they are followed, so a "billion laughs"
// document stops after MaxNodes however small the file is.
func (d *decoder) visit(n *yaml.Node, path string, depth int) bool {
	if d.limit != nil {
		return false
	}
	d.nodes++
	switch {
	case d.nodes > MaxNodes:
		d.limit = &Error{File: d.file, Line: n.Line, Column: n.Column, Field: path,
			Msg: fmt.Sprintf("document has more than %d YAML nodes (aliases count each time they are used); a profile is a page of YAML", MaxNodes)}
	case depth > MaxDepth:
		d.limit = &Error{File: d.file, Line: n.Line, Column: n.Column, Field: path,
			Msg: fmt.Sprintf("document is nested more than %d levels deep (aliases count as a level)", MaxDepth)}
	}
	return d.limit == nil
}

var (
	durationType = reflect.TypeOf(Duration(0))
	quantityType = reflect.TypeOf(Quantity(0))
	percentType  = reflect.TypeOf(Percent(0))
)

// decode fills v from n, walking the Go type and the YAML tree together so
// every error knows its field path.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string, depth int) {
	if v.Kind() == reflect.Pointer {
		// An optional field: set only when the file writes it.
		p := reflect.New(v.Type().Elem())
		d.decode(n, p.Elem(), path, depth)
		v.Set(p)
		return
	}
	if !d.visit(n, path, depth) {
		return
	}
	if n.Kind == yaml.AliasNode {
		d.decode(n.Alias, v, path, depth+1)
		return
	}
	d.positions[path] = Position{n.Line, n.Column}
	if n.Style&yaml.TaggedStyle != 0 {
		// A tag would make the text mean something else (!!binary is
		// base64, !!set a mapping), yet only the text would be used.
		d.fail(n, path, "%s", tagProblem(n))
		return
	}
	switch {
	case v.Type() == durationType:
		if s, ok := d.scalar(n, path, "a duration such as 60s, 5m or 30d"); ok {
			if dur, err := ParseDuration(s); err != nil {
				d.fail(n, path, "%v%s", err, durationHint(s))
			} else {
				v.Set(reflect.ValueOf(dur))
			}
		}
	case v.Type() == quantityType:
		if s, ok := d.scalar(n, path, "a memory quantity such as 800Mi or 8Gi"); ok {
			if q, err := ParseQuantity(s); err != nil {
				d.fail(n, path, "%v%s", err, quantityHint(s))
			} else {
				v.Set(reflect.ValueOf(q))
			}
		}
	case v.Kind() == reflect.String:
		if s, ok := d.scalar(n, path, "a string"); ok {
			switch {
			case n.Tag == "!!null":
				// "key: ~" or "key:" with nothing after it.
				d.fail(n, path, "expected a string, got nothing (null); write \"\" for an empty string")
			case textProblem(s, path == "metadata.description") != "":
				d.fail(n, path, "%s", textProblem(s, path == "metadata.description"))
			default:
				v.SetString(s)
			}
		}
	case v.Kind() == reflect.Int:
		if _, ok := d.scalar(n, path, "a whole number"); ok {
			var i int
			switch err := n.Decode(&i); {
			case n.Tag == "!!int" && err == nil:
				v.SetInt(int64(i))
			case n.Tag == "!!int" || n.Tag == "!!float" && isWhole(n.Value):
				d.fail(n, path, "expected a whole number, got %s, which is too large", describe(n))
			default:
				d.fail(n, path, "expected a whole number, got %s%s", describe(n), numberHint(n, v.Type()))
			}
		}
	case v.Kind() == reflect.Float64:
		if _, ok := d.scalar(n, path, "a number"); ok {
			var f float64
			switch err := n.Decode(&f); {
			case n.Tag != "!!int" && n.Tag != "!!float" || err != nil:
				d.fail(n, path, "expected a number, got %s%s", describe(n), numberHint(n, v.Type()))
			case math.IsNaN(f) || math.IsInf(f, 0):
				d.fail(n, path, "expected a finite number, got %s", describe(n))
			default:
				v.SetFloat(f)
			}
		}
	case v.Kind() == reflect.Bool:
		if _, ok := d.scalar(n, path, "true or false"); ok {
			// Only YAML 1.2's true and false: yes/no/on/off read as
			// strings here, as they do in yaml.v3.
			var b bool
			if n.Tag != "!!bool" || n.Decode(&b) != nil {
				d.fail(n, path, "expected true or false, got %s", describe(n))
			} else {
				v.SetBool(b)
			}
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

// isWhole reports whether a YAML float is written as an integer that was
// too large to be one.
func isWhole(s string) bool {
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	return (err == nil || errors.Is(err, strconv.ErrRange)) && f == math.Trunc(f) && !strings.ContainsAny(s, ".eE")
}

// scalar returns n's text, or records an error naming what was expected.
func (d *decoder) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "expected %s, got %s", want, describe(n))
		return "", false
	}
	return n.Value, true
}

// keyPath names a map entry or field under path: plain keys join with a
// dot, anything else is quoted so the path stays one unambiguous line.
func keyPath(path, key string) string {
	for _, r := range key {
		if !(r == '_' || r == '-' || r == '.' || r == '/' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return path + "[" + strconv.Quote(key) + "]"
		}
	}
	if key == "" {
		return path + `[""]`
	}
	return join(path, key)
}

// pairs returns a mapping's key/value pairs with YAML merge keys
// (<<: *anchor) resolved: keys the mapping sets itself come first and win,
// then those of each merged mapping in order. Keys that are not scalars are
// reported and left out.
func (d *decoder) pairs(n *yaml.Node, path string, depth int) [][2]*yaml.Node {
	var own, merged [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.AliasNode {
			k = k.Alias
		}
		switch {
		case k.Kind == yaml.ScalarNode && k.Tag == "!!merge":
			srcs := []*yaml.Node{val}
			if val.Kind == yaml.SequenceNode {
				srcs = val.Content
			}
			for _, src := range srcs {
				if !d.visit(src, path, depth+1) {
					return nil
				}
				if src.Kind == yaml.AliasNode {
					src = src.Alias
				}
				if src.Kind != yaml.MappingNode {
					d.fail(src, path, "expected a mapping to merge with <<, such as <<: *anchor, got %s", describe(src))
					continue
				}
				merged = append(merged, d.pairs(src, path, depth+1)...)
			}
		case k.Kind != yaml.ScalarNode:
			d.fail(k, path, "expected a field name, got %s as a key", describe(k))
		case k.Style&yaml.TaggedStyle != 0:
			d.fail(k, keyPath(path, k.Value), "%s", tagProblem(k))
		default:
			own = append(own, [2]*yaml.Node{k, val})
		}
	}
	set := map[string]bool{}
	for _, p := range own {
		set[p[0].Value] = true
	}
	for _, p := range merged {
		if !set[p[0].Value] {
			set[p[0].Value] = true
			own = append(own, p)
		}
	}
	return own
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
	for _, kv := range d.pairs(n, path, depth) {
		k, val := kv[0], kv[1]
		key := k.Value
		child := keyPath(path, key)
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
	for _, kv := range d.pairs(n, path, depth) {
		k, val := kv[0], kv[1]
		child := keyPath(path, k.Value)
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
	if len(n.Content) > MaxNodes-d.nodes {
		// Over the limit whatever the items are: fail before allocating.
		d.nodes = MaxNodes
		d.visit(n, path, depth)
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
