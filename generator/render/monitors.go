package render

import (
	"bytes"

	"gopkg.in/yaml.v3"

	"github.com/meshslo/meshslo/generator/catalogue"
	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
)

// Scrape targets for kube-prometheus-stack. Istio's own sample monitors
// (istio/istio samples/addons/extras/prometheus-operator.yaml) are labelled
// `release: istio`, which the chart's default serviceMonitorSelector and
// podMonitorSelector ignore, and scrape no revision label; these are
// labelled like the PrometheusRule and carry istio.io/rev.

// Jobs the generated monitors give their targets, so rules and tests can
// name them.
const (
	// IstiodJob is the job of istiod's targets: the ServiceMonitor's
	// jobLabel is the Service label app, which is "istiod" on every
	// revision's Service.
	IstiodJob = "istiod"
	// ProxiesJob is the job of every sidecar, gateway and waypoint target,
	// set by the PodMonitor's last relabeling (the operator's default would
	// be "<namespace>/<PodMonitor name>", which depends on the profile).
	ProxiesJob = "istio-proxies"
	// IstiodMonitoringPort is the Service port istiod serves /metrics on
	// (15014).
	IstiodMonitoringPort = "http-monitoring"
	// ProxyStatsPort is the istio-agent's status port, which serves the
	// merged agent + Envoy + application metrics on /stats/prometheus.
	ProxyStatsPort = "15020"
	// ProxyStatsPath is that endpoint's path.
	ProxyStatsPath = "/stats/prometheus"
	// ZtunnelJob is the job of ztunnel's targets: the PodMonitor's
	// jobLabel is the pod label app, "ztunnel" on every ztunnel pod.
	ZtunnelJob = catalogue.ZtunnelJob
	// ZtunnelStatsPort is the container port ztunnel serves its metrics on
	// (15020, named ztunnel-stats in istio/istio
	// manifests/charts/ztunnel/templates/daemonset.yaml).
	ZtunnelStatsPort = "ztunnel-stats"
	// ZtunnelStatsPath is that endpoint's path (istio/ztunnel
	// src/metrics/server.rs serves /metrics and /stats/prometheus alike).
	ZtunnelStatsPath = "/metrics"
)

// Monitors is one profile's scrape targets: the spec of istiod's
// ServiceMonitor, of the proxies' PodMonitor and, in ambient and mixed
// meshes, of ztunnel's PodMonitor, as YAML nodes, the same in
// kubernetes/monitors.yaml and in the Helm values.
type Monitors struct {
	ServiceMonitorName string
	ServiceMonitor     monitorSpec
	PodMonitorName     string
	PodMonitor         monitorSpec
	// ZtunnelName and Ztunnel are empty in a sidecar mesh.
	ZtunnelName string
	Ztunnel     monitorSpec
}

// monitorSpec is a spec as ordered key/value nodes: the Helm values take
// the same keys beside name and additionalLabels.
type monitorSpec []*yaml.Node

// GeneratesMonitors says whether the profile's scrape setup is one meshslo
// writes scrape targets for (kube-prometheus-stack only: Istio's addon
// Prometheus has its own kubernetes-pods job, and custom setups are the
// user's).
func GeneratesMonitors(c *config.Config) bool {
	return c.Profile.Spec.Prometheus.Scrape == profile.ScrapeKubePrometheusStack
}

// BuildMonitors returns the profile's ServiceMonitor and PodMonitor specs.
func BuildMonitors(c *config.Config) Monitors {
	p := c.Profile.Spec
	typed := func(tag, v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v} }
	strs := func(vs ...string) *yaml.Node {
		n := sequence()
		for _, v := range vs {
			n.Content = append(n.Content, scalar(v))
		}
		return n
	}
	flow := func(n *yaml.Node) *yaml.Node { n.Style = yaml.FlowStyle; return n }

	// istiod: every revision's Service carries app: istiod, istio: pilot
	// and istio.io/rev (the revision, "default" without one):
	// istio/istio manifests/charts/istio-control/istio-discovery/templates/service.yaml.
	// Revision tags add Services istiod-revision-tag-<tag> with the same
	// labels plus istio.io/tag, selecting the same pods
	// (templates/revision-tags-svc.yaml): scraping them too would count
	// every istiod twice, so they are left out.
	sm := monitorSpec{
		scalar("jobLabel"), scalar("app"),
		scalar("targetLabels"), strs("app", "istio.io/rev"),
		scalar("selector"), mapping(
			"matchLabels", mapping("app", "istiod", "istio", "pilot"),
			"matchExpressions", sequence(flow(mapping("key", "istio.io/tag", "operator", "DoesNotExist"))),
		),
		scalar("namespaceSelector"), mapping("matchNames", strs(p.Istiod.Namespace)),
		scalar("endpoints"), sequence(mapping("port", IstiodMonitoringPort, "path", "/metrics",
			// istiod_remote_cluster_sync_status names the remote cluster
			// in its own label cluster (istio/istio
			// pkg/kube/multicluster/secretcontroller.go), the label that
			// names a fleet's clusters: remote-written with
			// external_labels {cluster: ...}, Prometheus keeps the
			// series' own value, so the central store would file the
			// series under the remote cluster, and every rule reading
			// cluster as the istiod's cluster would be wrong. Moved to
			// remote_cluster (rules.RemoteClusterLabel) and removed: an
			// empty replacement deletes the label.
			"metricRelabelings", sequence(
				mapping(
					"action", "replace",
					"sourceLabels", flow(strs("__name__", "cluster")),
					"regex", rules.RemoteClusterSyncMetric+";(.+)",
					"replacement", "${1}",
					"targetLabel", rules.RemoteClusterLabel,
				),
				mapping(
					"action", "replace",
					"sourceLabels", flow(strs("__name__")),
					"regex", rules.RemoteClusterSyncMetric,
					"replacement", "",
					"targetLabel", "cluster",
				),
			),
		)),
	}

	// Proxies: sidecars (injection-template.yaml), gateways
	// (gateway-injection-template.yaml, charts/gateway) and waypoints
	// (files/waypoint.yaml) all run a container istio-proxy that declares
	// port 15090 named http-envoy-prom and none declares 15020, so each
	// proxy is kept by that container port (one target per pod) and its
	// address moved to the agent's :15020, whose /stats/prometheus merges
	// the agent's istio_agent_* with Envoy's stats (Envoy's own :15090 has
	// no istio_agent_* series). ztunnel's container is also named
	// istio-proxy but declares only 15020 (ztunnel-stats) and serves
	// /metrics (charts/ztunnel/templates/daemonset.yaml): it is not kept,
	// and its pods (app: ztunnel) are not selected either. Native sidecars
	// are init containers, which Prometheus' pod discovery lists too.
	// istio-prometheus-ignore opts a pod out, as in Istio's sample.
	pm := monitorSpec{
		scalar("selector"), mapping("matchExpressions", sequence(
			flow(mapping("key", "istio-prometheus-ignore", "operator", "DoesNotExist")),
			flow(mapping("key", "app", "operator", "NotIn", "values", flow(strs("ztunnel")))),
		)),
		scalar("namespaceSelector"), mapping("any", typed("!!bool", "true")),
		scalar("podMetricsEndpoints"), sequence(mapping(
			"path", ProxyStatsPath,
			"relabelings", sequence(
				mapping(
					"action", "keep",
					"sourceLabels", flow(strs("__meta_kubernetes_pod_container_name", "__meta_kubernetes_pod_container_port_name")),
					"regex", "istio-proxy;http-envoy-prom",
				),
				// Prometheus' pod discovery sets __address__ to
				// host:port (net.JoinHostPort, so IPv6 in brackets).
				mapping(
					"action", "replace",
					"sourceLabels", flow(strs("__address__")),
					"regex", `(.+):\d+`,
					"replacement", "${1}:"+ProxyStatsPort,
					"targetLabel", "__address__",
				),
				mapping(
					"action", "replace",
					"replacement", ProxiesJob,
					"targetLabel", "job",
				),
				// The revision that injected the pod: the injector
				// annotates it istio.io/rev (istio/istio
				// manifests/charts/istio-control/istio-discovery/files/
				// injection-template.yaml; the pod label istio.io/rev, when
				// set, may be a tag such as canary). Kept as istio_io_rev,
				// as the ServiceMonitor keeps istiod's, so the canary
				// verdict ties workloads to their control plane.
				mapping(
					"action", "replace",
					"sourceLabels", flow(strs("__meta_kubernetes_pod_annotation_istio_io_rev")),
					"targetLabel", "istio_io_rev",
				),
			),
		)),
	}
	m := Monitors{
		ServiceMonitorName: ResourceName(c) + "-istiod",
		ServiceMonitor:     sm,
		PodMonitorName:     ResourceName(c) + "-istio-proxies",
		PodMonitor:         pm,
	}
	if p.Ambient() {
		m.ZtunnelName = ResourceName(c) + "-ztunnel"
		m.Ztunnel = ztunnelMonitor(p.Ztunnel.Namespace)
	}
	return m
}

// ztunnelMonitor scrapes ztunnel, the node proxy of ambient meshes. Its
// DaemonSet's pods carry app: ztunnel whatever the release is called, and
// its one container istio-proxy declares 15020 as ztunnel-stats
// (istio/istio manifests/charts/ztunnel/templates/daemonset.yaml), on
// which ztunnel serves /metrics (istio/ztunnel src/metrics/server.rs,
// DEFAULT_STATS_PORT in src/config.rs). jobLabel app makes the job
// "ztunnel". A ztunnel's series are about its node (one pod per node):
// node is kept from the pod's spec.nodeName, so the per-node alerts and
// IstioZtunnelUnavailable (kube-state-metrics' node) name the same node.
func ztunnelMonitor(namespace string) monitorSpec {
	flow := func(n *yaml.Node) *yaml.Node { n.Style = yaml.FlowStyle; return n }
	return monitorSpec{
		scalar("jobLabel"), scalar("app"),
		scalar("selector"), mapping("matchLabels", mapping("app", "ztunnel")),
		scalar("namespaceSelector"), mapping("matchNames", sequence(scalar(namespace))),
		scalar("podMetricsEndpoints"), sequence(mapping(
			"port", ZtunnelStatsPort,
			"path", ZtunnelStatsPath,
			"relabelings", sequence(
				mapping(
					"action", "replace",
					"sourceLabels", flow(sequence(scalar("__meta_kubernetes_pod_node_name"))),
					"targetLabel", "node",
				),
			),
		)),
	}
}

// MonitorsYAML renders kubernetes/monitors.yaml: the ServiceMonitor and
// the PodMonitor in the profile's Prometheus namespace, labelled like the
// PrometheusRule so kube-prometheus-stack's default selectors (release:
// <release>) pick them up.
func MonitorsYAML(c *config.Config) ([]byte, error) {
	p := c.Profile
	m := BuildMonitors(c)
	labels := map[string]string{"app.kubernetes.io/managed-by": "meshslo", "meshslo.dev/profile": p.Metadata.Name}
	for k, v := range p.Spec.Prometheus.RuleLabels {
		labels[k] = v
	}
	object := func(kind, name string, spec monitorSpec) *yaml.Node {
		meta := mapping("name", name, "namespace", p.Spec.Prometheus.Namespace)
		meta.Content = append(meta.Content, scalar("labels"), sortedMap(labels))
		return mapping(
			"apiVersion", "monitoring.coreos.com/v1",
			"kind", kind,
			"metadata", meta,
			"spec", &yaml.Node{Kind: yaml.MappingNode, Content: spec},
		)
	}
	what := "istiod (every revision) and every sidecar, gateway and waypoint"
	if m.Ztunnel != nil {
		what = "istiod (every revision), every sidecar, gateway and waypoint, and ztunnel"
	}
	first, err := encode(Header(p.Metadata.Name)+
		"\nScrape targets for kube-prometheus-stack: "+what+"."+
		"\nApply with: kubectl apply -f monitors.yaml", object("ServiceMonitor", m.ServiceMonitorName, m.ServiceMonitor))
	if err != nil {
		return nil, err
	}
	second, err := encode("", object("PodMonitor", m.PodMonitorName, m.PodMonitor))
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Write(first)
	buf.WriteString("---\n")
	buf.Write(bytes.TrimPrefix(second, []byte("#\n")))
	if m.Ztunnel != nil {
		third, err := encode("", object("PodMonitor", m.ZtunnelName, m.Ztunnel))
		if err != nil {
			return nil, err
		}
		buf.WriteString("---\n")
		buf.Write(bytes.TrimPrefix(third, []byte("#\n")))
	}
	return buf.Bytes(), nil
}

// helmMonitors is the prometheus: block of the Helm values: the same specs
// under additionalServiceMonitors and additionalPodMonitors. The chart
// (templates/prometheus/servicemonitors.yaml, podmonitors.yaml) puts them
// in the release namespace and labels them itself, release included; only
// the labels it does not set go in additionalLabels (a key it sets would
// be written twice).
func helmMonitors(c *config.Config) *yaml.Node {
	m := BuildMonitors(c)
	chartSets := map[string]bool{"release": true, "app": true, "heritage": true, "chart": true,
		"app.kubernetes.io/managed-by": true, "app.kubernetes.io/instance": true,
		"app.kubernetes.io/version": true, "app.kubernetes.io/part-of": true}
	extra := map[string]string{"meshslo.dev/profile": c.Profile.Metadata.Name}
	for k, v := range c.Profile.Spec.Prometheus.RuleLabels {
		if !chartSets[k] {
			extra[k] = v
		}
	}
	entry := func(name string, spec monitorSpec) *yaml.Node {
		n := mapping("name", name, "additionalLabels", sortedMap(extra))
		n.Content = append(n.Content, spec...)
		return n
	}
	pods := sequence(entry(m.PodMonitorName, m.PodMonitor))
	if m.Ztunnel != nil {
		pods.Content = append(pods.Content, entry(m.ZtunnelName, m.Ztunnel))
	}
	return mapping(
		"additionalServiceMonitors", sequence(entry(m.ServiceMonitorName, m.ServiceMonitor)),
		"additionalPodMonitors", pods,
	)
}
