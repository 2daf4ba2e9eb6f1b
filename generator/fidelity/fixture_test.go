//go:build unix

package fidelity

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/meshslo/meshslo/generator/generate"
	"github.com/meshslo/meshslo/generator/internal/testprofile"
	"github.com/meshslo/meshslo/generator/loader"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/render"
)

// duration is a Go duration string in the manifest ("30s").
type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	*d = duration(v)
	return err
}

func (d duration) D() time.Duration { return time.Duration(d) }

// manifest is what istio-fixture writes once it listens
// (tools/istiofixture/scenario.go, Manifest).
type manifest struct {
	Epoch    time.Time `json:"epoch"`
	Scenario struct {
		Proxies         int      `json:"proxies"`
		Agents          int      `json:"agents"`
		InjectFailStart duration `json:"injectFailStart"`
		InjectFailEnd   duration `json:"injectFailEnd"`
		Phases          []struct {
			Kind    string   `json:"kind"`
			Proxies int      `json:"proxies"`
			Agents  int      `json:"agents"`
			Start   duration `json:"start"`
			End     duration `json:"end"`
		} `json:"phases"`
	} `json:"scenario"`
	Istiod    string `json:"istiod"`
	Debug     string `json:"debug"`
	KSM       string `json:"ksm"`
	IstiodPod string `json:"istiodPod"`
	Pods      []struct {
		Namespace string   `json:"namespace"`
		Name      string   `json:"pod"`
		NodeID    string   `json:"nodeID"`
		Native    bool     `json:"native"`
		Agent     bool     `json:"agent"`
		Metrics   string   `json:"metrics"`
		Kind      string   `json:"kind"`
		Start     duration `json:"start"`
		End       duration `json:"end"`
	} `json:"pods"`
}

// startFixture runs istio-fixture's built-in scenario and returns its
// manifest once it listens.
func startFixture(t *testing.T, bin, dir string) *manifest {
	t.Helper()
	return startFixtureWith(t, bin, dir)
}

func startFixtureWith(t *testing.T, bin, dir string, args ...string) *manifest {
	t.Helper()
	path := filepath.Join(dir, "manifest.json")
	logDir := filepath.Join(dir, "fixture-logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, exited := startProcess(t, "istio-fixture", exec.Command(bin, append([]string{"-manifest", path, "-logdir", logDir}, args...)...))
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case err := <-exited:
			t.Fatalf("istio-fixture exited: %v\n%s", err, out.String())
		default:
		}
		if b, err := os.ReadFile(path); err == nil {
			var m manifest
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			return &m
		}
		if time.Now().After(deadline) {
			t.Fatalf("istio-fixture wrote no manifest in 90s:\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// hold replaces every for: of the profile, so that alerts fire within a
// fixture window (30s) at a 1s evaluation interval.
const hold = 5 * time.Second

// writeGeneratedRules builds the medium profile's rules through
// generate.New, with every hold cut to hold and a 1s evaluation interval
// (as generator/e2e does), and writes them as meshslo generate would.
func writeGeneratedRules(t *testing.T, dir string) *generate.Build {
	t.Helper()
	return writeProfileRules(t, dir, "medium")
}

// writeProfileRules is writeGeneratedRules for the built-in profile name.
func writeProfileRules(t *testing.T, dir, name string, edit ...func(*profile.Profile)) *generate.Build {
	t.Helper()
	loaded, errs := loader.Load(name)
	if fatal := errs.Fatal(false); len(fatal) > 0 {
		t.Fatalf("loading the %s profile: %v", name, fatal)
	}
	p := loaded.Profile
	for _, e := range edit {
		e(&p)
	}
	if n := testprofile.ShortenHolds(&p.Spec, profile.Duration(hold)); n == 0 {
		t.Fatal("found no for: durations to shorten in the profile")
	}
	if fatal := profile.Validate(&p).Fatal(false); len(fatal) > 0 {
		t.Fatalf("scenario profile is invalid: %v", fatal)
	}
	p.Spec.Prometheus.EvaluationInterval = profile.Duration(time.Second)
	b, err := generate.New(p, nil, generate.Options{NoTests: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range b.Rules {
		data, err := render.RuleFile(b.Config, f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name+".yaml"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return b
}
