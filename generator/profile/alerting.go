package profile

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	// Maintenance window locations are checked with time.LoadLocation;
	// the embedded zone database makes that independent of the host's
	// /usr/share/zoneinfo (a scratch container has none).
	_ "time/tzdata"

	"github.com/prometheus/common/model"

	"github.com/meshslo/meshslo/generator/selector"
)

// AlertNames are the alerts meshslo generates, which a maintenance window
// may mute by name. The rules package holds this list to its descriptors
// (rules.TestProfileKnowsEveryAlert); it lives here because profile cannot
// import rules.
var AlertNames = []string{
	"IstiodHeapNearLimit", "IstiodDown", "IstiodReplicasBelowMinimum", "IstiodHighCPU", "IstioXDSRejects",
	"IstioXDSPushErrors", "IstiodPushLatencyHigh", "IstioConfigConflicts", "IstioSidecarInjectionFailures",
	"IstioWebhookFailures", "IstioProxiesStale", "IstioSidecarMemoryHigh", "IstioSidecarOOMKilled",
	"IstioRootCertificateExpiring", "IstioCACertificateExpiring", "IstioCertManagerCertificateExpiring",
	"IstioCACertificateRotationDue", "IstioCertificateMetricsAbsent", "IstioWorkloadCertificateRotationStalled",
	"IstioCertificateSigningFailures", "IstioZtunnelUnavailable", "IstioZtunnelMemoryHigh", "IstioZtunnelXDSErrors", "IstioZtunnelDNSFailures",
	"IstioSLOErrorBudgetBurn", "IstioSLONoData", "IstioSLOErrorBudgetExhausted",
	"IstioGatewayReplicasBelowMinimum", "IstioGatewayMemoryHigh", "IstioGatewayCPUHigh", "IstioGatewayCertificateExpiring",
	"IstioWaypointReplicasBelowMinimum", "IstioWaypointMemoryHigh", "IstioWaypointCPUHigh",
	"IstioCanaryRegression", "IstioRemoteClusterNotSynced",
	"IstioProxyVersionSkew", "IstioZtunnelVersionSkew",
}

// ReceiverSeverities are the values of spec.alerting.receivers[].severity
// ("" takes both).
var ReceiverSeverities = []string{SeverityCritical, SeverityWarning, ""}

// Weekdays are the day names Alertmanager's time intervals take
// (timeinterval.daysOfWeek, prometheus/alertmanager timeinterval/timeinterval.go).
var Weekdays = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// receiverNameRe keeps receiver names to what reads well in Alertmanager's
// UI, amtool and the operator's prefixed names (<namespace>/<object>/<name>).
var receiverNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// hhmmRe is a time of day as Alertmanager writes it (timeinterval.go
// validTime: 00:00 to 23:59, and 24:00 as an end).
var hhmmRe = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$`)

// Bounds on notification timing.
const (
	MaxGroupWait      = Duration(time.Hour)
	MaxGroupInterval  = Duration(24 * time.Hour)
	MaxRepeatInterval = Duration(30 * 24 * time.Hour)
)

// DefaultGroupBy are the labels that name one incident when
// spec.alerting.groupBy is empty; GroupBy adds the cluster label.
var DefaultGroupBy = []string{"alertname", "slo", "destination_service_namespace", "destination_service_name"}

// GroupBy is the profile's spec.alerting.groupBy, or the default: the
// labels that name one incident, the cluster label included when the
// profile names a cluster.
func (s *Spec) GroupBy() []string {
	if len(s.Alerting.GroupBy) > 0 {
		return s.Alerting.GroupBy
	}
	out := slices.Clone(DefaultGroupBy)
	// Several clusters: their label is on every alert, from the series or
	// from each Prometheus' external labels.
	if s.Mesh.Cluster != "" || s.Mesh.MultiCluster() {
		out = append(out, s.Mesh.ClusterLabel)
	}
	return out
}

// Minutes returns a time of day in minutes since midnight; the string must
// have passed validation (HH:MM).
func Minutes(hhmm string) int {
	var h, m int
	fmt.Sscanf(hhmm, "%d:%d", &h, &m)
	return h*60 + m
}

func validateAlerting(v *validator, s *Spec) {
	a := &s.Alerting
	if len(a.Receivers) == 0 {
		v.add("spec.alerting.receivers", "expected at least one receiver (the defaults are %s for pages and %s for tickets)", DefaultPagesReceiver, DefaultTicketsReceiver)
	}
	seen := map[string]int{}
	for i, r := range a.Receivers {
		f := fmt.Sprintf("spec.alerting.receivers[%d]", i)
		if !receiverNameRe.MatchString(r.Name) {
			v.add(f+".name", "expected 1 to 63 letters, digits, '-', '_' or '.', starting with a letter or digit, got %q", r.Name)
		} else if j, dup := seen[r.Name]; dup {
			v.add(f+".name", "duplicate receiver name %q (also spec.alerting.receivers[%d])", r.Name, j)
		} else {
			seen[r.Name] = i
		}
		if !slices.Contains(ReceiverSeverities, r.Severity) {
			v.add(f+".severity", "expected critical, warning or nothing (both), got %q", r.Severity)
		}
		ms, err := selector.Parse(r.Matchers)
		if err != nil {
			v.add(f+".matchers", "%v", err)
		}
		for _, m := range ms {
			if m.Name == "severity" {
				v.add(f+".matchers", "must not match severity; set the receiver's severity instead")
			}
		}
	}
	seenLabel := map[string]bool{}
	for i, l := range a.GroupBy {
		f := fmt.Sprintf("spec.alerting.groupBy[%d]", i)
		switch {
		case l == "...":
			if len(a.GroupBy) > 1 {
				v.add(f, "\"...\" (group by every label) must be the only entry")
			}
		case !model.LegacyValidation.IsValidLabelName(l):
			v.add(f, "expected a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*), got %q", l)
		case seenLabel[l]:
			v.add(f, "duplicate label %q", l)
		}
		seenLabel[l] = true
	}
	validateTiming(v, "spec.alerting.pages", a.Pages)
	validateTiming(v, "spec.alerting.tickets", a.Tickets)
	names := map[string]int{}
	for i, w := range a.MaintenanceWindows {
		validateWindow(v, fmt.Sprintf("spec.alerting.maintenanceWindows[%d]", i), w, names, i)
	}
}

func validateTiming(v *validator, f string, t Timing) {
	v.within(f+".groupWait", t.GroupWait, 0, MaxGroupWait, "a group wait", false)
	v.within(f+".groupInterval", t.GroupInterval, 0, MaxGroupInterval, "a group interval", true)
	v.within(f+".repeatInterval", t.RepeatInterval, 0, MaxRepeatInterval, "a repeat interval", true)
	if t.GroupInterval > 0 && t.RepeatInterval > 0 && t.RepeatInterval < t.GroupInterval {
		// Alertmanager repeats only at a group interval's flush, so a
		// shorter repeat interval is silently the group interval.
		v.add(f+".repeatInterval", "expected at least the group interval (%s): notifications repeat only when the group is flushed, got %s", t.GroupInterval, t.RepeatInterval)
	}
}

// validateWindow checks one maintenance window; names holds the names
// seen so far.
func validateWindow(v *validator, f string, w MaintenanceWindow, names map[string]int, i int) {
	// Alertmanager names time intervals freely, but the operator prefixes
	// them with <namespace>/<object>/: a plain name keeps that readable.
	if !receiverNameRe.MatchString(w.Name) {
		v.add(f+".name", "expected 1 to 63 letters, digits, '-', '_' or '.', starting with a letter or digit, got %q", w.Name)
	} else if j, dup := names[w.Name]; dup {
		v.add(f+".name", "duplicate maintenance window name %q (also spec.alerting.maintenanceWindows[%d])", w.Name, j)
	} else {
		names[w.Name] = i
	}
	if len(w.Weekdays) == 0 && len(w.Times) == 0 {
		v.add(f, "expected weekdays or times: a window without either mutes all the time")
	}
	for j, d := range w.Weekdays {
		if _, _, err := ParseWeekdays(d); err != nil {
			v.add(fmt.Sprintf("%s.weekdays[%d]", f, j), "%v", err)
		}
	}
	for j, t := range w.Times {
		tf := fmt.Sprintf("%s.times[%d]", f, j)
		okStart, okEnd := hhmmRe.MatchString(t.Start) && t.Start != "24:00", hhmmRe.MatchString(t.End)
		if !okStart {
			v.add(tf+".start", "expected a time of day HH:MM from 00:00 to 23:59, got %q", t.Start)
		}
		if !okEnd {
			v.add(tf+".end", "expected a time of day HH:MM from 00:01 to 24:00, got %q", t.End)
		}
		if okStart && okEnd && Minutes(t.End) <= Minutes(t.Start) {
			v.add(tf+".end", "expected %s to be after start (%s); a window across midnight is two ranges, such as 22:00-24:00 and 00:00-02:00", t.End, t.Start)
		}
	}
	if w.Location != "" {
		loc, err := time.LoadLocation(w.Location)
		switch {
		case err != nil || strings.EqualFold(w.Location, "local"):
			v.add(f+".location", "expected an IANA time zone such as Europe/Berlin or UTC, got %q", w.Location)
		case HasDaylightSaving(loc):
			v.warn(f+".location", "%s observes daylight saving time; the AlertmanagerConfig (its time intervals have no location) gets the window in UTC at standard time, an hour off while daylight saving time applies; alertmanager.yaml and the Helm values keep the zone (--strict makes this an error)", w.Location)
		}
	}
	if len(w.Mute) == 0 {
		v.add(f+".mute", "expected what the window mutes: tickets, all, or alert names")
	}
	for j, m := range w.Mute {
		mf := fmt.Sprintf("%s.mute[%d]", f, j)
		if m == MuteTickets || m == MuteAll || slices.Contains(AlertNames, m) {
			continue
		}
		msg := fmt.Sprintf("expected tickets, all or an alert meshslo generates, got %q", m)
		if sug := suggest(m, append([]string{MuteTickets, MuteAll}, AlertNames...)); sug != "" {
			msg += fmt.Sprintf("; did you mean %q?", sug)
		}
		v.add(mf, "%s", msg)
	}
}

// ParseWeekdays reads a day (monday) or an inclusive range of days
// (monday:friday) as Alertmanager does, case-insensitively; days count
// from sunday = 0. A range may not run backwards (saturday:monday).
func ParseWeekdays(s string) (from, to int, err error) {
	lo, hi, isRange := strings.Cut(strings.ToLower(s), ":")
	if !isRange {
		hi = lo
	}
	from, to = slices.Index(Weekdays, lo), slices.Index(Weekdays, hi)
	if from < 0 || to < 0 {
		return 0, 0, fmt.Errorf("expected a day (monday) or a range of days (monday:friday), got %q", s)
	}
	if to < from {
		first, second := lo+":saturday", "sunday:"+hi
		if lo == "saturday" {
			first = lo
		}
		if hi == "sunday" {
			second = hi
		}
		return 0, 0, fmt.Errorf("%q runs backwards: weeks start on sunday, so write it as two entries (%s and %s)", s, first, second)
	}
	return from, to, nil
}

// HasDaylightSaving reports whether loc's offset differs between fixed
// dates in winter and summer (fixed, so output does not change with the
// day it is generated on).
func HasDaylightSaving(loc *time.Location) bool {
	_, winter := time.Date(2026, 1, 15, 12, 0, 0, 0, loc).Zone()
	_, summer := time.Date(2026, 7, 15, 12, 0, 0, 0, loc).Zone()
	return winter != summer
}
