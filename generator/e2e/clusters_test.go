//go:build unix

package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/internal/realtools"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
)

// externalCluster is the value each cluster's Prometheus adds as the
// cluster label on the way out (global.external_labels).
const externalCluster = "b"

// sentAlerts collects what Prometheus posts to an Alertmanager
// (/api/v2/alerts): the active alerts, with the external labels added.
type sentAlerts struct {
	mu     sync.Mutex
	labels map[string]map[string]string
}

func (s *sentAlerts) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var posted []struct {
		Labels map[string]string `json:"labels"`
		EndsAt time.Time         `json:"endsAt"`
	}
	if err := json.NewDecoder(r.Body).Decode(&posted); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range posted {
		// A resolved alert is sent once more, ending in the past (the
		// alerts of the first evaluations, before the first scrapes).
		if a.EndsAt.After(time.Now()) {
			s.labels[labelKey(a.Labels)] = a.Labels
		} else {
			delete(s.labels, labelKey(a.Labels))
		}
	}
	w.WriteHeader(http.StatusOK)
}

func (s *sentAlerts) keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.labels))
	for k := range s.labels {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestExternalClusterLabelFiresLocally is issue 15's external case on a
// real Prometheus: the medium scenario profile as one cluster of a
// multi-primary fleet whose cluster label is an external label. The
// series the server scrapes have no cluster label, the rules select
// nothing on it, and the faults still raise exactly the single-cluster
// alerts on the server; what it sends to Alertmanager carries cluster="b".
func TestExternalClusterLabelFiresLocally(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (a real Prometheus server); make test runs them")
	}
	bin := realtools.Prometheus(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	single := scenarioConfig(t)
	p := single.Profile
	p.Spec.Mesh.Cluster = ""
	p.Spec.Mesh.Clusters = profile.Clusters{Topology: profile.TopologyMultiPrimary, LabelSource: profile.LabelSourceExternal,
		Names: []string{"a", externalCluster}}
	c, err := config.New(p)
	if err != nil {
		t.Fatal(err)
	}
	// The external case generates the single-cluster expressions: nothing
	// to select on, nothing to keep (beside the remote-cluster file, which
	// only a fleet has).
	if a, b := exprs(rules.Build(single)), exprs(rules.Build(c), "remote-clusters"); !reflect.DeepEqual(a, b) {
		t.Fatalf("external cluster labels changed the rule expressions")
	}

	dir := t.TempDir()
	ruleDir := filepath.Join(dir, "rules")
	files := writeRules(t, c, ruleDir)
	m, istiods, sidecars := serveFaultyMesh(t, c)
	configFile := filepath.Join(dir, "prometheus.yml")
	writeConfig(t, configFile, ruleDir, m, istiods, sidecars)

	sent := &sentAlerts{labels: map[string]map[string]string{}}
	am := serve(t, sent)
	data, err := os.ReadFile(configFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(data), "global:\n", "global:\n  external_labels: {"+p.Spec.Mesh.ClusterLabel+": "+externalCluster+"}\n", 1) +
		"alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [\"" + am.Host + "\"]\n"
	if err := os.WriteFile(configFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startPrometheus(t, bin, configFile, dir)
	want := expectedAlerts(m)

	deadline := time.Now().Add(waitForAlerts)
	for stable := 0; stable < stablePolls; {
		problems, fatal := check(ctx, srv, files, want)
		if len(fatal) > 0 {
			t.Fatalf("rules fail on a real Prometheus:\n  %s", strings.Join(fatal, "\n  "))
		}
		if len(problems) == 0 {
			stable++
		} else {
			stable = 0
		}
		if time.Now().After(deadline) {
			up, _ := srv.Query(ctx, "up")
			t.Fatalf("after %s the local alerts differ:\n  %s\nup: %v", waitForAlerts, strings.Join(problems, "\n  "), up)
		}
		time.Sleep(pollEvery)
	}

	// What reaches Alertmanager: the same alerts, each with the cluster.
	var wantSent []string
	for _, w := range want {
		l := map[string]string{p.Spec.Mesh.ClusterLabel: externalCluster}
		for k, v := range w {
			l[k] = v
		}
		wantSent = append(wantSent, labelKey(l))
	}
	sort.Strings(wantSent)
	for {
		got := sent.keys()
		if reflect.DeepEqual(got, wantSent) {
			return
		}
		if time.Now().After(deadline.Add(30 * time.Second)) {
			t.Fatalf("alerts sent to Alertmanager:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(wantSent, "\n  "))
		}
		time.Sleep(pollEvery)
	}
}

func exprs(files []rules.File, except ...string) []string {
	var out []string
	for _, f := range files {
		if slices.Contains(except, f.Name) {
			continue
		}
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				out = append(out, r.Expr)
			}
		}
	}
	return out
}
