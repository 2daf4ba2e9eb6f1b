package catalogue

// Facts about what Istio and its scrape setups export beyond metric names:
// container names, histogram buckets and the labels series carry. The
// rules, the generated tests and validation read them from here, so one
// fact has one home. Each carries its source.

// Container names in cAdvisor and kube-state-metrics series.
const (
	// IstiodContainer is istiod's container in its pod
	// (manifests/charts/istio-control/istio-discovery/templates/deployment.yaml).
	IstiodContainer = "discovery"
	// SidecarContainer is the injected proxy's container
	// (manifests/charts/istio-control/istio-discovery/files/injection-template.yaml).
	// ztunnel's container has the same name
	// (manifests/charts/ztunnel/templates/daemonset.yaml): sidecar rules
	// leave out the pods of spec.ztunnel.daemonSet by name.
	SidecarContainer = "istio-proxy"
)

// How ztunnel's own series (its :15020/metrics) are told from the
// sidecars' under each scrape setup.
const (
	// ZtunnelJob is the job of ztunnel's targets under
	// kube-prometheus-stack: the generated ztunnel PodMonitor's jobLabel is
	// the pod label app, "ztunnel" on every ztunnel pod (istio/istio
	// manifests/charts/ztunnel/templates/daemonset.yaml), while sidecars,
	// gateways and waypoints are job istio-proxies.
	ZtunnelJob = "ztunnel"
	// ZtunnelApp is the app label of ztunnel's pods (the same chart), which
	// Istio's sample Prometheus copies onto every series of the pod
	// (samples/addons/prometheus.yaml, job kubernetes-pods: labelmap
	// __meta_kubernetes_pod_label_(.+)); all its pods share that job.
	ZtunnelApp = "ztunnel"
)

// ConvergenceBuckets are the default bucket bounds (s) of
// pilot_proxy_convergence_time (pilot/pkg/xds/monitoring.go,
// proxiesConvergeDelay; recent istiod reads other bounds from
// PILOT_PROXY_CONVERGENCE_TIME_BUCKETS_SECONDS, pilot/pkg/features).
var ConvergenceBuckets = []float64{0.1, 0.5, 1, 3, 5, 10, 20, 30}

// EnvoyLatencyBucketsMs are the default boundaries (ms) of Istio's
// istio_request_duration_milliseconds histogram (Envoy's default
// histogram buckets, envoyproxy/envoy source/common/stats/histogram_impl.cc;
// pods may override them with sidecar.istio.io/statsHistogramBuckets).
var EnvoyLatencyBucketsMs = []float64{0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000}

// Signals of a proxy's view of istiod, read on the merged agent endpoint
// :15020/stats/prometheus (pkg/istio-agent/xds_proxy.go, metrics.go).
const (
	// AgentTerminationsUnreachable is how many error terminations of the
	// agent's stream to istiod in 5m make a proxy count as cut off from
	// istiod: one comes with every istiod restart, an unreachable istiod
	// gives one per Envoy retry (Envoy backs off to at most 30s).
	AgentTerminationsUnreachable = 3
	// AgentUnackedResponses is how many more responses than requests the
	// agent may relay in 5m before the proxy counts as not ACKing: a
	// scrape can fall between a push and its ACK.
	AgentUnackedResponses = 2
)

// IstiodHPAs matches the HorizontalPodAutoscalers of istiod's revisions:
// istiod, istiod-<rev> (manifests/charts/istio-control/istio-discovery/
// templates/autoscale.yaml names it like the Deployment).
const IstiodHPAs = "istiod(-.+)?"

// DeploymentOfPod reads a Deployment's name from one of its pods' names:
// <deployment>-<ReplicaSet pod-template-hash>-<5 random characters>
// (kubernetes pkg/controller/deployment, ReplicaSet and pod name generation).
const DeploymentOfPod = "(.+)-[a-z0-9]+-[a-z0-9]+"
