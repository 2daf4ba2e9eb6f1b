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
	APIVersion string   `yaml:"apiVersion" json:"apiVersion"`
	Kind       string   `yaml:"kind" json:"kind"`
	Metadata   Metadata `yaml:"metadata" json:"metadata"`
	Spec       Spec     `yaml:"spec" json:"spec"`
}

// Metadata names the profile; Name becomes the output folder.
type Metadata struct {
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description" json:"description"`
}

// Spec holds everything the generator derives thresholds from.
type Spec struct {
	Environment  string       `yaml:"environment" json:"environment"`
	Size         string       `yaml:"size" json:"size"`
	Mesh         Mesh         `yaml:"mesh" json:"mesh"`
	Istiod       Istiod       `yaml:"istiod" json:"istiod"`
	Proxies      Proxies      `yaml:"proxies" json:"proxies"`
	Tracing      Tracing      `yaml:"tracing" json:"tracing"`
	Certificates Certificates `yaml:"certificates" json:"certificates"`
	Prometheus   Prometheus   `yaml:"prometheus" json:"prometheus"`
	SLOs         []SLO        `yaml:"slos" json:"slos"`
	// BurnRates are the multiwindow burn-rate alert tiers shared by every SLO.
	BurnRates   []BurnRate  `yaml:"burnRates" json:"burnRates"`
	ErrorBudget ErrorBudget `yaml:"errorBudget" json:"errorBudget"`
}

// BurnRate is one multiwindow burn-rate tier (Google SRE workbook, ch. 5):
// alert when BudgetShare of the SLO period's error budget burns within Long,
// confirmed by Short so the alert resets soon after the burn stops. The
// burn factor follows: BudgetShare x period / Long (14.4 for 2% in 1h of 30d).
type BurnRate struct {
	Severity    string   `yaml:"severity" json:"severity"`
	BudgetShare float64  `yaml:"budgetShare" json:"budgetShare"`
	Long        Duration `yaml:"long" json:"long"`
	Short       Duration `yaml:"short" json:"short"`
	// For holds the alert back a little so one bad scrape cannot page.
	For Duration `yaml:"for" json:"for"`
}

// ErrorBudget sets the alert on a spent budget.
type ErrorBudget struct {
	ExhaustedFor Duration `yaml:"exhaustedFor" json:"exhaustedFor"`
}

// Mesh is the size of the data plane.
type Mesh struct {
	Services int `yaml:"services" json:"services"`
	Pods     int `yaml:"pods" json:"pods"`
	// Cluster is the value of the cluster label; empty for a single cluster.
	Cluster string `yaml:"cluster" json:"cluster"`
	// ClusterLabel is the label that carries Cluster on every series.
	ClusterLabel string `yaml:"clusterLabel" json:"clusterLabel"`
}

// Istiod sizes the control plane and sets its alert thresholds. Fields
// with default and check tags take their default and check from them (see
// tags.go); the others are set in Defaults and checked in Validate.
type Istiod struct {
	MemoryLimit       Quantity `yaml:"memoryLimit" json:"memoryLimit"`
	MinReplicas       int      `yaml:"minReplicas" json:"minReplicas"`
	HeapWarningRatio  float64  `yaml:"heapWarningRatio" json:"heapWarningRatio"`
	HeapCriticalRatio float64  `yaml:"heapCriticalRatio" json:"heapCriticalRatio"`
	HeapFor           Duration `yaml:"heapFor" json:"heapFor" default:"5m" check:"for"`
	DownFor           Duration `yaml:"downFor" json:"downFor" default:"1m" check:"for"`
	ReplicasFor       Duration `yaml:"replicasFor" json:"replicasFor" default:"5m" check:"for"`
	CPUWarningRatio   float64  `yaml:"cpuWarningRatio" json:"cpuWarningRatio" default:"0.8" check:"ratio"`
	CPUFor            Duration `yaml:"cpuFor" json:"cpuFor" default:"15m" check:"for"`
	// PushLatencyWarning is the convergence time at PushLatencyQuantile
	// (p99 by default) above which config distribution tickets.
	PushLatencyWarning  Duration `yaml:"pushLatencyWarning" json:"pushLatencyWarning"`
	PushLatencyQuantile float64  `yaml:"pushLatencyQuantile" json:"pushLatencyQuantile" default:"0.99" check:"ratio"`
	PushLatencyFor      Duration `yaml:"pushLatencyFor" json:"pushLatencyFor" default:"10m" check:"for"`
	// PushErrorRatio is the share of xDS pushes that may fail to send.
	PushErrorRatio float64  `yaml:"pushErrorRatio" json:"pushErrorRatio" default:"0.01" check:"ratio"`
	PushErrorFor   Duration `yaml:"pushErrorFor" json:"pushErrorFor" default:"10m" check:"for"`
	// XDSRejectsWarning is how many rejected pushes per 5m are tolerated.
	XDSRejectsWarning float64  `yaml:"xdsRejectsWarning" json:"xdsRejectsWarning" default:"0" check:"nonnegative"`
	XDSRejectsFor     Duration `yaml:"xdsRejectsFor" json:"xdsRejectsFor" default:"10m" check:"for"`
	// ConfigConflictsWarning is how many conflicting listeners or
	// duplicate clusters/domains are tolerated.
	ConfigConflictsWarning float64  `yaml:"configConflictsWarning" json:"configConflictsWarning" default:"0" check:"nonnegative"`
	ConfigConflictsFor     Duration `yaml:"configConflictsFor" json:"configConflictsFor" default:"15m" check:"for"`
	// InjectionFailuresWarning is how many failed injections per 5m are tolerated.
	InjectionFailuresWarning float64  `yaml:"injectionFailuresWarning" json:"injectionFailuresWarning" default:"0" check:"nonnegative"`
	InjectionFailuresFor     Duration `yaml:"injectionFailuresFor" json:"injectionFailuresFor" default:"10m" check:"for"`
	// WebhookFailuresWarning is how many calls per 5m the API server may
	// fail to make to istiod's injection and validation webhooks.
	WebhookFailuresWarning float64  `yaml:"webhookFailuresWarning" json:"webhookFailuresWarning" default:"0" check:"nonnegative"`
	WebhookFailuresFor     Duration `yaml:"webhookFailuresFor" json:"webhookFailuresFor" default:"5m" check:"for"`
	// HPACPUTargetRatio is the CPU share of the request istiod's HPA
	// targets (the chart's default is 80%), used where kube-state-metrics
	// does not report the HPA's own target.
	HPACPUTargetRatio float64 `yaml:"hpaCPUTargetRatio" json:"hpaCPUTargetRatio" default:"0.8" check:"ratio"`
	// Namespace is where istiod and its Services run: the generated
	// ServiceMonitor looks there.
	Namespace string `yaml:"namespace" json:"namespace"`
}

// Proxies sets the data-plane thresholds.
type Proxies struct {
	StaleRatio    float64  `yaml:"staleRatio" json:"staleRatio"`
	StaleFor      Duration `yaml:"staleFor" json:"staleFor"`
	StaleCount    int      `yaml:"staleCount" json:"staleCount"`
	StaleCountFor Duration `yaml:"staleCountFor" json:"staleCountFor"`
	// MemoryWarning is the working set that tickets for a sidecar whose
	// memory limit is unknown (no kube-state-metrics, no cAdvisor limit).
	MemoryWarning Quantity `yaml:"memoryWarning" json:"memoryWarning"`
	// MemoryWarningRatio and MemoryCriticalRatio are the shares of a
	// sidecar's live memory limit that ticket and page.
	MemoryWarningRatio  float64  `yaml:"memoryWarningRatio" json:"memoryWarningRatio" default:"0.8" check:"ratio"`
	MemoryCriticalRatio float64  `yaml:"memoryCriticalRatio" json:"memoryCriticalRatio" default:"0.9" check:"ratio"`
	MemoryFor           Duration `yaml:"memoryFor" json:"memoryFor" default:"2m" check:"for"`
	// OOMKilledWindow is how long after an OOM kill of a sidecar
	// IstioSidecarOOMKilled keeps firing.
	OOMKilledWindow Duration `yaml:"oomKilledWindow" json:"oomKilledWindow" default:"15m" check:"window"`
}

// Tracing is the mesh-wide trace sampling rate, 0..1.
type Tracing struct {
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
	CSRFailuresWarning     float64  `yaml:"csrFailuresWarning" json:"csrFailuresWarning" default:"0" check:"nonnegative"`
	CSRFailuresFor         Duration `yaml:"csrFailuresFor" json:"csrFailuresFor" default:"10m" check:"for"`
	ExpiryWarning          Duration `yaml:"expiryWarning" json:"expiryWarning"`
	ExpiryCritical         Duration `yaml:"expiryCritical" json:"expiryCritical"`
	WorkloadExpiryWarning  Duration `yaml:"workloadExpiryWarning" json:"workloadExpiryWarning"`
	WorkloadExpiryCritical Duration `yaml:"workloadExpiryCritical" json:"workloadExpiryCritical"`
	For                    Duration `yaml:"for" json:"for"`
}

// Prometheus says how the rules are evaluated and where they are deployed.
type Prometheus struct {
	// Scrape is how Istio is scraped, which decides the labels the rules
	// read and whether meshslo generates the scrape targets:
	// kube-prometheus-stack (the default: meshslo generates a
	// ServiceMonitor and a PodMonitor), istio-sample (Istio's addon
	// Prometheus) or custom (the selectors say everything).
	Scrape             string            `yaml:"scrape" json:"scrape"`
	EvaluationInterval Duration          `yaml:"evaluationInterval" json:"evaluationInterval"`
	Selectors          Selectors         `yaml:"selectors" json:"selectors"`
	RuleLabels         map[string]string `yaml:"ruleLabels" json:"ruleLabels"`
	Namespace          string            `yaml:"namespace" json:"namespace"`
	// RunbookBaseURL is where docs/runbooks/<alert>.md are published.
	RunbookBaseURL string `yaml:"runbookBaseURL" json:"runbookBaseURL"`
}

// Selectors are extra PromQL label matchers, written as they would stand
// inside braces (`app="istiod", job!="x"`), one per signal source.
type Selectors struct {
	Istiod           string `yaml:"istiod" json:"istiod"`
	Proxies          string `yaml:"proxies" json:"proxies"`
	Cadvisor         string `yaml:"cadvisor" json:"cadvisor"`
	KubeStateMetrics string `yaml:"kubeStateMetrics" json:"kubeStateMetrics"`
	Requests         string `yaml:"requests" json:"requests"`
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
	Name string `yaml:"name" json:"name"`
	// SLI is availability or latency.
	SLI string `yaml:"sli" json:"sli"`
	// Objective is a percentage from 1 to 100 (exclusive), kept as written:
	// 99.9, never the ratio 0.999.
	Objective Percent `yaml:"objective" json:"objective"`
	// Threshold is the latency bound; only for the latency SLI.
	Threshold Duration `yaml:"threshold" json:"threshold"`
	Window    Duration `yaml:"window" json:"window"`
	// Selector narrows the SLO to matching requests: label name to value.
	Selector map[string]string `yaml:"selector" json:"selector"`
	// Services, when set, are the only destination services the SLO
	// promises anything for, each with its own objective; without them the
	// SLO covers every service its selector matches.
	Services []Service `yaml:"services" json:"services,omitempty"`
}

// Service is a destination service an SLO lists by name.
type Service struct {
	Namespace string `yaml:"namespace" json:"namespace"`
	Name      string `yaml:"name" json:"name"`
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
