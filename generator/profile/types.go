// Package profile is the mesh profile model: plain data types, the size
// defaults that fill them, a strict YAML loader that remembers where each
// field was written, and Validate, which reports every mistake at once.
package profile

// APIVersion and Kind identify a mesh profile document.
const (
	APIVersion = "meshslo/v1alpha1"
	Kind       = "MeshProfile"
)

// Profile describes one mesh: how big it is, how it is monitored and which
// SLOs it promises. Field names are a contract shared with users' files.
type Profile struct {
	// APIVersion is always meshslo/v1alpha1.
	APIVersion string `yaml:"apiVersion" json:"apiVersion"`
	// Kind is always MeshProfile.
	Kind     string   `yaml:"kind" json:"kind"`
	Metadata Metadata `yaml:"metadata" json:"metadata"`
	Spec     Spec     `yaml:"spec" json:"spec"`
}

// Metadata names the profile; Name becomes the output folder.
type Metadata struct {
	// Name is the profile's name, [a-z0-9-]{1,63}: the output folder out/<name>.
	Name string `yaml:"name" json:"name"`
	// Description is free text shown in the generated README.
	Description string `yaml:"description" json:"description"`
}

// Spec holds everything the generator derives thresholds from.
type Spec struct {
	// Environment is production, staging or development; it sets how much trace sampling is warned about.
	Environment string `yaml:"environment" json:"environment"`
	// Size is small, medium or large and fills every size-dependent default.
	Size string `yaml:"size" json:"size"`
	// DataPlane is how workloads join the mesh: sidecar (an Envoy per pod,
	// the default), ambient (ztunnel per node, waypoints for L7) or mixed
	// (both). It decides where the SLIs are read (see slos[].sliSource), the
	// ztunnel and waypoint health alerts and the capacity plan.
	DataPlane    string       `yaml:"dataPlane" json:"dataPlane,omitempty"`
	Mesh         Mesh         `yaml:"mesh" json:"mesh"`
	Istiod       Istiod       `yaml:"istiod" json:"istiod"`
	Proxies      Proxies      `yaml:"proxies" json:"proxies"`
	Ztunnel      Ztunnel      `yaml:"ztunnel" json:"ztunnel"`
	Tracing      Tracing      `yaml:"tracing" json:"tracing"`
	Certificates Certificates `yaml:"certificates" json:"certificates"`
	Prometheus   Prometheus   `yaml:"prometheus" json:"prometheus"`
	SLOs         []SLO        `yaml:"slos" json:"slos"`
	// Gateways are the mesh's ingress, egress and east-west gateways, each
	// with its own SLOs and health alerts; empty: none.
	Gateways []Gateway `yaml:"gateways" json:"gateways,omitempty"`
	// Waypoints are the ambient mesh's waypoint proxies (spec.dataPlane
	// ambient or mixed), each watched like a gateway's Deployment: available
	// pods, memory and CPU against the live limits; empty: none.
	Waypoints []Waypoint `yaml:"waypoints" json:"waypoints,omitempty"`
	// BurnRates are the multiwindow burn-rate alert tiers shared by every SLO.
	BurnRates   []BurnRate  `yaml:"burnRates" json:"burnRates"`
	ErrorBudget ErrorBudget `yaml:"errorBudget" json:"errorBudget"`
	Alerting    Alerting    `yaml:"alerting" json:"alerting"`
	Rulers      Rulers      `yaml:"rulers" json:"rulers"`
}

// BurnRate is one multiwindow burn-rate tier (Google SRE workbook, ch. 5):
// alert when BudgetShare of the SLO period's error budget burns within Long,
// confirmed by Short so the alert resets soon after the burn stops. The
// burn factor follows: BudgetShare x period / Long (14.4 for 2% in 1h of 30d).
type BurnRate struct {
	// Severity is critical (pages) or warning (tickets).
	Severity string `yaml:"severity" json:"severity"`
	// BudgetShare is the share of the period's error budget, 0 to 1, that burns within Long.
	BudgetShare float64 `yaml:"budgetShare" json:"budgetShare"`
	// Long is the long window the burn is measured over.
	Long Duration `yaml:"long" json:"long"`
	// Short is the confirming window; it lets the alert reset soon after the burn stops.
	Short Duration `yaml:"short" json:"short"`
	// For holds the alert back a little so one bad scrape cannot page.
	For Duration `yaml:"for" json:"for"`
}

// ErrorBudget sets the alert on a spent budget.
type ErrorBudget struct {
	// ExhaustedFor is how long the error budget must be spent before alerting.
	ExhaustedFor Duration `yaml:"exhaustedFor" json:"exhaustedFor"`
}

// Mesh is the size of the data plane.
type Mesh struct {
	// Services is the number of services in the mesh; checked against the size's range.
	Services int `yaml:"services" json:"services"`
	// Pods is the number of pods with a sidecar, used for the memory
	// capacity plan. In a mixed mesh, only the sidecar namespaces' pods
	// (ambient pods run no proxy of their own); a pure ambient plan counts
	// no sidecars.
	Pods int `yaml:"pods" json:"pods"`
	// Nodes is the number of nodes ztunnel runs on (its DaemonSet wants a
	// pod on every node), for the capacity plan of an ambient or mixed
	// mesh: one ztunnel per node at its chart's request. 0: not counted
	// (the plan says so).
	Nodes int `yaml:"nodes" json:"nodes"`
	// Cluster is the value of the cluster label; empty for a single cluster.
	Cluster string `yaml:"cluster" json:"cluster"`
	// ClusterLabel is the label that carries Cluster on every series.
	ClusterLabel string `yaml:"clusterLabel" json:"clusterLabel"`
	// Clusters describes a mesh of several clusters watched by one rule set
	// (multi-primary or primary-remote); empty for one cluster.
	Clusters Clusters `yaml:"clusters" json:"clusters"`
	// LatencyBuckets are the bucket boundaries, in milliseconds, of the
	// meshes' istio_request_duration_milliseconds histogram when they set
	// them (Istio's sidecar.istio.io/statsHistogramBuckets pod annotation);
	// empty keeps Envoy's defaults. A latency threshold must be one of them.
	LatencyBuckets []float64 `yaml:"latencyBuckets" json:"latencyBuckets,omitempty"`
}

// Clusters is a fleet of clusters in one mesh. With a multi-cluster
// topology every rule keeps clusterLabel through its aggregations, so one
// rule set evaluated over all clusters' series alerts per cluster; cluster
// (one name) must then be empty.
type Clusters struct {
	// Topology is single (one cluster; the default), multi-primary (an istiod in every cluster) or primary-remote (istiods only in the primaries).
	Topology string `yaml:"topology" json:"topology"`
	// LabelSource says where clusterLabel comes from: series (every stored series carries it, as on a central Prometheus or ruler) or external (each cluster's Prometheus adds it on the way out as an external label, so the rules neither select on it nor group by it and still fire locally).
	LabelSource string `yaml:"labelSource" json:"labelSource"`
	// Names are the clusters' values of clusterLabel; optional. Listed, a cluster whose series are all missing still alerts (IstiodDown, no-data alerts per cluster); unlisted, clusters are the ones with any up series.
	Names []string `yaml:"names" json:"names,omitempty"`
	// Primaries are the names of the clusters that run istiod under primary-remote (default: the first name); the control-plane alerts expect an istiod only there.
	Primaries []string `yaml:"primaries" json:"primaries,omitempty"`
	// RemoteSyncFor is how long an istiod may report a remote cluster not synced (istiod_remote_cluster_sync_status, Istio 1.29+) before IstioRemoteClusterNotSynced fires; multi-cluster topologies only.
	RemoteSyncFor Duration `yaml:"remoteSyncFor" json:"remoteSyncFor" default:"10m" check:"for"`
}

// Topologies and label sources of spec.mesh.clusters.
const (
	TopologySingle        = "single"
	TopologyMultiPrimary  = "multi-primary"
	TopologyPrimaryRemote = "primary-remote"
	LabelSourceSeries     = "series"
	LabelSourceExternal   = "external"
)

// MultiCluster reports whether the profile covers several clusters.
func (m Mesh) MultiCluster() bool {
	return m.Clusters.Topology == TopologyMultiPrimary || m.Clusters.Topology == TopologyPrimaryRemote
}

// ClusterInSeries reports whether the stored series carry the cluster
// label, so rules may select on it (a named cluster) and must keep it
// through their aggregations (several clusters).
func (m Mesh) ClusterInSeries() bool { return m.Clusters.LabelSource != LabelSourceExternal }

// ControlPlaneClusters are the listed clusters that run istiod: every name
// under multi-primary, the primaries under primary-remote.
func (m Mesh) ControlPlaneClusters() []string {
	if m.Clusters.Topology != TopologyPrimaryRemote {
		return m.Clusters.Names
	}
	if len(m.Clusters.Primaries) > 0 {
		return m.Clusters.Primaries
	}
	if len(m.Clusters.Names) > 0 {
		return m.Clusters.Names[:1]
	}
	return nil
}

// Istiod sizes the control plane and sets its alert thresholds. Fields
// with default and check tags take their default and check from them (see
// tags.go); the others are set in Defaults and checked in Validate.
type Istiod struct {
	// MemoryLimit is the memory limit of each istiod container, in bytes (8Gi).
	MemoryLimit Quantity `yaml:"memoryLimit" json:"memoryLimit"`
	// MinReplicas is how many istiod replicas must be up; fewer alerts.
	MinReplicas int `yaml:"minReplicas" json:"minReplicas"`
	// HeapWarningRatio is the share of MemoryLimit the Go heap may reach before a ticket.
	HeapWarningRatio float64 `yaml:"heapWarningRatio" json:"heapWarningRatio"`
	// HeapCriticalRatio is the share of MemoryLimit at which the heap pages; above HeapWarningRatio.
	HeapCriticalRatio float64 `yaml:"heapCriticalRatio" json:"heapCriticalRatio"`
	// HeapFor is how long the heap must stay above a ratio before alerting.
	HeapFor Duration `yaml:"heapFor" json:"heapFor" default:"5m" check:"for"`
	// DownFor is how long no istiod target may be up before paging.
	DownFor Duration `yaml:"downFor" json:"downFor" default:"1m" check:"for"`
	// ReplicasFor is how long fewer than MinReplicas istiod targets may be up before alerting.
	ReplicasFor Duration `yaml:"replicasFor" json:"replicasFor" default:"5m" check:"for"`
	// CPUWarningRatio is the share of the CPU limit istiod may use before a ticket.
	CPUWarningRatio float64 `yaml:"cpuWarningRatio" json:"cpuWarningRatio" default:"0.8" check:"ratio"`
	// CPUFor is how long istiod's CPU must stay high before alerting.
	CPUFor Duration `yaml:"cpuFor" json:"cpuFor" default:"15m" check:"for"`
	// PushLatencyWarning is the convergence time at PushLatencyQuantile
	// (p99 by default) above which config distribution tickets.
	PushLatencyWarning Duration `yaml:"pushLatencyWarning" json:"pushLatencyWarning"`
	// PushLatencyQuantile is the quantile of push convergence time compared
	// with PushLatencyWarning.
	PushLatencyQuantile float64 `yaml:"pushLatencyQuantile" json:"pushLatencyQuantile" default:"0.99" check:"ratio"`
	// PushLatencyFor is how long push latency must stay above PushLatencyWarning.
	PushLatencyFor Duration `yaml:"pushLatencyFor" json:"pushLatencyFor" default:"10m" check:"for"`
	// PushErrorRatio is the share of xDS pushes that may fail to send.
	PushErrorRatio float64 `yaml:"pushErrorRatio" json:"pushErrorRatio" default:"0.01" check:"ratio"`
	// PushErrorFor is how long PushErrorRatio must be exceeded before alerting.
	PushErrorFor Duration `yaml:"pushErrorFor" json:"pushErrorFor" default:"10m" check:"for"`
	// XDSRejectsWarning is how many rejected pushes per 5m are tolerated.
	XDSRejectsWarning float64 `yaml:"xdsRejectsWarning" json:"xdsRejectsWarning" default:"0" check:"nonnegative"`
	// XDSRejectsFor is how long rejections must stay above XDSRejectsWarning.
	XDSRejectsFor Duration `yaml:"xdsRejectsFor" json:"xdsRejectsFor" default:"10m" check:"for"`
	// ConfigConflictsWarning is how many conflicting listeners or
	// duplicate clusters/domains are tolerated.
	ConfigConflictsWarning float64 `yaml:"configConflictsWarning" json:"configConflictsWarning" default:"0" check:"nonnegative"`
	// ConfigConflictsFor is how long conflicts must stay above ConfigConflictsWarning.
	ConfigConflictsFor Duration `yaml:"configConflictsFor" json:"configConflictsFor" default:"15m" check:"for"`
	// InjectionFailuresWarning is how many failed injections per 5m are tolerated.
	InjectionFailuresWarning float64 `yaml:"injectionFailuresWarning" json:"injectionFailuresWarning" default:"0" check:"nonnegative"`
	// InjectionFailuresFor is how long injection failures must stay above InjectionFailuresWarning.
	InjectionFailuresFor Duration `yaml:"injectionFailuresFor" json:"injectionFailuresFor" default:"10m" check:"for"`
	// WebhookFailuresWarning is how many calls per 5m the API server may
	// fail to make to istiod's injection and validation webhooks.
	WebhookFailuresWarning float64 `yaml:"webhookFailuresWarning" json:"webhookFailuresWarning" default:"0" check:"nonnegative"`
	// WebhookFailuresFor is how long webhook failures must stay above WebhookFailuresWarning.
	WebhookFailuresFor Duration `yaml:"webhookFailuresFor" json:"webhookFailuresFor" default:"5m" check:"for"`
	// HPACPUTargetRatio is the CPU share of the request istiod's HPA
	// targets (the chart's default is 80%), used where kube-state-metrics
	// does not report the HPA's own target.
	HPACPUTargetRatio float64 `yaml:"hpaCPUTargetRatio" json:"hpaCPUTargetRatio" default:"0.8" check:"ratio"`
	// VersionSkewMinors is how many minor versions the proxies (and
	// ztunnel) connected to an istiod may be older than it before
	// IstioProxyVersionSkew (IstioZtunnelVersionSkew) tickets; any proxy
	// newer than its istiod tickets too. Default 1: Istio supports a
	// control plane one minor version ahead of its data plane and no data
	// plane ahead of its control plane (istio.io docs/releases/supported-releases,
	// "Control Plane/Data Plane Skew").
	VersionSkewMinors int `yaml:"versionSkewMinors" json:"versionSkewMinors" default:"1"`
	// VersionSkewFor is how long the skew must last before alerting (a
	// rollout moving proxies between revisions passes through it).
	VersionSkewFor Duration `yaml:"versionSkewFor" json:"versionSkewFor" default:"1h" check:"for"`
	// Namespace is where istiod and its Services run: the generated
	// ServiceMonitor looks there.
	Namespace string `yaml:"namespace" json:"namespace"`
	// Revisions are the control planes the mesh runs side by side, one
	// per istio.io/rev (a canary upgrade runs two: 1-24 tagged stable,
	// 1-25 tagged canary). IstiodDown and IstiodReplicasBelowMinimum are
	// per revision either way, with revisions found from the series; a
	// revision listed here pages when none of its istiods is up even
	// while no proxy is connected to it and its targets are gone. Empty:
	// one control plane, as before.
	Revisions []Revision `yaml:"revisions" json:"revisions,omitempty"`
	// Canary sets when the revision tagged canary counts as worse than
	// the one tagged stable (IstioCanaryRegression); used only where
	// Revisions tag both.
	Canary Canary `yaml:"canary" json:"canary"`
}

// Canary sets IstioCanaryRegression: when the revision tagged canary
// (spec.istiod.revisions) is measurably worse than the one tagged stable.
// Each signal compares the canary's value with stable's at the same time,
// over the same 5m windows, so load that hits both does not count.
type Canary struct {
	// HeapPerProxyFactor is how many times stable's Go heap per connected
	// proxy the canary's may reach (1.25: the canary needing 25% more
	// memory per proxy is a regression; the seed's new istiod needed 40%).
	HeapPerProxyFactor float64 `yaml:"heapPerProxyFactor" json:"heapPerProxyFactor" default:"1.25"`
	// PushLatencyFactor is how many times stable's push convergence time
	// (at spec.istiod.pushLatencyQuantile) the canary's may reach.
	PushLatencyFactor float64 `yaml:"pushLatencyFactor" json:"pushLatencyFactor" default:"1.5"`
	// PushLatencyFloor is the canary's push convergence time at or below
	// which push latency never counts as a regression, however it compares
	// with stable's: config that reaches every proxy within a second is
	// healthy, and under a second pilot_proxy_convergence_time has two
	// buckets (0.1, 0.5, 1), so its quantiles are mostly interpolation and
	// two quiet control planes (or one busy machine) differ by noise.
	PushLatencyFloor Duration `yaml:"pushLatencyFloor" json:"pushLatencyFloor" default:"1s" check:"for"`
	// XDSRejectsPerProxy is how many more rejected pushes per connected
	// proxy per 5m the canary may draw than stable (0: any reject the
	// canary draws beyond stable's rate is a regression).
	XDSRejectsPerProxy float64 `yaml:"xdsRejectsPerProxy" json:"xdsRejectsPerProxy" default:"0" check:"nonnegative"`
	// ErrorRatioIncrease is how much higher, as a share of requests, the
	// 5xx ratio of the workloads the canary's proxies serve may be than
	// that of stable's (0.001: 0.1 percentage points).
	ErrorRatioIncrease float64 `yaml:"errorRatioIncrease" json:"errorRatioIncrease" default:"0.001" check:"ratio"`
	// LatencyFactor is how many times the p99 request latency of stable's
	// workloads that of the canary's workloads may reach.
	LatencyFactor float64 `yaml:"latencyFactor" json:"latencyFactor" default:"1.2"`
	// MinRequests is how many requests in 5m each revision's workloads
	// must serve before their error ratio and latency are compared.
	MinRequests int `yaml:"minRequests" json:"minRequests" default:"100"`
	// For is how long a regression must hold before IstioCanaryRegression fires.
	For Duration `yaml:"for" json:"for" default:"30m" check:"for"`
}

// Revision is one istiod revision (istio.io/rev) and the tag pointing at it.
type Revision struct {
	// Name is the revision as in the istio.io/rev label of its istiod pods
	// and Service (istioctl install --revision 1-25; "default" for an
	// istiod installed without one): a DNS label, unique in the profile.
	Name string `yaml:"name" json:"name"`
	// Tag is the revision tag that points at it (stable, canary; istioctl
	// tag set), unique in the profile, or empty.
	Tag string `yaml:"tag" json:"tag,omitempty"`
}

// Proxies sets the data-plane thresholds.
type Proxies struct {
	// StaleRatio is the share of proxies out of sync with istiod that pages.
	StaleRatio float64 `yaml:"staleRatio" json:"staleRatio"`
	// StaleFor is how long StaleRatio must be exceeded before paging.
	StaleFor Duration `yaml:"staleFor" json:"staleFor"`
	// StaleCount is how many proxies may be out of sync before a ticket.
	StaleCount int `yaml:"staleCount" json:"staleCount"`
	// StaleCountFor is how long StaleCount must be exceeded before the ticket.
	StaleCountFor Duration `yaml:"staleCountFor" json:"staleCountFor"`
	// MemoryWarning is the working set that tickets for a sidecar whose
	// memory limit is unknown (no kube-state-metrics, no cAdvisor limit).
	MemoryWarning Quantity `yaml:"memoryWarning" json:"memoryWarning"`
	// MemoryWarningRatio and MemoryCriticalRatio are the shares of a
	// sidecar's live memory limit that ticket and page.
	MemoryWarningRatio float64 `yaml:"memoryWarningRatio" json:"memoryWarningRatio" default:"0.8" check:"ratio"`
	// MemoryCriticalRatio is the share of the sidecar's memory limit that pages; above MemoryWarningRatio.
	MemoryCriticalRatio float64 `yaml:"memoryCriticalRatio" json:"memoryCriticalRatio" default:"0.9" check:"ratio"`
	// MemoryFor is how long a sidecar's memory must stay above a threshold before alerting.
	MemoryFor Duration `yaml:"memoryFor" json:"memoryFor" default:"2m" check:"for"`
	// OOMKilledWindow is how long after an OOM kill of a sidecar
	// IstioSidecarOOMKilled keeps firing.
	OOMKilledWindow Duration `yaml:"oomKilledWindow" json:"oomKilledWindow" default:"15m" check:"window"`
}

// Ztunnel is the node proxy of ambient and mixed meshes (spec.dataPlane):
// its alerts are generated only there.
type Ztunnel struct {
	// Namespace is where the ztunnel DaemonSet runs (istio/istio
	// manifests/charts/ztunnel: the release namespace, istio-system).
	Namespace string `yaml:"namespace" json:"namespace"`
	// DaemonSet is the ztunnel DaemonSet's name (the chart's resourceName,
	// ztunnel by default).
	DaemonSet string `yaml:"daemonSet" json:"daemonSet"`
	// UnavailableFor is how long a node may have no ready ztunnel pod while
	// the DaemonSet wants one before IstioZtunnelUnavailable pages: every
	// ambient pod on that node is cut off the mesh.
	UnavailableFor Duration `yaml:"unavailableFor" json:"unavailableFor" default:"5m" check:"for"`
	// MemoryLimit is the memory a ztunnel pod is measured against where
	// kube-state-metrics reports no live limit. ztunnel's chart sets none
	// (istio/istio manifests/charts/ztunnel/values.yaml: resources.requests
	// 200m CPU and 512Mi only), so the default is 1Gi, twice the request.
	MemoryLimit Quantity `yaml:"memoryLimit" json:"memoryLimit" default:"1Gi"`
	// MemoryHighRatio is the share of a ztunnel's memory limit (the live one,
	// else MemoryLimit) at which IstioZtunnelMemoryHigh tickets.
	MemoryHighRatio float64 `yaml:"memoryHighRatio" json:"memoryHighRatio" default:"0.9" check:"ratio"`
	// MemoryFor is how long a ztunnel's memory must stay above MemoryHighRatio before the ticket.
	MemoryFor Duration `yaml:"memoryFor" json:"memoryFor" default:"15m" check:"for"`
	// XDSErrorRate is the rate of a node's ztunnel xDS connection
	// terminations with an error reason (ConnectionError or Error), per
	// second over 5m, above which IstioZtunnelXDSErrors tickets (0.01 is 3
	// in 5m). istiod's periodic reconnects (reason Reconnect) never count.
	XDSErrorRate float64 `yaml:"xdsErrorRate" json:"xdsErrorRate" default:"0.01" check:"nonnegative"`
	// XDSErrorsFor is how long XDSErrorRate must be exceeded before the ticket.
	XDSErrorsFor Duration `yaml:"xdsErrorsFor" json:"xdsErrorsFor" default:"10m" check:"for"`
	// DNSFailureRatio is the share of a node's ztunnel DNS proxy requests
	// forwarded upstream that fail, over 5m, above which
	// IstioZtunnelDNSFailures tickets.
	DNSFailureRatio float64 `yaml:"dnsFailureRatio" json:"dnsFailureRatio" default:"0.05" check:"ratio"`
	// DNSMinRequests is how many upstream DNS requests a node's ztunnel must
	// forward in 5m before its failure ratio counts, so a nearly idle node
	// with one failed lookup does not alert.
	DNSMinRequests float64 `yaml:"dnsMinRequests" json:"dnsMinRequests" default:"20" check:"nonnegative"`
	// DNSFailuresFor is how long DNSFailureRatio must be exceeded before the ticket.
	DNSFailuresFor Duration `yaml:"dnsFailuresFor" json:"dnsFailuresFor" default:"10m" check:"for"`
}

// Tracing is the mesh-wide trace sampling rate, 0..1.
type Tracing struct {
	// Sampling is the share of requests traced, from 0 to 1 (0.01 is 1%); above 5% in production (10% in staging) it is warned about.
	Sampling float64 `yaml:"sampling" json:"sampling"`
}

// Certificates sets how long before expiry the long-lived mesh CA
// certificates alert, and when stalled workload certificate rotation does.
type Certificates struct {
	// CA is who signs the mesh's certificates, which decides the expiry
	// series that exist: istiod (self-signed, the default), plugged
	// (cacerts), cert-manager (istio-csr) or external.
	CA string `yaml:"ca" json:"ca"`
	// RotationPlanning is how long before a root or intermediate expires a
	// ticket asks to plan its rotation.
	RotationPlanning Duration `yaml:"rotationPlanning" json:"rotationPlanning"`
	// AbsentFor is how long the CA mode's expiry series may be missing
	// while istiod is up.
	AbsentFor Duration `yaml:"absentFor" json:"absentFor" default:"15m" check:"for"`
	// CSRFailuresWarning is how many failed certificate signing requests
	// per 5m are tolerated (istiod's CA or the agents' view).
	CSRFailuresWarning float64 `yaml:"csrFailuresWarning" json:"csrFailuresWarning" default:"0" check:"nonnegative"`
	// CSRFailuresFor is how long CSR failures must stay above CSRFailuresWarning.
	CSRFailuresFor Duration `yaml:"csrFailuresFor" json:"csrFailuresFor" default:"10m" check:"for"`
	// ExpiryWarning is the time left on a root or CA certificate that tickets.
	ExpiryWarning Duration `yaml:"expiryWarning" json:"expiryWarning"`
	// ExpiryCritical is the time left on a root or CA certificate that pages.
	ExpiryCritical Duration `yaml:"expiryCritical" json:"expiryCritical"`
	// WorkloadExpiryWarning is the time left on a workload certificate (stalled rotation) that tickets.
	WorkloadExpiryWarning Duration `yaml:"workloadExpiryWarning" json:"workloadExpiryWarning"`
	// WorkloadExpiryCritical is the time left on a workload certificate that pages.
	WorkloadExpiryCritical Duration `yaml:"workloadExpiryCritical" json:"workloadExpiryCritical"`
	// For is how long a certificate expiry condition must hold before alerting.
	For Duration `yaml:"for" json:"for"`
}

// Prometheus says how the rules are evaluated and where they are deployed.
type Prometheus struct {
	// Scrape is how Istio is scraped, which decides the labels the rules
	// read and whether meshslo generates the scrape targets:
	// kube-prometheus-stack (the default: meshslo generates a
	// ServiceMonitor and a PodMonitor), istio-sample (Istio's addon
	// Prometheus) or custom (the selectors say everything).
	Scrape string `yaml:"scrape" json:"scrape"`
	// EvaluationInterval is how often Prometheus evaluates the rule groups.
	EvaluationInterval Duration  `yaml:"evaluationInterval" json:"evaluationInterval"`
	Selectors          Selectors `yaml:"selectors" json:"selectors"`
	// RuleLabels are the labels on the PrometheusRule, matched by the operator's ruleSelector.
	RuleLabels map[string]string `yaml:"ruleLabels" json:"ruleLabels"`
	// Namespace is where the PrometheusRule, monitors and ConfigMaps are created.
	Namespace string `yaml:"namespace" json:"namespace"`
	// RunbookBaseURL is the absolute http(s) URL where the runbooks are
	// published (meshslo appends /<alert>.md). Unset, each alert's
	// runbook_url is runbooks/<alert>.md, relative to the profile's output
	// folder, which carries the runbooks: set it to where that folder is
	// served so the links work from Alertmanager and Grafana too.
	RunbookBaseURL string `yaml:"runbookBaseURL" json:"runbookBaseURL"`
}

// Rulers are the scale-out rulers meshslo writes rule files for besides
// Prometheus (thanos/, mimir/, vmalert/ in the output folder).
type Rulers struct {
	// Formats lists the rulers to write for: thanos (Thanos Ruler), mimir
	// (Grafana Mimir and Cortex namespace files, for mimirtool or cortextool
	// rules load) and vmalert (VictoriaMetrics). Empty: none.
	Formats []string `yaml:"formats" json:"formats"`
	// Mode is split (each cluster's Prometheus records everything that
	// reads raw series and everything the ruler reads at the evaluation
	// instant, in prometheus-local/; the ruler gets the rest, chiefly the
	// alerts) or all (every rule on the ruler, which then reads its own
	// recordings back within a cycle: only for a ruler that does).
	Mode string `yaml:"mode" json:"mode"`
	// Namespace is the Mimir/Cortex rule namespace of the mimir/ file;
	// empty: meshslo-<profile name>.
	Namespace string `yaml:"namespace" json:"namespace"`
}

// Ruler formats and modes.
const (
	RulerThanos    = "thanos"
	RulerMimir     = "mimir"
	RulerVMAlert   = "vmalert"
	RulerModeSplit = "split"
	RulerModeAll   = "all"
)

// RulerFormats and RulerModes are what spec.rulers accepts.
var (
	RulerFormats = []string{RulerThanos, RulerMimir, RulerVMAlert}
	RulerModes   = []string{RulerModeSplit, RulerModeAll}
)

// Selectors are extra PromQL label matchers, written as they would stand
// inside braces (`app="istiod", job!="x"`), one per signal source.
type Selectors struct {
	// Istiod selects istiod's own series (pilot_*, process and Go metrics).
	Istiod string `yaml:"istiod" json:"istiod"`
	// Proxies selects the sidecars' Envoy and agent series.
	Proxies string `yaml:"proxies" json:"proxies"`
	// Cadvisor selects cAdvisor's container series (CPU, memory).
	Cadvisor string `yaml:"cadvisor" json:"cadvisor"`
	// KubeStateMetrics selects kube-state-metrics' series (limits, HPAs, OOM kills).
	KubeStateMetrics string `yaml:"kubeStateMetrics" json:"kubeStateMetrics"`
	// Requests selects the istio_requests_total and duration series the SLOs read.
	Requests string `yaml:"requests" json:"requests"`
	// CertManager selects cert-manager's certificate series (with
	// certificates.ca: cert-manager).
	CertManager string `yaml:"certManager" json:"certManager"`
}

// Scrape setups.
const (
	ScrapeKubePrometheusStack = "kube-prometheus-stack"
	ScrapeIstioSample         = "istio-sample"
	ScrapeCustom              = "custom"
)

// Scrapes are the scrape setups a profile can name.
var Scrapes = []string{ScrapeKubePrometheusStack, ScrapeIstioSample, ScrapeCustom}

// CA modes.
const (
	CAIstiod      = "istiod"
	CAPlugged     = "plugged"
	CACertManager = "cert-manager"
	CAExternal    = "external"
)

// CAModes are the certificate authorities a profile can name.
var CAModes = []string{CAIstiod, CAPlugged, CACertManager, CAExternal}

// SLO is one service level objective, evaluated per destination service.
type SLO struct {
	// Name names the SLO in recording rules and alerts; unique in the profile.
	Name string `yaml:"name" json:"name"`
	// SLI is availability or latency.
	SLI string `yaml:"sli" json:"sli"`
	// SLISource is whose metrics the SLI reads: auto (the default: from
	// spec.dataPlane; in ambient and mixed meshes per service the waypoint,
	// else the destination sidecar, else ztunnel's L4 connections for
	// availability), sidecar (reporter="destination"), waypoint
	// (reporter="waypoint") or l4 (ztunnel's connections, availability only).
	SLISource string `yaml:"sliSource" json:"sliSource,omitempty"`
	// Objective is a percentage from 1 to 100 (exclusive), kept as written:
	// 99.9, never the ratio 0.999.
	Objective Percent `yaml:"objective" json:"objective"`
	// Threshold is the latency bound; only for the latency SLI.
	Threshold Duration `yaml:"threshold" json:"threshold"`
	// Window is the SLO period the error budget is counted over.
	Window Duration `yaml:"window" json:"window"`
	// Selector narrows the SLO to matching requests: label name to value.
	Selector map[string]string `yaml:"selector" json:"selector"`
	// Matchers narrows the SLO further with the full PromQL matcher set,
	// written as inside braces: `destination_service_name=~"cart|checkout",
	// source_workload!="loadgen"`. Label names are istio_requests_total's.
	Matchers string `yaml:"matchers" json:"matchers,omitempty"`
	// Services, when set, are the only destination services the SLO
	// promises anything for, each with its own objective; without them the
	// SLO covers every service its selector matches.
	Services []Service `yaml:"services" json:"services,omitempty"`
	// Exclude leaves requests out of the SLO, each entry a set of
	// matchers (`destination_service_namespace="payments"`): a request
	// matching every matcher of any entry is not counted. This is how a
	// broad SLO leaves a stricter SLO's services to it.
	Exclude []string `yaml:"exclude" json:"exclude,omitempty"`
	// Overrides names SLOs of the same SLI this one takes precedence over:
	// they stay recorded, but raise no alert for a service this SLO covers.
	Overrides []string `yaml:"overrides" json:"overrides,omitempty"`
	// Labels are added to every alert of the SLO and its recorded series
	// (team: payments), for Alertmanager to route on.
	Labels map[string]string `yaml:"labels" json:"labels,omitempty"`
	// Annotations are added to every alert of the SLO (a dashboard link, a
	// chat channel); they are text, never expanded as templates.
	Annotations map[string]string `yaml:"annotations" json:"annotations,omitempty"`
	// MinRequests is how many requests a burn tier's long window must hold
	// before the tier may fire, so one error among a handful of requests
	// cannot page. 0 turns the guard off.
	MinRequests *int `yaml:"minRequests" json:"minRequests,omitempty"`
	// NoDataFor is how long the SLO's SLI may have no series before
	// IstioSLONoData tickets; by default it scales with the objective: a
	// tenth of the budget's time (budget x window / 10), 5m to 1h; unset or 0 keeps that default.
	NoDataFor Duration `yaml:"noDataFor" json:"noDataFor,omitempty"`
	// Tiers change the shared burn tiers (spec.burnRates) for this SLO,
	// each entry naming a tier by its long window.
	Tiers []TierOverride `yaml:"tiers" json:"tiers,omitempty"`
}

// TierOverride changes one shared burn tier for one SLO.
type TierOverride struct {
	// Long names the tier by its long window, one of spec.burnRates' long windows.
	Long Duration `yaml:"long" json:"long"`
	// Disabled drops the tier from this SLO.
	Disabled bool `yaml:"disabled" json:"disabled,omitempty"`
	// Severity replaces the tier's severity: critical (pages) or warning (tickets).
	Severity string `yaml:"severity" json:"severity,omitempty"`
	// For replaces the tier's hold.
	For *Duration `yaml:"for" json:"for,omitempty"`
}

// DefaultMinRequests is the traffic a burn tier's long window must hold
// when an SLO does not set minRequests.
const DefaultMinRequests = 100

// Service is a destination service an SLO lists by name.
type Service struct {
	// Namespace is the destination service's namespace.
	Namespace string `yaml:"namespace" json:"namespace"`
	// Name is the destination service's name.
	Name string `yaml:"name" json:"name"`
	// Objective overrides the SLO's objective for this service; nil keeps it.
	Objective *Percent `yaml:"objective" json:"objective,omitempty"`
}

// Severities: critical pages, warning tickets.
const (
	SeverityCritical = "critical"
	SeverityWarning  = "warning"
)

// SLI kinds.
const (
	SLIAvailability = "availability"
	SLILatency      = "latency"
)

// Environments and sizes.
var (
	Environments = []string{"production", "staging", "development"}
	Sizes        = []string{"small", "medium", "large"}
)

// Alerting is the Alertmanager side (the alertmanager/ output): who gets
// pages and tickets, how alerts are grouped into notifications, and when
// notifications are muted. Receivers carry names only, never integrations
// or secrets: add those where the generated config is deployed.
type Alerting struct {
	// Receivers are the Alertmanager receivers, routed in this order:
	// each takes the alerts of its severity that match its matchers.
	// Alerts no receiver takes go to the first receiver without matchers
	// that takes tickets (else the first receiver).
	Receivers []Receiver `yaml:"receivers" json:"receivers"`
	// GroupBy are the labels that name one incident: alerts sharing them
	// become one notification. Empty: alertname, slo,
	// destination_service_namespace, destination_service_name and, when
	// spec.mesh.cluster is set, spec.mesh.clusterLabel.
	GroupBy []string `yaml:"groupBy" json:"groupBy,omitempty"`
	// Pages is the notification timing of critical alerts.
	Pages Timing `yaml:"pages" json:"pages"`
	// Tickets is the notification timing of warning alerts.
	Tickets Timing `yaml:"tickets" json:"tickets"`
	// MaintenanceWindows are recurring times (Alertmanager time_intervals)
	// during which the routes they name send nothing; alerts keep firing
	// and notify once the window ends if they still fire.
	MaintenanceWindows []MaintenanceWindow `yaml:"maintenanceWindows" json:"maintenanceWindows,omitempty"`
}

// Receiver is one Alertmanager receiver and the route that feeds it.
type Receiver struct {
	// Name is the receiver's name in Alertmanager: 1 to 63 letters, digits,
	// '-', '_' or '.', unique in the profile.
	Name string `yaml:"name" json:"name"`
	// Severity is critical (pages), warning (tickets) or empty (both).
	Severity string `yaml:"severity" json:"severity"`
	// Matchers narrow the route further, written as inside PromQL braces:
	// team="payments", namespace=~"shop|pay". Empty: every alert of the severity.
	Matchers string `yaml:"matchers" json:"matchers,omitempty"`
	// Continue lets an alert this receiver takes go on to the receivers
	// after it (Alertmanager's continue), so it reaches both.
	Continue bool `yaml:"continue" json:"continue,omitempty"`
}

// Timing is how Alertmanager batches and repeats one severity's notifications.
type Timing struct {
	// GroupWait is how long a new incident waits for more of its alerts before the first notification.
	GroupWait Duration `yaml:"groupWait" json:"groupWait"`
	// GroupInterval is how long an incident waits before notifying about alerts added to it.
	GroupInterval Duration `yaml:"groupInterval" json:"groupInterval"`
	// RepeatInterval is how often a still-firing incident is notified again.
	RepeatInterval Duration `yaml:"repeatInterval" json:"repeatInterval"`
}

// MaintenanceWindow is a recurring time during which some notifications
// are muted, such as a weekly rollout.
type MaintenanceWindow struct {
	// Name names the window (its Alertmanager time interval); unique in the profile.
	Name string `yaml:"name" json:"name"`
	// Weekdays are days (monday) or inclusive ranges of days
	// (monday:friday); empty: every day.
	Weekdays []string `yaml:"weekdays" json:"weekdays,omitempty"`
	// Times are the times of day the window covers; empty: the whole day.
	Times []TimeRange `yaml:"times" json:"times,omitempty"`
	// Location is the IANA time zone the days and times are in
	// (Europe/Berlin); empty: UTC.
	Location string `yaml:"location" json:"location,omitempty"`
	// Mute says what the window mutes: tickets (every warning), all (pages
	// too) or alert names (IstioProxiesStale), mixed as needed.
	Mute []string `yaml:"mute" json:"mute"`
}

// TimeRange is a time of day range, start included and end excluded.
type TimeRange struct {
	// Start is the time of day the range starts, HH:MM (24-hour).
	Start string `yaml:"start" json:"start"`
	// End is the time of day the range ends, HH:MM, after Start; 24:00 is the end of the day.
	End string `yaml:"end" json:"end"`
}

// What a maintenance window can mute besides alert names.
const (
	MuteTickets = "tickets"
	MuteAll     = "all"
)

// Gateway is one Istio gateway Deployment the profile promises SLOs for
// and watches the health of. A field with a default takes it when left
// out or written as 0.
type Gateway struct {
	// Name names the gateway in the gateway label of its alerts and
	// recorded series and in its SLOs' names: a DNS label, unique in the
	// profile.
	Name string `yaml:"name" json:"name"`
	// Namespace is where the gateway's Deployment and pods run (the
	// gateway chart's release namespace, istio-ingress in Istio's docs).
	Namespace string `yaml:"namespace" json:"namespace"`
	// Kind is ingress, egress or eastwest. An east-west gateway passes
	// mTLS through by SNI (AUTO_PASSTHROUGH), so it reports TCP only and
	// cannot have SLOs.
	Kind string `yaml:"kind" json:"kind"`
	// Workload is the gateway's Deployment name, which is also what its
	// proxy reports as source_workload; empty: the gateway's name.
	Workload string `yaml:"workload" json:"workload,omitempty"`
	// MinReplicas is how many gateway pods must be available; fewer
	// tickets, none pages (0 keeps the default).
	MinReplicas int `yaml:"minReplicas" json:"minReplicas" default:"2"`
	// ReplicasFor is how long the gateway may have fewer available pods
	// than MinReplicas (or none) before alerting.
	ReplicasFor Duration `yaml:"replicasFor" json:"replicasFor" default:"5m" check:"for"`
	// MemoryWarningRatio is the share of a gateway pod's live memory limit
	// its istio-proxy container may use before a ticket.
	MemoryWarningRatio float64 `yaml:"memoryWarningRatio" json:"memoryWarningRatio" default:"0.8" check:"ratio"`
	// MemoryCriticalRatio is the share of the live memory limit that
	// pages; above MemoryWarningRatio.
	MemoryCriticalRatio float64 `yaml:"memoryCriticalRatio" json:"memoryCriticalRatio" default:"0.9" check:"ratio"`
	// MemoryFor is how long a gateway pod's memory must stay above a ratio
	// before alerting.
	MemoryFor Duration `yaml:"memoryFor" json:"memoryFor" default:"5m" check:"for"`
	// CPUWarningRatio is the share of a gateway pod's live CPU limit its
	// istio-proxy container may use before a ticket.
	CPUWarningRatio float64 `yaml:"cpuWarningRatio" json:"cpuWarningRatio" default:"0.8" check:"ratio"`
	// CPUFor is how long a gateway pod's CPU must stay above
	// CPUWarningRatio before alerting.
	CPUFor Duration `yaml:"cpuFor" json:"cpuFor" default:"15m" check:"for"`
	// Certificates are the cert-manager Certificates, in the gateway's
	// namespace, that issue its TLS credentials (the secrets its Gateway
	// servers name in credentialName); "*" is every Certificate of the
	// namespace. Empty: no certificate alert for the gateway.
	Certificates []string `yaml:"certificates" json:"certificates,omitempty"`
	// CertificateExpiryWarning is the time left on one of Certificates
	// that tickets: cert-manager renews a Certificate a third of its
	// life before it expires by default, so one this close has not been
	// renewed.
	CertificateExpiryWarning Duration `yaml:"certificateExpiryWarning" json:"certificateExpiryWarning" default:"14d"`
	// CertificateExpiryCritical is the time left on one of Certificates
	// that pages; below CertificateExpiryWarning.
	CertificateExpiryCritical Duration `yaml:"certificateExpiryCritical" json:"certificateExpiryCritical" default:"3d"`
	// SLOs are the gateway's availability and latency SLOs, measured on
	// its own proxy: every request it forwards, per destination service,
	// with the burn tiers, budgets and alerts of spec.slos.
	SLOs []GatewaySLO `yaml:"slos" json:"slos,omitempty"`
}

// GatewaySLO is one SLO of a gateway, written like an entry of spec.slos.
type GatewaySLO struct {
	// Name names the SLO in recording rules and alerts, unique among all
	// SLOs of the profile; empty: <gateway>-<sli> (ingress-availability).
	Name string `yaml:"name" json:"name,omitempty"`
	// SLI is availability or latency.
	SLI string `yaml:"sli" json:"sli"`
	// Objective is a percentage from 1 to 100 (exclusive), such as 99.95.
	Objective Percent `yaml:"objective" json:"objective"`
	// Threshold is the latency bound; only for the latency SLI (default 250ms).
	Threshold Duration `yaml:"threshold" json:"threshold"`
	// Window is the SLO period the error budget is counted over (default 30d).
	Window Duration `yaml:"window" json:"window"`
	// MinRequests is how many requests a burn tier's long window must hold
	// before the tier may fire; unset: 100, 0 turns the guard off.
	MinRequests *int `yaml:"minRequests" json:"minRequests,omitempty"`
	// Labels are added to every alert of the SLO and its recorded series
	// (team: edge), for Alertmanager to route on.
	Labels map[string]string `yaml:"labels" json:"labels,omitempty"`
}

// Waypoint is one ambient waypoint proxy: a Deployment that istiod's
// deployment controller creates from a Gateway of gatewayClassName
// istio-waypoint (istio/istio pilot/pkg/config/kube/gatewaycommon), whose
// pods run one istio-proxy container (istio-discovery's files/waypoint.yaml).
// Its health is watched like a gateway's. A field with a default takes it
// when left out or written as 0.
type Waypoint struct {
	// Name is the waypoint's Gateway name: the waypoint label of its
	// alerts and recorded series. A DNS label, unique in its namespace.
	Name string `yaml:"name" json:"name"`
	// Namespace is the namespace of the waypoint's Gateway, Deployment
	// and pods (required).
	Namespace string `yaml:"namespace" json:"namespace"`
	// Workload is the waypoint's Deployment name: istiod names it after
	// the Gateway (the istio-waypoint class disables the class-name
	// suffix) unless the Gateway's gateway.istio.io/name-override
	// annotation names it; empty: the waypoint's name.
	Workload string `yaml:"workload" json:"workload,omitempty"`
	// MinReplicas is how many waypoint pods must be available: none pages,
	// and with a minimum above 1 fewer tickets. istiod creates a waypoint
	// Deployment with one replica (0 keeps the default).
	MinReplicas int `yaml:"minReplicas" json:"minReplicas" default:"1"`
	// ReplicasFor is how long the waypoint may have fewer available pods
	// than MinReplicas (or none) before alerting.
	ReplicasFor Duration `yaml:"replicasFor" json:"replicasFor" default:"5m" check:"for"`
	// MemoryWarningRatio is the share of a waypoint pod's live memory
	// limit its istio-proxy container may use before a ticket.
	MemoryWarningRatio float64 `yaml:"memoryWarningRatio" json:"memoryWarningRatio" default:"0.8" check:"ratio"`
	// MemoryCriticalRatio is the share of the live memory limit that
	// pages; above MemoryWarningRatio.
	MemoryCriticalRatio float64 `yaml:"memoryCriticalRatio" json:"memoryCriticalRatio" default:"0.9" check:"ratio"`
	// MemoryFor is how long a waypoint pod's memory must stay above a
	// ratio before alerting.
	MemoryFor Duration `yaml:"memoryFor" json:"memoryFor" default:"5m" check:"for"`
	// CPUWarningRatio is the share of a waypoint pod's live CPU limit its
	// istio-proxy container may use before a ticket.
	CPUWarningRatio float64 `yaml:"cpuWarningRatio" json:"cpuWarningRatio" default:"0.8" check:"ratio"`
	// CPUFor is how long a waypoint pod's CPU must stay above
	// CPUWarningRatio before alerting.
	CPUFor Duration `yaml:"cpuFor" json:"cpuFor" default:"15m" check:"for"`
}
