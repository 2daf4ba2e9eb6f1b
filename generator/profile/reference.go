package profile

import (
	_ "embed"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// The profile reference (docs/profile-reference.md) is generated from this
// package: the field tree and types from the Go types by reflection, the
// descriptions from the doc comments in types.go (parsed with go/parser,
// embedded so the binary needs no source tree), the defaults from Defaults
// for each size and from the default struct tags, the allowed values from
// the package's lists and the check tags.

//go:embed types.go
var typesSource []byte

// ReferencePath is where the reference is committed, relative to the
// repository root.
const ReferencePath = "docs/profile-reference.md"

// RefField is one row of the reference: a field of Profile by its YAML path.
type RefField struct {
	Path        string // spec.istiod.heapFor, spec.slos[].threshold
	Type        string // in user terms: duration, ratio 0-1, list, map ...
	Default     string // "" when there is none
	Allowed     string // "" when any value of the type is accepted
	Description string // the field's doc comment (or its type's), one line
}

// allowedValues are the fields limited to one of a list the code holds.
var allowedValues = map[string][]string{
	"spec.environment":                            Environments,
	"spec.size":                                   Sizes,
	"spec.prometheus.scrape":                      Scrapes,
	"spec.certificates.ca":                        CAModes,
	"spec.slos[].sli":                             {SLIAvailability, SLILatency},
	"spec.dataPlane":                              DataPlanes,
	"spec.slos[].sliSource":                       SLISources,
	"spec.burnRates[].severity":                   {SeverityCritical, SeverityWarning},
	"spec.alerting.receivers[].severity":          ReceiverSeverities,
	"spec.alerting.maintenanceWindows[].weekdays": Weekdays,
	"spec.rulers.formats":                         RulerFormats,
	"spec.rulers.mode":                            RulerModes,
}

// elementDefaults are the defaults Load fills into list entries (load.go).
var elementDefaults = map[string]string{
	"spec.slos[].window":    DefaultSLOWindow.String(),
	"spec.slos[].sliSource": SLISourceAuto,
	"spec.slos[].threshold": DefaultLatencyThreshold.String() + " (latency SLIs)",
}

// checkText says what a check tag (tags.go) accepts.
func checkText(check string) string {
	switch check {
	case "for":
		return "0 to " + MaxFor.String()
	case "window":
		return "1m to " + MaxFor.String()
	case "nonnegative":
		return "0 or more"
	case "ratio":
		return "strictly between 0 and 1"
	}
	return ""
}

// typeDocs holds the doc comments of types.go: per struct type, per Go field
// name; and per type name.
type typeDocs struct {
	fields map[string]map[string]string
	types  map[string]string
}

func parseTypeDocs() (typeDocs, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "types.go", typesSource, parser.ParseComments)
	if err != nil {
		return typeDocs{}, err
	}
	d := typeDocs{fields: map[string]map[string]string{}, types: map[string]string{}}
	for _, decl := range f.Decls {
		g, ok := decl.(*ast.GenDecl)
		if !ok || g.Tok != token.TYPE {
			continue
		}
		for _, spec := range g.Specs {
			ts := spec.(*ast.TypeSpec)
			doc := ts.Doc
			if doc == nil && len(g.Specs) == 1 {
				doc = g.Doc
			}
			d.types[ts.Name.Name] = oneLine(doc)
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			m := map[string]string{}
			for _, fld := range st.Fields.List {
				text := oneLine(fld.Doc)
				if text == "" {
					text = oneLine(fld.Comment)
				}
				for _, n := range fld.Names {
					m[n.Name] = text
				}
			}
			d.fields[ts.Name.Name] = m
		}
	}
	return d, nil
}

func oneLine(c *ast.CommentGroup) string {
	if c == nil {
		return ""
	}
	return strings.Join(strings.Fields(c.Text()), " ")
}

// ReferenceFields lists every field of Profile, depth first in declaration
// order. A field without a doc comment of its own takes the doc comment of
// its struct type; one with neither has an empty Description.
func ReferenceFields() ([]RefField, error) {
	docs, err := parseTypeDocs()
	if err != nil {
		return nil, err
	}
	var sized []reflect.Value
	for _, s := range Sizes {
		sized = append(sized, reflect.ValueOf(Defaults(s)))
	}
	var out []RefField
	var walk func(t reflect.Type, path string, vals []reflect.Value)
	walk = func(t reflect.Type, path string, vals []reflect.Value) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" {
				continue
			}
			p := name
			if path != "" {
				p = path + "." + name
			}
			var fv []reflect.Value
			if vals != nil {
				for _, v := range vals {
					fv = append(fv, v.Field(i))
				}
			}
			desc := docs.fields[t.Name()][f.Name]
			if desc == "" {
				desc = firstSentence(docs.types[elemType(f.Type).Name()])
			}
			r := RefField{Path: p, Type: userType(f), Description: desc}
			if def, ok := f.Tag.Lookup("default"); ok {
				r.Default = def
			} else if fv != nil {
				r.Default = sizedDefault(fv)
			} else {
				r.Default = elementDefaults[p]
			}
			if p == "spec.size" {
				r.Default = DefaultSize
			}
			if a, ok := allowedValues[p]; ok {
				r.Allowed = strings.Join(a, ", ")
			} else if c, ok := f.Tag.Lookup("check"); ok {
				r.Allowed = checkText(c)
			}
			out = append(out, r)
			switch {
			case f.Type.Kind() == reflect.Struct:
				walk(f.Type, p, fv)
			case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
				walk(f.Type.Elem(), p+"[]", nil)
			}
		}
	}
	walk(reflect.TypeOf(Profile{}), "", sized)
	return out, nil
}

// firstSentence keeps a type's doc comment to what it says about the field.
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

func elemType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Slice || t.Kind() == reflect.Pointer || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	return t
}

// userType names a field's type the way a profile author thinks of it.
// A float64 is a ratio when its check tag says so or its name ends in Ratio,
// Share or Quantile, or it is the sampling rate; otherwise a number.
func userType(f reflect.StructField) string {
	t := f.Type
	switch t {
	case reflect.TypeOf(Duration(0)):
		return "duration"
	case reflect.TypeOf(Quantity(0)):
		return "memory quantity"
	case reflect.TypeOf(Percent(0)):
		return "percentage"
	case reflect.TypeOf((*Percent)(nil)):
		return "percentage (optional)"
	case reflect.TypeOf((*Duration)(nil)):
		return "duration (optional)"
	case reflect.TypeOf((*int)(nil)):
		return "integer (optional)"
	}
	switch t.Kind() {
	case reflect.Float64:
		n := f.Name
		if f.Tag.Get("check") == "ratio" || n == "Sampling" ||
			strings.HasSuffix(n, "Ratio") || strings.HasSuffix(n, "Share") || strings.HasSuffix(n, "Quantile") {
			return "ratio 0-1"
		}
		return "number"
	case reflect.Int:
		return "integer"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "string"
	case reflect.Map:
		return "map of " + kindName(t.Key()) + " to " + kindName(t.Elem())
	case reflect.Slice:
		return "list of " + kindName(t.Elem())
	case reflect.Struct:
		return "object"
	}
	return t.String()
}

func kindName(t reflect.Type) string {
	if t.Kind() == reflect.Struct {
		return "objects"
	}
	return t.Kind().String()
}

// sizedDefault renders the default once when every size agrees, or per
// size (small: 4Gi, medium: 8Gi, large: 16Gi) when it differs.
func sizedDefault(vals []reflect.Value) string {
	if vals[0].Kind() == reflect.Struct {
		return ""
	}
	texts := make([]string, len(vals))
	same := true
	for i, v := range vals {
		texts[i] = formatValue(v)
		same = same && texts[i] == texts[0]
	}
	if same {
		return texts[0]
	}
	parts := make([]string, len(vals))
	for i := range vals {
		parts[i] = Sizes[i] + ": " + texts[i]
	}
	return strings.Join(parts, ", ")
}

// formatValue renders a default the way it is written in a profile.
func formatValue(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case Duration:
		return x.String()
	case Quantity:
		return x.String()
	case Percent:
		return FormatNumber(float64(x))
	case float64:
		return FormatNumber(x)
	case int:
		return strconv.Itoa(x)
	case string:
		switch {
		case x == "":
			return `""`
		case strings.ContainsAny(x, `"{}[],#`) || strings.Contains(x, ": "):
			return "'" + strings.ReplaceAll(x, "'", "''") + "'"
		}
		return x
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return ""
		}
		return formatValue(v.Elem())
	case reflect.Map:
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + formatValue(v.MapIndex(reflect.ValueOf(k)))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case reflect.Slice:
		if v.Len() == 0 {
			return "[]"
		}
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = formatValue(v.Index(i))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case reflect.Struct:
		var parts []string
		for i := 0; i < v.NumField(); i++ {
			if v.Field(i).IsZero() {
				continue
			}
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
			parts = append(parts, name+": "+formatValue(v.Field(i)))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v.Interface())
}

// Reference renders docs/profile-reference.md.
func Reference() ([]byte, error) {
	fields, err := ReferenceFields()
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("<!-- generated, do not edit: go test ./generator/profile -update -->\n")
	b.WriteString("# Profile reference\n\n")
	b.WriteString("Every field of a mesh profile (`" + APIVersion + "`, kind `" + Kind + "`), generated from\n")
	b.WriteString("`generator/profile/types.go`: descriptions are the fields' doc comments, defaults come from\n")
	b.WriteString("`profile.Defaults` for each size (shown per size where they differ) and from the `default` struct tags.\n")
	b.WriteString("`[]` marks the entries of a list. Durations use Prometheus syntax (`60s`, `5m`, `30d`); memory\n")
	b.WriteString("quantities the Kubernetes one (`800Mi`, `8Gi`); ratios are fractions (`0.8`), percentages as written (`99.9`).\n\n")
	b.WriteString("| Field | Type | Default | Allowed | Description |\n")
	b.WriteString("|---|---|---|---|---|\n")
	for _, f := range fields {
		def := f.Default
		if def != "" {
			def = "`" + def + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", f.Path, f.Type, cell(def), cell(f.Allowed), cell(f.Description))
	}
	return []byte(b.String()), nil
}

// cell keeps a table cell on one row and its <placeholders> visible.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(s)
}
