package e2e

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The synthetic mesh a real Prometheus scrapes: 20 services of 10 pods
// (200 sidecars), 2 istiod pods and 3 ztunnel pods, with the faults of the
// scenario set on the fields below. Counters grow with wall-clock time at
// fixed rates, so rate() sees the rates given here whatever the scrape
// timing.

type mesh struct {
	start    time.Time
	istiods  []*istiod
	services []*service
	proxies  []*proxy
	ztunnels []string
}

type istiod struct {
	pod string
	// heap is go_memstats_heap_alloc_bytes; limit the cgroup limit cAdvisor
	// reports for the discovery container (0: none, as Helm installs it).
	heap, limit float64
	// cpuCores is the CPU it burns; cpuQuotaCores its CPU limit (0: none,
	// then its request of cpuRequestCores counts).
	cpuCores, cpuQuotaCores, cpuRequestCores float64
}

type service struct {
	namespace, name, caller string
	rps                     float64
	// errorRatio is the share answered with 503; slowRatio the share slower
	// than 250ms.
	errorRatio, slowRatio float64
	pods                  []*proxy
}

type proxy struct {
	namespace, pod string
	// connected is the xds-grpc connection to istiod.
	connected   bool
	memoryBytes float64
	certLeft    float64
}

// envoyBucketsMs are Envoy's default istio_request_duration_milliseconds
// boundaries; latency is the cumulative share of requests within each.
var envoyBucketsMs = []float64{0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000}

// withinBucket is the share of a healthy service's requests within each
// boundary up to 100ms; from 250ms on the service's slowRatio decides.
var withinBucket = map[float64]float64{0.5: 0, 1: 0.01, 5: 0.10, 10: 0.30, 25: 0.60, 50: 0.85, 100: 0.95}

// within is the share of the service's requests that took at most le ms.
func (s *service) within(le float64) float64 {
	switch {
	case le > 250:
		return 1
	case le == 250:
		return 1 - s.slowRatio
	default:
		return min(withinBucket[le], 1-s.slowRatio)
	}
}

func newMesh(start time.Time) *mesh {
	m := &mesh{start: start}
	namespaces := []struct {
		name     string
		services []string
	}{
		{"shop", []string{"frontend", "cart", "checkout", "payment", "shipping"}},
		{"catalog", []string{"products", "search", "recommendations", "reviews", "ratings"}},
		{"accounts", []string{"users", "auth", "profiles", "sessions", "notifications"}},
		{"ops", []string{"orders", "inventory", "invoices", "ledger", "audit"}},
	}
	for _, ns := range namespaces {
		for _, name := range ns.services {
			s := &service{namespace: ns.name, name: name, caller: "frontend", rps: 50, slowRatio: 0.01}
			if name == "frontend" {
				s.caller = "istio-ingressgateway"
			}
			for range 10 {
				p := &proxy{
					namespace:   ns.name,
					pod:         fmt.Sprintf("%s-7f9c6d8b5-%s", name, podSuffix(len(m.proxies))),
					connected:   true,
					memoryBytes: float64((140 + 7*(len(m.proxies)%20)) << 20),
					certLeft:    float64(43200 + 97*len(m.proxies)),
				}
				s.pods = append(s.pods, p)
				m.proxies = append(m.proxies, p)
			}
			m.services = append(m.services, s)
		}
	}
	m.istiods = []*istiod{
		{pod: "istiod-6c8f7b9d4-2xkqp", heap: 2 << 30, limit: 6 << 30, cpuCores: 0.6, cpuQuotaCores: 2, cpuRequestCores: 0.5},
		{pod: "istiod-6c8f7b9d4-9wz7m", heap: 3 << 30, cpuCores: 0.2, cpuRequestCores: 0.5},
	}
	m.ztunnels = []string{"ztunnel-4k7xq", "ztunnel-8p2mz", "ztunnel-c9v3n"}
	return m
}

// podSuffix is a stable 5-letter pod name suffix, like the ones the
// ReplicaSet controller makes.
func podSuffix(i int) string {
	const letters = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, 5)
	x := i*7919 + 104729
	for j := range b {
		b[j] = letters[x%len(letters)]
		x /= len(letters)
		x += i + j
	}
	return string(b)
}

func (m *mesh) service(name string) *service {
	for _, s := range m.services {
		if s.name == name {
			return s
		}
	}
	panic("no service " + name)
}

// exposition collects samples by family, because the text format wants a
// family's samples together under one TYPE line.
type exposition struct {
	order    []string
	families map[string]*family
}

type family struct {
	typ   string
	lines []string
}

func (e *exposition) add(fam, typ, name string, value float64, labels ...string) {
	if e.families == nil {
		e.families = map[string]*family{}
	}
	f, ok := e.families[fam]
	if !ok {
		f = &family{typ: typ}
		e.families[fam] = f
		e.order = append(e.order, fam)
	}
	var b strings.Builder
	b.WriteString(name)
	if len(labels) > 0 {
		b.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%s=%q", labels[i], labels[i+1])
		}
		b.WriteByte('}')
	}
	b.WriteByte(' ')
	b.WriteString(strconv.FormatFloat(value, 'f', -1, 64))
	f.lines = append(f.lines, b.String())
}

func (e *exposition) String() string {
	var b strings.Builder
	for _, name := range e.order {
		f := e.families[name]
		fmt.Fprintf(&b, "# TYPE %s %s\n", name, f.typ)
		for _, l := range f.lines {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// handler serves an exposition built at request time.
func handler(mu *sync.Mutex, build func(e *exposition)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		var e exposition
		build(&e)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_, _ = w.Write([]byte(e.String()))
	})
}

func (m *mesh) elapsed() float64 { return time.Since(m.start).Seconds() }

// istiodMetrics is what istiod's own /metrics shows. namespace, pod and app
// are not in it: Prometheus adds them from the target, as the Kubernetes
// service discovery does.
func (m *mesh) istiodMetrics(i *istiod, e *exposition) {
	t := m.elapsed()
	connected := 0
	for _, p := range m.proxies {
		if p.connected {
			connected++
		}
	}
	connected += len(m.ztunnels) // ztunnels hold xDS streams too
	e.add("go_memstats_heap_alloc_bytes", "gauge", "go_memstats_heap_alloc_bytes", i.heap)
	e.add("process_resident_memory_bytes", "gauge", "process_resident_memory_bytes", i.heap*1.3)
	// The streams are spread over the replicas; the first takes the remainder.
	share := connected / len(m.istiods)
	if i == m.istiods[0] {
		share += connected % len(m.istiods)
	}
	e.add("pilot_xds", "gauge", "pilot_xds", float64(share), "version", "1.24.2")
	for _, typ := range []string{"cds", "eds", "lds", "rds", "sds"} {
		e.add("pilot_xds_pushes", "counter", "pilot_xds_pushes", 50000+40*t, "type", typ)
	}
	for _, typ := range []string{"cds_senderr", "eds_senderr", "lds_senderr", "rds_senderr"} {
		e.add("pilot_xds_pushes", "counter", "pilot_xds_pushes", 3, "type", typ)
	}
	for _, typ := range []string{"cds", "eds", "lds", "rds"} {
		e.add("pilot_total_xds_rejects", "counter", "pilot_total_xds_rejects", 0, "type", typ)
	}
	pushes := 20000 + 30*t
	for _, b := range []struct {
		le    string
		share float64
	}{{"0.1", 0.7}, {"0.5", 0.95}, {"1", 0.99}, {"3", 0.999}, {"5", 1}, {"10", 1}, {"20", 1}, {"30", 1}, {"+Inf", 1}} {
		e.add("pilot_proxy_convergence_time", "histogram", "pilot_proxy_convergence_time_bucket", pushes*b.share, "le", b.le)
	}
	e.add("pilot_proxy_convergence_time", "histogram", "pilot_proxy_convergence_time_sum", pushes*0.08)
	e.add("pilot_proxy_convergence_time", "histogram", "pilot_proxy_convergence_time_count", pushes)
	for _, g := range []string{"pilot_conflict_inbound_listener", "pilot_conflict_outbound_listener_tcp_over_current_tcp",
		"pilot_duplicate_envoy_clusters", "pilot_vservice_dup_domain", "pilot_eds_no_instances"} {
		e.add(g, "gauge", g, 0)
	}
	e.add("pilot_services", "gauge", "pilot_services", float64(len(m.services)))
	e.add("sidecar_injection_requests_total", "counter", "sidecar_injection_requests_total", 400)
	e.add("sidecar_injection_success_total", "counter", "sidecar_injection_success_total", 400)
	e.add("sidecar_injection_failure_total", "counter", "sidecar_injection_failure_total", 0)
	e.add("citadel_server_root_cert_expiry_seconds", "gauge", "citadel_server_root_cert_expiry_seconds", 9*365*86400-t)
	e.add("citadel_server_cert_chain_expiry_seconds", "gauge", "citadel_server_cert_chain_expiry_seconds", 300*86400-t)
	e.add("istio_build", "gauge", "istio_build", 1, "component", "pilot", "tag", "1.24.2")
}

// envoyMetrics is what the sidecars show on :15090/stats/prometheus and
// :15020 (Envoy, agent and Istio's standard metrics), every pod at once:
// the scrape job keeps the exposed namespace and pod (honor_labels).
func (m *mesh) envoyMetrics(e *exposition) {
	t := m.elapsed()
	for _, p := range m.proxies {
		id := []string{"namespace", p.namespace, "pod", p.pod}
		xds := 0.0
		if p.connected {
			xds = 1
		}
		e.add("envoy_cluster_upstream_cx_active", "gauge", "envoy_cluster_upstream_cx_active", xds, append([]string{"cluster_name", "xds-grpc"}, id...)...)
		// A proxy cut off from istiod still talks to its upstreams.
		e.add("envoy_cluster_upstream_cx_active", "gauge", "envoy_cluster_upstream_cx_active", 3, append([]string{"cluster_name", "outbound|8080||users.accounts.svc.cluster.local"}, id...)...)
		e.add("envoy_cluster_manager_cds_update_attempt", "counter", "envoy_cluster_manager_cds_update_attempt", 120, id...)
		e.add("envoy_cluster_manager_cds_update_rejected", "counter", "envoy_cluster_manager_cds_update_rejected", 0, id...)
		e.add("envoy_listener_manager_lds_update_rejected", "counter", "envoy_listener_manager_lds_update_rejected", 0, id...)
		e.add("istio_agent_cert_expiry_seconds", "gauge", "istio_agent_cert_expiry_seconds", p.certLeft-t, append([]string{"resource_name", "default"}, id...)...)
		// The agent relays every push and its ACK; cut off from istiod, its
		// stream fails on every Envoy retry.
		e.add("istio_agent_xds_proxy_requests", "counter", "istio_agent_xds_proxy_requests", 30+2*t, id...)
		e.add("istio_agent_xds_proxy_responses", "counter", "istio_agent_xds_proxy_responses", 28+2*t, id...)
		terminations := 1.0
		if !p.connected {
			terminations += t / 10
		}
		e.add("istio_agent_istiod_connection_terminations", "counter", "istio_agent_istiod_connection_terminations", terminations, append([]string{"type", "error"}, id...)...)
	}
	for _, s := range m.services {
		perPod := s.rps / float64(len(s.pods))
		for _, p := range s.pods {
			for _, code := range []struct {
				code  string
				share float64
			}{{"200", 1 - s.errorRatio}, {"503", s.errorRatio}} {
				if code.share == 0 {
					continue
				}
				n := perPod * code.share * (t + 3600)
				for _, reporter := range []string{"destination", "source"} {
					labels := []string{
						"reporter", reporter, "source_workload", s.caller, "source_workload_namespace", "shop",
						"destination_workload", s.name, "destination_workload_namespace", s.namespace,
						"destination_service", s.name + "." + s.namespace + ".svc.cluster.local",
						"destination_service_name", s.name, "destination_service_namespace", s.namespace,
						"request_protocol", "http", "response_code", code.code, "response_flags", "-",
						"connection_security_policy", "mutual_tls",
						"namespace", p.namespace, "pod", p.pod,
					}
					e.add("istio_requests_total", "counter", "istio_requests_total", n, labels...)
					for _, le := range envoyBucketsMs {
						e.add("istio_request_duration_milliseconds", "histogram", "istio_request_duration_milliseconds_bucket", n*s.within(le),
							append(labels, "le", strconv.FormatFloat(le, 'f', -1, 64))...)
					}
					e.add("istio_request_duration_milliseconds", "histogram", "istio_request_duration_milliseconds_bucket", n, append(labels, "le", "+Inf")...)
					e.add("istio_request_duration_milliseconds", "histogram", "istio_request_duration_milliseconds_sum", n*42, labels...)
					e.add("istio_request_duration_milliseconds", "histogram", "istio_request_duration_milliseconds_count", n, labels...)
				}
			}
		}
	}
}

// cadvisorMetrics is the kubelet's /metrics/cadvisor for every node at once.
func (m *mesh) cadvisorMetrics(e *exposition) {
	t := m.elapsed()
	container := func(ns, pod, name, image string) []string {
		return []string{"namespace", ns, "pod", pod, "container", name, "image", image,
			"id", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + pod + ".slice/cri-containerd-" + name + ".scope"}
	}
	podLevel := func(ns, pod string) []string {
		return []string{"namespace", ns, "pod", pod, "container", "", "id", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + pod + ".slice"}
	}
	for _, p := range m.proxies {
		app := strings.SplitN(p.pod, "-", 2)[0]
		e.add("container_memory_working_set_bytes", "gauge", "container_memory_working_set_bytes", p.memoryBytes, container(p.namespace, p.pod, "istio-proxy", "docker.io/istio/proxyv2:1.24.2")...)
		e.add("container_memory_working_set_bytes", "gauge", "container_memory_working_set_bytes", 2<<30, container(p.namespace, p.pod, app, "registry.example.com/"+app+":2.3.1")...)
		e.add("container_memory_working_set_bytes", "gauge", "container_memory_working_set_bytes", 2<<30+p.memoryBytes, podLevel(p.namespace, p.pod)...)
	}
	// ztunnel's container is named istio-proxy too; a busy node's ztunnel
	// uses more than a sidecar is allowed.
	for _, z := range m.ztunnels {
		e.add("container_memory_working_set_bytes", "gauge", "container_memory_working_set_bytes", 1200<<20, container("istio-system", z, "istio-proxy", "docker.io/istio/ztunnel:1.24.2")...)
	}
	for _, i := range m.istiods {
		c := container("istio-system", i.pod, "discovery", "docker.io/istio/pilot:1.24.2")
		e.add("container_memory_working_set_bytes", "gauge", "container_memory_working_set_bytes", i.heap*1.4, c...)
		e.add("container_cpu_usage_seconds_total", "counter", "container_cpu_usage_seconds_total", 5000+i.cpuCores*t, c...)
	}
}

// kubeStateMetrics is kube-state-metrics' /metrics: containers that run,
// their requests and limits. kube-prometheus-stack's kubelet job drops
// cAdvisor's container_spec_* series, so limits come only from here.
func (m *mesh) kubeStateMetrics(e *exposition) {
	ctr := func(ns, pod, name string, kv ...string) []string {
		return append([]string{"namespace", ns, "pod", pod, "container", name, "uid", "uid-" + pod}, kv...)
	}
	for k, p := range m.proxies {
		// Every fourth proxy is a native sidecar: an init container.
		family := "kube_pod_container_"
		if k%4 == 3 {
			family = "kube_pod_init_container_"
		}
		e.add(family+"status_running", "gauge", family+"status_running", 1, ctr(p.namespace, p.pod, "istio-proxy")...)
		e.add(family+"resource_limits", "gauge", family+"resource_limits", 1<<30, ctr(p.namespace, p.pod, "istio-proxy", "resource", "memory", "unit", "byte")...)
		e.add("kube_pod_container_status_restarts_total", "counter", "kube_pod_container_status_restarts_total", 0, ctr(p.namespace, p.pod, strings.SplitN(p.pod, "-", 2)[0])...)
	}
	for _, z := range m.ztunnels {
		e.add("kube_pod_container_status_running", "gauge", "kube_pod_container_status_running", 1, ctr("istio-system", z, "istio-proxy")...)
	}
	for _, i := range m.istiods {
		c := func(kv ...string) []string { return ctr("istio-system", i.pod, "discovery", kv...) }
		e.add("kube_pod_container_resource_requests", "gauge", "kube_pod_container_resource_requests", i.cpuRequestCores, c("resource", "cpu", "unit", "core")...)
		if i.limit > 0 {
			e.add("kube_pod_container_resource_limits", "gauge", "kube_pod_container_resource_limits", i.limit, c("resource", "memory", "unit", "byte")...)
		}
		if i.cpuQuotaCores > 0 {
			e.add("kube_pod_container_resource_limits", "gauge", "kube_pod_container_resource_limits", i.cpuQuotaCores, c("resource", "cpu", "unit", "core")...)
		}
	}
}

// sortedKeys is for stable messages.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
