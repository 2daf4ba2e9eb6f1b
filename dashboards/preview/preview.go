// Package preview draws a dashboard's layout as an SVG picture, so a
// reviewer sees it in a pull request without a Grafana: each panel in its
// place with its title (wrapped, the full title and description in a
// tooltip), type and unit, its thresholds as coloured steps (bands on
// stats and tables, an arc on gauges, dashed lines on time series) and its
// value mappings. There is no data: where Grafana would show a value or a
// graph the picture says "no data" rather than invent one.
package preview

import (
	"bytes"
	"fmt"
	"html"
	"math"
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
	smallPx  = 5.8 // width of a 10px one
)

// NoData is what a panel shows in place of values.
const NoData = "no data"

var fills = map[string]string{
	"row":        "#e8eaed",
	"stat":       "#f7fbff",
	"gauge":      "#f6fbf8",
	"timeseries": "#fff",
	"table":      "#fffaf0",
	"heatmap":    "#fff7f2",
}

// colors are Grafana's named colours (its classic palette) as hex.
var colors = map[string]string{
	"green": "#73bf69", "dark-green": "#37872d", "semi-dark-green": "#56a64b", "light-green": "#96d98d",
	"red": "#f2495c", "dark-red": "#c4162a", "semi-dark-red": "#e02f44", "light-red": "#ff7383",
	"orange": "#ff9830", "dark-orange": "#fa6400", "semi-dark-orange": "#ff780a", "light-orange": "#ffb357",
	"yellow": "#fade2a", "dark-yellow": "#e0b400", "semi-dark-yellow": "#f2cc0c", "light-yellow": "#ffee52",
	"blue": "#5794f2", "dark-blue": "#1f60c4", "semi-dark-blue": "#3274d9", "light-blue": "#8ab8ff",
	"purple": "#b877d9", "dark-purple": "#8f3bb8", "semi-dark-purple": "#a352cc", "light-purple": "#ca95e5",
	"text": "#202226", "transparent": "none",
}

// Color is a Grafana colour as SVG: a named one as its hex, a hex or
// rgb() one as written, anything else grey.
func Color(c string) string { return color(c) }

func color(c string) string {
	if hex, ok := colors[c]; ok {
		return hex
	}
	if strings.HasPrefix(c, "#") || strings.HasPrefix(c, "rgb") {
		return c
	}
	return "#999"
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
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#555">uid %s, %d panels, %d rows of the 24-column grid; thresholds and value mappings as configured, no data</text>`+"\n",
		marginPx, marginPx+31, esc(m.UID), len(m.AllPanels()), rows)

	for _, p := range m.AllPanels() {
		g := p.GridPos
		r := box{
			x: marginPx + g.X*colPx + gapPx/2,
			y: headerPx + marginPx + g.Y*rowPx + gapPx/2,
			w: g.W*colPx - gapPx,
			h: g.H*rowPx - gapPx,
		}
		drawPanel(&b, p, r)
	}
	if maxRows > 0 {
		y := headerPx + marginPx + maxRows*rowPx
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#b3261e" stroke-dasharray="6 4"/>`+"\n", marginPx, y, width-marginPx, y)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10" fill="#b3261e" text-anchor="end">one screen (%d rows, about 830px)</text>`+"\n", width-marginPx, y+12, maxRows)
	}
	b.WriteString("</svg>\n")
	return b.Bytes(), nil
}

type box struct{ x, y, w, h int }

// step is one threshold step: from value (nil: from minus infinity) on,
// the colour.
type step struct {
	color string
	from  *float64
}

func steps(p dashboards.Panel) []step {
	t := p.FieldConfig.Defaults.Thresholds
	if t == nil {
		return nil
	}
	var out []step
	for _, s := range t.Steps {
		out = append(out, step{color: s.Color, from: s.Value})
	}
	return out
}

func drawPanel(b *bytes.Buffer, p dashboards.Panel, r box) {
	fill := fills[p.Type]
	if fill == "" {
		fill = "#fff"
	}
	tip := p.Title
	if p.Description != "" {
		tip += "\n\n" + p.Description
	}
	fmt.Fprintf(b, `<g><title>%s</title>`, esc(tip))
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" rx="3" fill="%s" stroke="#c7c9cc"/>`, r.x, r.y, r.w, r.h, fill)
	if p.Type == "row" {
		fmt.Fprintf(b, `<text x="%d" y="%d" font-size="12" font-weight="bold" fill="#202226">%s</text></g>`+"\n", r.x+6, r.y+r.h/2+4, esc(fit(p.Title, r.w, charPx)))
		return
	}
	// Title: two lines where the panel has room, cut with an ellipsis
	// beyond; the tooltip has it whole.
	lines := 1
	if r.h >= 3*rowPx {
		lines = 2
	}
	y := r.y + 14
	for _, line := range wrap(p.Title, r.w, lines) {
		fmt.Fprintf(b, `<text x="%d" y="%d" font-size="11" font-weight="bold" fill="#202226">%s</text>`, r.x+6, y, esc(line))
		y += 13
	}
	meta := p.Type
	if u := p.Unit(); u != "" {
		meta += " · " + u
	}
	if r.h >= 2*rowPx {
		fmt.Fprintf(b, `<text x="%d" y="%d" font-size="10" fill="#555">%s</text>`, r.x+6, y, esc(fit(meta, r.w, smallPx)))
		y += 12
	}
	for _, mp := range p.Mappings() {
		if y > r.y+r.h-24 {
			break
		}
		label := fmt.Sprintf("%s → %s", mp.Match, mp.Result.Text)
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="8" height="8" fill="%s"/><text x="%d" y="%d" font-size="10" fill="#555">%s</text>`,
			r.x+6, y-8, color(mp.Result.Color), r.x+18, y, esc(fit("mapping "+label, r.w-12, smallPx)))
		y += 12
	}
	body := box{x: r.x + 6, y: y, w: r.w - 12, h: r.y + r.h - 6 - y}
	ss := steps(p)
	switch p.Type {
	case "timeseries":
		drawLines(b, p, ss, body)
	case "gauge":
		drawGauge(b, p, ss, body)
	default:
		// Tables colour cells only by their columns' own thresholds: a
		// base colour alone says nothing there.
		if len(ss) > 0 && p.Type != "heatmap" && !(p.Type == "table" && len(ss) == 1) && body.h >= 24 {
			// A band of the steps at the bottom, labelled at each boundary.
			band := box{x: body.x, y: body.y + body.h - 15, w: body.w, h: 6}
			drawBand(b, p, ss, band)
			body.h -= 17
		}
		noData(b, body, p.Type == "stat")
	}
	b.WriteString("</g>\n")
}

// noData marks where values would be: large for a stat, small elsewhere.
func noData(b *bytes.Buffer, r box, large bool) {
	if r.h < 10 {
		return
	}
	size := 10
	if large && r.h >= 18 {
		size = 14
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="%d" font-style="italic" fill="#8e9196" text-anchor="middle">%s</text>`,
		r.x+r.w/2, r.y+r.h/2+size/2-1, size, NoData)
}

// drawBand draws the steps side by side, equally wide (not to scale: there
// are no values), each in its colour, with each step's start value under
// its left edge.
func drawBand(b *bytes.Buffer, p dashboards.Panel, ss []step, r box) {
	n := len(ss)
	seg := float64(r.w) / float64(n)
	for i, s := range ss {
		x := float64(r.x) + float64(i)*seg
		fmt.Fprintf(b, `<rect x="%s" y="%d" width="%s" height="%d" fill="%s"/>`, px(x), r.y, px(seg), r.h, color(s.color))
		if s.from != nil {
			fmt.Fprintf(b, `<text x="%s" y="%d" font-size="9" fill="#555" text-anchor="%s">%s</text>`,
				px(x), r.y+r.h+9, anchor(i, n), esc(format(p, *s.from)))
		}
	}
}

func anchor(i, n int) string {
	if i == n-1 && n > 1 {
		return "end"
	}
	return "middle"
}

// drawLines draws a time series' plot area without data: each threshold
// step's start as a dashed line in its colour (where Grafana draws them
// with thresholdsStyle dashed), higher values higher, evenly spaced as
// there is no scale, labelled with its value; each step's range is a faint
// band of its colour with a strip on the left edge.
func drawLines(b *bytes.Buffer, p dashboards.Panel, ss []step, r box) {
	if r.h < 16 {
		return
	}
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#e4e5e6"/>`, r.x, r.y, r.w, r.h)
	var marks []step
	for _, s := range ss {
		if s.from != nil {
			marks = append(marks, s)
		}
	}
	// Grafana draws no thresholds on a time series without a step value
	// (thresholdsStyle off in the templates).
	if len(marks) > 0 {
		// Bands from the bottom: the base step below the first line, each
		// step from its line to the next.
		bottom := r.y + r.h
		for i, s := range ss {
			top := r.y
			if i < len(marks) {
				top = r.y + r.h - (i+1)*r.h/(len(marks)+1)
			}
			if i >= len(marks)+1 {
				break
			}
			fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s" fill-opacity="0.08"/><rect x="%d" y="%d" width="3" height="%d" fill="%s"/>`,
				r.x, top, r.w, bottom-top, color(s.color), r.x, top, bottom-top, color(s.color))
			bottom = top
		}
	}
	for i, s := range marks {
		// Sorted ascending (Grafana's order): the first is lowest.
		y := r.y + r.h - (i+1)*r.h/(len(marks)+1)
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="1.5" stroke-dasharray="5 3"/>`, r.x, y, r.x+r.w, y, color(s.color))
		fmt.Fprintf(b, `<text x="%d" y="%d" font-size="9" fill="%s" text-anchor="end">%s</text>`, r.x+r.w-3, y-3, color(s.color), esc(format(p, *s.from)))
	}
	// Top left, clear of the lines' labels on the right.
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="10" font-style="italic" fill="#8e9196">%s</text>`, r.x+6, r.y+12, NoData)
}

// drawGauge draws the gauge's arc with the steps in their colours (to scale
// between the panel's min and max where both are set, else evenly) and no
// value.
func drawGauge(b *bytes.Buffer, p dashboards.Panel, ss []step, r box) {
	radius := min(float64(r.w)/2-4, float64(r.h)-6)
	if radius < 10 {
		noData(b, r, false)
		return
	}
	cx, cy := float64(r.x)+float64(r.w)/2, float64(r.y)+float64(r.h)-2
	if len(ss) == 0 {
		ss = []step{{color: "green"}}
	}
	lo, hi := p.FieldConfig.Defaults.Min, p.FieldConfig.Defaults.Max
	scaled := lo != nil && hi != nil && *hi > *lo
	// Each step's share of the arc, from 180° (left) to 0° (right).
	starts := make([]float64, len(ss)+1)
	for i := range ss {
		switch {
		case i == 0:
			starts[i] = 0
		case scaled && ss[i].from != nil:
			starts[i] = math.Min(1, math.Max(0, (*ss[i].from-*lo)/(*hi-*lo)))
		default:
			starts[i] = float64(i) / float64(len(ss))
		}
	}
	starts[len(ss)] = 1
	for i, s := range ss {
		a0, a1 := math.Pi*(1-starts[i]), math.Pi*(1-starts[i+1])
		if a0-a1 < 1e-9 {
			continue
		}
		x0, y0 := cx+radius*math.Cos(a0), cy-radius*math.Sin(a0)
		x1, y1 := cx+radius*math.Cos(a1), cy-radius*math.Sin(a1)
		fmt.Fprintf(b, `<path d="M %s %s A %s %s 0 0 1 %s %s" fill="none" stroke="%s" stroke-width="6"/>`,
			px(x0), px(y0), px(radius), px(radius), px(x1), px(y1), color(s.color))
		if s.from != nil && i > 0 {
			fmt.Fprintf(b, `<text x="%s" y="%s" font-size="9" fill="#555" text-anchor="middle">%s</text>`,
				px(cx+(radius+8)*math.Cos(a0)), px(cy-(radius+8)*math.Sin(a0)), esc(format(p, *s.from)))
		}
	}
	fmt.Fprintf(b, `<text x="%s" y="%s" font-size="10" font-style="italic" fill="#8e9196" text-anchor="middle">%s</text>`, px(cx), px(cy-3), NoData)
}

// px prints a coordinate with at most one decimal, the same on every run.
func px(v float64) string {
	return profile.FormatNumber(math.Round(v*10) / 10)
}

// format prints a threshold in the panel's unit, as the profile writes it.
func format(p dashboards.Panel, v float64) string {
	unit := p.Unit()
	switch {
	case unit == "bytes":
		return profile.Quantity(v).String()
	case unit == "s":
		return profile.Duration(time.Duration(v * float64(time.Second))).String()
	case unit == "percentunit":
		return profile.FormatNumber(v*100) + "%"
	case strings.HasPrefix(unit, "suffix:"):
		return profile.FormatNumber(v) + strings.TrimPrefix(unit, "suffix:")
	}
	return profile.FormatNumber(v)
}

// Thresholds lists a panel's threshold values in its unit, for tests and
// tools: what the preview labels.
func Thresholds(p dashboards.Panel) []string {
	var out []string
	for _, s := range steps(p) {
		if s.from != nil {
			out = append(out, format(p, *s.from))
		}
	}
	return out
}

// wrap breaks s into at most n lines of what fits in w pixels, at spaces
// where it can, the last line cut with an ellipsis if s is longer.
func wrap(s string, w, n int) []string {
	per := int(float64(w-12) / charPx)
	if per < 1 {
		return nil
	}
	var lines []string
	rest := []rune(s)
	for len(lines) < n && len(rest) > 0 {
		if len(rest) <= per {
			lines = append(lines, string(rest))
			rest = nil
			break
		}
		if len(lines) == n-1 {
			lines = append(lines, string(rest[:max(per-1, 0)])+"…")
			rest = nil
			break
		}
		cut := per
		for i := per; i > per/2; i-- {
			if rest[i] == ' ' {
				cut = i
				break
			}
		}
		lines = append(lines, strings.TrimRight(string(rest[:cut]), " "))
		rest = []rune(strings.TrimLeft(string(rest[cut:]), " "))
	}
	return lines
}

// fit cuts text to what fits in w pixels at cw pixels a character.
func fit(s string, w int, cw float64) string {
	n := int(float64(w-12) / cw)
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
