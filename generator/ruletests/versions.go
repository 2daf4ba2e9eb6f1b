package ruletests

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
)

// skewMinor is the Istio minor version the istiods of rev run in the skew
// cases: the revision's own where its name is one (1-25: 1.25), else 28.
func skewMinor(rev string) int {
	if major, minor, ok := strings.Cut(rev, "-"); ok && major == "1" {
		if n, err := strconv.Atoi(minor); err == nil {
			return n
		}
	}
	return 28
}

// versions tests the version skew alerts: per direction, a data plane
// just outside the supported skew fires once it held for versionSkewFor,
// one at its edge (exactly versionSkewMinors behind; the same version)
// stays quiet, a shorter blip does not fire.
func (b *builder) versions() *suite {
	s := b.newSuite("versions.test.yaml", "Version skew between each istiod revision and its proxies (and ztunnel) at the edges of the supported skew.")
	s.alerts = []string{rules.AlertIstioProxyVersionSkew}
	s.records = []string{rules.IstiodVersion, rules.ProxyVersion}
	for _, w := range b.skewWatches(false) {
		s.Tests = append(s.Tests, b.edgeCases(w)...)
	}
	if rules.DescriptorOf(rules.AlertIstioZtunnelVersionSkew).SkippedFor(b.c) == "" {
		s.alerts = append(s.alerts, rules.AlertIstioZtunnelVersionSkew)
		s.records = append(s.records, rules.ZtunnelVersion)
		for _, w := range b.skewWatches(true) {
			s.Tests = append(s.Tests, b.edgeCases(w)...)
		}
	}
	return s
}

// skewWatches are the two directions of one skew alert on the first
// watched revision (the others stay at their istiod's version): the level
// is how many minor versions the moved data plane is behind its istiod
// (negative: ahead).
func (b *builder) skewWatches(ztunnel bool) []*watch {
	i := b.c.Profile.Spec.Istiod
	n := float64(i.VersionSkewMinors)
	rev := b.watchedRevisions()[0]
	m := skewMinor(rev)
	alert, label, what := rules.AlertIstioProxyVersionSkew, "proxy_version", "proxies"
	if ztunnel {
		alert, label, what = rules.AlertIstioZtunnelVersionSkew, "ztunnel_version", "ztunnel pods"
	}
	dpVersion := func(level float64) string { return fmt.Sprintf("1.%d", m-int(level)) }
	w := func(skew string, level float64, holds func(float64) bool, above, below float64, value func(float64) float64) *watch {
		labels := revisionOf(rev).with("istiod_version", fmt.Sprintf("1.%d", m), label, dpVersion(level))
		return &watch{
			alert: alert, baseline: 0, labels: labels,
			inputs: func(level func(profile.Duration) float64, n int) []series { return b.skewInputs(level, n, ztunnel) },
			show: func(f float64) string {
				if f < 0 {
					return fmt.Sprintf("%s %s minor ahead of istiod 1.%d", what, num(-f), m)
				}
				return fmt.Sprintf("%s %s minor behind istiod 1.%d", what, num(f), m)
			},
			sevs: []sev{{rule: b.rule(alert, map[string]string{"skew": skew}), holds: holds, above: above, below: below, value: value}},
		}
	}
	return []*watch{
		w(rules.SkewOlder, n+1, gt(n), n+1, n, nil),
		w(rules.SkewNewer, -1, lt(0), -1, 0, func(q float64) float64 { return -q }),
	}
}

// skewInputs are the istiods of every watched revision (istio_build of
// component pilot, tag 1.<minor>.1, as istiod's target stores it;
// pilot_xds of proxies at the istiod's version), and the data plane the
// level moves: on the first revision, 5 proxies (pilot_xds{version}, as
// istiod counts them by their ISTIO_VERSION) or, for ztunnel, a ztunnel
// pod per node (istio_build{component="ztunnel"}), at 1.<minor - level>.3
// from the level's onset; the other ztunnel pods run the istiod's version.
func (b *builder) skewInputs(level func(profile.Duration) float64, n int, ztunnel bool) []series {
	levels := b.levels(level, n)
	var out []series
	revs := b.watchedRevisions()
	for r, rev := range revs {
		m := skewMinor(rev)
		for k, p := range b.revisionPods(rev) {
			out = append(out,
				series{p.with("component", "pilot", "tag", fmt.Sprintf("1.%d.1", m)).of("istio_build"), gauge(constant(1, n))},
				series{p.with("version", fmt.Sprintf("1.%d.1", m)).of("pilot_xds"), gauge(constant(float64(40+10*k), n))})
			if r != 0 || ztunnel || k != 0 {
				continue
			}
			// The moved proxies, on the first istiod: one series per
			// version they pass through, 0 while they run another.
			for _, v := range distinct(levels) {
				if v == 0 {
					continue
				}
				vals := mapf(levels, func(l float64) float64 {
					if l == v {
						return 5
					}
					return 0
				})
				out = append(out, series{p.with("version", fmt.Sprintf("1.%d.3", m-int(v))).of("pilot_xds"), gauge(vals)})
			}
		}
	}
	if !ztunnel {
		return out
	}
	z := b.c.Profile.Spec.Ztunnel
	m := skewMinor(revs[0])
	for k, node := range ztunnelNodes {
		l := lbls{"job": "ztunnel", "namespace": z.Namespace, "pod": z.DaemonSet + "-" + podSuffix(k), "container": "istio-proxy",
			"instance": fmt.Sprintf("10.244.%d.3:15020", k+1), "node": node, "component": "ztunnel"}
		if rev := revs[0]; rev != "" && rev != "default" {
			// The chart labels its pods with its revision value.
			l = l.with("istio_io_rev", rev)
		}
		if k != 1 {
			out = append(out, series{l.with("tag", fmt.Sprintf("1.%d.1", m)).of("istio_build"), gauge(constant(1, n))})
			continue
		}
		// The second node's ztunnel is replaced at the onset by one of
		// the level's version (the DaemonSet rolls it): its old series ends.
		for _, v := range distinct(append([]float64{0}, levels...)) {
			tag := fmt.Sprintf("1.%d.1", m)
			if v != 0 {
				tag = fmt.Sprintf("1.%d.3", m-int(v))
			}
			out = append(out, series{l.with("tag", tag).of("istio_build"), presence(levels, v)})
		}
	}
	return out
}

// distinct returns the values of vs in first-seen order.
func distinct(vs []float64) []float64 {
	var out []float64
	seen := map[float64]bool{}
	for _, v := range vs {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// presence is a series that is 1 while the level is v, ends with a stale
// marker when it leaves v (its pod is gone) and is absent otherwise, in
// promtool's notation.
func presence(levels []float64, v float64) string {
	var vals []string
	for k, l := range levels {
		switch {
		case l == v:
			vals = append(vals, "1")
		case k > 0 && levels[k-1] == v:
			vals = append(vals, "stale")
		default:
			vals = append(vals, "_")
		}
	}
	var parts []string
	for i := 0; i < len(vals); {
		j := i + 1
		for j < len(vals) && vals[j] == vals[i] && vals[i] != "stale" {
			j++
		}
		switch {
		case j-i == 1:
			parts = append(parts, vals[i])
		case vals[i] == "_":
			// _xN is N blanks; vxN is N+1 samples (promql/parser
			// generated_parser.y, series_item).
			parts = append(parts, fmt.Sprintf("_x%d", j-i))
		default:
			parts = append(parts, fmt.Sprintf("%sx%d", vals[i], j-i-1))
		}
		i = j
	}
	return strings.Join(parts, " ")
}
