package config

import (
	"fmt"

	"github.com/meshslo/meshslo/generator/profile"
)

// Threshold is one derived threshold, for `meshslo explain` and the README.
type Threshold struct {
	Alert    string
	Severity string
	// Condition says in words what fires, with the numbers filled in.
	Condition string
	// Fields are the profile fields the threshold comes from.
	Fields []string
}

// Origin tells where a profile field's value came from (a file line or a
// size default); nil means "profile".
type Origin func(field string) string

// Thresholds lists every alert threshold in rule order.
func (c *Config) Thresholds() []Threshold {
	s := c.Profile.Spec
	i, px, ct := s.Istiod, s.Proxies, s.Certificates
	pct := func(f float64) string { return profile.FormatNumber(f*100) + "%" }
	heapBytes := func(r float64) string {
		return profile.Quantity(r * float64(i.MemoryLimit.Bytes())).Human()
	}
	out := []Threshold{
		{"IstiodHeapNearLimit", profile.SeverityWarning,
			fmt.Sprintf("heap >= %s of the memory limit (%s of %s when no live limit) for %s", pct(i.HeapWarningRatio), heapBytes(i.HeapWarningRatio), i.MemoryLimit, i.HeapFor),
			[]string{"spec.istiod.heapWarningRatio", "spec.istiod.memoryLimit", "spec.istiod.heapFor"}},
		{"IstiodHeapNearLimit", profile.SeverityCritical,
			fmt.Sprintf("heap >= %s of the memory limit (%s of %s when no live limit) for %s", pct(i.HeapCriticalRatio), heapBytes(i.HeapCriticalRatio), i.MemoryLimit, i.HeapFor),
			[]string{"spec.istiod.heapCriticalRatio", "spec.istiod.memoryLimit", "spec.istiod.heapFor"}},
		{"IstiodDown", profile.SeverityCritical, fmt.Sprintf("no istiod target up for %s", i.DownFor), []string{"spec.istiod.downFor"}},
		{"IstiodReplicasBelowMinimum", profile.SeverityWarning, fmt.Sprintf("fewer than %d istiod targets up for %s", i.MinReplicas, i.ReplicasFor),
			[]string{"spec.istiod.minReplicas", "spec.istiod.replicasFor"}},
		{"IstiodHighCPU", profile.SeverityWarning, fmt.Sprintf("CPU >= %s of the limit (or request) for %s", pct(i.CPUWarningRatio), i.CPUFor),
			[]string{"spec.istiod.cpuWarningRatio", "spec.istiod.cpuFor"}},
		{"IstioXDSRejects", profile.SeverityWarning, fmt.Sprintf("more than %s rejected pushes per 5m for %s", profile.FormatNumber(i.XDSRejectsWarning), i.XDSRejectsFor),
			[]string{"spec.istiod.xdsRejectsWarning", "spec.istiod.xdsRejectsFor"}},
		{"IstioXDSPushErrors", profile.SeverityWarning, fmt.Sprintf("more than %s of pushes fail to send for %s", pct(i.PushErrorRatio), i.PushErrorFor),
			[]string{"spec.istiod.pushErrorRatio", "spec.istiod.pushErrorFor"}},
		{"IstiodPushLatencyHigh", profile.SeverityWarning, fmt.Sprintf("p%s convergence time above %s for %s", profile.FormatNumber(i.PushLatencyQuantile*100), i.PushLatencyWarning, i.PushLatencyFor),
			[]string{"spec.istiod.pushLatencyWarning", "spec.istiod.pushLatencyQuantile", "spec.istiod.pushLatencyFor"}},
		{"IstioConfigConflicts", profile.SeverityWarning, fmt.Sprintf("more than %s conflicts of one kind for %s", profile.FormatNumber(i.ConfigConflictsWarning), i.ConfigConflictsFor),
			[]string{"spec.istiod.configConflictsWarning", "spec.istiod.configConflictsFor"}},
		{"IstioSidecarInjectionFailures", profile.SeverityWarning, fmt.Sprintf("more than %s failed injections per 5m for %s", profile.FormatNumber(i.InjectionFailuresWarning), i.InjectionFailuresFor),
			[]string{"spec.istiod.injectionFailuresWarning", "spec.istiod.injectionFailuresFor"}},
		{"IstioProxiesStale", profile.SeverityCritical, fmt.Sprintf("more than %s of proxies out of sync for %s", pct(px.StaleRatio), px.StaleFor),
			[]string{"spec.proxies.staleRatio", "spec.proxies.staleFor"}},
		{"IstioProxiesStale", profile.SeverityWarning, fmt.Sprintf("more than %d proxies out of sync for %s", px.StaleCount, px.StaleCountFor),
			[]string{"spec.proxies.staleCount", "spec.proxies.staleCountFor"}},
		{"IstioSidecarMemoryHigh", profile.SeverityWarning, fmt.Sprintf("sidecar working set above %s for %s", px.MemoryWarning, px.MemoryFor),
			[]string{"spec.proxies.memoryWarning", "spec.proxies.memoryFor"}},
		{"IstioSidecarMemoryHigh", profile.SeverityCritical, fmt.Sprintf("sidecar working set above %s for %s", px.MemoryCritical, px.MemoryFor),
			[]string{"spec.proxies.memoryCritical", "spec.proxies.memoryFor"}},
		{"IstioRootCertificateExpiring", profile.SeverityWarning, fmt.Sprintf("root certificate expires within %s", ct.ExpiryWarning), []string{"spec.certificates.expiryWarning"}},
		{"IstioRootCertificateExpiring", profile.SeverityCritical, fmt.Sprintf("root certificate expires within %s", ct.ExpiryCritical), []string{"spec.certificates.expiryCritical"}},
		{"IstioCACertificateExpiring", profile.SeverityWarning, fmt.Sprintf("CA certificate expires within %s", ct.ExpiryWarning), []string{"spec.certificates.expiryWarning"}},
		{"IstioCACertificateExpiring", profile.SeverityCritical, fmt.Sprintf("CA certificate expires within %s", ct.ExpiryCritical), []string{"spec.certificates.expiryCritical"}},
		{"IstioWorkloadCertificateRotationStalled", profile.SeverityWarning, fmt.Sprintf("a workload certificate has less than %s left", ct.WorkloadExpiryWarning),
			[]string{"spec.certificates.workloadExpiryWarning"}},
		{"IstioWorkloadCertificateRotationStalled", profile.SeverityCritical, fmt.Sprintf("a workload certificate has less than %s left", ct.WorkloadExpiryCritical),
			[]string{"spec.certificates.workloadExpiryCritical"}},
	}
	for si, slo := range c.SLOs {
		for ti, t := range slo.Tiers {
			out = append(out, Threshold{"IstioSLOErrorBudgetBurn", t.Severity,
				fmt.Sprintf("SLO %s: burn rate above %sx (error ratio above %s) over %s and %s: %s of the %s budget in %s",
					slo.Name, profile.FormatNumber(t.Factor), profile.FormatNumber(t.ErrorRatio), t.Long, t.Short, pct(t.BudgetShare), slo.Window, t.Long),
				[]string{fmt.Sprintf("spec.slos[%d].objective", si), fmt.Sprintf("spec.slos[%d].window", si), fmt.Sprintf("spec.burnRates[%d]", ti)}})
		}
		out = append(out, Threshold{"IstioSLOErrorBudgetExhausted", profile.SeverityWarning,
			fmt.Sprintf("SLO %s: nothing left of the %s budget (%s of requests may fail) for %s", slo.Name, slo.Window, profile.FormatNumber(slo.Budget*100)+"%", s.ErrorBudget.ExhaustedFor),
			[]string{fmt.Sprintf("spec.slos[%d].objective", si), "spec.errorBudget.exhaustedFor"}})
	}
	return out
}
