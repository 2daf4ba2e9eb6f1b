// Package rules builds meshslo's Prometheus recording and alerting rules
// from a derived config. It knows PromQL and Istio; it does not know files
// or formats (see package render).
package rules

import (
	"slices"

	"github.com/meshslo/meshslo/generator/profile"
)

// Rule is one recording or alerting rule, as rulefmt defines it, plus a
// comment that explains where its numbers come from.
type Rule struct {
	Record      string
	Alert       string
	Expr        string
	For         profile.Duration
	Labels      map[string]string
	Annotations map[string]string
	Comment     string
	// Threshold is what an alerting rule was built from (nil for a
	// recording rule); it is not rendered.
	Threshold *Threshold
	// SLOs names the SLOs a recording rule shared by several serves (its
	// series keep their slo label from what it reads); it is not rendered.
	SLOs []string
}

// Serves says whether r records series of the SLO named: its slo label,
// or one of the SLOs it is shared by.
func (r Rule) Serves(slo string) bool {
	return r.Labels["slo"] == slo || slices.Contains(r.SLOs, slo)
}

// Group is a rule group. Rules of a group run in order, so a recording rule
// may feed the rules after it in the same evaluation.
type Group struct {
	Name     string
	Interval profile.Duration
	Rules    []Rule
}

// File is a set of groups for one concern, written to prometheus/<Name>.yaml.
type File struct {
	Name    string
	Comment string
	Groups  []Group
}

// Alerts returns every alerting rule in the files, in file order.
func Alerts(files []File) []Rule {
	var out []Rule
	for _, f := range files {
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				if r.Alert != "" {
					out = append(out, r)
				}
			}
		}
	}
	return out
}
