package dashboards

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/meshslo/meshslo/generator/render"
)

// Model is the part of Grafana's dashboard JSON that meshslo checks and
// previews; everything else passes through untouched.
type Model struct {
	UID           string   `json:"uid"`
	Title         string   `json:"title"`
	Description   string   `json:"description"`
	SchemaVersion int      `json:"schemaVersion"`
	Tags          []string `json:"tags"`
	Panels        []Panel  `json:"panels"`
	Templating    struct {
		List []Variable `json:"list"`
	} `json:"templating"`
	Links []Link `json:"links"`
}

// Panel is one panel; rows hold their panels only while collapsed.
type Panel struct {
	ID          int     `json:"id"`
	Type        string  `json:"type"`
	Title       string  `json:"title"`
	Description string  `json:"description"`
	GridPos     GridPos `json:"gridPos"`
	Datasource  *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	Targets     []Target `json:"targets"`
	FieldConfig struct {
		Defaults struct {
			Unit       string          `json:"unit"`
			Thresholds *ThresholdSteps `json:"thresholds"`
			Mappings   []ValueMapping  `json:"mappings"`
			Min        *float64        `json:"min"`
			Max        *float64        `json:"max"`
			Decimals   *int            `json:"decimals"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	// Options holds the few panel options meshslo reads: a heatmap's
	// units live there, not in the field config.
	Options struct {
		YAxis struct {
			Unit string `json:"unit"`
		} `json:"yAxis"`
		CellValues struct {
			Unit string `json:"unit"`
		} `json:"cellValues"`
	} `json:"options"`
	Panels []Panel `json:"panels"`
}

// ValueMapping is one entry of a field's value mappings: type value
// (options: value -> result), range (from, to, result) or special
// (match: null, nan, true, false, empty; result).
type ValueMapping struct {
	Type    string          `json:"type"`
	Options json.RawMessage `json:"options"`
}

// MappingResult is what a mapped value shows.
type MappingResult struct {
	Text  string `json:"text"`
	Color string `json:"color"`
	Index int    `json:"index"`
}

// Mapping is one value mapping, flattened: what matches (a value, a range
// or a special value) and what it shows.
type Mapping struct {
	Match  string
	Result MappingResult
}

// Mappings returns the panel's value mappings, flattened and in order
// (value mappings by their index).
func (p Panel) Mappings() []Mapping {
	var out []Mapping
	for _, m := range p.FieldConfig.Defaults.Mappings {
		switch m.Type {
		case "value":
			var opts map[string]MappingResult
			if json.Unmarshal(m.Options, &opts) != nil {
				continue
			}
			var vs []Mapping
			for k, r := range opts {
				vs = append(vs, Mapping{Match: k, Result: r})
			}
			sort.Slice(vs, func(i, j int) bool {
				if vs[i].Result.Index != vs[j].Result.Index {
					return vs[i].Result.Index < vs[j].Result.Index
				}
				return vs[i].Match < vs[j].Match
			})
			out = append(out, vs...)
		case "range":
			var o struct {
				From   *float64      `json:"from"`
				To     *float64      `json:"to"`
				Result MappingResult `json:"result"`
			}
			if json.Unmarshal(m.Options, &o) != nil {
				continue
			}
			from, to := "-inf", "+inf"
			if o.From != nil {
				from = strconv.FormatFloat(*o.From, 'g', -1, 64)
			}
			if o.To != nil {
				to = strconv.FormatFloat(*o.To, 'g', -1, 64)
			}
			out = append(out, Mapping{Match: from + " to " + to, Result: o.Result})
		case "special", "regex":
			var o struct {
				Match   string        `json:"match"`
				Pattern string        `json:"pattern"`
				Result  MappingResult `json:"result"`
			}
			if json.Unmarshal(m.Options, &o) != nil {
				continue
			}
			out = append(out, Mapping{Match: o.Match + o.Pattern, Result: o.Result})
		}
	}
	return out
}

// Unit is the unit of the panel's values: the field config's, or for a
// heatmap the y axis' (its buckets), which is where a heatmap keeps it.
func (p Panel) Unit() string {
	if p.Type == "heatmap" {
		return p.Options.YAxis.Unit
	}
	return p.FieldConfig.Defaults.Unit
}

// GridPos is a panel's place on Grafana's 24-column grid.
type GridPos struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}

type Target struct {
	Expr  string `json:"expr"`
	RefID string `json:"refId"`
}

type ThresholdSteps struct {
	Steps []struct {
		Color string   `json:"color"`
		Value *float64 `json:"value"`
	} `json:"steps"`
}

type Variable struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Query      any    `json:"query"`
	Definition string `json:"definition"`
}

type Link struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// Parse reads a dashboard's JSON.
func Parse(data []byte) (*Model, error) {
	var m Model
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// AllPanels returns every panel, rows' nested panels included, in order.
func (m *Model) AllPanels() []Panel {
	var out []Panel
	var walk func([]Panel)
	walk = func(ps []Panel) {
		for _, p := range ps {
			out = append(out, p)
			walk(p.Panels)
		}
	}
	walk(m.Panels)
	return out
}

// SchemaVersion is the classic dashboard schema meshslo writes: Grafana
// 12 and 13's (and grafana-foundation-sdk's default).
const SchemaVersion = 42

// Grid is Grafana's width in columns.
const Grid = 24

// OneScreenRows is how many grid rows the executive dashboard may use. A
// grid row is 30px plus an 8px gap, so 22 rows are 828px: what is left of
// a 1080p screen under the browser's and Grafana's bars and the variables.
const OneScreenRows = 22

// CheckOptions are the per-dashboard limits.
type CheckOptions struct {
	// MaxRows, when set, is the height the dashboard must fit in.
	MaxRows int
	// Header, when set, must start the dashboard description: JSON has no
	// comments, so the generated-file line lives there.
	Header string
}

// CheckOptionsFor returns the limits meshslo holds a dashboard of the
// profile to: the executive tier must fit one screen.
func CheckOptionsFor(profileName, name string) CheckOptions {
	o := CheckOptions{Header: render.Header(profileName)}
	if name == "executive" {
		o.MaxRows = OneScreenRows
	}
	return o
}

// Check returns every problem of a dashboard: model version, header,
// datasource variable, overlapping or off-grid panels, duplicate ids,
// panels without a unit or description, and queries that do not parse as
// PromQL once Grafana's variables are filled in.
func Check(d Dashboard, o CheckOptions) []string {
	m, err := Parse(d.JSON)
	if err != nil {
		return []string{"not a dashboard: " + err.Error()}
	}
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if m.SchemaVersion != SchemaVersion {
		add("schemaVersion is %d, expected %d", m.SchemaVersion, SchemaVersion)
	}
	if m.UID == "" || len(m.UID) > 40 {
		add("uid %q must be 1 to 40 characters", m.UID)
	}
	if m.Title == "" {
		add("the dashboard has no title")
	}
	if o.Header != "" && !strings.HasPrefix(m.Description, o.Header) {
		add("the description must start with the generated-file header %q", o.Header)
	}
	hasDatasource := false
	for _, v := range m.Templating.List {
		if v.Name == "datasource" && v.Type == "datasource" && v.Query == "prometheus" {
			hasDatasource = true
		}
		if q := variableQuery(v); q != "" {
			if err := parseQuery(q); err != nil {
				add("variable %s: %v", v.Name, err)
			}
		}
	}
	if !hasDatasource {
		add("no datasource variable of type prometheus")
	}

	ids := map[int]string{}
	panels := m.AllPanels()
	for i, p := range panels {
		name := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		if prev, dup := ids[p.ID]; dup {
			add("%s has the id of %s", name, prev)
		}
		ids[p.ID] = name
		g := p.GridPos
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.Y < 0 || g.X+g.W > Grid {
			add("%s: gridPos %+v is off the %d-column grid", name, g, Grid)
		}
		if o.MaxRows > 0 && g.Y+g.H > o.MaxRows {
			add("%s ends at row %d; this dashboard must fit %d rows (one screen)", name, g.Y+g.H, o.MaxRows)
		}
		for _, q := range panels[:i] {
			if overlap(p.GridPos, q.GridPos) {
				add("%s overlaps panel %d %q", name, q.ID, q.Title)
			}
		}
		if p.Type == "row" {
			// Grafana's row panel has no description: it is dropped on load.
			if p.Description != "" {
				add("%s is a row with a description, which Grafana's schema has not (it is dropped on load)", name)
			}
			continue
		}
		if strings.TrimSpace(p.Description) == "" {
			add("%s has no description", name)
		}
		switch {
		case p.Type == "heatmap" && (p.Options.YAxis.Unit == "" || p.Options.CellValues.Unit == ""):
			add("%s is a heatmap without options.yAxis.unit and options.cellValues.unit (a heatmap reads its units there)", name)
		case p.Type == "heatmap" && p.FieldConfig.Defaults.Unit != "":
			add("%s is a heatmap with a field config unit, which the heatmap does not read; set options.yAxis.unit", name)
		case p.Unit() == "":
			add("%s has no unit", name)
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			add("%s must use the ${datasource} variable", name)
		}
		if len(p.Targets) == 0 {
			add("%s has no query", name)
		}
		for _, t := range p.Targets {
			if err := parseQuery(t.Expr); err != nil {
				add("%s query %s: %v", name, t.RefID, err)
			}
		}
	}
	return problems
}

func overlap(a, b GridPos) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}

// Sample values for Grafana's variables, so queries parse as Prometheus
// would receive them.
var sampleValues = map[string]string{
	"__rate_interval": "5m",
	"__interval":      "1m",
	"__range":         "1h",
	"__range_s":       "3600",
	"__interval_ms":   "60000",
}

var variableRE = regexp.MustCompile(`\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]`)

// Substitute fills Grafana variables in a query with sample values.
func Substitute(q string) string {
	return variableRE.ReplaceAllStringFunc(q, func(v string) string {
		sub := variableRE.FindStringSubmatch(v)
		name := sub[1] + sub[2] + sub[3]
		if s, ok := sampleValues[name]; ok {
			return s
		}
		return "sample"
	})
}

func parseQuery(q string) error {
	if strings.TrimSpace(q) == "" {
		return fmt.Errorf("empty query")
	}
	_, err := parser.NewParser(parser.Options{}).ParseExpr(Substitute(q))
	return err
}

var labelValuesRE = regexp.MustCompile(`^label_values\((.*),\s*(\w+)\)$`)

// variableQuery returns the PromQL inside a label_values() variable query.
func variableQuery(v Variable) string {
	if v.Type != "query" {
		return ""
	}
	if m := labelValuesRE.FindStringSubmatch(strings.TrimSpace(v.Definition)); m != nil {
		return m[1]
	}
	return ""
}

// Queries returns every PromQL query of the dashboard (panels, then
// variables) with variables filled in, each with where it comes from.
func (m *Model) Queries() []Query {
	var out []Query
	for _, p := range m.AllPanels() {
		for _, t := range p.Targets {
			out = append(out, Query{Where: fmt.Sprintf("panel %d %q query %s", p.ID, p.Title, t.RefID), Expr: Substitute(t.Expr)})
		}
	}
	for _, v := range m.Templating.List {
		if q := variableQuery(v); q != "" {
			out = append(out, Query{Where: "variable " + v.Name, Expr: Substitute(q)})
		}
	}
	return out
}

// Query is one PromQL query and where it is used.
type Query struct {
	Where string
	Expr  string
}
