package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	"gopkg.in/yaml.v3"

	"github.com/meshslo/meshslo/generator/generate"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/profiles"
)

// ExplainSchema names the version of explain's --output json|yaml document.
// Fields may be added; none is renamed or removed without a new version.
const ExplainSchema = "meshslo.explain/v1"

// DefaultWidth is explain's line width when stdout is not a terminal.
const DefaultWidth = 100

func newExplainCmd(stdout, stderr io.Writer) *cobra.Command {
	var refs []string
	var format string
	cmd := &cobra.Command{
		Use:   "explain",
		Short: "Print every derived threshold and the profile field (file line or size default) it came from",
		Long: `Explain lists every alert and severity the profile generates: when it fires, the
threshold, its hold, and each profile field behind it with its value and where it came
from (a line of the file, or a default). Text wraps to the terminal's width (` + strconv.Itoa(DefaultWidth) + `
columns when stdout is not a terminal).

--output json or yaml prints one document, schema "` + ExplainSchema + `":
  schema                  "` + ExplainSchema + `"
  profiles[]              one per --profile, in order
    name, file, size, environment
    alerts[]              every alerting rule, in rule order
      alert, severity     the alert name and its severity (critical pages, warning tickets)
      condition           when it fires, in words, numbers filled in
      threshold           {value: base units (ratio, bytes, seconds, count, burn factor), shown: as people read it}
      for                 the hold before it fires ("5m"); "0s" for none
      labels              static labels besides severity (only where a severity has several rules)
      fields[]            the profile fields behind it:
        path              spec.istiod.heapWarningRatio
        value             the value in force, as a profile writes it (0.8, "8Gi", "5m")
        source            file, default or size-default
        line              the line of the file (source file only)
    notGenerated[]        alerts this profile does not generate: {alert, reason, fields[]}
    capacity              {sidecars, sidecarBytes, sidecarReason, istiodReplicas, istiodBytes, totalBytes}`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" && format != "yaml" {
				return fail(ExitUsage, "explain: --output must be text, json or yaml (got %q)", format)
			}
			if len(refs) == 0 {
				refs = []string{profiles.Default}
			}
			loaded, err := loadAll(refs, false, stderr)
			if err != nil {
				return err
			}
			doc := explainDoc{Schema: ExplainSchema}
			for _, l := range loaded {
				b, err := generate.New(l.Profile, l.Origin, generate.Options{NoTests: true})
				if err != nil {
					return fail(ExitInvalid, "%s: %v", l.File, err)
				}
				doc.Profiles = append(doc.Profiles, explainProfileOf(l, b))
			}
			switch format {
			case "json":
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(doc)
			case "yaml":
				enc := yaml.NewEncoder(stdout)
				enc.SetIndent(2)
				if err := enc.Encode(doc); err != nil {
					return err
				}
				return enc.Close()
			}
			width := terminalWidth(stdout)
			for _, p := range doc.Profiles {
				explainText(stdout, p, width)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&refs, "profile", "p", nil, "built-in profile name or profile file; may repeat")
	cmd.Flags().StringVar(&format, "output", "text", "text, json or yaml (schema "+ExplainSchema+", see --help)")
	return cmd
}

// terminalWidth is the width of w when it is a terminal, else DefaultWidth.
func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols >= 40 {
			return cols
		}
	}
	return DefaultWidth
}

type explainDoc struct {
	Schema   string           `json:"schema" yaml:"schema"`
	Profiles []explainProfile `json:"profiles" yaml:"profiles"`
}

type explainProfile struct {
	Name         string           `json:"name" yaml:"name"`
	File         string           `json:"file" yaml:"file"`
	Size         string           `json:"size" yaml:"size"`
	Environment  string           `json:"environment" yaml:"environment"`
	Alerts       []explainAlert   `json:"alerts" yaml:"alerts"`
	NotGenerated []explainSkipped `json:"notGenerated" yaml:"notGenerated"`
	Capacity     explainCapacity  `json:"capacity" yaml:"capacity"`
}

type explainAlert struct {
	Alert     string            `json:"alert" yaml:"alert"`
	Severity  string            `json:"severity" yaml:"severity"`
	Condition string            `json:"condition" yaml:"condition"`
	Threshold explainThreshold  `json:"threshold" yaml:"threshold"`
	For       string            `json:"for" yaml:"for"`
	Labels    map[string]string `json:"labels,omitempty" yaml:"labels,omitempty"`
	Fields    []explainField    `json:"fields" yaml:"fields"`
}

type explainThreshold struct {
	Value float64 `json:"value" yaml:"value"`
	Shown string  `json:"shown" yaml:"shown"`
}

type explainField struct {
	Path   string `json:"path" yaml:"path"`
	Value  any    `json:"value" yaml:"value"`
	Source string `json:"source" yaml:"source"`
	Line   int    `json:"line,omitempty" yaml:"line,omitempty"`
	// origin is the text form ("profiles/medium.yaml:20", "default").
	origin string
}

type explainSkipped struct {
	Alert  string         `json:"alert" yaml:"alert"`
	Reason string         `json:"reason" yaml:"reason"`
	Fields []explainField `json:"fields" yaml:"fields"`
}

type explainCapacity struct {
	Sidecars       int    `json:"sidecars" yaml:"sidecars"`
	SidecarBytes   int64  `json:"sidecarBytes" yaml:"sidecarBytes"`
	SidecarReason  string `json:"sidecarReason" yaml:"sidecarReason"`
	IstiodReplicas int    `json:"istiodReplicas" yaml:"istiodReplicas"`
	IstiodBytes    int64  `json:"istiodBytes" yaml:"istiodBytes"`
	// Ztunnels and Waypoints are counted in ambient and mixed meshes only.
	Ztunnels      int   `json:"ztunnels,omitempty" yaml:"ztunnels,omitempty"`
	ZtunnelBytes  int64 `json:"ztunnelBytes,omitempty" yaml:"ztunnelBytes,omitempty"`
	Waypoints     int   `json:"waypoints,omitempty" yaml:"waypoints,omitempty"`
	WaypointBytes int64 `json:"waypointBytes,omitempty" yaml:"waypointBytes,omitempty"`
	TotalBytes    int64 `json:"totalBytes" yaml:"totalBytes"`
	ambient       bool
}

func explainProfileOf(l *profile.Loaded, b *generate.Build) explainProfile {
	c := b.Config
	p := c.Profile
	field := func(path string) explainField {
		f := explainField{Path: path, Value: fieldValue(p, path), origin: l.Origin(path)}
		if pos, ok := l.Positions[path]; ok {
			f.Source, f.Line = "file", pos.Line
		} else if strings.HasPrefix(f.origin, "default for size") {
			f.Source = "size-default"
		} else {
			f.Source = "default"
		}
		return f
	}
	out := explainProfile{Name: p.Metadata.Name, File: l.File, Size: p.Spec.Size, Environment: p.Spec.Environment,
		Alerts: []explainAlert{}, NotGenerated: []explainSkipped{}}
	for _, t := range rules.Thresholds(b.Rules) {
		a := explainAlert{Alert: t.Alert, Severity: t.Severity, Condition: t.Condition,
			Threshold: explainThreshold{Value: t.Value, Shown: t.Shown}, For: t.For.String(), Labels: t.Labels, Fields: []explainField{}}
		for _, f := range t.Fields {
			a.Fields = append(a.Fields, field(f))
		}
		out.Alerts = append(out.Alerts, a)
	}
	for _, d := range rules.Descriptors {
		if why := d.SkippedFor(c); why != "" {
			s := explainSkipped{Alert: d.Name, Reason: why, Fields: []explainField{}}
			for _, f := range d.SkipDecidedBy() {
				s.Fields = append(s.Fields, field(f))
			}
			out.NotGenerated = append(out.NotGenerated, s)
		}
	}
	cp := c.Capacity
	out.Capacity = explainCapacity{Sidecars: cp.Sidecars, SidecarBytes: cp.SidecarBytes, SidecarReason: cp.SidecarReason,
		IstiodReplicas: p.Spec.Istiod.MinReplicas, IstiodBytes: cp.IstiodBytes, TotalBytes: cp.TotalBytes,
		Ztunnels: cp.Ztunnels, ZtunnelBytes: cp.ZtunnelBytes, Waypoints: cp.Waypoints, WaypointBytes: cp.WaypointBytes, ambient: p.Spec.Ambient()}
	return out
}

// fieldValue is the value at a field path (spec.slos[0].objective) as a
// profile writes it: durations and quantities in their units, numbers as
// numbers. The paths come from the alert descriptors, which a completeness
// test holds to real fields (generator/generate/completeness_test.go).
func fieldValue(p profile.Profile, path string) any {
	v := reflect.ValueOf(p)
	for _, part := range strings.Split(path, ".") {
		name, index, indexed := strings.Cut(part, "[")
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return nil
			}
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return nil
		}
		found := false
		for i := 0; i < v.NumField(); i++ {
			if tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ","); tag == name {
				v, found = v.Field(i), true
				break
			}
		}
		if !found {
			return nil
		}
		if indexed {
			n, err := strconv.Atoi(strings.TrimSuffix(index, "]"))
			if err != nil || v.Kind() != reflect.Slice || n >= v.Len() {
				return nil
			}
			v = v.Index(n)
		}
	}
	data, err := json.Marshal(v.Interface())
	if err != nil {
		return nil
	}
	var out any
	if json.Unmarshal(data, &out) != nil {
		return nil
	}
	return out
}

// showValue is a field value as the text output prints it.
func showValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return profile.FormatNumber(x)
	case nil:
		return "-"
	}
	data, _ := json.Marshal(v)
	return string(data)
}

// explainText prints one profile: a block per alert and severity, its
// condition and fields wrapped to width.
func explainText(w io.Writer, p explainProfile, width int) {
	fmt.Fprintf(w, "Profile %s (%s), size %s, %s\n\n", p.Name, p.File, p.Size, p.Environment)
	const indent = "    "
	label := func(name string) string { return indent + fmt.Sprintf("%-12s", name) }
	pad := strings.Repeat(" ", len(label("")))
	block := func(lbl, text string) {
		for i, line := range wrap(text, width-len(pad)) {
			if i == 0 {
				fmt.Fprintln(w, label(lbl)+line)
			} else {
				fmt.Fprintln(w, pad+line)
			}
		}
	}
	fields := func(fs []explainField) {
		for i, f := range fs {
			lbl := ""
			if i == 0 {
				lbl = "from"
			}
			block(lbl, fmt.Sprintf("%s = %s (%s)", f.Path, showValue(f.Value), f.origin))
		}
	}
	for _, a := range p.Alerts {
		fmt.Fprintf(w, "%s %s\n", a.Alert, a.Severity)
		block("fires when", a.Condition)
		fields(a.Fields)
	}
	for _, s := range p.NotGenerated {
		fmt.Fprintf(w, "%s not generated\n", s.Alert)
		block("why", s.Reason)
		fields(s.Fields)
	}
	cp := p.Capacity
	fmt.Fprintln(w)
	ambient := ""
	if cp.ambient {
		ambient = fmt.Sprintf(" + %d ztunnels (one per node) x %s + %d waypoint replicas x %s", cp.Ztunnels, profile.Quantity(cp.ZtunnelBytes),
			cp.Waypoints, profile.Quantity(cp.WaypointBytes))
	}
	for _, line := range wrap(fmt.Sprintf("Capacity: %d sidecars x %s (%s)%s + %d istiod x %s = %s", cp.Sidecars, profile.Quantity(cp.SidecarBytes),
		cp.SidecarReason, ambient, cp.IstiodReplicas, profile.Quantity(cp.IstiodBytes/int64(max(1, cp.IstiodReplicas))), profile.Quantity(cp.TotalBytes).Human()), width) {
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w)
}

// wrap breaks text into lines of at most width columns at spaces; a word
// longer than width stands alone on its line.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case len([]rune(line))+1+len([]rune(word)) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	return append(lines, line)
}
