package rules

import (
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/loader"
	"github.com/meshslo/meshslo/generator/profile"
)

// ambientConfig is the built-in profile name with the scrape setup and
// ztunnel DaemonSet name given.
func ambientConfig(t *testing.T, name, scrape, daemonSet string) *config.Config {
	t.Helper()
	l, errs := loader.Load(name)
	if fatal := errs.Fatal(false); len(fatal) > 0 {
		t.Fatalf("%s: %v", name, fatal)
	}
	p := l.Profile
	p.Spec.Prometheus.Scrape = scrape
	p.Spec.Ztunnel.DaemonSet = daemonSet
	if errs := profile.Validate(&p).Fatal(false); len(errs) > 0 {
		t.Fatalf("%s: %v", name, errs)
	}
	c, err := config.New(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestL4SLIReadsZtunnelOnly: every selector of istio_tcp_* in the rules
// of an ambient or mixed profile matches ztunnel's series as the scrape
// setup stores them and not a sidecar's reporter="destination" series of
// the same service (a pod of it that runs a sidecar reports its TCP
// connections too).
func TestL4SLIReadsZtunnelOnly(t *testing.T) {
	service := map[string]string{"__name__": "istio_tcp_connections_opened_total", "reporter": "destination",
		"destination_service_name": "ledger", "destination_service_namespace": "payments", "response_flags": "CONNECT"}
	with := func(extra ...string) labels.Labels {
		m := map[string]string{}
		for k, v := range service {
			m[k] = v
		}
		for i := 0; i < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return labels.FromMap(m)
	}
	for _, tc := range []struct {
		scrape           string
		ztunnel, sidecar labels.Labels
	}{
		{profile.ScrapeKubePrometheusStack,
			with("job", "ztunnel", "namespace", "istio-system", "pod", "ztunnel-4kq9x", "container", "istio-proxy", "endpoint", "ztunnel-stats", "node", "node-a"),
			with("job", "istio-proxies", "namespace", "payments", "pod", "ledger-7c9d8b6f4d-x2k8p", "container", "istio-proxy")},
		{profile.ScrapeIstioSample,
			with("job", "kubernetes-pods", "namespace", "istio-system", "pod", "ztunnel-4kq9x", "app", "ztunnel"),
			with("job", "kubernetes-pods", "namespace", "payments", "pod", "ledger-7c9d8b6f4d-x2k8p", "app", "ledger")},
	} {
		for _, name := range []string{"ambient", "mixed"} {
			c := ambientConfig(t, name, tc.scrape, "ztunnel")
			seen := 0
			for _, f := range Build(c) {
				for _, g := range f.Groups {
					for _, r := range g.Rules {
						expr, err := parser.NewParser(parser.Options{}).ParseExpr(r.Expr)
						if err != nil {
							t.Fatalf("%s: %v", r.Record+r.Alert, err)
						}
						parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
							vs, ok := n.(*parser.VectorSelector)
							if !ok || !strings.HasPrefix(vs.Name, "istio_tcp_connections_") {
								return nil
							}
							seen++
							matches := func(l labels.Labels) bool {
								for _, m := range vs.LabelMatchers {
									if m.Name == "__name__" {
										continue
									}
									if !m.Matches(l.Get(m.Name)) {
										return false
									}
								}
								return true
							}
							if !matches(tc.ztunnel) {
								t.Errorf("%s/%s %s: %s does not select ztunnel's series %s", name, tc.scrape, r.Record, vs, tc.ztunnel)
							}
							if matches(tc.sidecar) {
								t.Errorf("%s/%s %s: %s selects a sidecar's series %s", name, tc.scrape, r.Record, vs, tc.sidecar)
							}
							return nil
						})
					}
				}
			}
			if seen == 0 {
				t.Errorf("%s/%s: no rule reads istio_tcp_connections_*", name, tc.scrape)
			}
		}
	}
}

// TestSidecarSignalsLeaveOutTheProfilesZtunnel: the sidecar container
// selectors leave out the pods of spec.ztunnel.daemonSet, whatever it is
// called, and only those.
func TestSidecarSignalsLeaveOutTheProfilesZtunnel(t *testing.T) {
	c := ambientConfig(t, "ambient", profile.ScrapeKubePrometheusStack, "istio-ztunnel")
	sig := SignalsOf(c)
	for _, tc := range []struct {
		pod     string
		sidecar bool
	}{
		{"istio-ztunnel-4kq9x", false},
		{"ztunnel-4kq9x", true}, // the default name, not this mesh's ztunnel
		{"istio-ztunnel-checker-7c9d8b6f4d-x2k8p", true},
		{"checkout-7c9d8b6f4d-x2k8p", true},
	} {
		for what, ms := range map[string][]*labels.Matcher{"cAdvisor": sig.SidecarContainer, "kube-state-metrics": sig.SidecarKSM} {
			got := true
			for _, m := range ms {
				if m.Name == "pod" && !m.Matches(tc.pod) {
					got = false
				}
			}
			if got != tc.sidecar {
				t.Errorf("%s: pod %s selected as a sidecar: %v, want %v (%s)", what, tc.pod, got, tc.sidecar, ms)
			}
		}
	}
}
