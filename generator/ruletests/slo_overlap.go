package ruletests

// SLOs that see the same requests: a test's input for one SLO reaches the
// rules of every SLO whose selector matches it, so the alerts the test
// expects are those of every such SLO, less the SLOs an SLO covering the
// service overrides (rules.unlessOverridden).

import (
	"fmt"
	"slices"
	"time"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
)

// inputLabels are the label sets of the destination-side series sloInputs
// writes for svc under s.
func (b *builder) inputLabels(s config.SLO, svc service) []lbls {
	pods, sources := svc.pods, svc.sources
	if s.SLI == profile.SLILatency {
		pods, sources = pods[:1], sources[:1]
	}
	var out []lbls
	for _, pod := range pods {
		for _, src := range sources {
			out = append(out, b.requestLabels(s, svc, s.Reporter, src, pod))
		}
	}
	return out
}

// counts reports whether o's recording rules count a request with labels l.
func counts(o config.SLO, l lbls) bool {
	for _, m := range o.Requests {
		if !m.Matches(l[m.Name]) {
			return false
		}
	}
	for _, e := range o.Exclude {
		all := true
		for _, m := range e {
			all = all && m.Matches(l[m.Name])
		}
		if all {
			return false
		}
	}
	return true
}

// sees says whether o records svc's input (written for SLO s): every
// series counts for it, or none does. A selector that splits one service's
// series is not predicted.
func (b *builder) sees(o, s config.SLO, svc service) bool {
	ls := b.inputLabels(s, svc)
	n := 0
	for _, l := range ls {
		if counts(o, l) {
			n++
		}
	}
	if n > 0 && n < len(ls) {
		b.fail(fmt.Errorf("SLO %s counts %d of the %d series the tests of SLO %s write for %s/%s: the tests cannot predict it",
			o.Name, n, len(ls), s.Name, svc.namespace, svc.name))
	}
	return n == len(ls)
}

// listedBudget is svc's budget in o, which lists its services.
func listedBudget(o config.SLO, svc service) (float64, bool) {
	i := slices.IndexFunc(o.Listed, func(l config.Service) bool { return l.Namespace == svc.namespace && l.Name == svc.name })
	if i < 0 {
		return 0, false
	}
	return o.Listed[i].Budget, true
}

// covers reports whether o's alerts cover svc: it lists it, or it records
// its requests.
func (b *builder) covers(o, s config.SLO, svc service) bool {
	if len(o.Listed) > 0 {
		_, ok := listedBudget(o, svc)
		return ok
	}
	return b.sees(o, s, svc)
}

// seenBy expands each burn to the burns of every SLO that alerts on its
// input: the SLOs of the same SLI that record the service (and list it,
// when they list services), unless an SLO that covers the service
// overrides them. The bad share follows each SLO's own SLI of the same
// requests (another latency threshold counts other requests as slow).
func (b *builder) seenBy(us []burn) []burn {
	var out []burn
	for _, u := range us {
		for _, o := range b.c.SLOs {
			if o.SLI != u.s.SLI || !b.sees(o, u.s, u.svc) {
				continue
			}
			svc := u.svc
			svc.budget = o.Budget
			if len(o.Listed) > 0 {
				budget, ok := listedBudget(o, svc)
				if !ok {
					continue
				}
				svc.budget = budget
			}
			if slices.ContainsFunc(o.OverriddenBy, func(name string) bool {
				i := slices.IndexFunc(b.c.SLOs, func(x config.SLO) bool { return x.Name == name })
				return b.covers(b.c.SLOs[i], u.s, u.svc)
			}) {
				continue
			}
			out = append(out, burn{u.b, o, svc, b.badFor(o, u.s, u.bad), u.every})
		}
	}
	return out
}

// badFor is the share of requests o counts as bad when the input was
// written for s with bad share bad. Availability SLOs all count 5xx; a
// latency SLO counts what lies above its own threshold in the buckets
// latencyBuckets filled for s's.
func (b *builder) badFor(o, s config.SLO, bad traffic) traffic {
	if o.SLI != profile.SLILatency || o.Threshold == s.Threshold {
		return bad
	}
	bounds := b.c.Profile.Spec.LatencyBucketsMs()
	ms := func(d profile.Duration) float64 { return float64(time.Duration(d)) / float64(time.Millisecond) }
	ti, to := slices.Index(bounds, ms(s.Threshold)), slices.Index(bounds, ms(o.Threshold))
	return func(t profile.Duration) float64 {
		e := bad(t)
		switch {
		case to < ti-1:
			return 1
		case to == ti-1:
			return (1 + e) / 2
		case to == ti:
			return e
		default:
			return 0
		}
	}
}
