package kube

// TestHelmTemplate renders the real kube-prometheus-stack chart with the
// generated Helm values and checks what the chart makes of them. It needs
// helm (make bin/helm) and the chart source with its dependencies, which
// the Go module proxy cannot give; tools/kube/chart.sh assembles it from
// prometheus-community/helm-charts and grafana-community/helm-charts. It
// skips without them (set HELM and KPS_CHART), so make test does not run
// it: the CRD schema check (generator/generate TestKubeconformStrictOnCRDSchemas)
// does.
//
//	make bin/helm && tools/kube/chart.sh /tmp/kps
//	cd tools/kube && HELM=$PWD/../../bin/helm KPS_CHART=/tmp/kps/kube-prometheus-stack go test -run TestHelmTemplate -v .
//
// With -update it also rewrites ../scrapelabels/testdata/kube-prometheus-stack-88.5.3.yaml,
// the chart's Prometheus and its kubelet and kube-state-metrics
// ServiceMonitors, from which tools/scrapelabels derives the stored labels.

import (
	"flag"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the chart objects tools/scrapelabels reads")

const (
	chartVersion  = "88.5.3"
	chartObjects  = "../scrapelabels/testdata/kube-prometheus-stack-" + chartVersion + ".yaml"
	kubeVersion   = "1.34.0"
	release       = "kube-prometheus-stack"
	releaseNS     = "monitoring"
	profileOut    = "../../out/medium/"
	valuesPath    = profileOut + "helm/kube-prometheus-stack.values.yaml"
	monitorsPath  = profileOut + "kubernetes/monitors.yaml"
	kubeletSM     = "kube-prometheus-stack-kubelet"
	ksmSM         = "kube-prometheus-stack-kube-state-metrics"
	generatedName = "meshslo-medium-"
)

type object = map[string]any

func TestHelmTemplate(t *testing.T) {
	helm, chart := os.Getenv("HELM"), os.Getenv("KPS_CHART")
	if helm == "" || chart == "" {
		t.Skip("set HELM and KPS_CHART (see the comment above) to render the real chart")
	}
	chartYAML, err := os.ReadFile(chart + "/Chart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(chartYAML), "\nversion: "+chartVersion+"\n") {
		t.Fatalf("%s is not kube-prometheus-stack %s", chart, chartVersion)
	}
	out, err := exec.Command(helm, "template", release, chart, "--namespace", releaseNS,
		"--kube-version", kubeVersion, "-f", valuesPath).Output()
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	rendered := decode(t, out)
	generated := decode(t, mustRead(t, monitorsPath))

	byName := func(objs []object, kind, name string) object {
		for _, o := range objs {
			if o["kind"] == kind && meta(o)["name"] == name {
				return o
			}
		}
		return nil
	}
	var prom object
	for _, o := range rendered {
		if o["kind"] == "Prometheus" {
			prom = o
		}
	}
	if prom == nil {
		t.Fatal("the chart renders no Prometheus")
	}
	for _, g := range generated {
		kind, name := g["kind"].(string), meta(g)["name"].(string)
		r := byName(rendered, kind, name)
		if r == nil {
			t.Errorf("the chart renders no %s %s from the values", kind, name)
			continue
		}
		if !reflect.DeepEqual(r["spec"], g["spec"]) {
			t.Errorf("%s %s: the chart renders spec\n%v\nmonitors.yaml has\n%v", kind, name, r["spec"], g["spec"])
		}
		if meta(r)["namespace"] != releaseNS {
			t.Errorf("%s %s: namespace %v", kind, name, meta(r)["namespace"])
		}
		// The chart's Prometheus selects both the rendered object and the
		// one of kubernetes/monitors.yaml (its selector is matchLabels).
		selKey := map[string]string{"ServiceMonitor": "serviceMonitorSelector", "PodMonitor": "podMonitorSelector"}[kind]
		sel, _ := prom["spec"].(object)[selKey].(object)
		match, _ := sel["matchLabels"].(object)
		if len(match) == 0 || len(sel) != 1 {
			t.Fatalf("Prometheus %s is %v; this check reads matchLabels only", selKey, sel)
		}
		for _, o := range []object{r, g} {
			labels, _ := meta(o)["labels"].(object)
			for k, v := range match {
				if labels[k] != v {
					t.Errorf("%s %s labels %v: Prometheus %s %v does not select it", kind, name, labels, selKey, match)
				}
			}
		}
	}

	if *update {
		var docs []string
		keep := []object{prom, byName(rendered, "ServiceMonitor", kubeletSM), byName(rendered, "ServiceMonitor", ksmSM)}
		for _, o := range keep {
			if o == nil {
				t.Fatalf("the chart renders no ServiceMonitor %s or %s", kubeletSM, ksmSM)
			}
			b, err := yaml.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			docs = append(docs, string(b))
		}
		header := "# kube-prometheus-stack " + chartVersion + " (prometheus-community/helm-charts cf408a290) as\n" +
			"# helm template " + release + " --namespace " + releaseNS + " --kube-version " + kubeVersion + " -f out/medium/helm/kube-prometheus-stack.values.yaml\n" +
			"# renders them: its Prometheus and its kubelet and kube-state-metrics ServiceMonitors.\n" +
			"# Written by tools/kube TestHelmTemplate -update; do not edit.\n"
		if err := os.WriteFile(chartObjects, []byte(header+strings.Join(docs, "---\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func meta(o object) object { m, _ := o["metadata"].(object); return m }

// decode splits a multi-document stream and flattens the chart's
// `kind: List` documents into their items.
func decode(t *testing.T, data []byte) []object {
	t.Helper()
	var out []object
	for _, doc := range strings.Split(string(data), "\n---") {
		var o object
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatal(err)
		}
		if o == nil {
			continue
		}
		if o["kind"] == "List" {
			for _, it := range o["items"].([]any) {
				out = append(out, it.(object))
			}
			continue
		}
		out = append(out, o)
	}
	return out
}
