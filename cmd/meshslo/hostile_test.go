package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hostileSpecs are profile fragments that once hung meshslo, ran it out of
// memory, executed profile text or were accepted silently though wrong,
// each with the field its error must name. They are set into two profiles
// (sizes small and large), each run is capped at 2 GiB of address space.
var hostileSpecs = []struct {
	name, spec, field string
}{
	{"stale-for-292y", "proxies: {staleFor: 106751d}", "spec.proxies.staleFor"},
	{"interval-1ms", "prometheus: {evaluationInterval: 1ms}", "spec.prometheus.evaluationInterval"},
	{"interval-1d", "prometheus: {evaluationInterval: 1d}", "spec.prometheus.evaluationInterval"},
	{"exhausted-for-1000d", "errorBudget: {exhaustedFor: 1000d}", "spec.errorBudget.exhaustedFor"},
	{"certificates-for-1000d", "certificates: {for: 1000d}", "spec.certificates.for"},
	{"heap-for-1000d", "istiod: {heapFor: 1000d}", "spec.istiod.heapFor"},
	{"runbook-template", `prometheus: {runbookBaseURL: 'https://x.example/{{ range query "up" }}{{ end }}'}`, "spec.prometheus.runbookBaseURL"},
	{"runbook-javascript", `prometheus: {runbookBaseURL: 'javascript:alert(1)'}`, "spec.prometheus.runbookBaseURL"},
	{"binary-tag", "environment: !!binary cHJvZHVjdGlvbg==", "spec.environment"},
	{"python-tag", "environment: !!python/object:os.system production", "spec.environment"},
	{"set-tag", "prometheus: {ruleLabels: !!set {a: null}}", "spec.prometheus.ruleLabels"},
	{"nul-in-cluster", `mesh: {cluster: "eu\0west"}`, "spec.mesh.cluster"},
	// A raw NEL is refused before parsing, by its position (YAML would fold
	// it into a space), so the message names the character, not the field.
	{"nel-in-cluster", `mesh: {cluster: "eu` + "\u0085" + `west"}`, "U+0085 (next line)"},
	{"null-selector", "slos: [{name: a, sli: availability, objective: 99.9, window: 30d, selector: {destination_service_namespace: ~}}]", "spec.slos[0].selector"},
	{"tier-never-fires", "slos: [{name: a, sli: availability, objective: 95, window: 30d}]\n  burnRates: [{severity: critical, budgetShare: 0.5, long: 1h, short: 5m, for: 2m}]", "spec.burnRates[0]"},
	{"objective-as-ratio", "slos: [{name: a, sli: availability, objective: 0.9995, window: 30d}]", "spec.slos[0].objective"},
	{"window-10y", "slos: [{name: a, sli: availability, objective: 99.9, window: 3650d}]", "spec.slos[0].window"},
	{"huge-replicas", "istiod: {minReplicas: 1000000000}", "spec.istiod.minReplicas"},
}

// Two profiles' worth of hostile inputs: each run is refused within its
// deadline (a hang fails the test, it does not time it) and under a 2 GiB
// address-space cap, with an error naming the field, exit 1, and --out
// byte for byte as it was.
func TestHostileProfilesAreRefusedUnderAMemoryCap(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (whole-binary runs under a memory cap); make test runs them")
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to set the address-space limit with ulimit")
	}
	bin := meshslo(t)
	out := t.TempDir()
	if r := run(t, nil, "generate", "-p", "small", "--out", out); r.code != 0 {
		t.Fatalf("seeding --out: exit %d: %s", r.code, r.stderr)
	}
	before := snapshot(t, out, true)
	dir := t.TempDir()
	for _, size := range []string{"small", "large"} {
		for _, h := range hostileSpecs {
			t.Run(size+"/"+h.name, func(t *testing.T) {
				path := filepath.Join(dir, size+"-"+h.name+".yaml")
				data := fmt.Sprintf("apiVersion: meshslo/v1alpha1\nkind: MeshProfile\nmetadata: {name: hostile}\nspec:\n  size: %s\n  %s\n", size, h.spec)
				if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				// ulimit -v takes KiB: 2 GiB of address space.
				cmd := exec.CommandContext(ctx, "sh", "-c", `ulimit -v 2097152 && exec "$0" "$@"`, bin, "generate", "-p", path, "--out", out)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				err := cmd.Run()
				if ctx.Err() != nil {
					t.Fatalf("still running after 20s (killed): %s", stderr.String())
				}
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.ExitCode() != 1 {
					t.Fatalf("want exit 1, got %v: %s", err, stderr.String())
				}
				msg := stderr.String()
				if !strings.Contains(msg, h.field) || !strings.Contains(msg, path) {
					t.Errorf("the error does not name %s in %s:\n%s", h.field, path, msg)
				}
				if !strings.Contains(msg, "nothing was written") {
					t.Errorf("the error does not say nothing was written:\n%s", msg)
				}
			})
		}
	}
	if d := diffSnapshots(snapshot(t, out, true), before); d != "" {
		t.Errorf("--out changed: %s", d)
	}
}
