package render

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/escape"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
)

// README renders the profile's own README: what was generated, every
// threshold and where it came from, the SLO budgets, the capacity plan and
// how to apply each file. origin names where a profile field was set.
func README(c *config.Config, origin config.Origin, ruleFiles []rules.File, files []string) []byte {
	p := c.Profile
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("<!-- %s -->\n\n", Header(p.Metadata.Name))
	w("# meshslo output for profile %s\n\n", escape.CodeSpan(p.Metadata.Name))
	if p.Metadata.Description != "" {
		w("%s\n\n", escape.MarkdownParagraph(p.Metadata.Description))
	}
	w("Environment **%s**, size **%s**: %d services, %d pods", p.Spec.Environment, p.Spec.Size, p.Spec.Mesh.Services, p.Spec.Mesh.Pods)
	if p.Spec.Mesh.Cluster != "" {
		w(", cluster %s", escape.CodeSpan(p.Spec.Mesh.ClusterLabel+"="+strconv.Quote(p.Spec.Mesh.Cluster)))
	}
	w(". Rules are evaluated every %s.\n\n", p.Spec.Prometheus.EvaluationInterval)

	w("## Files\n\n| file | what it is |\n|---|---|\n")
	for _, f := range files {
		w("| `%s` | %s |\n", f, describeFile(f))
	}

	w("\n## Alerts\n\nSeverity `critical` pages, `warning` tickets.\n\n| alert | severity | fires when | set by |\n|---|---|---|---|\n")
	for _, t := range rules.Thresholds(ruleFiles) {
		var from []string
		for _, f := range t.Fields {
			from = append(from, fmt.Sprintf("`%s` (%s)", f, origin(f)))
		}
		w("| [%s](%s) | %s | %s | %s |\n", t.Alert, c.RunbookURL(t.Alert), t.Severity, mdEscape(t.Condition), strings.Join(from, ", "))
	}
	for _, d := range rules.Descriptors {
		if why := d.SkippedFor(c); why != "" {
			var from []string
			for _, f := range d.SkipDecidedBy() {
				from = append(from, fmt.Sprintf("`%s` (%s)", f, origin(f)))
			}
			w("| [%s](%s) | - | %s | %s |\n", d.Name, c.RunbookURL(d.Name), mdEscape(why), strings.Join(from, ", "))
		}
	}

	if len(c.SLOs) > 0 {
		w("\n## SLOs\n\nEach SLO is evaluated per destination service (`destination_service_namespace`, `destination_service_name`).\n\n")
		w("| SLO | SLI | objective | period | error budget | budget in minutes of full outage |\n|---|---|---|---|---|---|\n")
		for _, s := range c.SLOs {
			sli := "5xx share of requests"
			if s.SLI == profile.SLILatency {
				sli = "share of requests slower than " + s.Threshold.String()
			}
			minutes := s.Budget * time.Duration(s.Window).Minutes()
			w("| %s | %s | %s%% | %s | %s%% | %s min |\n", mdEscape(s.Name), sli, profile.FormatNumber(float64(s.Objective)), s.Window,
				profile.FormatNumber(s.Budget*100), profile.FormatNumber(minutes))
		}
		for _, s := range c.SLOs {
			if len(s.Listed) > 0 {
				w("\nSLO %s covers only the %d services it lists, each with its own objective: %s.\n", mdEscape(s.Name), len(s.Listed), listedObjectives(s.Listed))
			}
		}
		w("\nBurn-rate tiers: an alert fires when the budget share is spent within the long window; the short window confirms the burn is still going on.\n\n")
		w("| SLO | severity | budget share | long window | short window | burn factor | budget minutes spent |\n|---|---|---|---|---|---|---|\n")
		for _, s := range c.SLOs {
			for _, t := range s.Tiers {
				w("| %s | %s | %s%% | %s | %s | %s | %s min |\n", mdEscape(s.Name), t.Severity, profile.FormatNumber(t.BudgetShare*100), t.Long, t.Short,
					profile.FormatNumber(t.Factor), profile.FormatNumber(t.BudgetShare*s.Budget*time.Duration(s.Window).Minutes()))
			}
		}
	}

	cp := c.Capacity
	w("\n## Capacity plan\n\n| item | memory |\n|---|---|\n")
	w("| sidecar (%s) | %s each |\n", cp.SidecarReason, profile.Quantity(cp.SidecarBytes))
	if p.Spec.EffectiveDataPlane() == profile.DataPlaneAmbient {
		w("| no sidecars (spec.dataPlane ambient: pods run no proxy of their own) | %s |\n", gib(0))
	} else {
		w("| %d sidecars | %s |\n", cp.Sidecars, gib(cp.SidecarsBytes))
	}
	if p.Spec.Ambient() && cp.Ztunnels == 0 {
		w("| ztunnels: not counted, spec.mesh.nodes is not set (one per node at %s) | %s |\n", profile.Quantity(cp.ZtunnelBytes), gib(0))
	} else if p.Spec.Ambient() {
		w("| %d ztunnels, one per node (spec.mesh.nodes), at %s each (the ztunnel chart's request, with 200m CPU; no limit) | %s |\n",
			cp.Ztunnels, profile.Quantity(cp.ZtunnelBytes), gib(cp.ZtunnelsBytes))
	}
	if p.Spec.Ambient() {
		w("| %d waypoint replicas (spec.waypoints minReplicas) at %s each (global.waypoint.resources request; limit 1Gi) | %s |\n",
			cp.Waypoints, profile.Quantity(cp.WaypointBytes), gib(cp.WaypointsBytes))
	}
	w("| %d istiod replicas at %s | %s |\n", p.Spec.Istiod.MinReplicas, p.Spec.Istiod.MemoryLimit, gib(cp.IstiodBytes))
	w("| **total** | **%s** |\n", gib(cp.TotalBytes))

	w("\n## Applying\n\n")
	w("- Plain Prometheus: add `prometheus/*.yaml` to `rule_files` and reload; check them with `promtool check rules prometheus/*.yaml`.\n")
	w("- Prometheus Operator: `kubectl apply -f kubernetes/prometheusrule.yaml` (namespace `%s`, labels %s).\n", p.Spec.Prometheus.Namespace, labelList(p.Spec.Prometheus.RuleLabels))
	w("- kube-prometheus-stack: `helm upgrade --install kube-prometheus-stack prometheus-community/kube-prometheus-stack -f helm/kube-prometheus-stack.values.yaml` (merge with your own values).\n")
	w("- Thanos Ruler and VictoriaMetrics vmalert take `prometheus/*.yaml` as they are; Mimir/Cortex take them under a `namespace:` with `mimirtool rules load`.\n")
	return []byte(b.String())
}

func gib(b int64) string { return profile.Quantity(b).Human() }

func labelList(m map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, escape.CodeSpan(k+"="+m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// mdEscape writes profile text (and text holding it) as Markdown that
// renders as the text: no link, HTML, code span or table cell break.
func mdEscape(s string) string { return escape.Markdown(s) }

// listedObjectives summarises listed services by objective, highest first,
// so a list of a thousand services stays one line.
func listedObjectives(listed []config.Service) string {
	count := map[profile.Percent]int{}
	var objectives []profile.Percent
	for _, l := range listed {
		if count[l.Objective] == 0 {
			objectives = append(objectives, l.Objective)
		}
		count[l.Objective]++
	}
	sort.Slice(objectives, func(i, j int) bool { return objectives[i] > objectives[j] })
	parts := make([]string, len(objectives))
	for i, o := range objectives {
		parts[i] = fmt.Sprintf("%d at %s%%", count[o], profile.FormatNumber(float64(o)))
	}
	return strings.Join(parts, ", ")
}
