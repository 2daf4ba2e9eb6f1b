package render

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"gopkg.in/yaml.v3"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/generator/selector"
)

// Output paths of the Alertmanager side.
const (
	AlertmanagerPath       = "alertmanager/alertmanager.yaml"
	AlertmanagerConfigPath = "alertmanager/alertmanagerconfig.yaml"
)

// Alertmanager is one profile's Alertmanager configuration as data: the
// route tree, receivers, inhibition and time intervals. alertmanager.yaml,
// the AlertmanagerConfig and the Helm values all render from it.
type Alertmanager struct {
	Route     AMRoute
	Receivers []string
	Inhibit   []AMInhibit
	Intervals []AMInterval
	// Alerts are the names of the alerts the rules generate, in rule order.
	Alerts []string
}

// AMRoute is a node of the route tree. Timing, when set, is written on the
// node; children inherit what they do not set.
type AMRoute struct {
	Receiver string
	Matchers selector.Matchers
	GroupBy  []string
	Timing   *profile.Timing
	Continue bool
	Mute     []string
	Routes   []AMRoute
	// Comment says why the route is there.
	Comment string
}

// AMInhibit is one inhibition rule: while an alert matching Source fires,
// alerts matching Target with the same values of Equal send nothing.
type AMInhibit struct {
	Comment        string
	Source, Target selector.Matchers
	Equal          []string
}

// AMInterval is a named time interval (a maintenance window).
type AMInterval struct {
	Name     string
	Weekdays []string
	Times    []profile.TimeRange
	Location string
}

// BuildAlertmanager derives the Alertmanager configuration from the
// profile's spec.alerting and the alerts the rules generate.
func BuildAlertmanager(c *config.Config, files []rules.File) Alertmanager {
	sp := &c.Profile.Spec
	a := sp.Alerting
	am := Alertmanager{}
	for _, r := range rules.Alerts(files) {
		if !slices.Contains(am.Alerts, r.Alert) {
			am.Alerts = append(am.Alerts, r.Alert)
		}
	}
	for _, r := range a.Receivers {
		am.Receivers = append(am.Receivers, r.Name)
	}

	// Alerts no route takes go to the first receiver that takes tickets
	// and has no matchers, else to the first receiver.
	root := AMRoute{Receiver: a.Receivers[0].Name, GroupBy: sp.GroupBy(), Timing: &a.Tickets}
	for _, r := range a.Receivers {
		if r.Matchers == "" && r.Severity != profile.SeverityCritical {
			root.Receiver = r.Name
			break
		}
	}
	// What each window mutes: whole severities, or alerts by name.
	muteSeverity := map[string][]string{}
	var named []string                   // alert names muted by name, in first-mention order
	nameWindows := map[string][]string{} // alert name -> windows muting it by name
	for _, w := range a.MaintenanceWindows {
		for _, m := range w.Mute {
			switch m {
			case profile.MuteAll:
				muteSeverity[profile.SeverityCritical] = appendNew(muteSeverity[profile.SeverityCritical], w.Name)
				muteSeverity[profile.SeverityWarning] = appendNew(muteSeverity[profile.SeverityWarning], w.Name)
			case profile.MuteTickets:
				muteSeverity[profile.SeverityWarning] = appendNew(muteSeverity[profile.SeverityWarning], w.Name)
			default:
				if !slices.Contains(named, m) {
					named = append(named, m)
				}
				nameWindows[m] = appendNew(nameWindows[m], w.Name)
			}
		}
	}
	for _, r := range a.Receivers {
		sevs := []string{r.Severity}
		if r.Severity == "" {
			sevs = []string{profile.SeverityCritical, profile.SeverityWarning}
		}
		extra, err := selector.Parse(r.Matchers)
		if err != nil {
			panic("render: receiver matchers passed validation but do not parse: " + err.Error())
		}
		for _, sev := range sevs {
			timing := &a.Tickets
			what := "tickets"
			if sev == profile.SeverityCritical {
				timing, what = &a.Pages, "pages"
			}
			route := AMRoute{
				Receiver: r.Name,
				Matchers: append(selector.Matchers{selector.Equal("severity", sev)}, extra...),
				Timing:   timing,
				Continue: r.Continue,
				Mute:     muteSeverity[sev],
				Comment:  fmt.Sprintf("%s: %s (spec.alerting.receivers, spec.alerting.%s)", r.Name, what, what),
			}
			route.Routes = namedMuteRoutes(named, nameWindows, route.Mute)
			root.Routes = append(root.Routes, route)
		}
	}
	am.Route = root
	am.Inhibit = inhibitRules(c, am.Alerts)
	for _, w := range a.MaintenanceWindows {
		am.Intervals = append(am.Intervals, AMInterval{Name: w.Name, Weekdays: w.Weekdays, Times: w.Times, Location: w.Location})
	}
	return am
}

// namedMuteRoutes are the child routes that mute alerts by name: one per
// distinct set of windows, so an alert two windows name is muted by both.
// Children do not inherit mute_time_intervals, so each carries its
// parent's too.
func namedMuteRoutes(named []string, nameWindows map[string][]string, parent []string) []AMRoute {
	var keys []string
	byKey := map[string][]string{}
	sets := map[string][]string{}
	for _, n := range named {
		set := slices.Clone(parent)
		for _, w := range nameWindows[n] {
			set = appendNew(set, w)
		}
		if len(set) == len(parent) {
			continue
		}
		k := strings.Join(set, "\x00")
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
			sets[k] = set
		}
		byKey[k] = append(byKey[k], n)
	}
	var out []AMRoute
	for _, k := range keys {
		out = append(out, AMRoute{
			Matchers: selector.Matchers{oneOf("alertname", byKey[k])},
			Mute:     sets[k],
			Comment:  "muted by name in spec.alerting.maintenanceWindows",
		})
	}
	return out
}

// inhibitRules derives the inhibition from the descriptors and the SLO
// tiers. Every rule's equal holds the cluster label, so an incident in one
// cluster never mutes another's (alerts without it compare equal).
func inhibitRules(c *config.Config, alerts []string) []AMInhibit {
	cluster := c.Profile.Spec.Mesh.ClusterLabel
	var out []AMInhibit

	// A page silences the ticket of the same alert and incident: the same
	// SLO and service, the same pod, certificate, webhook ... (the
	// descriptors' InstanceLabels).
	equal := []string{"alertname", cluster, "slo"}
	equal = append(equal, rules.ServiceLabels...)
	var instance []string
	for _, d := range rules.Descriptors {
		if slices.Contains(alerts, d.Name) {
			for _, l := range d.InstanceLabels {
				if !slices.Contains(equal, l) && !slices.Contains(instance, l) {
					instance = append(instance, l)
				}
			}
		}
	}
	sort.Strings(instance)
	out = append(out, AMInhibit{
		Comment: "A page silences the ticket of the same alert and incident.",
		Source:  selector.Matchers{oneOf("alertname", alerts), selector.Equal("severity", profile.SeverityCritical)},
		Target:  selector.Matchers{selector.Equal("severity", profile.SeverityWarning)},
		Equal:   append(equal, instance...),
	})

	// The faster burn tier silences the slower ones of the same SLO and
	// service (never a tier of a higher severity). SLOs whose tiers give
	// the same rules share them.
	type tierRule struct {
		source, severity string
		targets          []string
	}
	var order []string
	rulesOf := map[string]tierRule{}
	slosOf := map[string][]string{}
	for _, s := range c.SLOs {
		tiers := slices.Clone(s.Tiers)
		sort.SliceStable(tiers, func(i, j int) bool { return tiers[i].Long < tiers[j].Long })
		for i, t := range tiers {
			var targets []string
			for _, slower := range tiers[i+1:] {
				if slower.Long > t.Long && severityRank(slower.Severity) <= severityRank(t.Severity) {
					targets = appendNew(targets, slower.Long.String())
				}
			}
			if len(targets) == 0 {
				continue
			}
			r := tierRule{source: t.Long.String(), severity: t.Severity, targets: targets}
			k := r.source + "\x00" + r.severity + "\x00" + strings.Join(targets, "|")
			if _, ok := rulesOf[k]; !ok {
				order = append(order, k)
				rulesOf[k] = r
			}
			slosOf[k] = append(slosOf[k], s.Name)
		}
	}
	burn := selector.Equal("alertname", rules.AlertIstioSLOErrorBudgetBurn)
	for _, k := range order {
		r := rulesOf[k]
		src := selector.Matchers{burn, selector.Equal("burn_window", r.source)}
		tgt := selector.Matchers{burn, oneOf("burn_window", r.targets)}
		if len(slosOf[k]) < len(c.SLOs) {
			src = append(src, oneOf("slo", slosOf[k]))
		}
		out = append(out, AMInhibit{
			Comment: fmt.Sprintf("The %s burn tier silences the slower tiers (%s) of the same SLO and service.", r.source, strings.Join(r.targets, ", ")),
			Source:  src,
			Target:  tgt,
			Equal:   append([]string{cluster, "slo"}, rules.ServiceLabels...),
		})
	}

	// What follows from an alert (the descriptors' Silences), in the same
	// cluster, and in the same instance where the target has the source's
	// instance labels too (IstiodDown of one revision silences that
	// revision's IstiodReplicasBelowMinimum, not another's). Targets
	// without them (stale proxies carry no revision) are silenced
	// cluster-wide: labels missing on one side would never compare equal.
	for _, d := range rules.Descriptors {
		if !slices.Contains(alerts, d.Name) {
			continue
		}
		var order []string
		byShared := map[string][]string{}
		for _, s := range d.Silences {
			if !slices.Contains(alerts, s) {
				continue
			}
			var shared []string
			if t := rules.DescriptorOf(s); t != nil {
				for _, l := range d.InstanceLabels {
					if slices.Contains(t.InstanceLabels, l) {
						shared = append(shared, l)
					}
				}
			}
			k := strings.Join(shared, ",")
			if _, ok := byShared[k]; !ok {
				order = append(order, k)
			}
			byShared[k] = append(byShared[k], s)
		}
		for _, k := range order {
			comment := d.Name + " silences what follows from it in the same cluster."
			equal := []string{cluster}
			if k != "" {
				shared := strings.Split(k, ",")
				comment = d.Name + " silences what follows from it in the same cluster and " + strings.Join(shared, ", ") + "."
				equal = append(equal, shared...)
			}
			out = append(out, AMInhibit{
				Comment: comment,
				Source:  selector.Matchers{selector.Equal("alertname", d.Name)},
				Target:  selector.Matchers{oneOf("alertname", byShared[k])},
				Equal:   equal,
			})
		}
	}
	return out
}

func severityRank(s string) int {
	if s == profile.SeverityCritical {
		return 2
	}
	return 1
}

// oneOf matches any of the values exactly: name="v" for one value, else
// name=~"a|b" with each value regex-quoted.
func oneOf(name string, values []string) *labels.Matcher {
	if len(values) == 1 {
		return selector.Equal(name, values[0])
	}
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = regexpQuote(v)
	}
	return selector.Regex(name, strings.Join(quoted, "|"))
}

func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func appendNew(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// strs is a block sequence of strings; flowStrs the same in flow style.
func strs(vs ...string) *yaml.Node {
	n := sequence()
	for _, v := range vs {
		n.Content = append(n.Content, scalar(v))
	}
	return n
}

func flowStrs(vs ...string) *yaml.Node {
	n := strs(vs...)
	n.Style = yaml.FlowStyle
	return n
}

func boolNode(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(b)}
}

// routeKeys name a route's fields in one of the two spellings:
// alertmanager.yaml's snake_case and the AlertmanagerConfig CRD's camelCase.
type routeKeys struct{ groupBy, groupWait, groupInterval, repeatInterval, mute string }

var (
	snakeKeys = routeKeys{"group_by", "group_wait", "group_interval", "repeat_interval", "mute_time_intervals"}
	camelKeys = routeKeys{"groupBy", "groupWait", "groupInterval", "repeatInterval", "muteTimeIntervals"}
)

// routeNode writes a route and its children with keys k; matchers writes
// a route's matchers the way the format has them.
func routeNode(r AMRoute, k routeKeys, matchers func(selector.Matchers) *yaml.Node) *yaml.Node {
	n := mapping()
	if r.Receiver != "" {
		n.Content = append(n.Content, scalar("receiver"), scalar(r.Receiver))
	}
	if len(r.Matchers) > 0 {
		n.Content = append(n.Content, scalar("matchers"), matchers(r.Matchers))
	}
	if len(r.GroupBy) > 0 {
		n.Content = append(n.Content, scalar(k.groupBy), flowStrs(r.GroupBy...))
	}
	if r.Timing != nil {
		n.Content = append(n.Content,
			scalar(k.groupWait), scalar(r.Timing.GroupWait.String()),
			scalar(k.groupInterval), scalar(r.Timing.GroupInterval.String()),
			scalar(k.repeatInterval), scalar(r.Timing.RepeatInterval.String()))
	}
	if r.Continue {
		n.Content = append(n.Content, scalar("continue"), boolNode(true))
	}
	if len(r.Mute) > 0 {
		n.Content = append(n.Content, scalar(k.mute), flowStrs(r.Mute...))
	}
	if len(r.Routes) > 0 {
		items := make([]*yaml.Node, len(r.Routes))
		for i, c := range r.Routes {
			items[i] = routeNode(c, k, matchers)
		}
		n.Content = append(n.Content, scalar("routes"), sequence(items...))
	}
	n.HeadComment = r.Comment
	return n
}

// alertmanagerNode is the configuration as alertmanager.yaml writes it
// (snake_case; prometheus/alertmanager config/config.go). It is also the
// Helm values' alertmanager.config.
func (am Alertmanager) alertmanagerNode() *yaml.Node {
	route := func(r AMRoute) *yaml.Node {
		return routeNode(r, snakeKeys, func(ms selector.Matchers) *yaml.Node { return strs(matcherStrings(ms)...) })
	}
	root := mapping("route", route(am.Route))
	receivers := sequence()
	for _, r := range am.Receivers {
		receivers.Content = append(receivers.Content, mapping("name", r))
	}
	root.Content = append(root.Content, scalar("receivers"), receivers)
	root.Content[len(root.Content)-2].HeadComment = "Name-only receivers: add each one's integrations (email_configs, pagerduty_configs, webhook_configs, ...) where this file is deployed; profiles hold no secrets."
	inhibit := sequence()
	for _, r := range am.Inhibit {
		n := mapping("source_matchers", strs(matcherStrings(r.Source)...), "target_matchers", strs(matcherStrings(r.Target)...), "equal", flowStrs(r.Equal...))
		n.HeadComment = r.Comment
		inhibit.Content = append(inhibit.Content, n)
	}
	root.Content = append(root.Content, scalar("inhibit_rules"), inhibit)
	if len(am.Intervals) > 0 {
		intervals := sequence()
		for _, w := range am.Intervals {
			ti := mapping()
			if len(w.Weekdays) > 0 {
				ti.Content = append(ti.Content, scalar("weekdays"), flowStrs(w.Weekdays...))
			}
			if len(w.Times) > 0 {
				times := sequence()
				for _, t := range w.Times {
					tn := mapping("start_time", t.Start, "end_time", t.End)
					tn.Style = yaml.FlowStyle
					times.Content = append(times.Content, tn)
				}
				ti.Content = append(ti.Content, scalar("times"), times)
			}
			if w.Location != "" {
				ti.Content = append(ti.Content, scalar("location"), scalar(w.Location))
			}
			intervals.Content = append(intervals.Content, mapping("name", w.Name, "time_intervals", sequence(ti)))
		}
		root.Content = append(root.Content, scalar("time_intervals"), intervals)
	}
	return root
}

func matcherStrings(ms selector.Matchers) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.String()
	}
	return out
}

// AlertmanagerYAML renders alertmanager/alertmanager.yaml: a complete
// Alertmanager configuration.
func AlertmanagerYAML(c *config.Config, files []rules.File) ([]byte, error) {
	am := BuildAlertmanager(c, files)
	return encode(Header(c.Profile.Metadata.Name)+
		"\nA complete Alertmanager configuration (check with: amtool check-config alertmanager.yaml)."+
		"\nIt routes every alert it receives by severity; alerts no receiver takes go to the route's receiver.", am.alertmanagerNode())
}

// AlertmanagerConfigYAML renders alertmanager/alertmanagerconfig.yaml: the
// same routes, inhibition and windows as a monitoring.coreos.com/v1alpha1
// AlertmanagerConfig (camelCase fields; matchers as name, value,
// matchType). The operator merges it into the Alertmanager's config,
// prefixing receiver and interval names with <namespace>/<name>/, forcing
// continue on its top route and, under the default
// alertmanagerConfigMatcherStrategy (OnNamespace), adding
// namespace="<its namespace>" to its routes and inhibit rules
// (prometheus-operator pkg/alertmanager/amcfg.go, namespaceEnforcer).
// meshslo's alerts carry no such label, so the object sits in the
// profile's Prometheus namespace and the Alertmanager must run there with
// the strategy OnNamespaceExceptForAlertmanagerNamespace, or use None. Its
// top route takes only the generated alerts, so it adds to whatever else
// the Alertmanager routes.
func AlertmanagerConfigYAML(c *config.Config, files []rules.File) ([]byte, error) {
	am := BuildAlertmanager(c, files)
	p := c.Profile
	am.Route.Matchers = selector.Matchers{oneOf("alertname", am.Alerts)}
	am.Route.Comment = "Only the alerts meshslo generates."

	matchers := func(ms selector.Matchers) *yaml.Node {
		n := sequence()
		for _, m := range ms {
			mn := mapping("name", m.Name, "value", m.Value, "matchType", m.Type.String())
			mn.Style = yaml.FlowStyle
			n.Content = append(n.Content, mn)
		}
		return n
	}
	route := func(r AMRoute) *yaml.Node { return routeNode(r, camelKeys, matchers) }
	spec := mapping("route", route(am.Route))
	receivers := sequence()
	for _, r := range am.Receivers {
		receivers.Content = append(receivers.Content, mapping("name", r))
	}
	spec.Content = append(spec.Content, scalar("receivers"), receivers)
	inhibit := sequence()
	for _, r := range am.Inhibit {
		n := mapping("sourceMatch", matchers(r.Source), "targetMatch", matchers(r.Target), "equal", flowStrs(r.Equal...))
		n.HeadComment = r.Comment
		inhibit.Content = append(inhibit.Content, n)
	}
	spec.Content = append(spec.Content, scalar("inhibitRules"), inhibit)
	var shifted []string
	if len(am.Intervals) > 0 {
		intervals := sequence()
		for _, w := range am.Intervals {
			tis, note := utcIntervals(w)
			if note != "" {
				shifted = append(shifted, note)
			}
			seq := sequence()
			for _, ti := range tis {
				n := mapping()
				if len(ti.Weekdays) > 0 {
					n.Content = append(n.Content, scalar("weekdays"), flowStrs(ti.Weekdays...))
				}
				if len(ti.Times) > 0 {
					times := sequence()
					for _, t := range ti.Times {
						tn := mapping("startTime", t.Start, "endTime", t.End)
						tn.Style = yaml.FlowStyle
						times.Content = append(times.Content, tn)
					}
					n.Content = append(n.Content, scalar("times"), times)
				}
				seq.Content = append(seq.Content, n)
			}
			intervals.Content = append(intervals.Content, mapping("name", w.Name, "timeIntervals", seq))
		}
		spec.Content = append(spec.Content, scalar("muteTimeIntervals"), intervals)
	}
	meta := mapping("name", ResourceName(c), "namespace", p.Spec.Prometheus.Namespace)
	meta.Content = append(meta.Content, scalar("labels"), sortedMap(map[string]string{"app.kubernetes.io/managed-by": "meshslo", "meshslo.dev/profile": p.Metadata.Name}))
	root := mapping(
		"apiVersion", "monitoring.coreos.com/v1alpha1",
		"kind", "AlertmanagerConfig",
		"metadata", meta,
		"spec", spec,
	)
	header := Header(p.Metadata.Name) +
		"\nThe routes, inhibition and maintenance windows of alertmanager.yaml as an AlertmanagerConfig (Prometheus Operator)." +
		"\nThe operator adds namespace=\"" + p.Spec.Prometheus.Namespace + "\" to its routes and inhibit rules unless the Alertmanager runs in " +
		p.Spec.Prometheus.Namespace + " with alertmanagerConfigMatcherStrategy OnNamespaceExceptForAlertmanagerNamespace (or None): meshslo's alerts carry no such label." +
		"\nThe Alertmanager's alertmanagerConfigSelector must select this object's labels; receivers are name-only: add their integrations here."
	for _, s := range shifted {
		header += "\n" + s
	}
	header += "\nApply with: kubectl apply -f alertmanagerconfig.yaml"
	return encode(header, root)
}

// utcIntervals writes a window in UTC for the AlertmanagerConfig, whose
// time intervals have no location (monitoring.coreos.com/v1alpha1
// TimeInterval). A zone with a fixed offset shifts exactly; one with
// daylight saving time shifts by its standard (smallest) offset, and the
// note says so. Days and times are moved together, so a range that
// crosses midnight in UTC is split over two days.
func utcIntervals(w AMInterval) ([]AMInterval, string) {
	if w.Location == "" || w.Location == "UTC" {
		return []AMInterval{w}, ""
	}
	loc, err := time.LoadLocation(w.Location)
	if err != nil {
		panic("render: location passed validation but does not load: " + err.Error())
	}
	// Offsets at fixed dates keep the output the same every day it is generated.
	_, winter := time.Date(2026, 1, 15, 12, 0, 0, 0, loc).Zone()
	_, summer := time.Date(2026, 7, 15, 12, 0, 0, 0, loc).Zone()
	offset := min(winter, summer) / 60 // minutes east of UTC
	note := ""
	if winter != summer {
		note = fmt.Sprintf("Window %s: %s observes daylight saving time and AlertmanagerConfig time intervals have no location, so it is written in UTC at standard time (UTC%s): an hour off while daylight saving time applies. alertmanager.yaml keeps the location.",
			w.Name, w.Location, utcOffset(offset))
	}
	if offset == 0 {
		return []AMInterval{{Name: w.Name, Weekdays: w.Weekdays, Times: w.Times}}, note
	}
	const day, week = 24 * 60, 7 * 24 * 60
	days := map[int]bool{}
	if len(w.Weekdays) == 0 {
		for d := range 7 {
			days[d] = true
		}
	}
	for _, wd := range w.Weekdays {
		from, to, _ := profile.ParseWeekdays(wd)
		for d := from; d <= to; d++ {
			days[d] = true
		}
	}
	times := w.Times
	if len(times) == 0 {
		times = []profile.TimeRange{{Start: "00:00", End: "24:00"}}
	}
	// Minutes of the UTC week, one flag each.
	var covered [week]bool
	for d := range 7 {
		if !days[d] {
			continue
		}
		for _, t := range times {
			for m := profile.Minutes(t.Start); m < profile.Minutes(t.End); m++ {
				covered[((d*day+m-offset)%week+week)%week] = true
			}
		}
	}
	// Each UTC day's ranges; days with the same ranges share an interval.
	var keys []string
	daysOf := map[string][]int{}
	rangesOf := map[string][]profile.TimeRange{}
	for d := range 7 {
		var rs []profile.TimeRange
		for m := 0; m < day; {
			if !covered[d*day+m] {
				m++
				continue
			}
			start := m
			for m < day && covered[d*day+m] {
				m++
			}
			rs = append(rs, profile.TimeRange{Start: hhmm(start), End: hhmm(m)})
		}
		if len(rs) == 0 {
			continue
		}
		k := fmt.Sprint(rs)
		if _, ok := daysOf[k]; !ok {
			keys = append(keys, k)
			rangesOf[k] = rs
		}
		daysOf[k] = append(daysOf[k], d)
	}
	var out []AMInterval
	for _, k := range keys {
		ti := AMInterval{Name: w.Name, Weekdays: weekdayRanges(daysOf[k]), Times: rangesOf[k]}
		if len(rangesOf[k]) == 1 && rangesOf[k][0] == (profile.TimeRange{Start: "00:00", End: "24:00"}) {
			ti.Times = nil
		}
		out = append(out, ti)
	}
	return out, note
}

func hhmm(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func utcOffset(minutes int) string {
	sign := "+"
	if minutes < 0 {
		sign, minutes = "-", -minutes
	}
	return fmt.Sprintf("%s%02d:%02d", sign, minutes/60, minutes%60)
}

// weekdayRanges writes sorted day numbers as Alertmanager weekday ranges
// (monday:friday); every day is no restriction at all.
func weekdayRanges(days []int) []string {
	if len(days) == 7 {
		return nil
	}
	var out []string
	for i := 0; i < len(days); {
		j := i
		for j+1 < len(days) && days[j+1] == days[j]+1 {
			j++
		}
		if i == j {
			out = append(out, profile.Weekdays[days[i]])
		} else {
			out = append(out, profile.Weekdays[days[i]]+":"+profile.Weekdays[days[j]])
		}
		i = j + 1
	}
	return out
}
