//go:build unix

package e2e

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/internal/realtools"
	"github.com/meshslo/meshslo/generator/internal/testprofile"
	"github.com/meshslo/meshslo/generator/loader"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/render"
	"github.com/meshslo/meshslo/generator/rules"
)

// The scenario: the medium profile's rules, evaluated every second by a
// real Prometheus v3 that scrapes a synthetic mesh every second.
const (
	evalInterval = time.Second
	// hold replaces every for: of the profile, so alerts fire in seconds.
	hold = 3 * time.Second
	// The faults, from the task: an istiod heap at 85% of its limit, 6% of
	// the 200 proxies disconnected from istiod, one sidecar at 900Mi and a
	// service answering 5% of its requests with 503.
	heapShare          = 0.85
	disconnectedShare  = 0.06
	sidecarMemory      = 900 << 20
	serviceErrorRatio  = 0.05
	faultyService      = "payment"
	faultyNamespace    = "shop"
	heavySidecarOf     = "checkout"
	waitForAlerts      = 90 * time.Second
	stablePolls        = 3
	istiodWithFault    = 0
	pollEvery          = time.Second
	approxRelTolerance = 1e-6
)

// scenarioConfig is the built-in medium profile, validated, then given a
// 1s evaluation interval and every alert hold (any Duration field named For or ending in
// For, wherever it is) cut to hold.
func scenarioConfig(t *testing.T) *config.Config {
	t.Helper()
	loaded, errs := loader.Load("medium")
	if fatal := errs.Fatal(false); len(fatal) > 0 {
		t.Fatalf("loading the medium profile: %v", fatal)
	}
	p := loaded.Profile
	if n := testprofile.ShortenHolds(&p.Spec, profile.Duration(hold)); n == 0 {
		t.Fatal("found no for: durations to shorten in the profile")
	}
	if fatal := profile.Validate(&p).Fatal(false); len(fatal) > 0 {
		t.Fatalf("scenario profile is invalid: %v", fatal)
	}
	// Validation keeps a profile's interval at 5s or more; the test runs a
	// real Prometheus faster than any user would, to keep its run short.
	p.Spec.Prometheus.EvaluationInterval = profile.Duration(evalInterval)
	c, err := config.New(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// writeRules writes the generated rule files as `meshslo generate` does.
func writeRules(t *testing.T, c *config.Config, dir string) []rules.File {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := rules.Build(c)
	for _, f := range files {
		data, err := render.RuleFile(c, f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name+".yaml"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// injectFaults sets the scenario's faults on the mesh, after checking that
// each one sits where the scenario means it to against the profile.
func injectFaults(t *testing.T, c *config.Config, m *mesh) {
	t.Helper()
	sp := c.Profile.Spec
	if !(heapShare >= sp.Istiod.HeapWarningRatio && heapShare < sp.Istiod.HeapCriticalRatio) {
		t.Fatalf("heap share %v is not between the warning (%v) and critical (%v) ratios", heapShare, sp.Istiod.HeapWarningRatio, sp.Istiod.HeapCriticalRatio)
	}
	i := m.istiods[istiodWithFault]
	if i.limit == 0 {
		t.Fatal("the faulty istiod should have a cgroup limit, so the live limit is what the rule reads")
	}
	i.heap = math.Round(heapShare * i.limit)

	n := int(math.Round(disconnectedShare * float64(len(m.proxies))))
	if float64(n)/float64(len(m.proxies)) <= sp.Proxies.StaleRatio || n <= sp.Proxies.StaleCount {
		t.Fatalf("%d of %d proxies disconnected is not above both the stale ratio %v and count %d", n, len(m.proxies), sp.Proxies.StaleRatio, sp.Proxies.StaleCount)
	}
	step := len(m.proxies) / n
	for k := range n {
		m.proxies[k*step+step/2].connected = false
	}

	// The sidecars' limit is 1Gi (kube-state-metrics): 900Mi is past the
	// warning ratio and short of the critical one.
	mem := float64(sidecarMemory)
	if r := mem / (1 << 30); !(r >= sp.Proxies.MemoryWarningRatio && r < sp.Proxies.MemoryCriticalRatio) {
		t.Fatalf("sidecar memory %v is not between the warning and critical ratios of its 1Gi limit", mem)
	}
	m.service(heavySidecarOf).pods[3].memoryBytes = mem

	s := m.service(faultyService)
	if s.namespace != faultyNamespace {
		t.Fatalf("service %s is in %s, not %s", s.name, s.namespace, faultyNamespace)
	}
	s.errorRatio = serviceErrorRatio
}

// expectedAlerts are the alerts the faults must raise, with their whole
// label sets, and nothing else.
func expectedAlerts(m *mesh) []map[string]string {
	want := []map[string]string{
		{"alertname": "IstiodHeapNearLimit", "severity": "warning", "namespace": "istio-system", "pod": m.istiods[istiodWithFault].pod, "limit_source": "kube-state-metrics"},
		// 12 of 200 is above 5% (page) and above 10 proxies (ticket): at 200
		// proxies any share above 5% is also above the count.
		{"alertname": "IstioProxiesStale", "severity": "critical"},
		{"alertname": "IstioProxiesStale", "severity": "warning"},
		{"alertname": "IstioSidecarMemoryHigh", "severity": "warning", "namespace": "shop", "pod": m.service(heavySidecarOf).pods[3].pod, "limit_source": "kube-state-metrics"},
		// 5% errors is 50 times the 0.1% budget. Every window holds only the
		// seconds since the server started, so each burn tier (14.4, 6, 3, 1)
		// sees 5%, and so does the 30d ratio: the budget is spent.
		{"alertname": "IstioSLOErrorBudgetExhausted", "severity": "warning", "slo": "availability", "destination_service_namespace": faultyNamespace, "destination_service_name": faultyService},
	}
	for _, tier := range []struct{ window, severity string }{{"1h", "critical"}, {"6h", "critical"}, {"1d", "warning"}, {"3d", "warning"}} {
		want = append(want, map[string]string{
			"alertname": "IstioSLOErrorBudgetBurn", "severity": tier.severity, "burn_window": tier.window, "slo": "availability",
			"destination_service_namespace": faultyNamespace, "destination_service_name": faultyService,
		})
	}
	return want
}

func labelKey(labels map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(labels) {
		parts = append(parts, k+"="+labels[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// serve starts a test HTTP server on loopback, closed when the test ends.
func serve(t *testing.T, h http.Handler) *url.URL {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func writeConfig(t *testing.T, path, ruleDir string, m *mesh, istiods []*url.URL, sidecars *url.URL) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  scrape_timeout: %s\n  evaluation_interval: %s\n", evalInterval, evalInterval, evalInterval)
	fmt.Fprintf(&b, "rule_files:\n  - %q\n", filepath.Join(ruleDir, "*.yaml"))
	b.WriteString("scrape_configs:\n")
	// One target per istiod pod, labelled as Kubernetes service discovery
	// labels it: this is what makes up{app="istiod"} exist.
	b.WriteString("  - job_name: istiod\n    static_configs:\n")
	for k, u := range istiods {
		fmt.Fprintf(&b, "      - targets: [%q]\n        labels: {app: istiod, istio: pilot, namespace: istio-system, pod: %q}\n", u.Host, m.istiods[k].pod)
	}
	// Sidecars and cAdvisor: one target each stands in for every pod and
	// node, so the exposed namespace and pod labels are kept.
	for _, job := range []struct{ name, path string }{{"envoy-stats", "/stats/prometheus"}, {"kubelet", "/metrics/cadvisor"}, {"kube-state-metrics", "/ksm"}} {
		fmt.Fprintf(&b, "  - job_name: %s\n    honor_labels: true\n    metrics_path: %s\n    static_configs:\n      - targets: [%q]\n", job.name, job.path, sidecars.Host)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRealPrometheus loads the generated rules into a real Prometheus
// server scraping a synthetic mesh with known faults, and checks through
// the HTTP API that every rule evaluates without error, that the faults
// raise exactly the expected alerts, and that the recorded series hold the
// values the faults imply.
func TestRealPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (a real Prometheus server); make test runs them")
	}
	bin := realtools.Prometheus(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	c := scenarioConfig(t)
	dir := t.TempDir()
	ruleDir := filepath.Join(dir, "rules")
	files := writeRules(t, c, ruleDir)

	m, istiods, sidecars := serveFaultyMesh(t, c)
	configFile := filepath.Join(dir, "prometheus.yml")
	writeConfig(t, configFile, ruleDir, m, istiods, sidecars)

	srv := startPrometheus(t, bin, configFile, dir)
	want := expectedAlerts(m)

	// Poll until every rule has run and the alerts match, several polls in a
	// row; a rule error stops the test at once.
	deadline := time.Now().Add(waitForAlerts)
	var problems []string
	for stable := 0; stable < stablePolls; {
		var fatal []string
		problems, fatal = check(ctx, srv, files, want)
		if len(fatal) > 0 {
			t.Fatalf("rules fail on a real Prometheus:\n  %s", strings.Join(fatal, "\n  "))
		}
		if len(problems) == 0 {
			stable++
		} else {
			stable = 0
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s:\n  %s", waitForAlerts, strings.Join(problems, "\n  "))
		}
		time.Sleep(pollEvery)
	}

	checkRecorded(ctx, t, srv, c, m)
}

// check returns what differs from the expected state (not yet, perhaps) and
// what can never be right (rule evaluation errors).
func check(ctx context.Context, srv *server, files []rules.File, want []map[string]string) (problems, fatal []string) {
	var rg ruleGroups
	if err := srv.Get(ctx, "/api/v1/rules", nil, &rg); err != nil {
		return []string{err.Error()}, nil
	}
	wantRules := 0
	wantGroups := 0
	for _, f := range files {
		for _, g := range f.Groups {
			wantGroups++
			wantRules += len(g.Rules)
		}
	}
	gotRules := 0
	for _, g := range rg.Groups {
		for _, r := range g.Rules {
			gotRules++
			switch {
			case r.Health == "err" || r.LastError != "":
				fatal = append(fatal, fmt.Sprintf("group %s, %s rule %s: %s", g.Name, r.Type, r.Name, r.LastError))
			case r.Health != "ok" || r.LastEvaluation.IsZero():
				problems = append(problems, fmt.Sprintf("group %s, rule %s not evaluated yet (health %q)", g.Name, r.Name, r.Health))
			}
		}
	}
	if len(rg.Groups) != wantGroups || gotRules != wantRules {
		fatal = append(fatal, fmt.Sprintf("server loaded %d groups with %d rules; the generator wrote %d groups with %d rules", len(rg.Groups), gotRules, wantGroups, wantRules))
	}

	alerts, err := alerts(ctx, srv)
	if err != nil {
		return append(problems, err.Error()), fatal
	}
	got := map[string]string{}
	for _, a := range alerts {
		got[labelKey(a.Labels)] = a.State
	}
	for _, w := range want {
		k := labelKey(w)
		switch state, ok := got[k]; {
		case !ok:
			problems = append(problems, "missing alert "+k)
		case state != "firing":
			problems = append(problems, fmt.Sprintf("alert %s is %s, not firing yet", k, state))
		}
		delete(got, k)
	}
	for _, k := range sortedKeys(got) {
		problems = append(problems, fmt.Sprintf("unexpected %s alert %s", got[k], k))
	}
	return problems, fatal
}

// checkRecorded reads the public recorded series and compares them with
// the values the mesh and its faults imply.
func checkRecorded(ctx context.Context, t *testing.T, srv *server, c *config.Config, m *mesh) {
	t.Helper()
	disconnected := 0
	for _, p := range m.proxies {
		if !p.connected {
			disconnected++
		}
	}
	faulty := m.istiods[istiodWithFault]
	healthy := m.istiods[1-istiodWithFault]
	fiveMin := profile.Duration(5 * time.Minute)
	sloSel := func(slo, extra string) string {
		return rules.SLIErrorRatio(fiveMin) + `{slo="` + slo + `"` + extra + `}`
	}
	checks := []struct {
		query string
		want  map[string]float64 // label key of the result -> value
	}{
		{`count(up{app="istiod"} == 1)`, map[string]float64{"{}": float64(len(m.istiods))}},
		// Every proxy and every ztunnel holds an xDS stream, and both are counted.
		{rules.ProxiesCount, map[string]float64{"{__name__=" + rules.ProxiesCount + "}": float64(len(m.proxies) + len(m.ztunnels))}},
		{rules.ProxiesOutOfSyncRatio, map[string]float64{"{__name__=" + rules.ProxiesOutOfSyncRatio + "}": float64(disconnected) / float64(len(m.proxies)+len(m.ztunnels))}},
		// The faulty istiod against its live cgroup limit; the other has
		// none (0) and is measured against the profile's memoryLimit.
		{rules.IstiodHeapRatio, map[string]float64{
			labelKey(map[string]string{"__name__": rules.IstiodHeapRatio, "namespace": "istio-system", "pod": faulty.pod, "limit_source": "kube-state-metrics"}): faulty.heap / faulty.limit,
			labelKey(map[string]string{"__name__": rules.IstiodHeapRatio, "namespace": "istio-system", "pod": healthy.pod, "limit_source": "profile"}):           healthy.heap / float64(c.Profile.Spec.Istiod.MemoryLimit.Bytes()),
		}},
		// rate(x[5m]) over the few seconds of data there are divides by the
		// full 5m, so CPU use reads far too low this early; the two pods'
		// ratios still compare as limit against request, both from
		// kube-state-metrics.
		{`sum without (limit_source) (` + rules.IstiodCPURatio + `{pod="` + faulty.pod + `"}) / ignoring (pod) ` + rules.IstiodCPURequestRatio + `{pod="` + healthy.pod + `"}`, map[string]float64{
			labelKey(map[string]string{"namespace": "istio-system"}): (faulty.cpuCores / faulty.cpuQuotaCores) / (healthy.cpuCores / healthy.cpuRequestCores),
		}},
		{sloSel("availability", `, destination_service_name="`+faultyService+`"`), map[string]float64{
			labelKey(map[string]string{"__name__": rules.SLIErrorRatio(fiveMin), "slo": "availability", "destination_service_namespace": faultyNamespace, "destination_service_name": faultyService}): serviceErrorRatio,
		}},
		// Every service has an availability and a latency SLI; the latency
		// one (1% slower than 250ms everywhere) proves that the le="250" the
		// sidecars expose matches after Prometheus 3 stores it as "250.0".
		{`count(` + sloSel("availability", "") + `)`, map[string]float64{"{}": float64(len(m.services))}},
		{`count(` + sloSel("latency", "") + `)`, map[string]float64{"{}": float64(len(m.services))}},
		{`max(` + sloSel("latency", "") + `)`, map[string]float64{"{}": m.services[0].slowRatio}},
		{`min(` + sloSel("latency", "") + `)`, map[string]float64{"{}": m.services[0].slowRatio}},
	}
	// Why every burn tier fires: each window, from 5m to the 30d period,
	// holds only the seconds since the server started, all at 5% errors.
	for _, slo := range c.SLOs {
		if slo.Name != "availability" {
			continue
		}
		for _, w := range rules.Windows(slo) {
			name := rules.SLIErrorRatio(w)
			checks = append(checks, struct {
				query string
				want  map[string]float64
			}{name + `{slo="availability", destination_service_name="` + faultyService + `"}`, map[string]float64{
				labelKey(map[string]string{"__name__": name, "slo": "availability", "destination_service_namespace": faultyNamespace, "destination_service_name": faultyService}): serviceErrorRatio,
			}})
		}
	}
	for _, ch := range checks {
		res, err := srv.Query(ctx, ch.query)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		got := map[string]float64{}
		for _, s := range res {
			got[labelKey(s.Metric)] = s.Float()
		}
		for _, k := range sortedKeys(ch.want) {
			g, ok := got[k]
			w := ch.want[k]
			if !ok {
				t.Errorf("%s: no series %s; got %v", ch.query, k, got)
				continue
			}
			if math.Abs(g-w) > approxRelTolerance*math.Max(1, math.Abs(w)) {
				t.Errorf("%s: %s = %v, want %v", ch.query, k, g, w)
			}
			delete(got, k)
		}
		if len(got) > 0 {
			t.Errorf("%s: unexpected series %v", ch.query, sortedKeys(got))
		}
	}
}

// serveFaultyMesh builds the synthetic mesh with the scenario's faults and
// serves its exporters: one target per istiod, and one for the sidecars,
// cAdvisor and kube-state-metrics paths.
func serveFaultyMesh(t *testing.T, c *config.Config) (*mesh, []*url.URL, *url.URL) {
	t.Helper()
	m := newMesh(time.Now())
	injectFaults(t, c, m)
	var mu sync.Mutex
	var istiods []*url.URL
	for _, i := range m.istiods {
		istiods = append(istiods, serve(t, handler(&mu, func(e *exposition) { m.istiodMetrics(i, e) })))
	}
	mux := http.NewServeMux()
	mux.Handle("/stats/prometheus", handler(&mu, m.envoyMetrics))
	mux.Handle("/metrics/cadvisor", handler(&mu, m.cadvisorMetrics))
	mux.Handle("/ksm", handler(&mu, m.kubeStateMetrics))
	return m, istiods, serve(t, mux)
}
