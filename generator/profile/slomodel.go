// Validation of the SLO model beyond one SLO's own numbers: matchers,
// exclusions and precedence between SLOs that cover the same requests,
// routing labels and annotations, traffic guards, per-SLO tiers and the
// mesh's latency buckets.

package profile

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/meshslo/meshslo/generator/selector"
)

// MaxMinRequests bounds an SLO's minRequests: far above any real window.
const MaxMinRequests = 1_000_000_000

// MaxLatencyBuckets bounds spec.mesh.latencyBuckets (Envoy's default has 19).
const MaxLatencyBuckets = 64

// Default bounds of the no-data hold that scales with the objective.
const (
	MinNoDataFor = Duration(5 * time.Minute)
	MaxNoDataFor = Duration(time.Hour)
)

// reservedAlertLabels are the labels meshslo's SLO alerts set themselves;
// an SLO's labels may not replace them.
var reservedAlertLabels = []string{"alertname", "severity", "slo", "burn_window", "destination_service_namespace", "destination_service_name", GatewayLabel}

// reservedAnnotations are the annotations every alert carries.
var reservedAnnotations = []string{"summary", "description", "runbook_url"}

// LatencyBucketsMs are the latency histogram's boundaries the profile's
// meshes use: its own, or Envoy's defaults.
func (s *Spec) LatencyBucketsMs() []float64 {
	if len(s.Mesh.LatencyBuckets) > 0 {
		return s.Mesh.LatencyBuckets
	}
	return EnvoyLatencyBucketsMs
}

// ParseRequestMatchers parses an SLO's matchers, or one exclude entry.
func ParseRequestMatchers(s string) (selector.Matchers, error) { return selector.Parse(s) }

// SLOMatchers are every request matcher of an SLO: its selector map and
// its matchers text (which Validate has accepted).
func SLOMatchers(s SLO) selector.Matchers {
	ms := selector.FromMap(s.Selector)
	more, _ := selector.Parse(s.Matchers)
	return ms.With(more...)
}

// EffectiveMinRequests is the SLO's traffic guard.
func (s SLO) EffectiveMinRequests() int {
	if s.MinRequests == nil {
		return DefaultMinRequests
	}
	return *s.MinRequests
}

// EffectiveNoDataFor is how long the SLI may have no series before the
// no-data ticket: the SLO's own, else a tenth of the time the budget lasts
// at a total outage (budget x window / 10), whole minutes, 5m to 1h. A
// stricter objective has less time to be blind to.
func (s SLO) EffectiveNoDataFor() Duration {
	if s.NoDataFor > 0 {
		return s.NoDataFor
	}
	budget := 1 - float64(s.Objective)/100
	d := Duration(budget * float64(s.Window) / 10).Truncate(time.Minute)
	return min(max(d, MinNoDataFor), MaxNoDataFor)
}

// Truncate rounds d down to a multiple of m.
func (d Duration) Truncate(m time.Duration) Duration { return Duration(time.Duration(d).Truncate(m)) }

// EffectiveTiers are the burn tiers of the SLO: the shared tiers with the
// SLO's overrides applied and its disabled tiers left out, in order.
func (s SLO) EffectiveTiers(shared []BurnRate) []BurnRate {
	var out []BurnRate
	for _, t := range shared {
		i := slices.IndexFunc(s.Tiers, func(o TierOverride) bool { return o.Long == t.Long })
		if i < 0 {
			out = append(out, t)
			continue
		}
		o := s.Tiers[i]
		if o.Disabled {
			continue
		}
		if o.Severity != "" {
			t.Severity = o.Severity
		}
		if o.For != nil {
			t.For = *o.For
		}
		out = append(out, t)
	}
	return out
}

func validateLatencyBuckets(v *validator, buckets []float64) {
	f := "spec.mesh.latencyBuckets"
	if len(buckets) > MaxLatencyBuckets {
		v.add(f, "expected at most %d bucket boundaries, got %d", MaxLatencyBuckets, len(buckets))
	}
	for i, b := range buckets {
		switch {
		case !(b > 0) || math.IsInf(b, 0):
			v.add(fmt.Sprintf("%s[%d]", f, i), "expected a bucket boundary in milliseconds above 0, got %s", FormatNumber(b))
		case i > 0 && b <= buckets[i-1]:
			v.add(fmt.Sprintf("%s[%d]", f, i), "expected boundaries in increasing order, as Envoy requires: %s follows %s", FormatNumber(b), FormatNumber(buckets[i-1]))
		}
	}
}

// validateSLOModel checks what relates an SLO to the others, to the shared
// tiers and to Alertmanager.
func validateSLOModel(v *validator, s *Spec) {
	byName := map[string]int{}
	for i, slo := range s.SLOs {
		if _, dup := byName[slo.Name]; !dup {
			byName[slo.Name] = i
		}
	}
	for i, slo := range s.SLOs {
		f := fmt.Sprintf("spec.slos[%d]", i)
		checkRequestMatchers(v, f+".matchers", slo.Matchers, len(slo.Services) > 0)
		for j, e := range slo.Exclude {
			ef := fmt.Sprintf("%s.exclude[%d]", f, j)
			if strings.TrimSpace(e) == "" {
				v.add(ef, "missing: expected label matchers of the requests to leave out, such as destination_service_namespace=\"payments\"")
				continue
			}
			checkRequestMatchers(v, ef, e, false)
		}
		for j, o := range slo.Overrides {
			of := fmt.Sprintf("%s.overrides[%d]", f, j)
			k, ok := byName[o]
			switch {
			case !ok:
				v.add(of, "no SLO is named %q; expected one of %s", o, strings.Join(sloNames(s.SLOs), ", "))
			case k == i:
				v.add(of, "an SLO cannot override itself")
			case s.SLOs[k].SLI != slo.SLI:
				v.add(of, "%q is a %s SLO and this one %s: only SLOs of the same SLI cover the same incidents", o, s.SLOs[k].SLI, slo.SLI)
			case slices.Contains(s.SLOs[k].Overrides, slo.Name):
				v.add(of, "%q also overrides %q; say which of the two takes precedence", o, slo.Name)
			case slices.Contains(slo.Overrides[:j], o):
				v.add(of, "duplicate: %q is already overridden", o)
			}
		}
		checkSLOLabels(v, f, slo, s.Mesh)
		if m := slo.MinRequests; m != nil && (*m < 0 || *m > MaxMinRequests) {
			v.add(f+".minRequests", "expected a number of requests from 0 (no guard) to %d, got %d", MaxMinRequests, *m)
		}
		v.forDuration(f+".noDataFor", slo.NoDataFor)
		checkTierOverrides(v, f, slo, s.BurnRates)
	}
	checkOverlaps(v, s.SLOs)
}

// checkRequestMatchers checks matchers an SLO writes on istio_requests_total.
func checkRequestMatchers(v *validator, field, text string, listed bool) {
	ms, err := selector.Parse(text)
	if err != nil {
		v.add(field, "%v", err)
		return
	}
	for _, m := range ms {
		switch {
		case slices.Contains(sliLabels, m.Name):
			v.add(field, "must not match %s: meshslo sets it for each SLI", m.Name)
		case !slices.Contains(RequestLabels, m.Name):
			msg := fmt.Sprintf("%q is not a label of istio_requests_total", m.Name)
			if sug := suggest(m.Name, RequestLabels); sug != "" {
				msg += fmt.Sprintf("; did you mean %q?", sug)
			}
			v.add(field, "%s", msg)
		case listed && slices.Contains(serviceKeys, m.Name):
			v.add(field, "cannot match %s together with services, which name the SLO's services; list the service under services instead", m.Name)
		}
		checkLabelValue(v, field, m.Value)
	}
}

func sloNames(slos []SLO) []string {
	var out []string
	for _, s := range slos {
		out = append(out, s.Name)
	}
	return out
}

func checkSLOLabels(v *validator, f string, slo SLO, mesh Mesh) {
	reserved := append(slices.Clone(reservedAlertLabels), mesh.ClusterLabel)
	for _, k := range sortedKeys(slo.Labels) {
		field := keyPath(f+".labels", k)
		switch {
		case !selector.ValidLabelName(k) || strings.HasPrefix(k, "__"):
			v.add(field, "expected a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __), got %q", k)
		case slices.Contains(reserved, k):
			v.add(field, "%q is a label meshslo's SLO alerts set themselves (%s); choose another name, such as team", k, strings.Join(reserved, ", "))
		case slo.Labels[k] == "":
			v.add(field, "missing: expected a value; an empty label value is no label at all")
		}
		checkLabelValue(v, field, slo.Labels[k])
	}
	for _, k := range sortedKeys(slo.Annotations) {
		field := keyPath(f+".annotations", k)
		switch {
		case !selector.ValidLabelName(k):
			v.add(field, "expected an annotation name like a label name ([a-zA-Z_][a-zA-Z0-9_]*), got %q", k)
		case slices.Contains(reservedAnnotations, k):
			v.add(field, "%q is an annotation meshslo writes on every alert (%s); choose another name", k, strings.Join(reservedAnnotations, ", "))
		}
		checkLabelValue(v, field, slo.Annotations[k])
	}
}

func checkTierOverrides(v *validator, f string, slo SLO, shared []BurnRate) {
	var longs []string
	for _, t := range shared {
		longs = append(longs, t.Long.String())
	}
	seen := map[Duration]int{}
	for j, o := range slo.Tiers {
		tf := fmt.Sprintf("%s.tiers[%d]", f, j)
		n := 0
		for _, t := range shared {
			if t.Long == o.Long {
				n++
			}
		}
		switch {
		case n == 0:
			v.add(tf+".long", "no burn tier has the long window %s; expected one of %s (spec.burnRates)", o.Long, strings.Join(longs, ", "))
		case n > 1:
			v.add(tf+".long", "%d burn tiers have the long window %s, so it does not name one", n, o.Long)
		}
		if k, dup := seen[o.Long]; dup {
			v.add(tf+".long", "duplicate: %s.tiers[%d] already changes the %s tier", f, k, o.Long)
		} else {
			seen[o.Long] = j
		}
		if o.Severity != "" {
			v.oneOf(tf+".severity", o.Severity, []string{SeverityCritical, SeverityWarning})
		}
		if o.For != nil {
			v.forDuration(tf+".for", *o.For)
		}
		if o.Disabled && (o.Severity != "" || o.For != nil) {
			v.warn(tf, "the tier is disabled, so its severity and for have no effect (--strict makes this an error)")
		}
	}
	if len(shared) > 0 && len(slo.EffectiveTiers(shared)) == 0 {
		v.add(f+".tiers", "every burn tier is disabled, so nothing would alert before the budget is gone; keep at least one tier (remove the SLO to drop its alerts)")
	}
}

// coverage is what an SLO's alerts cover, as far as the profile says:
// request matchers, and the listed services when it lists them.
type coverage struct {
	ms     selector.Matchers
	listed [][2]string
}

func coverageOf(s SLO) coverage {
	c := coverage{ms: SLOMatchers(s)}
	for _, svc := range s.Services {
		c.listed = append(c.listed, [2]string{svc.Namespace, svc.Name})
	}
	return c
}

// disjoint reports whether no request can match both matcher sets: some
// label has an equality in one that the other's matcher on that label
// refuses. Anything it cannot prove is an overlap.
func disjoint(a, b selector.Matchers) bool {
	for _, x := range a {
		for _, y := range b {
			if x.Name != y.Name {
				continue
			}
			if x.Type == labels.MatchEqual && !y.Matches(x.Value) || y.Type == labels.MatchEqual && !x.Matches(y.Value) {
				return true
			}
		}
	}
	return false
}

// overlap describes requests both SLOs may cover, or "" when they cannot.
func overlap(a, b SLO) string {
	ca, cb := coverageOf(a), coverageOf(b)
	svcMatchers := func(l [2]string) selector.Matchers {
		return selector.Matchers{selector.Equal(serviceKeys[0], l[0]), selector.Equal(serviceKeys[1], l[1])}
	}
	switch {
	case len(ca.listed) > 0 && len(cb.listed) > 0:
		var both []string
		for _, l := range ca.listed {
			if slices.Contains(cb.listed, l) && !disjoint(ca.ms, cb.ms) {
				both = append(both, l[0]+"/"+l[1])
			}
		}
		return strings.Join(both, ", ")
	case len(ca.listed) > 0 || len(cb.listed) > 0:
		if len(cb.listed) > 0 {
			ca, cb = cb, ca
		}
		var both []string
		for _, l := range ca.listed {
			if !disjoint(ca.ms.With(svcMatchers(l)...), cb.ms) {
				both = append(both, l[0]+"/"+l[1])
			}
		}
		return strings.Join(both, ", ")
	default:
		if disjoint(ca.ms, cb.ms) {
			return ""
		}
		switch a, b := ca.ms.String(), cb.ms.String(); {
		case a == b && a == "":
			return "every request"
		case a == b:
			return "the same requests {" + a + "}"
		case a == "" || b == "":
			return "every request matching {" + a + b + "}"
		default:
			return "requests matching both {" + a + "} and {" + b + "}"
		}
	}
}

// checkOverlaps warns about SLOs of the same SLI that may cover the same
// requests with neither taking precedence: each incident would alert
// once per SLO. An exclude on either counts as handling it (its matchers
// cannot be proved to cover the other SLO, only not to miss it entirely).
func checkOverlaps(v *validator, slos []SLO) {
	for i, a := range slos {
		for j := i + 1; j < len(slos); j++ {
			b := slos[j]
			if a.SLI != b.SLI || a.Name == b.Name || slices.Contains(a.Overrides, b.Name) || slices.Contains(b.Overrides, a.Name) {
				continue
			}
			what := overlap(a, b)
			if what == "" || handledByExclude(a, b) || handledByExclude(b, a) {
				continue
			}
			v.warn(fmt.Sprintf("spec.slos[%d]", j),
				"SLO %q and SLO %q (spec.slos[%d]) are both %s SLOs covering %s: each incident there would alert once per SLO; "+
					"add overrides: [%s] to the stricter one, or exclude its requests from the other (--strict makes this an error)",
				b.Name, a.Name, i, a.SLI, what, a.Name)
		}
	}
}

// handledByExclude reports whether a excludes requests b may cover.
func handledByExclude(a, b SLO) bool {
	for _, e := range a.Exclude {
		ms, err := selector.Parse(e)
		if err != nil {
			continue
		}
		cb := coverageOf(b)
		if len(cb.listed) == 0 && !disjoint(ms, cb.ms) {
			return true
		}
		for _, l := range cb.listed {
			if !disjoint(ms, cb.ms.With(selector.Equal(serviceKeys[0], l[0]), selector.Equal(serviceKeys[1], l[1]))) {
				return true
			}
		}
	}
	return false
}
