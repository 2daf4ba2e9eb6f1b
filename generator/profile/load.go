// Load: read a profile file onto the defaults, remembering where each
// field was written. The checks on raw input are in input.go, the walk over
// the YAML tree in walk.go and the wording of hints in hints.go.

package profile

import (
	"bytes"
	"errors"
	"io"
	"reflect"

	"gopkg.in/yaml.v3"
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
	data, bad := checkInput(file, data)
	if bad != nil {
		return nil, Errors{bad}
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
	fillGatewayDefaults(&l.Profile)
	fillWaypointDefaults(&l.Profile)
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
