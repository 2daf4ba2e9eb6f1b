package catalogue_test

import (
	"strings"
	"testing"

	"github.com/meshslo/meshslo/generator/catalogue"
)

// What issue 11 needs the stored label sets to say, checked on the
// generated file (tools/scrapelabels derives it from the real code).
func TestStoredLabelsUnderKubePrometheusStack(t *testing.T) {
	want := func(source, family string, labels map[string]string) {
		t.Helper()
		got := catalogue.StoredLabels(source, family)
		if got == nil {
			t.Errorf("%s: no stored %s", source, family)
			return
		}
		for k, v := range labels {
			if got[k] != v {
				t.Errorf("%s %s: %s=%q, want %q (stored %v)", source, family, k, got[k], v, got)
			}
		}
	}
	// istiod: the ServiceMonitor's target labels, every revision.
	want(catalogue.SourceIstiod, "pilot_xds", map[string]string{"job": "istiod", "app": "istiod", "istio_io_rev": "default", "namespace": "istio-system", "service": "istiod", "endpoint": "http-monitoring"})
	// istiod declares no container port 15014, so discovery cannot name the
	// container: istiod's own series carry no container label.
	if c, ok := catalogue.StoredLabels(catalogue.SourceIstiod, "pilot_xds")["container"]; ok {
		t.Errorf("istiod: container=%q on pilot_xds", c)
	}
	// istiod's remote-cluster sync state names the remote in its own
	// label cluster; the generated ServiceMonitor's metricRelabelings move
	// it to remote_cluster, so the fleet's cluster label stays free.
	want(catalogue.SourceIstiodRemote, "istiod_remote_cluster_sync_status", map[string]string{"job": "istiod", "remote_cluster": "us-1", "status": "synced", "cluster_type": "remote"})
	if c, ok := catalogue.StoredLabels(catalogue.SourceIstiodRemote, "istiod_remote_cluster_sync_status")["cluster"]; ok {
		t.Errorf("istiod: cluster=%q on istiod_remote_cluster_sync_status: the ServiceMonitor should move it to remote_cluster", c)
	}
	want(catalogue.SourceIstiodRevision, "pilot_xds", map[string]string{"job": "istiod", "app": "istiod", "istio_io_rev": "1-31", "service": "istiod-1-31"})
	// Proxies on the agent's merged endpoint, native sidecars alike.
	for _, s := range []string{catalogue.SourceProxy, catalogue.SourceProxyNative, catalogue.SourceGateway, catalogue.SourceWaypoint} {
		want(s, "istio_agent_istiod_connection_terminations", map[string]string{"job": "istio-proxies", "container": "istio-proxy", "type": "error"})
		if inst := catalogue.TargetLabels(s)["instance"]; !strings.HasSuffix(inst, ":15020") {
			t.Errorf("%s: instance %q is not the agent's :15020", s, inst)
		}
	}
	// cAdvisor: the chart drops container_spec_*; the working set stays.
	for _, f := range []string{"container_spec_memory_limit_bytes", "container_spec_cpu_quota", "container_spec_cpu_period", "container_spec_cpu_shares"} {
		if !catalogue.DroppedByChart(catalogue.SourceCadvisor, f) || catalogue.StoredLabels(catalogue.SourceCadvisor, f) != nil {
			t.Errorf("cadvisor: %s should be dropped by the chart's metricRelabelings", f)
		}
	}
	want(catalogue.SourceCadvisor, "container_memory_working_set_bytes", map[string]string{"job": "kubelet", "container": "istio-proxy", "namespace": "shop", "metrics_path": "/metrics/cadvisor"})
	want(catalogue.SourceCadvisor, "container_oom_events_total", map[string]string{"container": "istio-proxy"})
	// kube-state-metrics: honorLabels keeps the pod's namespace.
	want(catalogue.SourceKubeStateMetrics, "kube_pod_container_resource_limits", map[string]string{"namespace": "shop", "container": "istio-proxy", "resource": "memory"})
	want(catalogue.SourceKubeStateMetrics, "kube_pod_init_container_resource_limits", map[string]string{"namespace": "payments", "container": "istio-proxy"})
	want(catalogue.SourceKubeStateMetrics, "kube_horizontalpodautoscaler_spec_max_replicas", map[string]string{"namespace": "istio-system", "horizontalpodautoscaler": "istiod"})
}
