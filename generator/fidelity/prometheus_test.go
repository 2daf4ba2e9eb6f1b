//go:build unix

package fidelity

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/meshslo/meshslo/generator/internal/promserver"
)

// The Prometheus helpers are generator/internal/promserver's.
type (
	server = promserver.Server
	sample = promserver.Sample
)

func freePort(t *testing.T) int { return promserver.FreePort(t) }

func startProcess(t *testing.T, name string, cmd *exec.Cmd) (*promserver.Buffer, <-chan error) {
	t.Helper()
	return promserver.StartProcess(t, name, cmd)
}

func startPrometheus(t *testing.T, bin, configFile, dir string) *server {
	t.Helper()
	return promserver.Start(t, bin, configFile, dir)
}

type ruleGroups struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []struct {
			Name      string `json:"name"`
			Type      string `json:"type"`
			Health    string `json:"health"`
			LastError string `json:"lastError"`
		} `json:"rules"`
	} `json:"groups"`
}

// ruleErrors lists every rule the server could not evaluate.
func ruleErrors(ctx context.Context, s *server) ([]string, error) {
	var rg ruleGroups
	if err := s.Get(ctx, "/api/v1/rules", nil, &rg); err != nil {
		return nil, err
	}
	var errs []string
	for _, g := range rg.Groups {
		for _, r := range g.Rules {
			if r.Health == "err" || r.LastError != "" {
				errs = append(errs, fmt.Sprintf("group %s, %s rule %s: %s", g.Name, r.Type, r.Name, r.LastError))
			}
		}
	}
	return errs, nil
}

// writeConfig writes a Prometheus config that scrapes targets every
// second and evaluates the rule files in ruleDir every second.
func writeConfig(ruleDir string, targets []scrapeTarget) []byte {
	var b strings.Builder
	b.WriteString("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n")
	fmt.Fprintf(&b, "rule_files:\n  - %q\n", filepath.Join(ruleDir, "*.yaml"))
	b.WriteString("scrape_configs:\n")
	byJob := map[string][]scrapeTarget{}
	var jobs []string
	for _, tg := range targets {
		if _, ok := byJob[tg.Job]; !ok {
			jobs = append(jobs, tg.Job)
		}
		byJob[tg.Job] = append(byJob[tg.Job], tg)
	}
	for _, j := range jobs {
		first := byJob[j][0]
		fmt.Fprintf(&b, "  - job_name: %q\n    metrics_path: %q\n    honor_labels: %v\n    static_configs:\n", j, first.Path, first.HonorLabels)
		for _, tg := range byJob[j] {
			fmt.Fprintf(&b, "      - targets: [%q]\n        labels: {", tg.Address)
			keys := make([]string, 0, len(tg.Labels))
			for k := range tg.Labels {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for i, k := range keys {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "%s: %q", k, tg.Labels[k])
			}
			b.WriteString("}\n")
		}
	}
	return []byte(b.String())
}
