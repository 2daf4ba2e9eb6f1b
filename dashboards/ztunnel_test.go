package dashboards_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestZtunnelRowAndSidecarPanels: ambient and mixed on-call dashboards
// have a ztunnel row of per-node panels reading ztunnel's own series; a
// pure ambient one draws no sidecar-only panel; sidecar and mixed ones keep
// them, and a sidecar one has no ztunnel row.
func TestZtunnelRowAndSidecarPanels(t *testing.T) {
	sidecarOnly := []string{"Sidecar injection failures per 5m", "Sidecar memory / limit (top 10)", "Sidecar memory (top 10)"}
	ztunnel := []string{"ztunnel ready per node", "ztunnel memory / limit", "ztunnel xDS errors", "ztunnel DNS failure ratio",
		"ztunnel L4 connections opened", "ztunnel L4 connections failed"}
	for _, tc := range []struct {
		profile           string
		ztunnel, sidecars bool
	}{{"medium", false, true}, {"mixed", true, true}, {"ambient", true, false}} {
		_, _, boards := build(t, tc.profile)
		var raw struct {
			Panels []struct {
				Type, Title string
				Targets     []struct{ Expr string }
			}
		}
		if err := json.Unmarshal(boards["oncall"].JSON, &raw); err != nil {
			t.Fatal(err)
		}
		titles := map[string]bool{}
		for _, p := range raw.Panels {
			titles[p.Title] = true
			if !slices.Contains(ztunnel, p.Title) || strings.HasPrefix(p.Title, "ztunnel ready") || strings.HasPrefix(p.Title, "ztunnel memory") {
				continue
			}
			for _, q := range p.Targets {
				if !strings.Contains(q.Expr, `job="ztunnel"`) || !strings.Contains(q.Expr, "sum by (node)") {
					t.Errorf("%s %q: %s does not read ztunnel's own series per node", tc.profile, p.Title, q.Expr)
				}
			}
		}
		if titles["ztunnel"] != tc.ztunnel {
			t.Errorf("%s: ztunnel row %v, want %v", tc.profile, titles["ztunnel"], tc.ztunnel)
		}
		for _, title := range ztunnel {
			if titles[title] != tc.ztunnel {
				t.Errorf("%s: panel %q drawn %v, want %v", tc.profile, title, titles[title], tc.ztunnel)
			}
		}
		for _, title := range sidecarOnly {
			if titles[title] != tc.sidecars {
				t.Errorf("%s: sidecar panel %q drawn %v, want %v", tc.profile, title, titles[title], tc.sidecars)
			}
		}
	}
}
