package ruletests

// IstioSLONoData: an SLO whose SLI has no series tickets after its
// noDataFor; one with traffic does not.

import (
	"fmt"
	"slices"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
)

// maxNoDataAlerts is how many no-data alerts a test lists one by one.
const maxNoDataAlerts = 24

func (b *builder) sloNoData(s config.SLO) *suite {
	return b.scaled(func(b *builder) *suite { return b.noDataSuite(s) })
}

func (b *builder) noDataSuite(s config.SLO) *suite {
	st := b.newSuite("slo-"+s.Name+"-nodata.test.yaml", "SLO "+s.Name+": IstioSLONoData tickets when the SLI has had no series for "+s.NoDataFor.String()+
		",\nand stays quiet while there is traffic.")
	st.alerts = []string{rules.AlertIstioSLONoData}
	// Firing starts at the first evaluation at least noDataFor after the
	// first one, when the series are missing from the start.
	at := b.ceilEvery(s.NoDataFor)
	end := at + b.every
	svcs := b.edgeServices(s)
	if len(svcs) == 0 {
		b.fail(fmt.Errorf("SLO %s: no service for the no-data test", s.Name))
		return nil
	}
	// The group's one input series is the client's view of a request,
	// which no SLI reads.
	busy := svcs[0]
	client := b.trapLabels(s, busy).with("response_code", "200")
	none := &testGroup{Name: "IstioSLONoData: no SLI series at all tickets after " + s.NoDataFor.String(), Interval: b.step.String(),
		InputSeries: []series{{client.of("istio_requests_total"), counter(1000, b.slopes(constantShare(0), b.samples(end), func(float64) float64 { return requestsPerSecond }))}}}
	traffic := &testGroup{Interval: b.step.String(),
		Name:        "IstioSLONoData: " + busy.title + " has traffic, so SLO " + s.Name + " raises no no-data ticket for it",
		InputSeries: b.sloInputs(s, busy, constantShare(0), b.samples(end), false)}
	for _, t := range []profile.Duration{at - b.every, at} {
		for _, g := range []struct {
			g    *testGroup
			svcs []service
		}{{none, nil}, {traffic, []service{busy}}} {
			test := b.expectNoData(t, s, g.svcs...)
			if len(test.ExpAlerts) <= maxNoDataAlerts {
				g.g.AlertTests = append(g.g.AlertTests, test)
				continue
			}
			// Hundreds of listed services: count the alerts per SLO, so
			// the file does not grow with the list.
			count := map[string]int{}
			for _, a := range test.ExpAlerts {
				count[a.ExpLabels["slo"]]++
			}
			e := exprTest{Expr: `count by (slo) (ALERTS{alertname="` + rules.AlertIstioSLONoData + `", alertstate="firing"})`, EvalTime: t.String(), ExpSamples: []expSample{}}
			for _, o := range b.c.SLOs {
				if n := count[o.Name]; n > 0 {
					e.ExpSamples = append(e.ExpSamples, expSample{lbls{"slo": o.Name}.String(), float64(n)})
				}
			}
			g.g.ExprTests = append(g.g.ExprTests, e)
		}
	}
	st.Tests = []*testGroup{none, traffic}
	return st
}

// expectNoData is the no-data alert test at `at` when the only SLI input
// is svc's, written for s (none: no input): every SLO that records none of
// it has been without series since the start.
func (b *builder) expectNoData(at profile.Duration, s config.SLO, svcs ...service) alertTest {
	var fs []fired
	for _, o := range b.c.SLOs {
		if at < b.ceilEvery(o.NoDataFor) {
			continue
		}
		rule := b.rule(rules.AlertIstioSLONoData, map[string]string{"slo": o.Name})
		seen := func(svc service) bool { return o.SLI == s.SLI && b.sees(o, s, svc) }
		if len(o.Listed) == 0 {
			if slices.ContainsFunc(svcs, seen) {
				continue
			}
			l := lbls{"slo": o.Name}
			if m := b.c.Profile.Spec.Mesh; m.Cluster != "" {
				l[m.ClusterLabel] = m.Cluster
			}
			fs = append(fs, fired{rule, l, 1})
			continue
		}
		for _, svc := range b.listedServices(o) {
			if slices.ContainsFunc(svcs, func(x service) bool { return x.namespace == svc.namespace && x.name == svc.name && seen(x) }) {
				continue
			}
			l := lbls{"slo": o.Name, rules.ServiceLabels[0]: svc.namespace, rules.ServiceLabels[1]: svc.name}
			for k, v := range o.Labels {
				l[k] = v
			}
			fs = append(fs, fired{rule, l, svc.budget})
		}
	}
	return b.expect(at, rules.AlertIstioSLONoData, fs...)
}

// listedServices are every service s lists, with their budgets.
func (b *builder) listedServices(s config.SLO) []service {
	var out []service
	for _, l := range s.Listed {
		svc := testServiceIn(l.Namespace, l.Name)
		svc.budget = l.Budget
		svc.title = l.Namespace + "/" + l.Name
		out = append(out, svc)
	}
	return out
}
