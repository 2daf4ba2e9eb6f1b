package dashboards

import (
	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/rules"
)

// Upgrade is what the upgrade row of the debug dashboard reads: the
// per-revision series and, where the profile tags them, the stable and
// canary revisions of the canary verdict.
type Upgrade struct {
	// Stable and Canary are the revisions tagged stable and canary, ""
	// without a pair: the verdict panels are then left out.
	Stable string `json:"stable"`
	Canary string `json:"canary"`
	// Series names of the verdict (package rules, canary.go).
	ProxiesConnected string `json:"proxiesConnected"`
	HeapPerProxy     string `json:"heapPerProxy"`
	PushLatency      string `json:"pushLatency"`
	RejectsPerProxy  string `json:"rejectsPerProxy"`
	ErrorRatio       string `json:"errorRatio"`
	LatencyP99       string `json:"latencyP99"`
	Healthy          string `json:"healthy"`
	// Factors are IstioCanaryRegression's thresholds, by signal.
	Factors map[string]float64 `json:"factors"`
}

func upgrade(c *config.Config) Upgrade {
	i := c.Profile.Spec.Istiod
	u := Upgrade{
		ProxiesConnected: rules.ProxiesConnected, HeapPerProxy: rules.RevisionHeapPerProxy, PushLatency: rules.RevisionPushLatency,
		RejectsPerProxy: rules.RevisionRejectsPerProxy, ErrorRatio: rules.RevisionErrorRatio, LatencyP99: rules.RevisionLatencyP99,
		Healthy: rules.CanaryHealthy, Factors: map[string]float64{},
	}
	if stable, canary, ok := i.CanaryPair(); ok {
		u.Stable, u.Canary = stable, canary
		u.Factors = map[string]float64{
			rules.SignalHeapPerProxy: i.Canary.HeapPerProxyFactor, rules.SignalPushLatency: i.Canary.PushLatencyFactor,
			rules.SignalXDSRejects: i.Canary.XDSRejectsPerProxy, rules.SignalErrorRatio: i.Canary.ErrorRatioIncrease,
			rules.SignalLatency: i.Canary.LatencyFactor,
		}
	}
	return u
}
