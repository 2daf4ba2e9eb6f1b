// Package preview draws a dashboard's layout as an SVG picture: each
// panel's place, title, type, unit and threshold lines, so a reviewer sees
// the layout in a pull request without a Grafana.
package preview

import (
	"bytes"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/meshslo/meshslo/dashboards"
	"github.com/meshslo/meshslo/generator/profile"
)

// Scale: Grafana at 1920px wide gives 80px per column and 30px per row
// plus an 8px gap; the picture keeps that ratio at 60% size.
const (
	colPx    = 48
	rowPx    = 23
	gapPx    = 4
	marginPx = 12
	headerPx = 40
	charPx   = 6.6 // width of a 11px sans-serif character, roughly
)

var fills = map[string]string{
	"row":        "#e8eaed",
	"stat":       "#d7ecff",
	"gauge":      "#d9f2e3",
	"timeseries": "#fff",
	"table":      "#fdf1d8",
	"heatmap":    "#fde3d3",
}

// SVG draws the dashboard. maxRows, when set, marks the one-screen limit.
func SVG(d dashboards.Dashboard, maxRows int) ([]byte, error) {
	m, err := dashboards.Parse(d.JSON)
	if err != nil {
		return nil, err
	}
	rows := 0
	for _, p := range m.AllPanels() {
		rows = max(rows, p.GridPos.Y+p.GridPos.H)
	}
	rows = max(rows, maxRows)
	width := 2*marginPx + dashboards.Grid*colPx
	height := headerPx + rows*rowPx + 2*marginPx
	if maxRows > 0 {
		height += 14 // room for the one-screen label
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif">`+"\n",
		width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#f4f5f5"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="16" font-weight="bold" fill="#202226">%s</text>`+"\n", marginPx, marginPx+16, esc(m.Title))
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#555">uid %s, %d panels, %d rows of the 24-column grid</text>`+"\n",
		marginPx, marginPx+31, esc(m.UID), len(m.AllPanels()), rows)

	for _, p := range m.AllPanels() {
		g := p.GridPos
		x := marginPx + g.X*colPx + gapPx/2
		y := headerPx + marginPx + g.Y*rowPx + gapPx/2
		w := g.W*colPx - gapPx
		h := g.H*rowPx - gapPx
		fill := fills[p.Type]
		if fill == "" {
			fill = "#fff"
		}
		fmt.Fprintf(&b, `<g><title>%s</title>`, esc(p.Description))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="3" fill="%s" stroke="#c7c9cc"/>`, x, y, w, h, fill)
		if p.Type == "row" {
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" font-weight="bold" fill="#202226">%s</text></g>`+"\n", x+6, y+h/2+4, esc(fit(p.Title, w)))
			continue
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" font-weight="bold" fill="#202226">%s</text>`, x+6, y+14, esc(fit(p.Title, w)))
		if h >= 2*rowPx {
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10" fill="#555">%s</text>`, x+6, y+28, esc(fit(p.Type+" · "+p.FieldConfig.Defaults.Unit, w)))
		}
		if lines := thresholds(p); lines != "" && h >= 3*rowPx {
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10" fill="#b3261e">%s</text>`, x+6, y+41, esc(fit("thresholds "+lines, w)))
		}
		if p.Type == "timeseries" && h >= 4*rowPx {
			// A flat sketch of a graph area, so the picture reads as a dashboard.
			fmt.Fprintf(&b, `<polyline points="%d,%d %d,%d %d,%d %d,%d" fill="none" stroke="#7eb26d" stroke-width="1.5"/>`,
				x+8, y+h-14, x+w/3, y+h-26, x+2*w/3, y+h-20, x+w-8, y+h-30)
		}
		b.WriteString("</g>\n")
	}
	if maxRows > 0 {
		y := headerPx + marginPx + maxRows*rowPx
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#b3261e" stroke-dasharray="6 4"/>`+"\n", marginPx, y, width-marginPx, y)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10" fill="#b3261e" text-anchor="end">one screen (%d rows, about 830px)</text>`+"\n", width-marginPx, y+12, maxRows)
	}
	b.WriteString("</svg>\n")
	return b.Bytes(), nil
}

func thresholds(p dashboards.Panel) string {
	t := p.FieldConfig.Defaults.Thresholds
	if t == nil {
		return ""
	}
	var vals []string
	for _, s := range t.Steps {
		if s.Value == nil {
			continue
		}
		v := *s.Value
		switch p.FieldConfig.Defaults.Unit {
		case "bytes":
			vals = append(vals, profile.Quantity(v).String())
		case "s":
			vals = append(vals, profile.Duration(time.Duration(v*float64(time.Second))).String())
		case "percentunit":
			vals = append(vals, profile.FormatNumber(v*100)+"%")
		default:
			vals = append(vals, profile.FormatNumber(v))
		}
	}
	return strings.Join(vals, ", ")
}

// fit cuts text to what fits in w pixels.
func fit(s string, w int) string {
	n := int(float64(w-12) / charPx)
	r := []rune(s)
	if n < 1 {
		return ""
	}
	if len(r) <= n {
		return s
	}
	return string(r[:max(n-1, 0)]) + "…"
}

func esc(s string) string { return html.EscapeString(s) }
