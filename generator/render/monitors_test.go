package render_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/render"
)

func monitorsConfig(t *testing.T, mutate func(*profile.Profile)) *config.Config {
	t.Helper()
	p := profile.Defaults("medium")
	p.Metadata.Name = "payments"
	if mutate != nil {
		mutate(&p)
	}
	c, err := config.New(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type object struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name      string            `yaml:"name"`
		Namespace string            `yaml:"namespace"`
		Labels    map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec map[string]any `yaml:"spec"`
}

func decodeAll(t *testing.T, data []byte) []object {
	t.Helper()
	var out []object
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var o object
		if err := dec.Decode(&o); err != nil {
			if err.Error() == "EOF" {
				return out
			}
			t.Fatal(err)
		}
		out = append(out, o)
	}
}

func TestMonitorsOnlyForKubePrometheusStack(t *testing.T) {
	for _, scrape := range profile.Scrapes {
		c := monitorsConfig(t, func(p *profile.Profile) { p.Spec.Prometheus.Scrape = scrape })
		b := &render.Built{Config: c, Origin: func(string) string { return "default" }}
		files, err := render.Files(b)
		if err != nil {
			t.Fatal(err)
		}
		var monitors, values []byte
		for _, f := range files {
			switch f.Path {
			case render.MonitorsPath:
				monitors = f.Data
			case render.HelmValuesPath:
				values = f.Data
			}
		}
		want := scrape == profile.ScrapeKubePrometheusStack
		if (monitors != nil) != want {
			t.Errorf("scrape %s: %s written: %v, want %v", scrape, render.MonitorsPath, monitors != nil, want)
		}
		if got := bytes.Contains(values, []byte("additionalPodMonitors")); got != want {
			t.Errorf("scrape %s: Helm values carry monitors: %v, want %v", scrape, got, want)
		}
	}
}

// TestMonitorsYAML checks what the chart's selectors and the operator read:
// labels, namespaces, ports, target labels; and that the Helm values hold
// the very same specs.
func TestMonitorsYAML(t *testing.T) {
	c := monitorsConfig(t, func(p *profile.Profile) {
		p.Spec.Istiod.Namespace = "istio-cp"
		p.Spec.Prometheus.Namespace = "obs"
		p.Spec.Prometheus.RuleLabels = map[string]string{"release": "kps", "team": "mesh"}
	})
	data, err := render.MonitorsYAML(c)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := render.MonitorsYAML(c)
	if !bytes.Equal(data, again) {
		t.Fatal("MonitorsYAML is not deterministic")
	}
	if !strings.HasPrefix(string(data), "# "+render.Header("payments")+"\n") {
		t.Errorf("no generated header:\n%s", data)
	}
	objs := decodeAll(t, data)
	if len(objs) != 2 || objs[0].Kind != "ServiceMonitor" || objs[1].Kind != "PodMonitor" {
		t.Fatalf("want a ServiceMonitor and a PodMonitor, got %+v", objs)
	}
	for _, o := range objs {
		if o.APIVersion != "monitoring.coreos.com/v1" || o.Metadata.Namespace != "obs" ||
			o.Metadata.Labels["release"] != "kps" || o.Metadata.Labels["team"] != "mesh" {
			t.Errorf("%s: apiVersion %s, namespace %s, labels %v", o.Kind, o.APIVersion, o.Metadata.Namespace, o.Metadata.Labels)
		}
	}
	sm, pm := objs[0].Spec, objs[1].Spec
	if got := sm["namespaceSelector"]; !reflect.DeepEqual(got, map[string]any{"matchNames": []any{"istio-cp"}}) {
		t.Errorf("ServiceMonitor namespaceSelector %v", got)
	}
	if got := sm["targetLabels"]; !reflect.DeepEqual(got, []any{"app", "istio.io/rev"}) {
		t.Errorf("ServiceMonitor targetLabels %v", got)
	}
	if got := sm["endpoints"].([]any)[0].(map[string]any)["port"]; got != "http-monitoring" {
		t.Errorf("ServiceMonitor port %v", got)
	}
	ep := pm["podMetricsEndpoints"].([]any)[0].(map[string]any)
	if ep["path"] != "/stats/prometheus" || ep["port"] != nil {
		t.Errorf("PodMonitor endpoint %v", ep)
	}
	if !strings.Contains(string(data), "replacement: ${1}:15020") {
		t.Error("PodMonitor does not move the address to :15020")
	}

	// The Helm values carry the same specs under prometheus.additional*.
	values, err := render.HelmValues(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Prometheus struct {
			SMs []map[string]any `yaml:"additionalServiceMonitors"`
			PMs []map[string]any `yaml:"additionalPodMonitors"`
		} `yaml:"prometheus"`
	}
	if err := yaml.Unmarshal(values, &v); err != nil {
		t.Fatal(err)
	}
	for i, pair := range []struct {
		entries []map[string]any
		o       object
	}{{v.Prometheus.SMs, objs[0]}, {v.Prometheus.PMs, objs[1]}} {
		if len(pair.entries) != 1 {
			t.Fatalf("%d: want one entry, got %d", i, len(pair.entries))
		}
		e := pair.entries[0]
		if e["name"] != pair.o.Metadata.Name {
			t.Errorf("%s: name %v, want %s", pair.o.Kind, e["name"], pair.o.Metadata.Name)
		}
		// The chart sets release itself: written again it would be a
		// duplicate key.
		labels := e["additionalLabels"].(map[string]any)
		if _, ok := labels["release"]; ok || labels["team"] != "mesh" {
			t.Errorf("%s: additionalLabels %v", pair.o.Kind, labels)
		}
		delete(e, "name")
		delete(e, "additionalLabels")
		if !reflect.DeepEqual(e, pair.o.Spec) {
			t.Errorf("%s: Helm values spec\n%v\nwant\n%v", pair.o.Kind, e, pair.o.Spec)
		}
	}
}

// TestZtunnelPodMonitor: ambient and mixed meshes get a third monitor that
// scrapes ztunnel's pods (app: ztunnel in spec.ztunnel.namespace) on the
// chart's ztunnel-stats port at /metrics, job ztunnel, node kept; sidecar
// meshes keep two, and the proxies' PodMonitor still leaves ztunnel out.
func TestZtunnelPodMonitor(t *testing.T) {
	for _, mode := range []string{profile.DataPlaneSidecar, profile.DataPlaneAmbient, profile.DataPlaneMixed} {
		c := monitorsConfig(t, func(p *profile.Profile) {
			p.Spec.DataPlane = mode
			p.Spec.Ztunnel.Namespace = "kube-ztunnel"
		})
		data, err := render.MonitorsYAML(c)
		if err != nil {
			t.Fatal(err)
		}
		objs := decodeAll(t, data)
		values, err := render.HelmValues(c, nil)
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			Prometheus struct {
				PMs []map[string]any `yaml:"additionalPodMonitors"`
			} `yaml:"prometheus"`
		}
		if err := yaml.Unmarshal(values, &v); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "ztunnel") {
			t.Errorf("%s: the proxies' PodMonitor no longer excludes ztunnel", mode)
		}
		if mode == profile.DataPlaneSidecar {
			if len(objs) != 2 || len(v.Prometheus.PMs) != 1 {
				t.Errorf("sidecar: %d objects, %d Helm PodMonitors; want 2 and 1", len(objs), len(v.Prometheus.PMs))
			}
			continue
		}
		if len(objs) != 3 || objs[2].Kind != "PodMonitor" || objs[2].Metadata.Name != "meshslo-payments-ztunnel" {
			t.Fatalf("%s: want a third object, PodMonitor meshslo-payments-ztunnel; got %+v", mode, objs)
		}
		spec := objs[2].Spec
		want := map[string]any{
			"jobLabel":          "app",
			"selector":          map[string]any{"matchLabels": map[string]any{"app": "ztunnel"}},
			"namespaceSelector": map[string]any{"matchNames": []any{"kube-ztunnel"}},
			"podMetricsEndpoints": []any{map[string]any{
				"port": "ztunnel-stats", "path": "/metrics",
				"relabelings": []any{map[string]any{"action": "replace",
					"sourceLabels": []any{"__meta_kubernetes_pod_node_name"}, "targetLabel": "node"}},
			}},
		}
		if !reflect.DeepEqual(spec, want) {
			t.Errorf("%s: ztunnel PodMonitor spec\n%v\nwant\n%v", mode, spec, want)
		}
		if len(v.Prometheus.PMs) != 2 {
			t.Fatalf("%s: %d Helm PodMonitors, want 2", mode, len(v.Prometheus.PMs))
		}
		e := v.Prometheus.PMs[1]
		if e["name"] != "meshslo-payments-ztunnel" {
			t.Errorf("%s: Helm PodMonitor name %v", mode, e["name"])
		}
		delete(e, "name")
		delete(e, "additionalLabels")
		if !reflect.DeepEqual(e, spec) {
			t.Errorf("%s: Helm values ztunnel spec\n%v\nwant\n%v", mode, e, spec)
		}
	}
}
