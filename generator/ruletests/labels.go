package ruletests

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"regexp/syntax"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/meshslo/meshslo/generator/catalogue"
	"github.com/meshslo/meshslo/generator/profile"

	"github.com/meshslo/meshslo/generator/selector"
)

// lbls is a label set of an input series or an expected result.
type lbls map[string]string

func (l lbls) with(kv ...string) lbls {
	out := lbls{}
	for k, v := range l {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(out, kv[i])
		} else {
			out[kv[i]] = kv[i+1]
		}
	}
	return out
}

func (l lbls) only(keys ...string) lbls {
	out := lbls{}
	for _, k := range keys {
		if v, ok := l[k]; ok {
			out[k] = v
		}
	}
	return out
}

// of renders name{labels} with sorted label names, quoted as PromQL reads them.
func (l lbls) of(name string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strconv.Quote(l[k])
	}
	return name + "{" + strings.Join(parts, ", ") + "}"
}

// fit makes l match the profile's selector for its source: equality
// matchers set their label, other matchers must already match or are tried
// with their literal value. A selector no series could satisfy is an error.
func fit(l lbls, ms selector.Matchers, source string) (lbls, error) {
	out := l.with()
	for _, m := range ms {
		if m.Matches(out[m.Name]) {
			continue
		}
		var tries []string
		switch m.Type {
		case labels.MatchEqual:
			tries = []string{m.Value}
		case labels.MatchRegexp:
			tries = append([]string{m.Value}, strings.Split(m.Value, "|")...)
			if ex, ok := example(m.Value); ok {
				tries = append(tries, ex)
			}
		case labels.MatchNotEqual, labels.MatchNotRegexp:
			tries = []string{"", out[m.Name] + "-other"}
		}
		ok := false
		for _, t := range tries {
			if m.Matches(t) {
				out = out.with(m.Name, t)
				ok = ok || true
				break
			}
		}
		if !ok {
			return nil, fmt.Errorf("cannot build %s test series that match the selector %s (matcher %s)", source, ms.String(), m.String())
		}
	}
	return out, nil
}

// Pod name suffixes, as a ReplicaSet names its pods.
var podSuffixes = []string{"x7k2p", "m4q9z", "c2w8n", "h6t3v", "p9d4r", "w3n7b", "k8s5f", "t2g6j"}

func podSuffix(i int) string {
	if i < len(podSuffixes) {
		return podSuffixes[i]
	}
	return fmt.Sprintf("r%03d", i)
}

// kps says whether the profile's Prometheus is kube-prometheus-stack
// scraping through meshslo's generated monitors: then every input series
// starts from the target labels the real stack stores
// (catalogue.TargetLabels, derived with prometheus-operator's, Prometheus'
// discovery and relabel code), and the series' own labels win where the
// scrape honours them (cAdvisor, kube-state-metrics) or add to them.
func (b *builder) kps() bool {
	return b.c.Profile.Spec.Prometheus.Scrape == profile.ScrapeKubePrometheusStack
}

// storedOn is source's stored target labels with own on top ("" removes).
func storedOn(source string, own lbls) lbls {
	l := lbls(catalogue.TargetLabels(source))
	var kv []string
	for k, v := range own {
		kv = append(kv, k, v)
	}
	return l.with(kv...)
}

// istiod is an istiod pod's series: under kube-prometheus-stack as the
// generated ServiceMonitor stores it (job, app and istio_io_rev from its
// targetLabels, service, endpoint, no container), else what the
// kubernetes-pods job of Istio's sample Prometheus gives it.
func (b *builder) istiod(i int) lbls {
	if b.kps() {
		l := storedOn(catalogue.SourceIstiod, lbls{
			"namespace": b.c.Profile.Spec.Istiod.Namespace, "pod": "istiod-6d4b9c8f7-" + podSuffix(i),
			"instance": fmt.Sprintf("10.12.0.%d:15014", 20+i),
		})
		return b.fitted(l, b.c.Selectors.Istiod, "istiod")
	}
	l := lbls{
		"app": "istiod", "istio": "pilot", "istio_io_rev": "default", "pod_template_hash": "6d4b9c8f7",
		"job": "kubernetes-pods", "instance": fmt.Sprintf("10.12.0.%d:15014", 20+i),
		"namespace": "istio-system", "pod": "istiod-6d4b9c8f7-" + podSuffix(i),
	}
	return b.fitted(l, b.c.Selectors.Istiod, "istiod")
}

// cadvisor is a kubelet cAdvisor series of one container ("" is the pod total).
func (b *builder) cadvisor(namespace, pod, container, image string) lbls {
	id := "/kubepods/burstable/pod7f1c2a9e-3b4d-4e8f-9a0b-1c2d3e4f5a6b"
	if container != "" {
		id += "/" + fmt.Sprintf("%x", len(pod)*7919+len(container)*104729) + "c0ffee"
	}
	l := lbls{
		"job": "kubelet", "metrics_path": "/metrics/cadvisor", "instance": "10.0.3.17:10250", "node": "node-pool-a-3",
		"service": "kube-prometheus-stack-kubelet", "endpoint": "https-metrics",
		"namespace": namespace, "pod": pod, "container": container, "image": image, "id": id,
	}
	if b.kps() {
		l = storedOn(catalogue.SourceCadvisor, lbls{"namespace": namespace, "pod": pod, "container": container, "image": image, "id": id,
			"name": id[len(id)-8:]})
	}
	if container == "" {
		delete(l, "container")
		delete(l, "image")
	}
	return b.fitted(l, b.c.Selectors.Cadvisor, "cadvisor")
}

// kubeStateMetrics is a kube-state-metrics series about one container.
func (b *builder) kubeStateMetrics(namespace, pod, container string) lbls {
	l := lbls{
		"job": "kube-state-metrics", "instance": "10.12.4.9:8080", "service": "kube-prometheus-stack-kube-state-metrics",
		"namespace": namespace, "pod": pod, "container": container, "node": "node-pool-a-3",
		"uid": "7f1c2a9e-3b4d-4e8f-9a0b-1c2d3e4f5a6b",
	}
	if b.kps() {
		l = storedOn(catalogue.SourceKubeStateMetrics, lbls{"namespace": namespace, "pod": pod, "container": container,
			"uid": "7f1c2a9e-3b4d-4e8f-9a0b-1c2d3e4f5a6b"})
	}
	return b.fitted(l, b.c.Selectors.KubeStateMetrics, "kube-state-metrics")
}

// kubeStateMetricsObject is a kube-state-metrics series about an object
// that is not a container (a HorizontalPodAutoscaler), in a namespace.
func (b *builder) kubeStateMetricsObject(namespace string) lbls {
	l := lbls{
		"job": "kube-state-metrics", "instance": "10.12.4.9:8080", "service": "kube-prometheus-stack-kube-state-metrics",
		"namespace": namespace,
	}
	if b.kps() {
		// The series names no pod or container: kube-state-metrics' own stay.
		l = storedOn(catalogue.SourceKubeStateMetrics, lbls{"namespace": namespace})
	}
	return b.fitted(l, b.c.Selectors.KubeStateMetrics, "kube-state-metrics")
}

// envoy is a sidecar's Envoy stats series, as the operator's PodMonitor scrapes them.
func (b *builder) envoy(namespace, pod, app string, i int) lbls {
	l := lbls{
		"job": namespace + "/envoy-stats-monitor", "instance": fmt.Sprintf("10.12.%d.%d:15090", 8+i/200, 10+i%200),
		"namespace": namespace, "pod": pod, "container": catalogue.SidecarContainer, "app": app, "version": "v1",
		"security_istio_io_tlsMode": "istio", "service_istio_io_canonical_name": app,
	}
	if b.kps() {
		l = storedOn(catalogue.SourceProxy, lbls{"namespace": namespace, "pod": pod,
			"instance": fmt.Sprintf("10.12.%d.%d:15020", 8+i/200, 10+i%200)})
	}
	return b.fitted(l, b.c.Selectors.Proxies, "proxies")
}

func (b *builder) fitted(l lbls, ms selector.Matchers, source string) lbls {
	out, err := fit(l, ms, source)
	if err != nil {
		b.fail(err)
		return l
	}
	return out
}

// example returns a short string the regular expression matches, for
// selectors whose literal text is no match (job=~"pilot-[0-9]+").
func example(re string) (string, bool) {
	r, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return "", false
	}
	var sb strings.Builder
	if !writeExample(&sb, r.Simplify(), 0) {
		return "", false
	}
	return sb.String(), true
}

func writeExample(sb *strings.Builder, r *syntax.Regexp, depth int) bool {
	if depth > 100 {
		return false
	}
	switch r.Op {
	case syntax.OpLiteral:
		sb.WriteString(string(r.Rune))
	case syntax.OpCharClass:
		if len(r.Rune) == 0 {
			return false
		}
		sb.WriteRune(r.Rune[0])
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		sb.WriteByte('a')
	case syntax.OpEmptyMatch, syntax.OpStar, syntax.OpQuest, syntax.OpBeginLine, syntax.OpEndLine,
		syntax.OpBeginText, syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
	case syntax.OpPlus, syntax.OpCapture:
		return writeExample(sb, r.Sub[0], depth+1)
	case syntax.OpRepeat:
		for i := 0; i < r.Min; i++ {
			if !writeExample(sb, r.Sub[0], depth+1) {
				return false
			}
		}
	case syntax.OpConcat:
		for _, sub := range r.Sub {
			if !writeExample(sb, sub, depth+1) {
				return false
			}
		}
	case syntax.OpAlternate:
		return writeExample(sb, r.Sub[0], depth+1)
	default:
		return false
	}
	return true
}

// dropped says whether the profile's scrape setup drops a series family
// before storage: kube-prometheus-stack's kubelet ServiceMonitor drops
// cAdvisor's container_spec_* (its values' cAdvisorMetricRelabelings).
func (b *builder) dropped(metric string) bool {
	return b.c.Profile.Spec.Prometheus.Scrape == profile.ScrapeKubePrometheusStack && strings.HasPrefix(metric, "container_spec_")
}

// keep returns the series the scrape setup stores.
func (b *builder) keep(ss ...series) []series {
	var out []series
	for _, s := range ss {
		name, _, _ := strings.Cut(s.Series, "{")
		if !b.dropped(name) {
			out = append(out, s)
		}
	}
	return out
}

// The label sets below are what kube-prometheus-stack stores for each
// scrape target meshslo generates (spec.prometheus.scrape
// kube-prometheus-stack): the ServiceMonitor of istiod (targetLabels app
// and istio.io/rev), the PodMonitor of the proxies on :15020, and
// cert-manager's own chart ServiceMonitor
// (cert-manager deploy/charts/cert-manager/templates/servicemonitor.yaml:
// jobLabel is a label the Service lacks, so job is the Service's name;
// honorLabels false by default, so the Certificate's namespace label is
// stored as exported_namespace). They stand in one place so the label
// sets derived from prometheus-operator's and Prometheus's own relabel
// code (generator/catalogue) can replace them.

// scrapedIstiod is an istiod series as the scrape setup stores it.
func (b *builder) scrapedIstiod(i int) lbls { return b.istiod(i) }

// scrapedIstiods are the istiod replicas the tests run, as scrapedIstiod.
func (b *builder) scrapedIstiods() []lbls {
	out := make([]lbls, max(b.c.Profile.Spec.Istiod.MinReplicas, 2))
	for k := range out {
		out[k] = b.scrapedIstiod(k)
	}
	return out
}

// resource is a kube-state-metrics series of a container's resource
// request or limit (kube_pod_container_resource_limits{resource, unit}),
// or of an init container's (native sidecars) when init is set.
func (b *builder) resource(namespace, pod, container, family, resource string, init bool) string {
	unit := map[string]string{"cpu": "core", "memory": "byte"}[resource]
	name := "kube_pod_container_resource_" + family
	if init {
		name = "kube_pod_init_container_resource_" + family
	}
	return b.kubeStateMetrics(namespace, pod, container).with("resource", resource, "unit", unit).of(name)
}

// scrapedAgent is a series of a proxy's istio-agent, scraped on the merged
// endpoint :15020/stats/prometheus.
func (b *builder) scrapedAgent(namespace, pod string, i int) lbls {
	l := storedOn(catalogue.SourceProxy, lbls{"namespace": namespace, "pod": pod,
		"instance": fmt.Sprintf("10.12.%d.%d:15020", 8+i/200, 10+i%200)})
	if b.c.Profile.Spec.Prometheus.Scrape == profile.ScrapeIstioSample {
		l = lbls{"job": "kubernetes-pods", "namespace": namespace, "pod": pod, "app": strings.SplitN(pod, "-", 2)[0],
			"instance": fmt.Sprintf("10.12.%d.%d:15020", 8+i/200, 10+i%200)}
	}
	return b.fitted(l, b.c.Selectors.Proxies, "proxies")
}

// scrapedCertManager is a cert-manager Certificate series: name and
// issuer from cert-manager (pkg/metrics/certificates.go), the
// Certificate's namespace as exported_namespace beside the controller
// pod's target labels (honorLabels false) or as namespace (honorLabels
// true).
func (b *builder) scrapedCertManager(certNamespace, name, issuerKind, issuerName string, honorLabels bool) lbls {
	l := lbls{
		"job": "cert-manager", "namespace": "cert-manager", "pod": "cert-manager-5d7f97b46d-" + podSuffix(0),
		"container": "cert-manager-controller", "service": "cert-manager", "endpoint": "9402", "instance": "10.12.2.31:9402",
		"exported_namespace": certNamespace, "name": name,
		"issuer_kind": issuerKind, "issuer_name": issuerName, "issuer_group": "cert-manager.io",
	}
	if honorLabels {
		l = l.with("exported_namespace", "", "namespace", certNamespace)
	}
	return b.fitted(l, b.c.Selectors.CertManager, "certManager")
}
