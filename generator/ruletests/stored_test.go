package ruletests

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"

	"github.com/meshslo/meshslo/generator/catalogue"
)

// sourceOfJob maps the job of a stored series to its catalogue source.
var sourceOfJob = map[string]string{
	"istiod": catalogue.SourceIstiod, "istio-proxies": catalogue.SourceProxy,
	"kubelet": catalogue.SourceCadvisor, "kube-state-metrics": catalogue.SourceKubeStateMetrics,
}

// TestGeneratedInputsUseStoredLabelSets holds the generated tests of every
// built-in profile (all kube-prometheus-stack) to the label sets the real
// stack stores: each input series of a family the catalogue knows carries
// exactly the label names kube-prometheus-stack stores for it, and no
// family the chart drops appears at all.
func TestGeneratedInputsUseStoredLabelSets(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "out", "*", "tests", "*.test.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no generated tests under out/: %v", err)
	}
	p := parser.NewParser(parser.Options{})
	checked := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Tests []struct {
				InputSeries []struct {
					Series string `yaml:"series"`
				} `yaml:"input_series"`
			} `yaml:"tests"`
		}
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, g := range doc.Tests {
			for _, s := range g.InputSeries {
				ls, err := p.ParseMetric(s.Series)
				if err != nil {
					t.Fatalf("%s: %s: %v", f, s.Series, err)
				}
				m := ls.Map()
				name := m["__name__"]
				delete(m, "__name__")
				source, ok := sourceOfJob[m["job"]]
				if !ok {
					continue
				}
				if catalogue.DroppedByChart(source, name) {
					t.Errorf("%s: %s is dropped by kube-prometheus-stack, yet a test feeds it: %s", f, name, s.Series)
					continue
				}
				want := catalogue.StoredLabels(source, name)
				if want == nil && source == catalogue.SourceProxy {
					want = catalogue.StoredLabels(catalogue.SourceProxyNative, name)
				}
				if want == nil && source == catalogue.SourceIstiod {
					want = catalogue.StoredLabels(catalogue.SourceIstiodRemote, name)
				}
				if want == nil {
					continue
				}
				checked++
				if standardMetric(name) {
					// Istio's standard metrics carry the request's own
					// labels, which vary by request and version; the
					// target's must be exactly the stored ones.
					want = catalogue.TargetLabels(source)
					for k := range m {
						if _, ok := want[k]; !ok {
							delete(m, k)
						}
					}
				}
				got, exp := slices.Sorted(maps.Keys(m)), slices.Sorted(maps.Keys(want))
				// A series' own labels may add to the stored ones (a
				// reason, a resource, the pod total without container).
				extra := extraLabels[name]
				if !sameKeys(got, exp, extra) {
					t.Errorf("%s: %s has labels %s; kube-prometheus-stack stores %s", filepath.Base(filepath.Dir(filepath.Dir(f)))+"/"+filepath.Base(f), name, strings.Join(got, ","), strings.Join(exp, ","))
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no input series matched a stored family")
	}
	t.Logf("%d input series checked against stored label sets", checked)
}

// standardMetric says whether name is one of Istio's standard metrics
// (istio_requests_total, istio_request_duration_milliseconds_*, ...).
func standardMetric(name string) bool {
	return strings.HasPrefix(name, "istio_") && !strings.HasPrefix(name, "istio_agent_")
}

// extraLabels are labels a family's series may carry or lack beyond the
// one stored example: the stored example is one series of the family.
var extraLabels = map[string][]string{
	"container_memory_working_set_bytes":                    {"container", "image", "name"}, // the pod total has none
	"container_cpu_usage_seconds_total":                     {"container", "image", "name", "cpu"},
	"kube_pod_container_status_last_terminated_reason":      {"reason"},
	"kube_pod_init_container_status_last_terminated_reason": {"reason"},
	"kube_pod_container_resource_limits":                    {"node"},
	"kube_pod_init_container_resource_limits":               {"node"},
	"kube_pod_container_resource_requests":                  {"node"},
}

// sameKeys compares two sorted key lists, ignoring the optional ones.
func sameKeys(got, want, optional []string) bool {
	drop := func(ks []string) []string {
		out := slices.DeleteFunc(slices.Clone(ks), func(k string) bool { return slices.Contains(optional, k) })
		sort.Strings(out)
		return out
	}
	return slices.Equal(drop(got), drop(want))
}
