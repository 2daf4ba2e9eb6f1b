// Package scrapelabels derives the label sets kube-prometheus-stack stores
// for Istio's, the kubelet's and kube-state-metrics' series, from the real
// code of each step: prometheus-operator's config generator (v0.93.1, the
// operator kube-prometheus-stack 88.5.3 ships) turns the generated
// ServiceMonitor and PodMonitor and the chart's own kubelet and
// kube-state-metrics ServiceMonitors (as helm template renders them) into
// Prometheus scrape configs; Prometheus' Kubernetes service discovery
// (v0.315.0) runs over a cluster of the objects Istio's charts create;
// Prometheus' scrape.TargetsFromGroup relabels the targets; each sample of
// the exporters' text then gets its target labels and the metric
// relabelings as Prometheus' scrape loop gives them. The result is
// generator/catalogue/scrapelabels.json; TestStoredLabels fails when it
// drifts (go test -run TestStoredLabels -update rewrites it).
package scrapelabels

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus-operator/prometheus-operator/pkg/assets"
	operatorprom "github.com/prometheus-operator/prometheus-operator/pkg/prometheus"
	client_prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/kubernetes"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"
	"github.com/prometheus/prometheus/model/textparse"
	"github.com/prometheus/prometheus/scrape"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"
)

// client-go's informers use streaming watch-list by default, which the
// fake clientset does not serve (no initial-events bookmark): list, then
// watch, as against an API server without it.
func init() { os.Setenv("KUBE_FEATURE_WatchListClient", "false") }

var update = flag.Bool("update", false, "rewrite "+outPath)

const (
	outPath      = "../../generator/catalogue/scrapelabels.json"
	monitorsPath = "../../out/medium/kubernetes/monitors.yaml"
	// ambientPath holds ztunnel's PodMonitor, which only ambient and
	// mixed profiles have.
	ambientPath = "../../out/ambient/kubernetes/monitors.yaml"
	// chartPath holds the objects of kube-prometheus-stack 88.5.3 this
	// needs, as helm template renders them (see tools/kube TestHelmTemplate).
	chartPath = "testdata/kube-prometheus-stack-88.5.3.yaml"
)

// Stored is the file's content.
type Stored struct {
	Provenance []string           `json:"provenance"`
	Sources    map[string]*Source `json:"sources"`
}

// Source is one scrape target's series as stored.
type Source struct {
	// ScrapeConfig is the job_name of the operator-generated scrape config.
	ScrapeConfig string `json:"scrapeConfig"`
	// Target is the target's labels (those of its up series).
	Target map[string]string `json:"target"`
	// Families maps each series name to the labels of its first series
	// in the exporter's text, as stored (without __name__).
	Families map[string]map[string]string `json:"families"`
	// Dropped are the series names the metric relabelings drop entirely.
	Dropped []string `json:"dropped,omitempty"`
}

// source says which target and exposition file each source is.
type source struct {
	name      string
	job       func(sc *config.ScrapeConfig) bool
	target    func(l labels.Labels) bool
	expo      string
	wantCount int // targets the scrape config must find in all
}

func TestStoredLabels(t *testing.T) {
	objs := readObjects(t, chartPath)
	objs = append(objs, readObjects(t, monitorsPath)...)
	for _, o := range readObjects(t, ambientPath) {
		if pm, ok := o.(*monitoringv1.PodMonitor); ok && pm.Name == "meshslo-ambient-ztunnel" {
			objs = append(objs, pm)
		}
	}
	var prom *monitoringv1.Prometheus
	sMons := map[string]*monitoringv1.ServiceMonitor{}
	pMons := map[string]*monitoringv1.PodMonitor{}
	for _, o := range objs {
		switch x := o.(type) {
		case *monitoringv1.Prometheus:
			prom = x
		case *monitoringv1.ServiceMonitor:
			sMons[x.Namespace+"/"+x.Name] = x
		case *monitoringv1.PodMonitor:
			pMons[x.Namespace+"/"+x.Name] = x
		}
	}
	if prom == nil || len(sMons) < 3 || len(pMons) < 2 {
		t.Fatalf("want the chart's Prometheus, 3 ServiceMonitors and 2 PodMonitors; got %v, %d, %d", prom != nil, len(sMons), len(pMons))
	}
	// The chart's Prometheus must select the generated monitors.
	for _, m := range []metav1.Object{sMons["monitoring/meshslo-medium-istiod"], pMons["monitoring/meshslo-medium-istio-proxies"], pMons["monitoring/meshslo-ambient-ztunnel"]} {
		sel := prom.Spec.ServiceMonitorSelector
		if _, ok := m.(*monitoringv1.PodMonitor); ok {
			sel = prom.Spec.PodMonitorSelector
		}
		s, err := metav1.LabelSelectorAsSelector(sel)
		if err != nil {
			t.Fatal(err)
		}
		if !s.Matches(labelSet(m.GetLabels())) {
			t.Errorf("the chart's Prometheus (selector %v) does not select %s (labels %v)", sel, m.GetName(), m.GetLabels())
		}
	}

	// The defaults the API server applies from the Prometheus CRD's schema
	// (example/prometheus-operator-crd/monitoring.coreos.com_prometheuses.yaml),
	// which the chart leaves unset.
	if prom.Spec.ScrapeInterval == "" {
		prom.Spec.ScrapeInterval = "30s"
	}
	if prom.Spec.EvaluationInterval == "" {
		prom.Spec.EvaluationInterval = "30s"
	}
	if prom.Spec.PortName == "" {
		prom.Spec.PortName = "web"
	}
	if prom.Spec.Shards == nil {
		prom.Spec.Shards = ptr.To(int32(1))
	}
	cg, err := operatorprom.NewConfigGenerator(nil, prom)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := cg.GenerateServerConfiguration(prom, sMons, pMons, nil, nil, assets.NewTestStoreBuilder(), nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The operator leaves $(SHARD) in its sharding relabelling for
	// prometheus-config-reloader to expand from the pod's SHARD variable
	// (cmd/prometheus-config-reloader, --config-envsubst-file); shard 0 of 1.
	cfg, err := config.Load(strings.ReplaceAll(string(raw), "$(SHARD)", "0"), promslog.NewNopLogger())
	if err != nil {
		t.Fatalf("Prometheus does not load the operator's config: %v\n%s", err, raw)
	}

	groups := discover(t, cluster())

	sources := []source{
		{"istiod", jobOf("serviceMonitor/monitoring/meshslo-medium-istiod/"), podIs("istiod-7f9d8c6b5-abcde"), "istiod.prom", 2},
		{"istiod-revision", jobOf("serviceMonitor/monitoring/meshslo-medium-istiod/"), podIs("istiod-1-31-6c8b7d5f4-fghij"), "istiod.prom", 2},
		// A primary's istiod of a multi-cluster mesh, with one remote
		// cluster (us-1): the series istio/istio
		// pkg/kube/multicluster/secretcontroller.go defines, in the
		// exposition format of Istio's monitoring package.
		{"istiod-multicluster", jobOf("serviceMonitor/monitoring/meshslo-medium-istiod/"), podIs("istiod-7f9d8c6b5-abcde"), "istiod-multicluster.prom", 2},
		{"proxy", jobOf("podMonitor/monitoring/meshslo-medium-istio-proxies/"), podIs("checkout-7c9d8b6f4d-x2k8p"), "proxy.prom", 4},
		{"proxy-native", jobOf("podMonitor/monitoring/meshslo-medium-istio-proxies/"), podIs("ledger-5b7f9c8d6-q4m2z"), "proxy.prom", 4},
		{"gateway", jobOf("podMonitor/monitoring/meshslo-medium-istio-proxies/"), podIs("istio-ingressgateway-6d5f8c9b7d-h7j2k"), "proxy.prom", 4},
		{"waypoint", jobOf("podMonitor/monitoring/meshslo-medium-istio-proxies/"), podIs("waypoint-7b9c5d4f6-r8t2w"), "proxy.prom", 4},
		{"ztunnel", jobOf("podMonitor/monitoring/meshslo-ambient-ztunnel/"), podIs("ztunnel-4kq9x"), "ztunnel.prom", 1},
		{"cadvisor", func(sc *config.ScrapeConfig) bool {
			return strings.HasPrefix(sc.JobName, "serviceMonitor/monitoring/kube-prometheus-stack-kubelet/") && sc.MetricsPath == "/metrics/cadvisor"
		}, func(labels.Labels) bool { return true }, "cadvisor.prom", 1},
		{"kube-state-metrics", jobOf("serviceMonitor/monitoring/kube-prometheus-stack-kube-state-metrics/"), func(labels.Labels) bool { return true }, "ksm.prom", 1},
	}
	got := &Stored{
		Provenance: []string{
			"generated by tools/scrapelabels (go test -run TestStoredLabels -update); do not edit",
			"monitors: out/medium/kubernetes/monitors.yaml, and ztunnel's PodMonitor from out/ambient/kubernetes/monitors.yaml; chart: kube-prometheus-stack 88.5.3 (prometheus-community/helm-charts cf408a290), its Prometheus, kubelet and kube-state-metrics ServiceMonitors as helm template renders them",
			"scrape configs: prometheus-operator v0.93.1 pkg/prometheus ConfigGenerator; discovery: prometheus v0.315.0 discovery/kubernetes over tools/scrapelabels/cluster_test.go; relabelling: scrape.TargetsFromGroup and the scrape loop's sample labelling (scrape/scrape.go mutateSampleLabels)",
			"exporter text: tools/scrapelabels/testdata (istiod.prom captured from Istio's real control plane in the fixture spike; istiod-multicluster.prom written from istio/istio pkg/kube/multicluster/secretcontroller.go; proxy, ztunnel, cAdvisor and kube-state-metrics text written with the exporters' label names)",
		},
		Sources: map[string]*Source{},
	}
	for _, s := range sources {
		var sc *config.ScrapeConfig
		for _, c := range cfg.ScrapeConfigs {
			if s.job(c) {
				if sc != nil {
					t.Fatalf("%s: two scrape configs match: %s, %s", s.name, sc.JobName, c.JobName)
				}
				sc = c
			}
		}
		if sc == nil {
			t.Fatalf("%s: no scrape config", s.name)
		}
		targets := targetsOf(t, sc, groups)
		if len(targets) != s.wantCount {
			var ls []string
			for _, tg := range targets {
				ls = append(ls, tg.Labels(labels.NewBuilder(labels.EmptyLabels())).String())
			}
			t.Errorf("%s: %s finds %d targets, want %d:\n%s", s.name, sc.JobName, len(targets), s.wantCount, strings.Join(ls, "\n"))
		}
		var target *scrape.Target
		for _, tg := range targets {
			if s.target(tg.Labels(labels.NewBuilder(labels.EmptyLabels()))) {
				target = tg
			}
		}
		if target == nil {
			t.Errorf("%s: no target", s.name)
			continue
		}
		src := &Source{ScrapeConfig: sc.JobName, Target: map[string]string{}, Families: map[string]map[string]string{}}
		target.LabelsRange(func(l labels.Label) { src.Target[l.Name] = l.Value })
		var dropped []string
		for _, series := range exposition(t, "testdata/"+s.expo) {
			name := series.Get(model.MetricNameLabel)
			stored := sampleLabels(series, target, sc.HonorLabels, sc.MetricRelabelConfigs)
			if stored.IsEmpty() {
				if !slices.Contains(dropped, name) {
					dropped = append(dropped, name)
				}
				continue
			}
			if _, seen := src.Families[name]; seen {
				continue
			}
			m := stored.Map()
			delete(m, model.MetricNameLabel)
			src.Families[name] = m
		}
		// A family is dropped when none of its series is stored (the
		// chart's cAdvisor relabelling also drops single series, such as
		// cgroups without a pod).
		for _, name := range dropped {
			if _, kept := src.Families[name]; !kept {
				src.Dropped = append(src.Dropped, name)
			}
		}
		sort.Strings(src.Dropped)
		got.Sources[s.name] = src
	}

	data, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, '\n')
	if *update {
		if err := os.WriteFile(outPath, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, data) {
		t.Errorf("%s is stale: go test ./... -run TestStoredLabels -update in tools/scrapelabels\n%s", outPath, firstDiff(string(want), string(data)))
	}
}

func jobOf(prefix string) func(*config.ScrapeConfig) bool {
	return func(sc *config.ScrapeConfig) bool { return strings.HasPrefix(sc.JobName, prefix) }
}

func podIs(name string) func(labels.Labels) bool {
	return func(l labels.Labels) bool { return l.Get("pod") == name }
}

type labelSet map[string]string

func (l labelSet) Has(k string) bool   { _, ok := l[k]; return ok }
func (l labelSet) Get(k string) string { return l[k] }
func (l labelSet) Lookup(k string) (string, bool) {
	v, ok := l[k]
	return v, ok
}

// readObjects decodes a multi-document YAML file of Prometheus Operator
// objects strictly (an unknown field is an error).
func readObjects(t *testing.T, path string) []runtime.Object {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []runtime.Object
	for _, doc := range strings.Split(string(data), "\n---") {
		var head struct{ Kind string }
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var o runtime.Object
		switch head.Kind {
		case "Prometheus":
			o = &monitoringv1.Prometheus{}
		case "ServiceMonitor":
			o = &monitoringv1.ServiceMonitor{}
		case "PodMonitor":
			o = &monitoringv1.PodMonitor{}
		case "":
			continue
		default:
			t.Fatalf("%s: unexpected kind %s", path, head.Kind)
		}
		if err := yaml.UnmarshalStrict([]byte(doc), o); err != nil {
			t.Fatalf("%s: %s: %v", path, head.Kind, err)
		}
		out = append(out, o)
	}
	return out
}

// discover runs Prometheus' endpoints, endpointslice and pod discovery
// over the cluster and returns every target group, by role.
func discover(t *testing.T, objects []runtime.Object) map[kubernetes.Role][]*targetgroup.Group {
	t.Helper()
	client := k8sfake.NewClientset(objects...)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	informer := func(obj runtime.Object, list func(metav1.ListOptions) (runtime.Object, error), watchf func(metav1.ListOptions) (watch.Interface, error), idx cache.Indexers) cache.SharedIndexInformer {
		inf := cache.NewSharedIndexInformer(&cache.ListWatch{
			ListFunc:  list,
			WatchFunc: watchf,
		}, obj, 0, idx)
		go inf.Run(ctx.Done())
		return inf
	}
	pods := func() cache.SharedIndexInformer {
		return informer(&corev1.Pod{},
			func(o metav1.ListOptions) (runtime.Object, error) { return client.CoreV1().Pods("").List(ctx, o) },
			func(o metav1.ListOptions) (watch.Interface, error) { return client.CoreV1().Pods("").Watch(ctx, o) }, cache.Indexers{})
	}
	services := informer(&corev1.Service{},
		func(o metav1.ListOptions) (runtime.Object, error) { return client.CoreV1().Services("").List(ctx, o) },
		func(o metav1.ListOptions) (watch.Interface, error) { return client.CoreV1().Services("").Watch(ctx, o) }, cache.Indexers{})
	// The "service" index Prometheus' discovery adds
	// (discovery/kubernetes/kubernetes.go newIndexedEndpointSlicesInformer).
	epsInf := informer(&discoveryv1.EndpointSlice{},
		func(o metav1.ListOptions) (runtime.Object, error) {
			return client.DiscoveryV1().EndpointSlices("").List(ctx, o)
		},
		func(o metav1.ListOptions) (watch.Interface, error) {
			return client.DiscoveryV1().EndpointSlices("").Watch(ctx, o)
		},
		cache.Indexers{"service": func(obj any) ([]string, error) {
			e := obj.(*discoveryv1.EndpointSlice)
			if svc, ok := e.Labels[discoveryv1.LabelServiceName]; ok {
				return []string{e.Namespace + "/" + svc}, nil
			}
			return nil, nil
		}})
	// The "pod" index of discovery/kubernetes/kubernetes.go
	// newIndexedEndpointsInformer.
	epInf := informer(&corev1.Endpoints{},
		func(o metav1.ListOptions) (runtime.Object, error) { return client.CoreV1().Endpoints("").List(ctx, o) },
		func(o metav1.ListOptions) (watch.Interface, error) {
			return client.CoreV1().Endpoints("").Watch(ctx, o)
		},
		cache.Indexers{"pod": func(obj any) ([]string, error) {
			var pods []string
			for _, sub := range obj.(*corev1.Endpoints).Subsets {
				for _, a := range sub.Addresses {
					if a.TargetRef != nil && a.TargetRef.Kind == "Pod" {
						pods = append(pods, a.TargetRef.Namespace+"/"+a.TargetRef.Name)
					}
				}
			}
			return pods, nil
		}})
	events := client_prom.NewCounterVec(client_prom.CounterOpts{Name: "events"}, []string{"role", "event"})

	wantSlices, wantEndpoints, wantPods := 0, 0, 0
	for _, o := range objects {
		switch o.(type) {
		case *discoveryv1.EndpointSlice:
			wantSlices++
		case *corev1.Endpoints:
			wantEndpoints++
		case *corev1.Pod:
			wantPods++
		}
	}
	out := map[kubernetes.Role][]*targetgroup.Group{}
	collect := func(role kubernetes.Role, want int, run func(context.Context, chan<- []*targetgroup.Group)) {
		ch := make(chan []*targetgroup.Group)
		rctx, rcancel := context.WithCancel(ctx)
		defer rcancel()
		go run(rctx, ch)
		seen := map[string]*targetgroup.Group{}
		for len(seen) < want {
			select {
			case tgs := <-ch:
				for _, tg := range tgs {
					seen[tg.Source] = tg
				}
			case <-ctx.Done():
				t.Fatalf("%s discovery: %d of %d groups", role, len(seen), want)
			}
		}
		keys := make([]string, 0, len(seen))
		for k := range seen {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out[role] = append(out[role], seen[k])
		}
	}
	eps := kubernetes.NewEndpointSlice(promslog.NewNopLogger(), epsInf, services, pods(), nil, nil, nil, nil, false, false, false, events)
	collect(kubernetes.RoleEndpointSlice, wantSlices, eps.Run)
	ep := kubernetes.NewEndpoints(promslog.NewNopLogger(), epInf, services, pods(), nil, nil, nil, nil, false, false, false, events)
	collect(kubernetes.RoleEndpoint, wantEndpoints, ep.Run)
	pd := kubernetes.NewPod(promslog.NewNopLogger(), pods(), nil, nil, nil, nil, false, false, false, events)
	collect(kubernetes.RolePod, wantPods, pd.Run)
	return out
}

// targetsOf relabels the groups of the scrape config's role and namespaces.
func targetsOf(t *testing.T, sc *config.ScrapeConfig, groups map[kubernetes.Role][]*targetgroup.Group) []*scrape.Target {
	t.Helper()
	if len(sc.ServiceDiscoveryConfigs) != 1 {
		t.Fatalf("%s: %d discovery configs", sc.JobName, len(sc.ServiceDiscoveryConfigs))
	}
	sd, ok := sc.ServiceDiscoveryConfigs[0].(*kubernetes.SDConfig)
	if !ok {
		t.Fatalf("%s: not Kubernetes discovery", sc.JobName)
	}
	role := sd.Role
	var out []*scrape.Target
	for _, tg := range groups[role] {
		ns := string(tg.Labels["__meta_kubernetes_namespace"])
		if names := sd.NamespaceDiscovery.Names; len(names) > 0 && !slices.Contains(names, ns) {
			continue
		}
		targets, failures := scrape.TargetsFromGroup(tg, sc, nil, labels.NewBuilder(labels.EmptyLabels()))
		for _, f := range failures {
			t.Errorf("%s: %v", sc.JobName, f)
		}
		// Dropped targets come back too, with no labels (the UI lists them).
		for _, tgt := range targets {
			if !tgt.Labels(labels.NewBuilder(labels.EmptyLabels())).IsEmpty() {
				out = append(out, tgt)
			}
		}
	}
	return out
}

// sampleLabels is what Prometheus' scrape loop stores for a sample: the
// target's labels added (a clashing exposed label renamed exported_<name>
// unless honor_labels), then metric_relabel_configs. Transcribed from
// prometheus v0.315.0 scrape/scrape.go mutateSampleLabels and
// resolveConflictingExposedLabels, which are not exported.
func sampleLabels(lset labels.Labels, target *scrape.Target, honor bool, rc []*relabel.Config) labels.Labels {
	lb := labels.NewBuilder(lset)
	if honor {
		target.LabelsRange(func(l labels.Label) {
			if !lset.Has(l.Name) {
				lb.Set(l.Name, l.Value)
			}
		})
	} else {
		var conflicting []labels.Label
		target.LabelsRange(func(l labels.Label) {
			if v := lset.Get(l.Name); v != "" {
				conflicting = append(conflicting, labels.Label{Name: l.Name, Value: v})
			}
			lb.Set(l.Name, l.Value)
		})
		slices.SortStableFunc(conflicting, func(a, b labels.Label) int { return len(a.Name) - len(b.Name) })
		for _, l := range conflicting {
			name := l.Name
			for {
				name = model.ExportedLabelPrefix + name
				if lb.Get(name) == "" {
					lb.Set(name, l.Value)
					break
				}
			}
		}
	}
	if !relabel.ProcessBuilder(lb, rc...) {
		return labels.EmptyLabels()
	}
	return lb.Labels()
}

// exposition parses an exporter's text with Prometheus' own text parser
// (which writes le and quantile as floats, le="250.0", as Prometheus 3
// stores them) into its series, in the text's order.
func exposition(t *testing.T, path string) []labels.Labels {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := textparse.NewPromParser(data, labels.NewSymbolTable(), false)
	var out []labels.Labels
	for {
		e, err := p.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if e == textparse.EntrySeries {
			var l labels.Labels
			p.Labels(&l)
			out = append(out, l)
		}
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, x, y)
		}
	}
	return ""
}
