package profile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
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
	// failed are the fields Load already reported; they hold defaults.
	failed map[string]bool
}

// Load parses a profile strictly: unknown fields, wrong types and duplicate
// keys are errors, every one reported with its line. Validation of values is
// separate (Loaded.Validate) so callers can list every problem at once. The
// result is nil only when the file is not a YAML mapping at all or passes
// a limit (MaxFileBytes, MaxNodes, MaxDepth); with errors it holds defaults
// where the file was wrong.
func Load(file string, data []byte) (*Loaded, Errors) {
	fail := func(line int, msg string) (*Loaded, Errors) {
		return nil, Errors{{File: file, Line: line, Column: 1, Msg: msg}}
	}
	if len(data) > MaxFileBytes {
		return fail(0, fmt.Sprintf("file is %d bytes; a profile may be at most %d bytes (%s)", len(data), MaxFileBytes, Quantity(MaxFileBytes)))
	}
	// An editor's byte order mark is harmless; UTF-16 is not YAML we read.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(data, []byte("\xff\xfe")) || bytes.HasPrefix(data, []byte("\xfe\xff")) {
		return fail(1, "file is UTF-16 text; save it as UTF-8")
	}
	if !utf8.Valid(data) {
		i := 0
		for i < len(data) {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		line := bytes.Count(data[:i], []byte("\n")) + 1
		col := utf8.RuneCount(data[bytes.LastIndexByte(data[:i], '\n')+1:i]) + 1
		return nil, Errors{{File: file, Line: line, Column: col,
			Msg: fmt.Sprintf("file is not valid UTF-8 text (byte 0x%02x); save it as UTF-8", data[i])}}
	}
	const empty = "file is empty; a profile needs at least apiVersion, kind and metadata.name"
	if len(bytes.TrimSpace(data)) == 0 {
		return fail(0, empty)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return fail(0, empty+" (it holds only comments)")
	} else if err != nil {
		return nil, Errors{yamlSyntaxError(file, data, err)}
	}
	for {
		var extra yaml.Node
		err := dec.Decode(&extra)
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, Errors{yamlSyntaxError(file, data, err)}
		}
		// A trailing "---" opens an empty document; that is still one profile.
		if len(extra.Content) > 0 && !isNull(extra.Content[0]) {
			return fail(extra.Content[0].Line, "file holds several YAML documents (separated by ---); put one profile per file")
		}
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
	d := &decoder{file: file, positions: l.Positions, failed: map[string]bool{}}
	d.decode(root, reflect.ValueOf(&l.Profile).Elem(), "", 0)
	if d.limit != nil {
		// Past a limit the rest was never read: report only that.
		return nil, Errors{d.limit}
	}
	l.failed = d.failed
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

func yamlSyntaxError(file string, data []byte, err error) *Error {
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
	col := 1
	switch {
	case line > 0:
	case strings.Contains(msg, "control characters"):
		line, col = firstNonPrintable(data)
		msg = "control characters are not allowed; write them as escapes in a double-quoted string, such as \"\\t\""
	default:
		// yaml.v3 leaves the line out when it is the first one.
		line = 1
	}
	switch {
	case strings.HasPrefix(msg, "exceeded max depth"):
		return &Error{File: file, Msg: fmt.Sprintf("file is nested too deeply for YAML (%s); a profile is at most %d levels deep", msg, MaxDepth)}
	case line > 0 && hasTabIndent(data, line):
		// yaml.v3 says "found character that cannot start any token".
		msg = "tabs cannot indent YAML; indent with spaces"
	}
	return &Error{File: file, Line: line, Column: col, Msg: "invalid YAML: " + msg}
}

// firstNonPrintable finds the first character YAML does not allow in a
// file (YAML 1.2, 5.1), as line and column.
func firstNonPrintable(data []byte) (line, col int) {
	line, col = 1, 1
	for _, r := range string(data) {
		printable := r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0x7e || r == 0x85 ||
			r >= 0xa0 && r <= 0xd7ff || r >= 0xe000 && r <= 0xfffd || r >= 0x10000 && r <= 0x10ffff
		if !printable {
			return line, col
		}
		if r == '\n' {
			line, col = line+1, 0
		}
		col++
	}
	return 0, 0
}

// hasTabIndent reports whether the given line (1-based), or the one before
// it where yaml.v3 sometimes points, starts its indentation with a tab.
func hasTabIndent(data []byte, line int) bool {
	lines := bytes.Split(data, []byte("\n"))
	for _, l := range []int{line - 1, line - 2} {
		if l >= 0 && l < len(lines) {
			indent := lines[l][:len(lines[l])-len(bytes.TrimLeft(lines[l], " \t"))]
			if bytes.IndexByte(indent, '\t') >= 0 {
				return true
			}
		}
	}
	return false
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

func lookup(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content) && next == nil; i += 2 {
			// The first of duplicate keys, as decode keeps it.
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
			if n.Tag == "!!null" {
				s = ""
			}
			v.SetString(s)
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

// numberHint explains the usual ways a number is written as text.
func numberHint(n *yaml.Node, t reflect.Type) string {
	if n.Tag != "!!str" {
		return ""
	}
	if _, err := strconv.ParseFloat(n.Value, 64); err == nil {
		return "; write the number without quotes"
	}
	pct, ok := strings.CutSuffix(strings.TrimSpace(n.Value), "%")
	f, err := strconv.ParseFloat(strings.TrimSpace(pct), 64)
	if !ok || err != nil {
		return ""
	}
	if t == percentType {
		return "; write the percentage without the % sign, such as " + FormatNumber(f)
	}
	return "; write a ratio from 0 to 1, such as " + FormatNumber(f/100)
}

// durationHint points at the usual mistakes: no unit, a fraction, a sign.
func durationHint(s string) string {
	t := strings.TrimSpace(s)
	if _, err := strconv.ParseFloat(t, 64); err == nil {
		if strings.HasPrefix(t, "-") {
			return "; durations cannot be negative"
		}
		return fmt.Sprintf("; a duration needs a unit, such as %ss", t)
	}
	if strings.HasPrefix(t, "-") {
		return "; durations cannot be negative"
	}
	if d, err := time.ParseDuration(t); err == nil && d > 0 && d%time.Millisecond == 0 {
		return fmt.Sprintf("; write whole numbers of a smaller unit, such as %s", Duration(d))
	}
	return ""
}

// quantityHint points at units written the way disks are sold.
func quantityHint(s string) string {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "-") {
		return "; a memory quantity cannot be negative"
	}
	for _, unit := range []string{"K", "M", "G", "T"} {
		for _, suffix := range []string{"iB", "B", "b"} {
			if num, ok := strings.CutSuffix(t, unit+suffix); ok {
				if _, err := strconv.ParseFloat(num, 64); err == nil {
					dec := strings.Replace(unit, "K", "k", 1)
					return fmt.Sprintf("; write %s%si for binary units or %s%s for decimal ones", num, unit, num, dec)
				}
			}
		}
	}
	return ""
}

// scalar returns n's text, or records an error naming what was expected.
func (d *decoder) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "expected %s, got %s", want, describe(n))
		return "", false
	}
	return n.Value, true
}

// describe names what the file wrote, quoted and shortened so an error
// stays one readable line whatever the value holds.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return describe(n.Alias)
	}
	switch n.Tag {
	case "!!null":
		return "nothing (null)"
	case "!!bool":
		return "the boolean " + n.Value
	case "!!int", "!!float":
		return shorten(n.Value)
	}
	return strconv.Quote(shorten(n.Value))
}

// shorten cuts user text that would drown an error message.
func shorten(s string) string {
	const max = 80
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "..."
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

// suggest returns the known name closest to key, if any is close enough to
// be a likely typo.
func suggest(key string, names []string) string {
	best, bestDist := "", 3
	for _, name := range names {
		if strings.EqualFold(name, key) {
			return name
		}
		if abs(len(name)-len(key)) >= bestDist {
			continue // too far apart, and long keys would cost quadratic time
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

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}
