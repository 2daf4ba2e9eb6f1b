//go:build unix

package fidelity

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/meshslo/meshslo/generator/internal/realtools"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
)

// revisionScenario is the scenario of one revision's istiod in the canary
// run: healthy proxies only (no failure phases, no agents, no injection
// failures), its own pod names, and heap ballast.
func revisionScenario(rev string, proxies int, ballast, extra int64, extraAt time.Duration) map[string]any {
	return map[string]any{
		"revision": rev, "proxies": proxies, "agents": 0, "phases": []any{},
		"injectFailStart": "0s", "injectFailEnd": "0s", "csrFailEvery": 0,
		"heapBallast": ballast, "heapBallastExtra": extra, "heapBallastExtraAt": extraAt.String(),
	}
}

// startRevision runs one istio-fixture for a revision and returns its
// manifest and process (the test kills the canary's).
func startRevision(t *testing.T, bin, dir, rev string, sc map[string]any) (*manifest, *exec.Cmd) {
	t.Helper()
	dir = filepath.Join(dir, rev)
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	scFile, path := filepath.Join(dir, "scenario.json"), filepath.Join(dir, "manifest.json")
	data, _ := json.Marshal(sc)
	if err := os.WriteFile(scFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-scenario", scFile, "-manifest", path, "-logdir", filepath.Join(dir, "logs"))
	out, exited := startProcess(t, "istio-fixture "+rev, cmd)
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case err := <-exited:
			t.Fatalf("istio-fixture %s exited: %v\n%s", rev, err, out.String())
		default:
		}
		if b, err := os.ReadFile(path); err == nil {
			var m manifest
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			return &m, cmd
		}
		if time.Now().After(deadline) {
			t.Fatalf("istio-fixture %s wrote no manifest in 90s:\n%s", rev, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestCanaryRevisionsOnTheFixture is issue 13's done-when on Istio's real
// control plane: two istio-fixtures as revisions 1-24 (stable) and 1-25
// (canary) of the medium-canary profile, each a discovery server with its
// own proxies, under a real Prometheus with the generated rules (holds cut
// to 5s). Equal revisions raise nothing; the canary holding 1.5x stable's
// heap per proxy raises IstioCanaryRegression; killing the canary pages
// IstiodDown for revision 1-25 and nothing else pages but what IstiodDown's
// generated inhibition mutes.
func TestCanaryRevisionsOnTheFixture(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (two Istio control planes and a real Prometheus); make test runs them")
	}
	fixtureBin, promBin := realtools.Fixture(t), realtools.Prometheus(t)
	dir := t.TempDir()
	ruleDir := filepath.Join(dir, "rules")
	// One istiod per revision: the profile's minimum of 2 would ticket
	// (IstiodReplicasBelowMinimum) and hold the canary unhealthy.
	b := writeProfileRules(t, ruleDir, "medium-canary", func(p *profile.Profile) { p.Spec.Istiod.MinReplicas = 1 })
	stable, canary, ok := b.Config.Profile.Spec.Istiod.CanaryPair()
	if !ok {
		t.Fatal("medium-canary tags no stable and canary revision")
	}
	factor := b.Config.Profile.Spec.Istiod.Canary.HeapPerProxyFactor

	// Both revisions serve the same number of proxies and hold the same
	// ballast, large against the discovery server's own heap, so heap per
	// proxy is equal up to the servers' own noise. From extraAt the canary
	// holds half as much again, plus a margin for that own heap: 1.5x.
	const proxies = 60
	const ballast = 384 << 20
	const extra = ballast/2 - 16<<20
	const extraAt = 75 * time.Second
	ms, _ := startRevision(t, fixtureBin, dir, stable, revisionScenario(stable, proxies, ballast, 0, 0))
	mc, canaryCmd := startRevision(t, fixtureBin, dir, canary, revisionScenario(canary, proxies, ballast, extra, extraAt))
	targets := []scrapeTarget{revisionTarget(ms.Istiod, ms.IstiodPod, stable), revisionTarget(mc.Istiod, mc.IstiodPod, canary),
		ksmTarget(ms.KSM)}
	configFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configFile, writeConfig(ruleDir, targets), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startPrometheus(t, promBin, configFile, dir)
	start := mc.Epoch
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	query := func(q string) []sample {
		res, err := srv.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	value := func(q string) string {
		res := query(q)
		if len(res) == 0 {
			return "absent"
		}
		return formatValue(res[0].Float())
	}
	firing := func() []string {
		var out []string
		for _, r := range query(`ALERTS{alertstate="firing"}`) {
			out = append(out, fmt.Sprintf("%s{severity=%q, revision=%q, signal=%q}", r.Metric["alertname"], r.Metric["severity"], r.Metric["revision"], r.Metric["signal"]))
		}
		sort.Strings(out)
		return out
	}
	heapRatio := fmt.Sprintf(`(sum(go_memstats_heap_alloc_bytes{istio_io_rev=%q}) / sum(pilot_xds{istio_io_rev=%q})) / (sum(go_memstats_heap_alloc_bytes{istio_io_rev=%q}) / sum(pilot_xds{istio_io_rev=%q}))`,
		canary, canary, stable, stable)
	recorded := fmt.Sprintf(`%s{revision=%q} / on () %s{revision=%q}`, rules.RevisionHeapPerProxy, canary, rules.RevisionHeapPerProxy, stable)
	until := func(d time.Duration) {
		time.Sleep(time.Until(start.Add(d)))
	}

	// Equal revisions: from the first full windows of both until the
	// canary's extra heap.
	until(25 * time.Second)
	healthySeen := false
	for time.Since(start) < extraAt-2*time.Second {
		fs := firing()
		for _, f := range fs {
			if strings.HasPrefix(f, rules.AlertIstioCanaryRegression) || strings.Contains(f, `severity="critical"`) {
				t.Errorf("t=%s, equal revisions: %s fires (heap per proxy %s, recorded %s)", time.Since(start).Round(time.Second), f, value(heapRatio), value(recorded))
			}
		}
		if value(rules.CanaryHealthy) == "1" {
			healthySeen = true
		}
		time.Sleep(2 * time.Second)
	}
	t.Logf("equal revisions at t=%s: heap per proxy canary/stable %s (recorded 5m average %s), proxies %s / %s, %s %s, firing %v",
		time.Since(start).Round(time.Second), value(heapRatio), value(recorded),
		value(fmt.Sprintf(`%s{revision=%q}`, rules.ProxiesConnected, stable)), value(fmt.Sprintf(`%s{revision=%q}`, rules.ProxiesConnected, canary)),
		rules.CanaryHealthy, value(rules.CanaryHealthy), firing())
	if !healthySeen {
		t.Errorf("equal revisions: %s never read 1", rules.CanaryHealthy)
	}

	// The canary at 1.5x: IstioCanaryRegression for heap per proxy.
	regression := fmt.Sprintf(`ALERTS{alertname=%q, alertstate="firing", revision=%q, signal=%q}`, rules.AlertIstioCanaryRegression, canary, rules.SignalHeapPerProxy)
	fired := false
	var ratios []float64 // heap per proxy, canary over stable, once the extra is held
	for time.Since(start) < extraAt+3*time.Minute {
		if r := query(heapRatio); len(r) > 0 && time.Since(start) > extraAt+5*time.Second {
			ratios = append(ratios, r[0].Float())
		}
		if len(query(regression)) > 0 {
			fired = true
			break
		}
		time.Sleep(2 * time.Second)
	}
	sort.Float64s(ratios)
	ratioAtFire := "none"
	if len(ratios) > 0 {
		ratioAtFire = fmt.Sprintf("median %.2f (%.2f to %.2f over %d samples)", ratios[len(ratios)/2], ratios[0], ratios[len(ratios)-1], len(ratios))
	}
	t.Logf("canary with extra heap: IstioCanaryRegression fired=%v at t=%s; heap per proxy canary/stable %s (recorded 5m average %s, threshold %sx), %s %s, firing %v",
		fired, time.Since(start).Round(time.Second), ratioAtFire, value(recorded), fmt.Sprint(factor), rules.CanaryHealthy, value(rules.CanaryHealthy), firing())
	if !fired {
		t.Fatalf("the canary holds %s x stable's heap per proxy: IstioCanaryRegression did not fire", ratioAtFire)
	}
	if len(ratios) == 0 || ratios[len(ratios)/2] < 1.35 || ratios[len(ratios)/2] > 1.7 {
		t.Errorf("the run is meant to hold the canary at 1.5x stable's heap per proxy, measured %s", ratioAtFire)
	}
	if v := value(rules.CanaryHealthy); v != "0" {
		t.Errorf("IstioCanaryRegression fires, %s reads %s, want 0", rules.CanaryHealthy, v)
	}
	for _, f := range firing() {
		if strings.Contains(f, `severity="critical"`) {
			t.Errorf("a heavier canary pages: %s", f)
		}
	}

	// Kill the canary: IstiodDown pages for its revision, and nothing else
	// pages that IstiodDown's inhibition does not mute.
	killed := time.Since(start)
	if err := canaryCmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	down := fmt.Sprintf(`ALERTS{alertname=%q, alertstate="firing", revision=%q}`, rules.AlertIstiodDown, canary)
	paged := false
	for time.Since(start) < killed+time.Minute {
		if len(query(down)) > 0 {
			paged = true
			break
		}
		time.Sleep(time.Second)
	}
	if !paged {
		t.Fatalf("canary %s killed at t=%s: IstiodDown{revision=%q} did not fire; firing %v", canary, killed.Round(time.Second), canary, firing())
	}
	silenced := rules.DescriptorOf(rules.AlertIstiodDown).Silences
	var muted []string
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(time.Second) {
		for _, r := range query(`ALERTS{alertstate="firing", severity="critical"}`) {
			name, rev := r.Metric["alertname"], r.Metric["revision"]
			switch {
			case name == rules.AlertIstiodDown && rev == canary:
			case slices.Contains(silenced, name):
				if !slices.Contains(muted, name) {
					muted = append(muted, name)
				}
			default:
				t.Errorf("canary killed: %s{revision=%q} pages too", name, rev)
			}
		}
	}
	t.Logf("canary killed at t=%s: IstiodDown{revision=%q} pages by t=%s; other pages, muted by IstiodDown's inhibition: %v; firing %v",
		killed.Round(time.Second), canary, time.Since(start).Round(time.Second), muted, firing())
	if errs, err := ruleErrors(ctx, srv); err != nil || len(errs) > 0 {
		t.Fatalf("rules fail on a real Prometheus: %v %s", err, strings.Join(errs, "\n  "))
	}
}
