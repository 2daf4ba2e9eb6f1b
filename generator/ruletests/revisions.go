package ruletests

import (
	"fmt"
	"slices"
	"strings"

	"github.com/meshslo/meshslo/generator/rules"
)

// Revisions as the tests run them. istiod's pods and Service carry
// istio.io/rev (istio/istio manifests/charts/istio-control/istio-discovery/
// templates/deployment.yaml, service.yaml): the Deployment and Service of
// a revision are istiod-<rev>, "istiod" for the default revision, whose
// label value is "default".

// defaultRevisions stand in for a canary upgrade where the profile lists
// fewer than two revisions: stable first, canary second.
var defaultRevisions = []string{"1-24", "1-25"}

// baseRevision is the istio_io_rev of the istiod series b.istiod builds
// ("default"), "" where the scrape setup stores none.
func (b *builder) baseRevision() string { return b.istiod(0)["istio_io_rev"] }

// revisionOf is the revision label an alert carries for istiods of rev.
func revisionOf(rev string) lbls {
	if rev == "" {
		return lbls{}
	}
	return lbls{rules.RevisionLabel: rev}
}

// listedRevisions are the profile's revision names.
func (b *builder) listedRevisions() []string {
	var out []string
	for _, r := range b.c.Profile.Spec.Istiod.Revisions {
		out = append(out, r.Name)
	}
	return out
}

// watchedRevisions are the revisions the single-revision edge cases run:
// the profile's (the first is the one the cases move, the others stay
// healthy, as a listed revision without targets would page throughout),
// else the one b.istiod builds.
func (b *builder) watchedRevisions() []string {
	if revs := b.listedRevisions(); len(revs) > 0 {
		return revs
	}
	return []string{b.baseRevision()}
}

// upgradeRevisions are the stable and canary revisions of the two-revision
// cases: the profile's first two, padded with defaultRevisions.
func (b *builder) upgradeRevisions() (stable, canary string) {
	revs := b.listedRevisions()
	for _, r := range defaultRevisions {
		if len(revs) >= 2 {
			break
		}
		if !slices.Contains(revs, r) {
			revs = append(revs, r)
		}
	}
	return revs[0], revs[1]
}

// revIstiod is pod k of revision rev as its ServiceMonitor target stores
// it: the label sets of b.istiod, with the revision's pod name (its
// Deployment istiod-<rev>), Service and istio_io_rev. The base revision's
// are b.istiod's own.
func (b *builder) revIstiod(rev string, k int) lbls {
	l := b.istiod(k)
	if rev == b.baseRevision() {
		return l
	}
	// A hash per revision: each Deployment has its own ReplicaSets.
	hash := fmt.Sprintf("%x", 0x5f7c8d9b6+len(rev)*7919+int(rev[len(rev)-1]))[:9]
	out := l.with("istio_io_rev", rev, "pod", "istiod-"+rev+"-"+hash+"-"+podSuffix(k),
		"instance", fmt.Sprintf("10.12.%d.%d:15014", 1+revisionIndex(rev), 20+k))
	if _, ok := l["service"]; ok {
		out = out.with("service", "istiod-"+rev)
	}
	if _, ok := l["pod_template_hash"]; ok {
		out = out.with("pod_template_hash", hash)
	}
	// A selector on pod names that revisioned Deployments do not match
	// (pod=~"istiod-[a-z0-9]+-[a-z0-9]{5}") gets a name it does match.
	// Fitting gives every revision the same example name, so first try
	// one without the revision's dash (its hash still tells it apart):
	// two revisions' pods must not share a name.
	if fit := b.fitted(out, b.c.Selectors.Istiod, "istiod"); fit["pod"] == out["pod"] {
		return fit
	}
	return b.fitted(out.with("pod", "istiod-"+hash+"-"+podSuffix(k)), b.c.Selectors.Istiod, "istiod")
}

// revisionIndex spreads revisions over pod address ranges.
func revisionIndex(rev string) int {
	n := 0
	for _, c := range rev {
		n = (n*31 + int(c)) % 200
	}
	return n
}

// revisionPods are the replicas the tests run of each revision.
func (b *builder) revisionPods(rev string) []lbls {
	out := make([]lbls, max(b.c.Profile.Spec.Istiod.MinReplicas, 2))
	for k := range out {
		out[k] = b.revIstiod(rev, k)
	}
	return out
}

// proxyVersion is the Istio version of a revision's proxies (pilot_xds's
// version label: the proxy's ISTIO_VERSION metadata, istio/istio
// pilot/pkg/xds/ads.go recordXDSClients).
func proxyVersion(rev string) string {
	if parts := strings.SplitN(rev, "-", 2); len(parts) == 2 {
		return parts[0] + "." + parts[1] + ".2"
	}
	return "1.28.1"
}

// revisionPhase is one revision's course in a two-revision case: its
// istiods up until down (samples; -1: never), whose targets vanish at gone
// (-1: never), serving proxies each (pilot_xds per pod) until moved (then
// none; -1: never). only, when above 0, is how many of its istiods go
// down or vanish; the rest stay up.
type revisionPhase struct {
	rev            string
	down, gone     int
	proxies, moved int
	only           int
}

func (p revisionPhase) series(b *builder, n int) []series {
	var out []series
	for k, pod := range b.revisionPods(p.rev) {
		if p.only > 0 && k >= p.only {
			p = revisionPhase{rev: p.rev, down: -1, gone: -1, proxies: p.proxies, moved: p.moved}
		}
		// up: 1, 0 once down; its series ends (stale) once the target is gone.
		var up, xds []string
		for s := 0; s < n; s++ {
			switch {
			case p.gone >= 0 && s >= p.gone:
				up = append(up, "stale")
			case p.down >= 0 && s >= p.down:
				up = append(up, "0")
			default:
				up = append(up, "1")
			}
			// A target that is down or gone has no other series: every
			// one but up ends with a stale marker on a failed scrape.
			switch {
			case (p.down >= 0 && s >= p.down) || (p.gone >= 0 && s >= p.gone):
				xds = append(xds, "stale")
			case p.moved >= 0 && s >= p.moved:
				xds = append(xds, "0")
			case p.proxies == 0:
				// istiod records pilot_xds on the first connection: none yet.
				xds = append(xds, "_")
			default:
				xds = append(xds, num(float64(p.proxies+k)))
			}
		}
		out = append(out, series{pod.of("up"), fold(up)})
		if slices.ContainsFunc(xds, func(v string) bool { return v != "_" && v != "stale" }) {
			out = append(out, series{pod.with("version", proxyVersion(p.rev)).of("pilot_xds"), fold(xds)})
		}
	}
	return out
}

// fold writes literal sample values in promtool's notation, runs of one
// value as vxN (stale and _ as themselves, runs of _ as _xN), and drops
// what follows the last stale marker.
func fold(vals []string) string {
	if i := slices.Index(vals, "stale"); i >= 0 {
		vals = vals[:i+1]
	}
	var parts []string
	for i := 0; i < len(vals); {
		j := i + 1
		for j < len(vals) && vals[j] == vals[i] && vals[i] != "stale" {
			j++
		}
		if j-i == 1 {
			parts = append(parts, vals[i])
		} else {
			parts = append(parts, fmt.Sprintf("%sx%d", vals[i], j-i-1))
		}
		i = j
	}
	return strings.Join(parts, " ")
}

// revisionCases: the stable revision healthy beside a canary that fails in
// each way an upgrade sees, and a revision uninstalled after its proxies
// moved away. Each names exactly the IstiodDown and
// IstiodReplicasBelowMinimum alerts that fire.
func (b *builder) revisionCases() []*testGroup {
	i := b.c.Profile.Spec.Istiod
	stable, canary := b.upgradeRevisions()
	listed := b.listedRevisions()
	// Listed revisions beyond the two run healthy throughout.
	var others []revisionPhase
	for _, r := range listed {
		if r != stable && r != canary {
			others = append(others, revisionPhase{rev: r, down: -1, gone: -1, proxies: 5, moved: -1})
		}
	}
	onset := 4 * b.step
	hold := b.ceilStep(max(i.DownFor, i.ReplicasFor))
	end := onset + hold + b.step
	n := b.samples(end)
	down := b.rule(rules.AlertIstiodDown, nil)
	replicas := b.rule(rules.AlertIstiodReplicasBelowMinimum, nil)
	healthy := revisionPhase{rev: stable, down: -1, gone: -1, proxies: 30, moved: -1}
	at := int(onset / b.step)
	group := func(name string, phases []revisionPhase, downs []string, short []string, upLeft float64) *testGroup {
		g := &testGroup{Name: name, Interval: b.step.String()}
		for _, p := range append(phases, others...) {
			g.InputSeries = append(g.InputSeries, p.series(b, n)...)
		}
		var fd, fr []fired
		for _, r := range downs {
			fd = append(fd, fired{down, revisionOf(r), 0})
		}
		for _, r := range short {
			fr = append(fr, fired{replicas, revisionOf(r), upLeft})
		}
		g.AlertTests = []alertTest{
			b.expect(onset-b.step, rules.AlertIstiodDown),
			b.expect(end, rules.AlertIstiodDown, fd...),
			b.expect(end, rules.AlertIstiodReplicasBelowMinimum, fr...),
		}
		return g
	}
	var oneDown []string
	if len(b.revisionPods(canary))-1 < i.MinReplicas {
		oneDown = []string{canary}
	}
	// Where the profile lists a revision, it pages whatever its proxies.
	ifListed := func(r string) []string {
		if slices.Contains(listed, r) {
			return []string{r}
		}
		return nil
	}
	return []*testGroup{
		group(fmt.Sprintf("IstiodDown pages for revision %s only: every istiod of it down (crash-looping) while proxies are connected to it, %s healthy", canary, stable),
			[]revisionPhase{healthy, {rev: canary, down: at, gone: -1, proxies: 20, moved: -1}},
			[]string{canary}, []string{canary}, 0),
		group(fmt.Sprintf("IstiodDown pages for revision %s only when its istiods are gone (no targets) after serving proxies, %s healthy", canary, stable),
			[]revisionPhase{healthy, {rev: canary, down: -1, gone: at, proxies: 20, moved: -1}},
			[]string{canary}, nil, 0),
		group(fmt.Sprintf("IstiodDown for revision %s that no proxy uses, down while %s is healthy: a page only where the profile lists it", canary, stable),
			[]revisionPhase{healthy, {rev: canary, down: at, gone: -1, proxies: 0, moved: -1}},
			ifListed(canary), []string{canary}, 0),
		group(fmt.Sprintf("IstiodDown stays quiet when revision %s is uninstalled after its proxies moved to %s, unless the profile lists it", stable, canary),
			[]revisionPhase{{rev: stable, down: -1, gone: at, proxies: 30, moved: at - 2}, {rev: canary, down: -1, gone: -1, proxies: 20, moved: -1}},
			ifListed(stable), nil, 0),
		group(fmt.Sprintf("IstiodReplicasBelowMinimum for revision %s alone with one of its istiods down: a ticket when the rest are fewer than %d", canary, i.MinReplicas),
			[]revisionPhase{healthy, {rev: canary, down: at, gone: -1, proxies: 20, moved: -1, only: 1}},
			nil, oneDown, float64(len(b.revisionPods(canary))-1)),
	}
}

// podRevision is an istiod pod's namespace and pod with its revision, as
// the per-pod istiod series carry them.
func podRevision(p lbls) lbls {
	out := p.only("namespace", "pod")
	for k, v := range revisionOf(p["istio_io_rev"]) {
		out = out.with(k, v)
	}
	return out
}
