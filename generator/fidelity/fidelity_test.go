//go:build unix

package fidelity

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/meshslo/meshslo/generator/internal/realtools"
	"github.com/meshslo/meshslo/generator/rules"
)

// signal is one candidate staleness signal, evaluated by the harness
// itself (not only through the generated rules) over a window short
// enough to see one fixture phase alone.
type signal struct {
	name string
	// perPod signals return one series per detected pod (namespace, pod);
	// the others one number for the mesh.
	perPod bool
	query  string
}

// window is the range of the harness's own signals: shorter than a
// fixture phase (30s), so each phase is measured apart from the others.
const window = "20s"

// nodePod maps istiod's per-proxy node label to namespace and pod. It is
// the proxy's ID, the third part of the Envoy node ID
// (sidecar~IP~pod.namespace~namespace.svc.cluster.local): pod.namespace
// (istio/istio pilot/pkg/model/context.go ParseServiceNodeWithMetadata;
// pkg/xds/monitoring.go IncrementXDSRejects labels it).
func nodePod(expr string) string {
	return `label_replace(label_replace(` + expr + `, "pod", "$1", "node", "([^.]*)[.].*"), "namespace", "$1", "node", "[^.]*[.](.*)")`
}

var signals = []signal{
	{name: "injected pods - sum(pilot_xds)", query: injectedPods + ` - (sum(pilot_xds{app="istiod"}) or vector(0))`},
	{name: "pilot_xds_{cds,lds,rds,eds}_reject{node} present", perPod: true,
		query: `group by (namespace, pod) (` + nodePod(nackGauges) + `)`},
	// istio/istio pkg/xds/monitoring.go calls Increment on these gauges,
	// which pkg/monitoring/base.go turns into Record(1): 1, however many NACKs.
	{name: "max(pilot_xds_{cds,lds}_reject)", query: `max({__name__=~"pilot_xds_(cds|lds)_reject", app="istiod"})`},
	{name: "increase(pilot_total_xds_rejects[" + window + "])", query: `sum(increase(pilot_total_xds_rejects{app="istiod"}[` + window + `])) or vector(0)`},
	{name: "increase(pilot_xds_expired_nonce[" + window + "])", query: `sum(increase(pilot_xds_expired_nonce{app="istiod"}[` + window + `])) or vector(0)`},
	{name: `agent: increase(istio_agent_istiod_connection_terminations{type="error"}) > 0`, perPod: true,
		query: `increase(istio_agent_istiod_connection_terminations{type="error"}[` + window + `]) > 0`},
	{name: "agent: increase(istio_agent_istiod_connection_failures) > 0", perPod: true,
		query: `increase(istio_agent_istiod_connection_failures[` + window + `]) > 0`},
	{name: "agent: increase(xds_proxy_responses) - increase(xds_proxy_requests) > 0", perPod: true,
		query: `(increase(istio_agent_xds_proxy_responses[` + window + `]) - on (namespace, pod) increase(istio_agent_xds_proxy_requests[` + window + `])) > 0`},
	// A candidate for the rule, built from the signals above with the
	// rules' 5m range: disconnected (a count), proxies whose first NACK
	// since istiod started came in the last 5m, and agents whose Envoy
	// took at least one response without a request back.
	{name: "candidate out-of-sync count (5m)", query: candidateCount},
	{name: "generated " + rules.ProxiesOutOfSyncCount, query: rules.ProxiesOutOfSyncCount},
	{name: "generated " + rules.ProxiesOutOfSyncRatio, query: rules.ProxiesOutOfSyncRatio},
}

const (
	injectedPods = `(count(kube_pod_container_info{container="istio-proxy"}) or vector(0))
		+ (count(kube_pod_init_container_info{container="istio-proxy"}) or vector(0))`
	nackGauges     = `{__name__=~"pilot_xds_(cds|lds|rds|eds)_reject", app="istiod"}`
	candidateCount = `clamp_min(` + injectedPods + ` - (sum(pilot_xds{app="istiod"}) or vector(0)), 0)
		+ (count(group by (node) (` + nackGauges + `) unless group by (node) (` + nackGauges + ` offset 5m)) or vector(0))
		+ (count((increase(istio_agent_xds_proxy_responses[5m]) - on (namespace, pod) increase(istio_agent_xds_proxy_requests[5m])) >= 1) or vector(0))`
)

// snapshot is what one poll saw.
type snapshot struct {
	at     time.Duration // since the fixture's epoch
	states map[string]string
	values []float64           // per signal: the number, or how many pods
	pods   [][]string          // per signal: detected pods (namespace/pod)
	firing map[string]struct{} // alertname/severity
}

func (s *snapshot) isFiring(alert, severity string) bool {
	_, ok := s.firing[alert+"/"+severity]
	return ok
}

func poll(ctx context.Context, srv *server, m *manifest, proxyIDs []string) (*snapshot, error) {
	s := &snapshot{at: time.Since(m.Epoch), firing: map[string]struct{}{}}
	first := time.Now()
	before, err := fetchSyncz(ctx, m.Debug)
	if err != nil {
		return nil, err
	}
	for _, sig := range signals {
		res, err := srv.Query(ctx, sig.query)
		if err != nil {
			return nil, err
		}
		var pods []string
		v := math.NaN()
		for _, r := range res {
			if sig.perPod {
				pods = append(pods, r.Metric["namespace"]+"/"+r.Metric["pod"])
			} else {
				v = r.Float()
			}
		}
		if sig.perPod {
			v = float64(len(pods))
		}
		s.values = append(s.values, v)
		s.pods = append(s.pods, pods)
	}
	res, err := srv.Query(ctx, `ALERTS{alertstate="firing"}`)
	if err != nil {
		return nil, err
	}
	for _, r := range res {
		s.firing[r.Metric["alertname"]+"/"+r.Metric["severity"]] = struct{}{}
	}
	time.Sleep(time.Until(first.Add(settle)))
	after, err := fetchSyncz(ctx, m.Debug)
	if err != nil {
		return nil, err
	}
	s.states = states(before, after, proxyIDs)
	return s, nil
}

// TestStalenessAgainstSyncz runs Istio's control plane (bin/istio-fixture)
// through its failure kinds under a real Prometheus with the generated
// rules, measures every candidate signal against /debug/syncz, and checks
// the generated alerts.
func TestStalenessAgainstSyncz(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (Istio's control plane and a real Prometheus); make test runs them")
	}
	fixtureBin, promBin := realtools.Fixture(t), realtools.Prometheus(t)
	dir := t.TempDir()
	ruleDir := filepath.Join(dir, "rules")
	px := writeGeneratedRules(t, ruleDir).Config.Profile.Spec.Proxies

	m := startFixture(t, fixtureBin, dir)
	targets := []scrapeTarget{istiodTarget(m.Istiod, m.IstiodPod), ksmTarget(m.KSM)}
	var proxyIDs []string
	podOf := map[string]string{}  // proxy ID -> namespace/pod
	kindOf := map[string]string{} // namespace/pod -> kind
	for _, p := range m.Pods {
		// istiod knows a proxy by pod.namespace, the third part of its
		// Envoy node ID; that is the proxy field of /debug/syncz.
		id := p.Name + "." + p.Namespace
		proxyIDs = append(proxyIDs, id)
		podOf[id] = p.Namespace + "/" + p.Name
		kindOf[p.Namespace+"/"+p.Name] = p.Kind
		if p.Agent {
			targets = append(targets, proxyTarget(p.Metrics, p.Namespace, p.Name))
		}
	}
	configFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configFile, writeConfig(ruleDir, targets), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startPrometheus(t, promBin, configFile, dir)

	end := time.Duration(0)
	for _, ph := range m.Scenario.Phases {
		end = max(end, ph.End.D())
	}
	ctx, cancel := context.WithTimeout(context.Background(), end+time.Minute)
	defer cancel()
	var snaps []*snapshot
	for time.Since(m.Epoch) < end+3*time.Second {
		s, err := poll(ctx, srv, m, proxyIDs)
		if err != nil {
			t.Fatal(err)
		}
		snaps = append(snaps, s)
		time.Sleep(time.Second)
	}
	if errs, err := ruleErrors(ctx, srv); err != nil || len(errs) > 0 {
		t.Fatalf("rules fail on a real Prometheus: %v %s", err, strings.Join(errs, "\n  "))
	}

	// The table: each phase measured 22s into its 30s window, the
	// baseline (every proxy healthy) just before the first phase.
	first := end
	for _, ph := range m.Scenario.Phases {
		first = min(first, ph.Start.D())
	}
	at := func(d time.Duration) *snapshot {
		best := snaps[0]
		for _, s := range snaps {
			if (s.at - d).Abs() < (best.at - d).Abs() {
				best = s
			}
		}
		return best
	}
	type row struct {
		kind  string
		snap  *snapshot
		pods  map[string]bool // the kind's pods
		agent map[string]bool
	}
	rows := []row{{kind: "healthy (baseline)", snap: at(first - 3*time.Second), pods: map[string]bool{}}}
	seen := map[string]bool{}
	for _, ph := range m.Scenario.Phases {
		key := fmt.Sprint(ph.Start, ph.End)
		if seen[key] {
			continue // two phases in one window (disconnect + unreachable) share a row
		}
		seen[key] = true
		r := row{snap: at(ph.Start.D() + 22*time.Second), pods: map[string]bool{}, agent: map[string]bool{}}
		var kinds []string
		for _, q := range m.Scenario.Phases {
			if q.Start == ph.Start && q.End == ph.End {
				kinds = append(kinds, q.Kind)
			}
		}
		r.kind = strings.Join(kinds, " + ")
		for _, p := range m.Pods {
			if p.Start == ph.Start && p.End == ph.End && p.Kind != "" {
				r.pods[p.Namespace+"/"+p.Name] = true
				if p.Agent {
					r.agent[p.Namespace+"/"+p.Name] = true
				}
			}
		}
		rows = append(rows, r)
	}

	total := len(m.Pods)
	var tb strings.Builder
	fmt.Fprintf(&tb, "Measured on Istio's control plane (istio.io/istio 1.31 pseudo-version, tools/istiofixture): %d raw ADS proxies + %d real istio-agents (%d injected pods), "+
		"config churn every 3s, 1s scrape and evaluation; each phase read 22s into its 30s window; harness signals over [%s].\n"+
		"Truth: istiod's /debug/syncz classified as istioctl proxy-status (ERROR / STALE / NOT SENT / SYNCED; absent while the pod exists = DISCONNECTED), "+
		"read twice 1.5s apart: STALE only for a type behind at both reads with no ACK in between.\n"+
		"Per-pod cells: kind's pods detected / kind's pods (+ other pods flagged). Mesh cells: the value.\n\n",
		m.Scenario.Proxies, m.Scenario.Agents, total, window)
	tb.WriteString("| failure kind | kind's pods (agents) | syncz: kind's pods out of sync | syncz: out of sync, all pods |")
	for _, s := range signals {
		tb.WriteString(" " + s.name + " |")
	}
	tb.WriteString("\n|---|---|---|---|" + strings.Repeat("---|", len(signals)) + "\n")
	for _, r := range rows {
		truthKind, truthAll := 0, 0
		states := map[string]int{}
		for id, st := range r.snap.states {
			if outOfSync(st) {
				truthAll++
				if r.pods[podOf[id]] {
					truthKind++
				}
			}
			if r.pods[podOf[id]] {
				states[st]++
			}
		}
		fmt.Fprintf(&tb, "| %s (t=%s) | %d (%d) | %d/%d %s | %d/%d = %.1f%% |", r.kind, r.snap.at.Round(time.Second), len(r.pods), len(r.agent),
			truthKind, len(r.pods), stateList(states), truthAll, total, 100*float64(truthAll)/float64(total))
		for i, s := range signals {
			if !s.perPod {
				fmt.Fprintf(&tb, " %s |", formatValue(r.snap.values[i]))
				continue
			}
			hit, other := 0, 0
			for _, p := range r.snap.pods[i] {
				if r.pods[p] {
					hit++
				} else {
					other++
				}
			}
			fmt.Fprintf(&tb, " %d/%d (+%d) |", hit, len(r.pods), other)
		}
		tb.WriteString("\n")
	}
	t.Logf("detection table:\n%s", tb.String())
	t.Run("fixture does what its scenario says", func(t *testing.T) {
		want := map[string]string{"nack": stateError, "lag": stateStale, "silent": stateStale, "disconnect": stateDisconnected, "unreachable": stateDisconnected}
		for _, r := range rows {
			for id, st := range r.snap.states {
				p := podOf[id]
				switch {
				case r.pods[p] && st != want[kindOf[p]]:
					t.Errorf("%s at t=%s: %s (%s) is %s in syncz, want %s", r.kind, r.snap.at.Round(time.Second), p, kindOf[p], st, want[kindOf[p]])
				case !r.pods[p] && st == stateStale:
					// A healthy agent that has not yet ACKed the
					// push the fault caused: the fixture lags under
					// load as a real mesh does, and the rules hold
					// their alerts through such moments (for:).
					t.Logf("%s at t=%s: %s is momentarily %s in syncz", r.kind, r.snap.at.Round(time.Second), p, st)
				case !r.pods[p] && outOfSync(st):
					t.Errorf("%s at t=%s: %s is %s in syncz, want in sync", r.kind, r.snap.at.Round(time.Second), p, st)
				}
			}
		}
	})
	if path := os.Getenv("FIDELITY_TABLE"); path != "" {
		if err := os.WriteFile(path, []byte(tb.String()), 0o644); err != nil {
			t.Error(err)
		}
	}

	phase := func(kind string) (time.Duration, time.Duration, bool) {
		for _, ph := range m.Scenario.Phases {
			if ph.Kind == kind {
				return ph.Start.D(), ph.End.D(), true
			}
		}
		return 0, 0, false
	}
	firingIn := func(alert, severity string, from, to time.Duration) bool {
		for _, s := range snaps {
			if s.at >= from && s.at <= to && s.isFiring(alert, severity) {
				return true
			}
		}
		return false
	}

	t.Run("IstioProxiesStale", func(t *testing.T) {
		// Quiet while every proxy is healthy.
		for _, s := range snaps {
			for _, sev := range []string{"critical", "warning"} {
				if s.at >= 25*time.Second && s.at < first && s.isFiring(rules.AlertIstioProxiesStale, sev) {
					t.Errorf("t=%s: IstioProxiesStale %s fires with every proxy healthy", s.at.Round(time.Second), sev)
				}
			}
		}
		// Pages (and tickets) for the kinds metrics can see, where syncz has
		// more of the proxies out of sync than the profile's thresholds.
		// NACKing proxies are counted through their Envoy's CDS/LDS
		// reject counters, which the fixture's raw ADS clients do not
		// export (istiod's own pilot_xds_*_reject gauges cannot be used:
		// this fixture shows they are never reset); the generated
		// promtool tests cover that signal. Disconnected proxies are
		// seen from istiod's side, as on a real mesh.
		for _, kind := range []string{"disconnect"} {
			from, to, ok := phase(kind)
			if !ok {
				t.Fatalf("the scenario has no %s phase", kind)
			}
			s := at(from + 22*time.Second)
			n := 0
			for _, st := range s.states {
				if outOfSync(st) {
					n++
				}
			}
			if share := float64(n) / float64(total); share <= px.StaleRatio {
				t.Fatalf("%s: syncz has %d of %d proxies out of sync (%.1f%%), not above the page's %v: the scenario does not test it", kind, n, total, 100*share, px.StaleRatio)
			}
			if !firingIn(rules.AlertIstioProxiesStale, "critical", from+10*time.Second, to+2*time.Second) {
				t.Errorf("%s: syncz has %d of %d proxies out of sync (%.1f%%), IstioProxiesStale critical did not fire", kind, n, total, 100*float64(n)/float64(total))
			}
			if n > px.StaleCount && !firingIn(rules.AlertIstioProxiesStale, "warning", from+10*time.Second, to+2*time.Second) {
				t.Errorf("%s: syncz has %d proxies out of sync (more than %d), IstioProxiesStale warning did not fire", kind, n, px.StaleCount)
			}
		}
	})
	t.Run("IstioXDSRejects", func(t *testing.T) {
		from, to, _ := phase("nack")
		if !firingIn("IstioXDSRejects", "warning", from+5*time.Second, to+2*time.Second) {
			t.Error("proxies NACK LDS and CDS pushes, IstioXDSRejects did not fire")
		}
		for _, s := range snaps {
			if s.at >= 25*time.Second && s.at < from && s.isFiring("IstioXDSRejects", "warning") {
				t.Errorf("t=%s: IstioXDSRejects fires before any proxy NACKed", s.at.Round(time.Second))
			}
		}
	})
	t.Run("IstioSidecarInjectionFailures", func(t *testing.T) {
		from, to := m.Scenario.InjectFailStart.D(), m.Scenario.InjectFailEnd.D()
		if !firingIn("IstioSidecarInjectionFailures", "warning", from+5*time.Second, to+2*time.Second) {
			t.Error("the injection webhook fails, IstioSidecarInjectionFailures did not fire")
		}
		for _, s := range snaps {
			if s.at >= 10*time.Second && s.at < from && s.isFiring("IstioSidecarInjectionFailures", "warning") {
				t.Errorf("t=%s: IstioSidecarInjectionFailures fires before any injection failed", s.at.Round(time.Second))
			}
		}
	})
	t.Run("citadel in the self-signed CA mode", func(t *testing.T) {
		for q, want := range map[string]bool{
			`citadel_server_csr_count{app="istiod"} > 0`:                    true,
			`citadel_server_success_cert_issuance_count{app="istiod"} > 0`:  true,
			`sum(citadel_server_csr_sign_err_count{app="istiod"}) > 0`:      true,
			`citadel_server_authentication_failure_count{app="istiod"} > 0`: true,
			`citadel_server_root_cert_expiry_seconds{app="istiod"} > 0`:     true,
			// istiod's self-signed CA has a root and no chain
			// (istio/istio security/pkg/pki/ca/ca.go).
			`citadel_server_cert_chain_expiry_seconds{app="istiod"}`: false,
		} {
			res, err := srv.Query(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(res) > 0; got != want {
				t.Errorf("%s: present=%v, want %v", q, got, want)
			}
		}
	})
}

func stateList(states map[string]int) string {
	if len(states) == 0 {
		return ""
	}
	var parts []string
	for st, n := range states {
		parts = append(parts, fmt.Sprintf("%s %d", st, n))
	}
	sort.Strings(parts)
	return "(" + strings.Join(parts, ", ") + ")"
}

func formatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "absent"
	case v == math.Trunc(v):
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) < 1:
		return fmt.Sprintf("%.3f", v)
	}
	return fmt.Sprintf("%.1f", v)
}
