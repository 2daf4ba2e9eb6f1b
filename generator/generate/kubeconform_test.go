package generate_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/meshslo/meshslo/generator/internal/realtools"
	"github.com/meshslo/meshslo/generator/render"
)

// chartMonitorKeys are the keys of a prometheus.additionalServiceMonitors
// and additionalPodMonitors entry that kube-prometheus-stack 88.5.3 reads
// (prometheus-community/helm-charts charts/kube-prometheus-stack/templates/
// prometheus/servicemonitors.yaml and podmonitors.yaml, the scrape limits
// of _helpers.tpl "servicemonitor.scrapeLimits" left out as meshslo sets
// none). The chart copies only these: any other key would be dropped
// without a word, so the values may hold no other.
var chartMonitorKeys = map[string][]string{
	"ServiceMonitor": {"name", "additionalLabels", "endpoints", "jobLabel", "namespaceSelector", "selector",
		"targetLabels", "podTargetLabels", "fallbackScrapeProtocol", "attachMetadata"},
	"PodMonitor": {"name", "additionalLabels", "podMetricsEndpoints", "jobLabel", "namespaceSelector", "selector",
		"podTargetLabels", "sampleLimit", "fallbackScrapeProtocol", "attachMetadata"},
}

// Every generated Prometheus Operator object (the PrometheusRule, the
// ServiceMonitor and PodMonitor of kubernetes/, and the monitors the Helm
// values make the chart write) passes kubeconform -strict against schemas
// made from the real CRDs of prometheus-operator v0.93.1 (the version
// kube-prometheus-stack 88.5.3 ships): an unknown or misspelt field, a
// wrong type or a missing required field fails. The dashboards' ConfigMaps
// are core objects, for which no schema is available offline: skipped.
func TestKubeconformStrictOnCRDSchemas(t *testing.T) {
	bin := realtools.Kubeconform(t)
	schemas := realtools.CRDSchemas(t)
	dir := t.TempDir()
	var files []string
	kinds := map[string]int{}
	write := func(name string, data []byte) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	for _, out := range builtins(t) {
		for _, p := range out.Paths() {
			data := out.Files[p]
			switch {
			case strings.HasPrefix(p, "kubernetes/"):
				write(out.Profile+"-"+filepath.Base(p), data)
				dec := yaml.NewDecoder(strings.NewReader(string(data)))
				for {
					var o struct{ Kind string }
					if dec.Decode(&o) != nil {
						break
					}
					kinds[o.Kind]++
				}
			case p == render.AlertmanagerConfigPath:
				write(out.Profile+"-"+filepath.Base(p), data)
				kinds["AlertmanagerConfig"]++
			case p == render.HelmValuesPath:
				docs := helmMonitorObjects(t, data)
				// Ambient and mixed meshes add ztunnel's PodMonitor.
				want := 2
				if strings.Contains(string(out.Files[render.MonitorsPath]), "-ztunnel\n") {
					want = 3
				}
				if len(docs) != want {
					t.Errorf("%s %s: want %d monitors (a ServiceMonitor, the proxies' PodMonitor, ztunnel's in ambient meshes), got %d objects", out.Profile, p, want, len(docs))
				}
				var all []string
				for _, d := range docs {
					b, err := yaml.Marshal(d)
					if err != nil {
						t.Fatal(err)
					}
					all = append(all, string(b))
					kinds["values:"+d["kind"].(string)]++
				}
				write(out.Profile+"-values-monitors.yaml", []byte(strings.Join(all, "---\n")))
			}
		}
	}
	for _, k := range []string{"PrometheusRule", "ServiceMonitor", "PodMonitor", "values:ServiceMonitor", "values:PodMonitor", "AlertmanagerConfig"} {
		if kinds[k] == 0 {
			t.Errorf("no %s among the generated files: %v", k, kinds)
		}
	}
	args := append([]string{"-strict", "-summary", "-output", "text", "-skip", "ConfigMap",
		"-schema-location", filepath.Join(schemas, "{{.ResourceKind}}_{{.ResourceAPIVersion}}.json")}, files...)
	outb, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("kubeconform: %v\n%s", err, outb)
	}
	if !strings.Contains(string(outb), "Errors: 0") || !strings.Contains(string(outb), "Invalid: 0") {
		t.Fatalf("kubeconform:\n%s", outb)
	}
	t.Logf("%s", outb)
}

// helmMonitorObjects builds the objects kube-prometheus-stack renders from
// the values' prometheus.additionalServiceMonitors and
// additionalPodMonitors: name and additionalLabels go to metadata, the
// other keys to spec (templates/prometheus/servicemonitors.yaml).
func helmMonitorObjects(t *testing.T, values []byte) []map[string]any {
	t.Helper()
	var v struct {
		Prometheus map[string][]map[string]any `yaml:"prometheus"`
	}
	if err := yaml.Unmarshal(values, &v); err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, key := range []struct{ values, kind string }{
		{"additionalServiceMonitors", "ServiceMonitor"}, {"additionalPodMonitors", "PodMonitor"},
	} {
		for _, e := range v.Prometheus[key.values] {
			spec := map[string]any{}
			for k, x := range e {
				if !contains(chartMonitorKeys[key.kind], k) {
					t.Errorf("%s entry has %q, which the chart does not read (it would be dropped)", key.values, k)
				}
				if k != "name" && k != "additionalLabels" {
					spec[k] = x
				}
			}
			out = append(out, map[string]any{
				"apiVersion": "monitoring.coreos.com/v1",
				"kind":       key.kind,
				"metadata":   map[string]any{"name": e["name"], "namespace": "monitoring", "labels": e["additionalLabels"]},
				"spec":       spec,
			})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i]["kind"].(string) > out[j]["kind"].(string) })
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
