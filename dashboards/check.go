package dashboards

import (
	"encoding/json"
	"fmt"
	"regexp"
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
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Panels []Panel `json:"panels"`
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
	if m.SchemaVersion != 39 {
		add("schemaVersion is %d, expected 39", m.SchemaVersion)
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
		if strings.TrimSpace(p.Description) == "" {
			add("%s has no description", name)
		}
		if p.Type == "row" {
			continue
		}
		if p.FieldConfig.Defaults.Unit == "" {
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
