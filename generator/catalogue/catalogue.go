// Package catalogue lists the metrics that current Istio, Envoy, cAdvisor,
// kube-state-metrics and Prometheus itself export, each with where that is
// documented. Generated expressions may name only these (or series our own
// recording rules write): several popular Istio alert sets still query
// metrics Istio removed years ago, and such rules never fire.
package catalogue

import (
	"fmt"
	"sort"
	"strings"

	"github.com/prometheus/prometheus/promql/parser"
)

// Entry is one exported metric.
type Entry struct {
	Name string
	// Type is the Prometheus metric type: counter, gauge, histogram.
	Type string
	// Source is the component that exports it.
	Source string
	// Citation is the repository path or document that defines it.
	Citation string
}

const (
	istiodMonitoring = "istio/istio pilot/pkg/xds/monitoring.go, pilot/pkg/features (registered via pkg/monitoring)"
	istiodModel      = "istio/istio pilot/pkg/model/push_context.go"
	injection        = "istio/istio pkg/kube/inject/webhook.go (metrics.go)"
	citadel          = "istio/istio security/pkg/server/ca/monitoring.go, security/pkg/pki/ca/ca.go"
	goRuntime        = "prometheus/client_golang prometheus/go_collector.go, process_collector.go (default registry of istiod)"
	envoyCluster     = "envoyproxy/envoy docs: configuration/upstream/cluster_manager/cluster_stats (kept by Istio's default proxyStatsMatcher)"
	envoyLDS         = "envoyproxy/envoy docs: configuration/listeners/lds (listener_manager.lds.*)"
	istioStandard    = "istio.io docs/reference/config/metrics (Istio standard metrics), istio/proxy extensions/stats"
	istioAgent       = "istio/istio pkg/istio-agent/metrics/metrics.go (istio_agent_cert_expiry_seconds, 1.14+)"
	istioAgentCSR    = "istio/istio security/pkg/nodeagent/cache/monitoring.go (num_failed_outgoing_requests{request_type}; request_type=\"csr\" counted in secretcache.go on a failed CSRSign), exported as istio_agent_* on :15020/stats/prometheus"
	certManager      = "cert-manager/cert-manager pkg/metrics/certificates.go (labels name, namespace, issuer_name, issuer_kind, issuer_group; 0 until issued); chart ServiceMonitor deploy/charts/cert-manager/templates/servicemonitor.yaml, honorLabels false by default: namespace stored as exported_namespace"
	ztunnel          = "istio/ztunnel src/metrics/*.rs"
	cadvisor         = "google/cadvisor metrics/prometheus.go; docs/storage/prometheus.md"
	ksm              = "kubernetes/kube-state-metrics docs/metrics/workload/pod-metrics.md, internal/store/pod.go"
	ksmDeployment    = "kubernetes/kube-state-metrics docs/metrics/workload/deployment-metrics.md, internal/store/deployment.go (labels namespace, deployment); read for gateway and waypoint Deployments (istiod names a waypoint's Deployment after its Gateway: istio/istio pilot/pkg/config/kube/gatewaycommon/classinfo.go DisableNameSuffix, deploymentcontroller.go DeploymentName)"
	ksmZtunnel       = "kubernetes/kube-state-metrics internal/store/pod.go (kube_pod_info{node, created_by_kind, created_by_name, host_ip, pod_ip, priority_class, host_network}, kube_pod_status_ready{condition=true|false|unknown}), internal/store/daemonset.go (kube_daemonset_status_*{namespace, daemonset}), internal/store/node.go (kube_node_info{node, ...})"
	ztunnelL4        = "istio/ztunnel src/proxy/metrics.rs: tcp_connections_opened/closed (every version; closed carries response_flags DENY and CONNECT from 1.24, DENY only in 1.22-1.23, and TLS_FAILURE, H2_HANDSHAKE_FAILURE, NETWORK_POLICY, IDENTITY_ERROR, CERT_REVOKED from 1.29), tcp_connections_failed (1.29+, the closes with a failure flag), under the istio_ prefix (src/metrics.rs)"
	ztunnelXDS       = "istio/ztunnel src/xds/metrics.rs (xds_connection_terminations{reason=ConnectionError|Error|Reconnect|Complete}, under the istio_ prefix of src/metrics.rs; since ztunnel 1.22, named connection_terminations before), reasons counted in src/xds/client.rs run_loop"
	ztunnelDNS       = "istio/ztunnel src/dns/metrics.rs (dns_requests, dns_upstream_requests, dns_upstream_failures{request_query_type, request_protocol, source_canonical_service, source_canonical_revision}, under the istio_ prefix; since ztunnel 1.19)"
	ksmHPA           = "kubernetes/kube-state-metrics docs/metrics/workload/horizontalpodautoscaler-metrics.md, internal/store/hpa.go"
	istioAgentXDS    = "istio/istio pkg/istio-agent/metrics/metrics.go (istiod_connection_terminations{type=error|cancelled}, xds_proxy_requests, xds_proxy_responses; served only on the merged :15020/stats/prometheus)"
	istiodRejects    = "istio/istio pilot/pkg/xds/monitoring.go (pilot_xds_{cds,eds,lds,rds}_reject{node=<pod>.<namespace>, err}: set to 1 at a proxy's first NACK, never reset or deleted, measured on the fixture; not read by the rules)"
	apiserver        = "kubernetes/kubernetes staging/src/k8s.io/apiserver/pkg/admission/metrics/metrics.go (webhookRejection: name, type, operation, error_type, rejection_code; calling_webhook_error counted only for failurePolicy Fail, pkg/admission/plugin/webhook/{mutating,validating}/dispatcher.go); scraped by kube-prometheus-stack's apiserver job"
	istiodRemote     = "istio/istio pkg/kube/multicluster/secretcontroller.go (istiod_remote_cluster_sync_status{cluster, cluster_type, status=synced|syncing|timeout|closed}, added in 1.29.0 by istio/istio#58384; the remote in label cluster, moved to remote_cluster by the generated ServiceMonitor; istiod_managed_clusters{cluster_type}; remote_cluster_sync_timeouts_total)"
	prom             = "prometheus/prometheus docs: configuration/recording_rules, jobs_instances (up), alerting_rules (ALERTS)"
)

var entries = []Entry{
	// Prometheus itself.
	{"up", "gauge", "prometheus", prom},
	{"ALERTS", "gauge", "prometheus", prom},
	{"ALERTS_FOR_STATE", "gauge", "prometheus", prom},

	// istiod: Go runtime and process collectors.
	{"go_memstats_heap_alloc_bytes", "gauge", "istiod", goRuntime},
	{"go_memstats_heap_inuse_bytes", "gauge", "istiod", goRuntime},
	{"go_goroutines", "gauge", "istiod", goRuntime},
	{"go_gc_gomemlimit_bytes", "gauge", "istiod", goRuntime},
	{"process_resident_memory_bytes", "gauge", "istiod", goRuntime},
	{"process_cpu_seconds_total", "counter", "istiod", goRuntime},

	// istiod: pilot (names carry no counter suffix: pkg/monitoring).
	{"pilot_xds", "gauge", "istiod", istiodMonitoring},
	{"istiod_remote_cluster_sync_status", "gauge", "istiod", istiodRemote},
	{"istiod_managed_clusters", "gauge", "istiod", istiodRemote},
	{"remote_cluster_sync_timeouts_total", "counter", "istiod", istiodRemote},
	{"pilot_xds_pushes", "counter", "istiod", istiodMonitoring},
	{"pilot_proxy_convergence_time", "histogram", "istiod", istiodMonitoring},
	{"pilot_proxy_queue_time", "histogram", "istiod", istiodMonitoring},
	{"pilot_debounce_time", "histogram", "istiod", istiodMonitoring},
	{"pilot_xds_send_time", "histogram", "istiod", istiodMonitoring},
	{"pilot_pushcontext_init_seconds", "histogram", "istiod", istiodMonitoring},
	{"pilot_xds_push_time", "histogram", "istiod", istiodMonitoring},
	{"pilot_xds_config_size_bytes", "histogram", "istiod", istiodMonitoring},
	{"pilot_push_triggers", "counter", "istiod", istiodMonitoring},
	{"pilot_total_xds_rejects", "counter", "istiod", istiodMonitoring},
	{"pilot_xds_cds_reject", "gauge", "istiod", istiodRejects},
	{"pilot_xds_eds_reject", "gauge", "istiod", istiodRejects},
	{"pilot_xds_lds_reject", "gauge", "istiod", istiodRejects},
	{"pilot_xds_rds_reject", "gauge", "istiod", istiodRejects},
	{"pilot_xds_expired_nonce", "counter", "istiod", istiodMonitoring},
	{"pilot_total_xds_internal_errors", "counter", "istiod", istiodMonitoring},
	{"pilot_xds_write_timeout", "counter", "istiod", istiodMonitoring},
	{"pilot_k8s_cfg_events", "counter", "istiod", istiodMonitoring},
	{"pilot_k8s_reg_events", "counter", "istiod", istiodMonitoring},
	{"pilot_inbound_updates", "counter", "istiod", istiodMonitoring},
	{"pilot_services", "gauge", "istiod", istiodModel},
	{"pilot_virt_services", "gauge", "istiod", istiodModel},
	{"pilot_duplicate_envoy_clusters", "gauge", "istiod", istiodModel},
	{"pilot_conflict_inbound_listener", "gauge", "istiod", istiodModel},
	{"pilot_conflict_outbound_listener_tcp_over_current_tcp", "gauge", "istiod", istiodModel},
	{"pilot_vservice_dup_domain", "gauge", "istiod", istiodModel},
	{"pilot_eds_no_instances", "gauge", "istiod", istiodModel},
	{"sidecar_injection_requests_total", "counter", "istiod", injection},
	{"sidecar_injection_success_total", "counter", "istiod", injection},
	{"sidecar_injection_failure_total", "counter", "istiod", injection},
	{"sidecar_injection_skip_total", "counter", "istiod", injection},
	{"galley_validation_passed", "counter", "istiod", "istio/istio pkg/webhooks/validation/server/monitoring.go"},
	{"galley_validation_failed", "counter", "istiod", "istio/istio pkg/webhooks/validation/server/monitoring.go"},
	{"citadel_server_root_cert_expiry_timestamp", "gauge", "istiod", citadel},
	{"citadel_server_cert_chain_expiry_timestamp", "gauge", "istiod", citadel},
	{"citadel_server_root_cert_expiry_seconds", "gauge", "istiod", citadel + " (1.23+)"},
	{"citadel_server_cert_chain_expiry_seconds", "gauge", "istiod", citadel + " (1.23+)"},
	{"citadel_server_csr_count", "counter", "istiod", citadel},
	{"citadel_server_success_cert_issuance_count", "counter", "istiod", citadel},
	{"citadel_server_csr_sign_err_count", "counter", "istiod", citadel},
	{"istio_build", "gauge", "istiod, ztunnel, proxies", "istio/istio pkg/version/stats.go (istio_build{component,tag}, tag the build's git tag; istiod records component=\"pilot\": pilot/pkg/bootstrap/monitoring.go), istio/ztunnel src/metrics/meta.rs (component=\"ztunnel\", tag the Istio version: src/version.rs ISTIO_META_ISTIO_VERSION)"},

	// Sidecar and gateway Envoy stats.
	{"envoy_cluster_upstream_cx_active", "gauge", "envoy", envoyCluster},
	{"envoy_cluster_manager_cds_update_rejected", "counter", "envoy", envoyCluster},
	{"envoy_cluster_manager_cds_update_attempt", "counter", "envoy", envoyCluster},
	{"envoy_cluster_manager_cds_update_success", "counter", "envoy", envoyCluster},
	{"envoy_listener_manager_lds_update_rejected", "counter", "envoy", envoyLDS},
	{"envoy_listener_manager_lds_update_attempt", "counter", "envoy", envoyLDS},
	{"envoy_listener_manager_lds_update_success", "counter", "envoy", envoyLDS},

	// Istio standard metrics (sidecars, gateways, waypoints).
	{"istio_requests_total", "counter", "envoy", istioStandard},
	{"istio_request_duration_milliseconds", "histogram", "envoy", istioStandard},
	{"istio_request_bytes", "histogram", "envoy", istioStandard},
	{"istio_response_bytes", "histogram", "envoy", istioStandard},
	{"istio_tcp_sent_bytes_total", "counter", "envoy, ztunnel", istioStandard},
	{"istio_tcp_received_bytes_total", "counter", "envoy, ztunnel", istioStandard},
	{"istio_tcp_connections_opened_total", "counter", "envoy, ztunnel", istioStandard},
	{"istio_tcp_connections_closed_total", "counter", "envoy, ztunnel", istioStandard},

	// Sidecar agent.
	{"istio_agent_cert_expiry_seconds", "gauge", "istio-agent", istioAgent},
	{"istio_agent_istiod_connection_terminations", "counter", "istio-agent", istioAgentXDS},
	{"istio_agent_xds_proxy_requests", "counter", "istio-agent", istioAgentXDS},
	{"istio_agent_xds_proxy_responses", "counter", "istio-agent", istioAgentXDS},
	{"istio_agent_num_failed_outgoing_requests", "counter", "istio-agent", istioAgentCSR},

	// cert-manager (spec.certificates.ca cert-manager), per Certificate.
	{"certmanager_certificate_expiration_timestamp_seconds", "gauge", "cert-manager", certManager},
	{"certmanager_certificate_renewal_timestamp_seconds", "gauge", "cert-manager", certManager},

	// ztunnel (ambient).
	{"istio_tcp_connections_failed_total", "counter", "ztunnel 1.29+", ztunnelL4},
	{"istio_tcp_sockets_open", "gauge", "ztunnel", ztunnel},
	{"istio_dns_requests_total", "counter", "ztunnel", ztunnelDNS},
	{"istio_dns_upstream_requests_total", "counter", "ztunnel 1.19+", ztunnelDNS},
	{"istio_dns_upstream_failures_total", "counter", "ztunnel 1.19+", ztunnelDNS},
	{"istio_xds_connection_terminations_total", "counter", "ztunnel 1.22+", ztunnelXDS},
	{"workload_manager_active_proxy_count", "gauge", "ztunnel", ztunnel},

	// cAdvisor (kubelet /metrics/cadvisor).
	{"container_memory_working_set_bytes", "gauge", "cadvisor", cadvisor},
	{"container_spec_memory_limit_bytes", "gauge", "cadvisor", cadvisor},
	{"container_cpu_usage_seconds_total", "counter", "cadvisor", cadvisor},
	{"container_cpu_cfs_throttled_periods_total", "counter", "cadvisor", cadvisor},
	{"container_cpu_cfs_periods_total", "counter", "cadvisor", cadvisor},
	{"container_spec_cpu_quota", "gauge", "cadvisor", cadvisor},
	{"container_spec_cpu_period", "gauge", "cadvisor", cadvisor},
	{"container_spec_cpu_shares", "gauge", "cadvisor", cadvisor},

	// kube-apiserver: the calls it makes to istiod's admission webhooks.
	{"apiserver_admission_webhook_rejection_count", "counter", "kube-apiserver", apiserver},

	// kube-state-metrics (optional: disabled in Istio's sample Prometheus).
	{"kube_pod_container_resource_requests", "gauge", "kube-state-metrics", ksm},
	{"kube_pod_container_resource_limits", "gauge", "kube-state-metrics", ksm},
	{"kube_deployment_status_replicas_available", "gauge", "kube-state-metrics", ksmDeployment},
	{"kube_pod_container_status_restarts_total", "counter", "kube-state-metrics", ksm},
	{"kube_pod_container_status_running", "gauge", "kube-state-metrics", ksm},
	{"kube_pod_container_status_last_terminated_reason", "gauge", "kube-state-metrics", ksm},
	// ztunnel's DaemonSet, per node.
	{"kube_pod_info", "gauge", "kube-state-metrics", ksmZtunnel},
	{"kube_pod_status_ready", "gauge", "kube-state-metrics", ksmZtunnel},
	{"kube_node_info", "gauge", "kube-state-metrics", ksmZtunnel},
	{"kube_daemonset_status_desired_number_scheduled", "gauge", "kube-state-metrics", ksmZtunnel},
	{"kube_daemonset_status_number_ready", "gauge", "kube-state-metrics", ksmZtunnel},
	// Native sidecars are init containers: the same families under kube_pod_init_container_*.
	{"kube_pod_init_container_resource_limits", "gauge", "kube-state-metrics", ksm},
	{"kube_pod_init_container_status_restarts_total", "counter", "kube-state-metrics", ksm},
	{"kube_pod_init_container_status_running", "gauge", "kube-state-metrics", ksm},
	{"kube_pod_init_container_status_last_terminated_reason", "gauge", "kube-state-metrics", ksm},
	// istiod's HPA (metric_name, metric_target_type; a utilization target is in percent).
	{"kube_horizontalpodautoscaler_spec_max_replicas", "gauge", "kube-state-metrics", ksmHPA},
	{"kube_horizontalpodautoscaler_status_current_replicas", "gauge", "kube-state-metrics", ksmHPA},
	{"kube_horizontalpodautoscaler_spec_target_metric", "gauge", "kube-state-metrics", ksmHPA},
}

// Removed lists metrics that once existed and that alert sets still use;
// naming one is always an error.
var Removed = map[string]string{
	"pilot_xds_push_errors":                                  "removed in Istio 1.3",
	"pilot_xds_push_context_errors":                          "removed in Istio 1.26",
	"pilot_conflict_outbound_listener_http_over_current_tcp": "removed in Istio 1.19",
	"pilot_conflict_outbound_listener_tcp_over_current_http": "removed in Istio 1.19",
	"istiod_mem_heap_alloc_bytes":                            "never existed; use go_memstats_heap_alloc_bytes",
}

var byName = func() map[string]Entry {
	m := map[string]Entry{}
	for _, e := range entries {
		m[e.Name] = e
	}
	return m
}()

// Lookup finds a metric by the name a query uses: histogram series
// (_bucket, _sum, _count) resolve to their histogram.
func Lookup(name string) (Entry, bool) {
	if e, ok := byName[name]; ok {
		return e, true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			if e, ok := byName[base]; ok && e.Type == "histogram" {
				return e, true
			}
		}
	}
	return Entry{}, false
}

// Check says why a query may not name a metric: it was removed from Istio,
// or it is neither catalogued nor among the recorded series. nil means fine.
func Check(name string, recorded map[string]bool) error {
	if why, removed := Removed[name]; removed {
		return fmt.Errorf("%s was %s", name, why)
	}
	if _, ok := Lookup(name); !ok && !recorded[name] {
		return fmt.Errorf("%s is neither catalogued nor recorded", name)
	}
	return nil
}

// Entries returns the catalogue sorted by name.
func Entries() []Entry {
	out := append([]Entry(nil), entries...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// MetricNames returns the metric names an expression selects, sorted and
// without duplicates.
func MetricNames(expr string) ([]string, error) {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			name := vs.Name
			if name == "" {
				for _, m := range vs.LabelMatchers {
					if m.Name == "__name__" {
						name = m.Value
					}
				}
			}
			if name != "" {
				seen[name] = true
			}
		}
		return nil
	})
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}
