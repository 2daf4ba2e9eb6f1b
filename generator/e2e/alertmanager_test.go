//go:build unix

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/meshslo/meshslo/generator/internal/promserver"
	"github.com/meshslo/meshslo/generator/internal/realtools"
	"github.com/meshslo/meshslo/generator/render"
	"github.com/meshslo/meshslo/generator/rules"
)

// testGroupWait replaces every group_wait of the generated config, so the
// first notification of an incident comes in seconds; group_interval,
// repeat_interval, the grouping, routes and inhibit rules stay as generated.
const testGroupWait = "2s"

// notification is what Alertmanager's webhook integration posts
// (prometheus/alertmanager notify/webhook/webhook.go Message).
type notification struct {
	Receiver    string            `json:"receiver"`
	Status      string            `json:"status"`
	GroupKey    string            `json:"groupKey"`
	GroupLabels map[string]string `json:"groupLabels"`
	Alerts      []struct {
		Status string            `json:"status"`
		Labels map[string]string `json:"labels"`
	} `json:"alerts"`
}

type inbox struct {
	mu  sync.Mutex
	got []notification
}

func (b *inbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var n notification
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &n); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	b.mu.Lock()
	b.got = append(b.got, n)
	b.mu.Unlock()
}

func (b *inbox) all() []notification {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.got)
}

// testAlertmanagerConfig is the generated alertmanager.yaml with each
// name-only receiver given a webhook to the test's inbox and every
// group_wait shortened.
func testAlertmanagerConfig(t *testing.T, generated []byte, hook *url.URL) []byte {
	t.Helper()
	var cfg map[string]any
	if err := yaml.Unmarshal(generated, &cfg); err != nil {
		t.Fatal(err)
	}
	var shorten func(r map[string]any)
	shorten = func(r map[string]any) {
		if _, ok := r["group_wait"]; ok {
			r["group_wait"] = testGroupWait
		}
		if children, ok := r["routes"].([]any); ok {
			for _, c := range children {
				shorten(c.(map[string]any))
			}
		}
	}
	shorten(cfg["route"].(map[string]any))
	for _, r := range cfg["receivers"].([]any) {
		rm := r.(map[string]any)
		if len(rm) != 1 {
			t.Fatalf("generated receiver %v is not name-only", rm)
		}
		rm["webhook_configs"] = []any{map[string]any{"url": hook.String() + "/" + rm["name"].(string), "send_resolved": false}}
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// startAlertmanager runs the real Alertmanager on loopback, without
// clustering, and returns its base URL once it is ready.
func startAlertmanager(t *testing.T, bin, configFile, dir string) string {
	t.Helper()
	port := promserver.FreePort(t)
	cmd := exec.Command(bin,
		"--config.file="+configFile,
		"--storage.path="+filepath.Join(dir, "am-data"),
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(port),
		"--cluster.listen-address=",
		"--log.level=warn",
	)
	log, exited := promserver.StartProcess(t, "alertmanager", cmd)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	promserver.WaitReady(t, "alertmanager", base, log, exited)
	return base
}

// amAlert is an alert as Alertmanager's API v2 lists it.
type amAlert struct {
	Labels map[string]string `json:"labels"`
	Status struct {
		State       string   `json:"state"`
		InhibitedBy []string `json:"inhibitedBy"`
	} `json:"status"`
}

func amAlerts(ctx context.Context, base string) ([]amAlert, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v2/alerts", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out []amAlert
	return out, json.NewDecoder(resp.Body).Decode(&out)
}

// The alerts a real Prometheus fires for the scenario's faults go to the
// real Alertmanager (v0.35.0) running the generated configuration. The
// service at 5% errors fires all four burn tiers of its availability SLO
// and 6% of proxies out of sync fire IstioProxiesStale as page and ticket:
// each incident reaches its receiver in one notification, the page is
// delivered, and the slower tiers and the stale-proxies ticket arrive at
// Alertmanager but are inhibited and never delivered.
func TestAlertmanagerDeliversOneNotificationPerIncident(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (real Prometheus and Alertmanager servers); make test runs them")
	}
	promBin := realtools.Prometheus(t)
	amBin := realtools.Alertmanager(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	c := scenarioConfig(t)
	dir := t.TempDir()
	ruleDir := filepath.Join(dir, "rules")
	files := writeRules(t, c, ruleDir)

	box := &inbox{}
	hook := serve(t, box)
	generated, err := render.AlertmanagerYAML(c, files)
	if err != nil {
		t.Fatal(err)
	}
	amFile := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(amFile, testAlertmanagerConfig(t, generated, hook), 0o644); err != nil {
		t.Fatal(err)
	}
	amBase := startAlertmanager(t, amBin, amFile, dir)

	m, istiods, sidecars := serveFaultyMesh(t, c)
	// Prometheus applies its first scrape targets a few seconds after it
	// starts (discovery updates come every 5s), so with the test's 3s
	// holds IstiodDown fires once before istiod is first scraped. It
	// sends to Alertmanager only once the mesh is scraped and that start-up
	// alert has cleared: a config reload (SIGHUP) adds the Alertmanager.
	promFile := filepath.Join(dir, "prometheus.yml")
	writeConfig(t, promFile, ruleDir, m, istiods, sidecars)
	prom, reload := startReloadablePrometheus(t, promBin, promFile, dir)
	deadline := time.Now().Add(waitForAlerts)
	for {
		up, err1 := prom.Query(ctx, `count(up{app="istiod"} == 1)`)
		down, err2 := prom.Query(ctx, `ALERTS{alertname="`+rules.AlertIstiodDown+`"}`)
		if err1 == nil && err2 == nil && len(up) == 1 && int(up[0].Float()) == len(m.istiods) && len(down) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("istiod not scraped, or IstiodDown still active, after %s", waitForAlerts)
		}
		time.Sleep(pollEvery)
	}
	f, err := os.OpenFile(promFile, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [%q]\n", strings.TrimPrefix(amBase, "http://"))
	f.Close()
	reload()

	// What must be delivered, by receiver and alert (one notification
	// each), and what must arrive inhibited.
	svc := map[string]string{"slo": "availability", "destination_service_namespace": faultyNamespace, "destination_service_name": faultyService}
	burn := func(window, severity string) map[string]string {
		l := map[string]string{"alertname": rules.AlertIstioSLOErrorBudgetBurn, "burn_window": window, "severity": severity}
		for k, v := range svc {
			l[k] = v
		}
		return l
	}
	delivered := []struct {
		receiver string
		alert    map[string]string
	}{
		{"mesh-pages", burn("1h", "critical")},
		{"mesh-pages", map[string]string{"alertname": rules.AlertIstioProxiesStale, "severity": "critical"}},
		{"mesh-tickets", map[string]string{"alertname": rules.AlertIstioSLOErrorBudgetExhausted, "severity": "warning", "slo": "availability", "destination_service_name": faultyService}},
		{"mesh-tickets", map[string]string{"alertname": rules.AlertIstiodHeapNearLimit, "severity": "warning"}},
		{"mesh-tickets", map[string]string{"alertname": rules.AlertIstioSidecarMemoryHigh, "severity": "warning"}},
	}
	inhibited := []map[string]string{
		burn("6h", "critical"), burn("1d", "warning"), burn("3d", "warning"),
		{"alertname": rules.AlertIstioProxiesStale, "severity": "warning"},
	}
	matches := func(l, want map[string]string) bool {
		for k, v := range want {
			if l[k] != v {
				return false
			}
		}
		return true
	}

	// Wait for every expected notification and for Alertmanager to hold
	// every inhibited alert as suppressed.
	deadline = time.Now().Add(waitForAlerts)
	for {
		var missing []string
		got := box.all()
		for _, d := range delivered {
			found := false
			for _, n := range got {
				for _, a := range n.Alerts {
					found = found || n.Receiver == d.receiver && matches(a.Labels, d.alert)
				}
			}
			if !found {
				missing = append(missing, fmt.Sprintf("notification to %s of %s", d.receiver, labelKey(d.alert)))
			}
		}
		held, err := amAlerts(ctx, amBase)
		if err != nil {
			missing = append(missing, err.Error())
		}
		for _, want := range inhibited {
			ok := false
			for _, a := range held {
				ok = ok || matches(a.Labels, want) && a.Status.State == "suppressed" && len(a.Status.InhibitedBy) > 0
			}
			if !ok {
				missing = append(missing, "inhibited alert "+labelKey(want))
			}
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s:\n  %s\nnotifications: %+v", waitForAlerts, strings.Join(missing, "\n  "), got)
		}
		time.Sleep(pollEvery)
	}
	// Give Alertmanager time to send anything it should not: a second
	// flush of the groups would come only after group_interval (5m+).
	time.Sleep(4 * time.Second)

	perGroup := map[string]int{}
	for _, n := range box.all() {
		perGroup[n.Receiver+" "+n.GroupKey]++
		if n.Status != "firing" {
			t.Errorf("notification to %s with status %s", n.Receiver, n.Status)
		}
		for _, a := range n.Alerts {
			for _, want := range inhibited {
				if matches(a.Labels, want) {
					t.Errorf("inhibited alert %s was delivered to %s", labelKey(a.Labels), n.Receiver)
				}
			}
			if a.Labels["alertname"] == rules.AlertIstioSLOErrorBudgetBurn && n.Receiver != "mesh-pages" {
				t.Errorf("burn alert %s delivered to %s", labelKey(a.Labels), n.Receiver)
			}
		}
		t.Logf("%s got %d alert(s): %v", n.Receiver, len(n.Alerts), n.GroupLabels)
	}
	if len(perGroup) != len(delivered) {
		t.Errorf("%d notifications, want %d (one per incident): %v", len(perGroup), len(delivered), perGroup)
	}
	for g, count := range perGroup {
		if count != 1 {
			t.Errorf("%s was notified %d times, want once", g, count)
		}
	}
	// One notification per incident and receiver: the burn page carries
	// only the fastest tier.
	for _, n := range box.all() {
		if n.GroupLabels["alertname"] == rules.AlertIstioSLOErrorBudgetBurn && len(n.Alerts) != 1 {
			t.Errorf("the burn page carries %d alerts, want the 1h tier alone: %+v", len(n.Alerts), n.Alerts)
		}
	}
}

// startReloadablePrometheus runs the Prometheus server as promserver.Start
// does, and returns a function that makes it reload its config file.
func startReloadablePrometheus(t *testing.T, bin, configFile, dir string) (*server, func()) {
	t.Helper()
	port := promserver.FreePort(t)
	cmd := exec.Command(bin,
		"--config.file="+configFile,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(port),
		"--log.level=warn",
	)
	log, exited := promserver.StartProcess(t, "prometheus", cmd)
	s := &server{Base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	reload := func() {
		if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatalf("reloading prometheus: %v", err)
		}
	}
	promserver.WaitReady(t, "prometheus", s.Base, log, exited)
	return s, reload
}
