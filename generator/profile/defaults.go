package profile

import "time"

// Size defaults come from field experience with Istio control planes:
// istiod needs about 4Gi in small production meshes, 8Gi for 50-200
// services and 16Gi above that. Two replicas everywhere, because a single
// istiod is a single point of failure for config and certificates.
type sizeDefaults struct {
	services, pods int
	istiodMemory   Quantity
}

var sizeTable = map[string]sizeDefaults{
	"small":  {services: 30, pods: 200, istiodMemory: 4 << 30},
	"medium": {services: 150, pods: 1200, istiodMemory: 8 << 30},
	"large":  {services: 500, pods: 5000, istiodMemory: 16 << 30},
}

// SizeBounds are the service counts each size is meant for, used to warn
// when a profile's mesh.services does not fit its size.
var SizeBounds = map[string][2]int{"small": {0, 49}, "medium": {50, 200}, "large": {201, 1 << 30}}

const (
	// DefaultSize and DefaultEnvironment apply when a profile omits them.
	DefaultSize        = "medium"
	DefaultEnvironment = "production"
)

func dur(d time.Duration) Duration { return Duration(d) }

// Defaults returns a profile filled with every default for the given size
// (an unknown size falls back to medium; Validate reports it). Loading a
// file decodes it on top of this value, so a field the file leaves out
// keeps its default.
func Defaults(size string) Profile {
	sd, ok := sizeTable[size]
	if !ok {
		sd = sizeTable[DefaultSize]
	}
	p := Profile{
		APIVersion: APIVersion,
		Kind:       Kind,
		Spec: Spec{
			Environment: DefaultEnvironment,
			Size:        size,
			DataPlane:   DataPlaneSidecar,
			Mesh: Mesh{Services: sd.services, Pods: sd.pods, ClusterLabel: "cluster",
				Clusters: Clusters{Topology: TopologySingle, LabelSource: LabelSourceSeries}},
			Istiod: Istiod{
				MemoryLimit:        sd.istiodMemory,
				MinReplicas:        2,
				HeapWarningRatio:   0.8,
				HeapCriticalRatio:  0.9,
				PushLatencyWarning: dur(5 * time.Second),
				Namespace:          "istio-system",
			},
			Proxies: Proxies{
				StaleRatio:    0.05,
				StaleFor:      dur(60 * time.Second),
				StaleCount:    10,
				StaleCountFor: dur(5 * time.Minute),
				MemoryWarning: 800 << 20,
			},
			Ztunnel: Ztunnel{Namespace: "istio-system", DaemonSet: "ztunnel"},
			Tracing: Tracing{Sampling: 0.01},
			Certificates: Certificates{
				CA:                     CAIstiod,
				RotationPlanning:       dur(30 * 24 * time.Hour),
				ExpiryWarning:          dur(72 * time.Hour),
				ExpiryCritical:         dur(24 * time.Hour),
				WorkloadExpiryWarning:  dur(6 * time.Hour),
				WorkloadExpiryCritical: dur(time.Hour),
				For:                    dur(5 * time.Minute),
			},
			Prometheus: Prometheus{
				Scrape:             ScrapeKubePrometheusStack,
				EvaluationInterval: dur(30 * time.Second),
				Selectors:          Selectors{Istiod: `app="istiod"`},
				RuleLabels:         map[string]string{"release": "kube-prometheus-stack"},
				Namespace:          "monitoring",
			},
			SLOs:        DefaultSLOs(),
			BurnRates:   DefaultBurnRates(),
			ErrorBudget: ErrorBudget{ExhaustedFor: dur(15 * time.Minute)},
			Alerting:    DefaultAlerting(),
			Rulers:      Rulers{Mode: RulerModeSplit},
		},
	}
	applyTagDefaults(&p.Spec.Istiod)
	applyTagDefaults(&p.Spec.Istiod.Canary)
	applyTagDefaults(&p.Spec.Proxies)
	applyTagDefaults(&p.Spec.Certificates)
	applyTagDefaults(&p.Spec.Ztunnel)
	applyTagDefaults(&p.Spec.Mesh.Clusters)
	return p
}

// DefaultSLOs are the SLOs every built-in profile carries and a profile
// without slos gets.
func DefaultSLOs() []SLO {
	return []SLO{
		{Name: "availability", SLI: SLIAvailability, Objective: 99.9, Window: dur(30 * 24 * time.Hour)},
		{Name: "latency", SLI: SLILatency, Objective: 95, Threshold: dur(250 * time.Millisecond), Window: dur(30 * 24 * time.Hour)},
	}
}

// DefaultBurnRates are the SRE workbook's tiers: page on 2% of the budget in
// 1h or 5% in 6h; ticket on 10% in 1d or in 3d.
func DefaultBurnRates() []BurnRate {
	h := time.Hour
	return []BurnRate{
		{Severity: SeverityCritical, BudgetShare: 0.02, Long: dur(h), Short: dur(5 * time.Minute), For: dur(2 * time.Minute)},
		{Severity: SeverityCritical, BudgetShare: 0.05, Long: dur(6 * h), Short: dur(30 * time.Minute), For: dur(15 * time.Minute)},
		{Severity: SeverityWarning, BudgetShare: 0.10, Long: dur(24 * h), Short: dur(2 * h), For: dur(h)},
		{Severity: SeverityWarning, BudgetShare: 0.10, Long: dur(72 * h), Short: dur(6 * h), For: dur(3 * h)},
	}
}

// DefaultSLOWindow fills an SLO that names no window.
const DefaultSLOWindow = Duration(30 * 24 * time.Hour)

// DefaultLatencyThreshold fills a latency SLO that names no threshold.
const DefaultLatencyThreshold = Duration(250 * time.Millisecond)

// Default receivers: one for pages, one for tickets.
const (
	DefaultPagesReceiver   = "mesh-pages"
	DefaultTicketsReceiver = "mesh-tickets"
)

// DefaultAlerting routes pages and tickets to a receiver each. A page waits
// 30s for the rest of its incident and repeats every 4h while it fires; a
// ticket waits 5m, so a burst becomes one ticket, and repeats daily.
func DefaultAlerting() Alerting {
	return Alerting{
		Receivers: []Receiver{
			{Name: DefaultPagesReceiver, Severity: SeverityCritical},
			{Name: DefaultTicketsReceiver, Severity: SeverityWarning},
		},
		Pages:   Timing{GroupWait: dur(30 * time.Second), GroupInterval: dur(5 * time.Minute), RepeatInterval: dur(4 * time.Hour)},
		Tickets: Timing{GroupWait: dur(5 * time.Minute), GroupInterval: dur(30 * time.Minute), RepeatInterval: dur(24 * time.Hour)},
	}
}
