package rules

import (
	"fmt"
	"strings"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
)

// Descriptor is everything meshslo knows about one alert beside its
// expression: the thresholds of each of its rules with the profile fields
// behind them, a line for the runbook index, and the values dashboards draw.
// The rule builders read their numbers from Thresholds, and every alerting
// rule carries the Threshold it was built from, so explain, the READMEs,
// the runbook index and the dashboards cannot disagree with the rules.
//
// Adding an alert: a Descriptor here (listed in Descriptors), its rule in
// the builder of its concern, its generated tests in package ruletests,
// its profile fields, and docs/runbooks/<Name>.md. The completeness tests
// name whichever piece is missing.
type Descriptor struct {
	Name string
	// Meaning is the runbook index's line. {warning}, {critical} and
	// {for} stand for the Shown value and the hold of the first
	// threshold of that severity.
	Meaning string
	// Thresholds returns one entry per rule of the alert, in rule order.
	Thresholds func(c *config.Config) []Threshold
	// Params are values dashboards draw beside the thresholds that are
	// not compared against themselves (the memory limit the heap ratio
	// divides by, the quantile of a latency threshold).
	Params func(c *config.Config) []Param
}

// Threshold is one rule of an alert: what it compares against, for how
// long, and where each number comes from.
type Threshold struct {
	Alert    string
	Severity string
	// Condition says in words what fires, with the numbers filled in.
	Condition string
	// Fields are the profile fields the threshold comes from, as paths
	// that resolve in profile.Profile (spec.istiod.heapFor).
	Fields []string
	// Value is the number the expression compares against, in base units
	// (ratio, bytes, seconds, count, burn factor).
	Value float64
	// Shown is Value as people read it (80%, 800Mi, 72h).
	Shown string
	For   profile.Duration
	// Draw is the dashboards' key for Value (section.name, read by the
	// templates as input.thresholds.section.name); empty when no
	// dashboard draws it.
	Draw string
	// Panels are the dashboard panels that draw Value as a threshold
	// step, as "dashboard/panel title" (the dashboards' tests hold them to it).
	Panels []string
}

// Param is a value a dashboard draws that is not a threshold.
type Param struct {
	Draw  string
	Value float64
	Field string
}

// Alert names, for the places that refer to one alert.
const (
	AlertIstiodHeapNearLimit           = "IstiodHeapNearLimit"
	AlertIstiodDown                    = "IstiodDown"
	AlertIstiodReplicasBelowMinimum    = "IstiodReplicasBelowMinimum"
	AlertIstiodHighCPU                 = "IstiodHighCPU"
	AlertIstioXDSRejects               = "IstioXDSRejects"
	AlertIstioXDSPushErrors            = "IstioXDSPushErrors"
	AlertIstiodPushLatencyHigh         = "IstiodPushLatencyHigh"
	AlertIstioConfigConflicts          = "IstioConfigConflicts"
	AlertIstioSidecarInjectionFailures = "IstioSidecarInjectionFailures"
	AlertIstioProxiesStale             = "IstioProxiesStale"
	AlertIstioSidecarMemoryHigh        = "IstioSidecarMemoryHigh"
	AlertIstioRootCertificateExpiring  = "IstioRootCertificateExpiring"
	AlertIstioCACertificateExpiring    = "IstioCACertificateExpiring"
	AlertIstioWorkloadCertRotation     = "IstioWorkloadCertificateRotationStalled"
	AlertIstioSLOErrorBudgetBurn       = "IstioSLOErrorBudgetBurn"
	AlertIstioSLOErrorBudgetExhausted  = "IstioSLOErrorBudgetExhausted"
)

// Descriptors lists every alert meshslo generates, in rule order.
var Descriptors = []*Descriptor{
	{
		Name:    AlertIstiodHeapNearLimit,
		Meaning: "istiod's Go heap is at {warning} / {critical} of its memory limit",
		Thresholds: func(c *config.Config) []Threshold {
			i := c.Profile.Spec.Istiod
			heap := func(sev, field string, r float64, draw string) Threshold {
				return Threshold{Alert: AlertIstiodHeapNearLimit, Severity: sev,
					Condition: fmt.Sprintf("heap >= %s of the memory limit (%s of %s when no live limit) for %s", percent(r),
						profile.Quantity(r*float64(i.MemoryLimit.Bytes())).Human(), i.MemoryLimit, i.HeapFor),
					Fields: []string{"spec.istiod." + field, "spec.istiod.memoryLimit", "spec.istiod.heapFor"},
					Value:  r, Shown: percent(r), For: i.HeapFor, Draw: "istiod." + draw,
					Panels: []string{"oncall/istiod heap / memory limit"}}
			}
			return []Threshold{
				heap(profile.SeverityWarning, "heapWarningRatio", i.HeapWarningRatio, "heapWarningRatio"),
				heap(profile.SeverityCritical, "heapCriticalRatio", i.HeapCriticalRatio, "heapCriticalRatio"),
			}
		},
		Params: func(c *config.Config) []Param {
			return []Param{{"istiod.memoryLimitBytes", float64(c.Profile.Spec.Istiod.MemoryLimit.Bytes()), "spec.istiod.memoryLimit"}}
		},
	},
	{
		Name:    AlertIstiodDown,
		Meaning: "no istiod target is up: no config pushes, injection or certificate signing",
		Thresholds: func(c *config.Config) []Threshold {
			i := c.Profile.Spec.Istiod
			return []Threshold{{Alert: AlertIstiodDown, Severity: profile.SeverityCritical,
				Condition: fmt.Sprintf("no istiod target up for %s", i.DownFor), Fields: []string{"spec.istiod.downFor"},
				Value: 0, Shown: "0", For: i.DownFor}}
		},
	},
	{
		Name:    AlertIstiodReplicasBelowMinimum,
		Meaning: "fewer istiod replicas up than the minimum ({warning}): no redundancy",
		Thresholds: func(c *config.Config) []Threshold {
			i := c.Profile.Spec.Istiod
			return []Threshold{{Alert: AlertIstiodReplicasBelowMinimum, Severity: profile.SeverityWarning,
				Condition: fmt.Sprintf("fewer than %d istiod targets up for %s", i.MinReplicas, i.ReplicasFor),
				Fields:    []string{"spec.istiod.minReplicas", "spec.istiod.replicasFor"},
				Value:     float64(i.MinReplicas), Shown: num(float64(i.MinReplicas)), For: i.ReplicasFor, Draw: "istiod.minReplicas",
				Panels: []string{"oncall/istiod instances up", "executive/istiod up"}}}
		},
	},
	{
		Name:    AlertIstiodHighCPU,
		Meaning: "istiod uses {warning} of its CPU limit (or request) for {for}",
		Thresholds: func(c *config.Config) []Threshold {
			i := c.Profile.Spec.Istiod
			return []Threshold{{Alert: AlertIstiodHighCPU, Severity: profile.SeverityWarning,
				Condition: fmt.Sprintf("CPU >= %s of the limit (or request) for %s", percent(i.CPUWarningRatio), i.CPUFor),
				Fields:    []string{"spec.istiod.cpuWarningRatio", "spec.istiod.cpuFor"},
				Value:     i.CPUWarningRatio, Shown: percent(i.CPUWarningRatio), For: i.CPUFor, Draw: "istiod.cpuWarningRatio",
				Panels: []string{"oncall/istiod CPU / limit"}}}
		},
	},
	{
		Name:    AlertIstioXDSRejects,
		Meaning: "proxies NACK the config istiod sends",
		Thresholds: func(c *config.Config) []Threshold {
			i := c.Profile.Spec.Istiod
			return []Threshold{{Alert: AlertIstioXDSRejects, Severity: profile.SeverityWarning,
				Condition: fmt.Sprintf("more than %s rejected pushes per 5m for %s", num(i.XDSRejectsWarning), i.XDSRejectsFor),
				Fields:    []string{"spec.istiod.xdsRejectsWarning", "spec.istiod.xdsRejectsFor"},
				Value:     i.XDSRejectsWarning, Shown: num(i.XDSRejectsWarning), For: i.XDSRejectsFor, Draw: "istiod.xdsRejectsWarning",
				Panels: []string{"oncall/Rejected config per 5m"}}}
		},
	},
	{
		Name:    AlertIstioXDSPushErrors,
		Meaning: "a growing share of xDS pushes fail to be sent",
		Thresholds: func(c *config.Config) []Threshold {
			i := c.Profile.Spec.Istiod
			return []Threshold{{Alert: AlertIstioXDSPushErrors, Severity: profile.SeverityWarning,
				Condition: fmt.Sprintf("more than %s of pushes fail to send for %s", percent(i.PushErrorRatio), i.PushErrorFor),
				Fields:    []string{"spec.istiod.pushErrorRatio", "spec.istiod.pushErrorFor"},
				Value:     i.PushErrorRatio, Shown: percent(i.PushErrorRatio), For: i.PushErrorFor, Draw: "istiod.pushErrorRatio",
				Panels: []string{"oncall/xDS push send errors"}}}
		},
	},
	{
		Name:    AlertIstiodPushLatencyHigh,
		Meaning: "config convergence time (p99 by default) above {warning}: changes reach proxies late",
		Thresholds: func(c *config.Config) []Threshold {
			i := c.Profile.Spec.Istiod
			return []Threshold{{Alert: AlertIstiodPushLatencyHigh, Severity: profile.SeverityWarning,
				Condition: fmt.Sprintf("p%s convergence time above %s for %s", num(i.PushLatencyQuantile*100), i.PushLatencyWarning, i.PushLatencyFor),
				Fields:    []string{"spec.istiod.pushLatencyWarning", "spec.istiod.pushLatencyQuantile", "spec.istiod.pushLatencyFor"},
				Value:     i.PushLatencyWarning.Seconds(), Shown: i.PushLatencyWarning.String(), For: i.PushLatencyFor,
				Draw: "istiod.pushLatencyWarningSeconds", Panels: []string{"oncall/Config push latency (p99)"}}}
		},
		Params: func(c *config.Config) []Param {
			return []Param{{"istiod.pushLatencyQuantile", c.Profile.Spec.Istiod.PushLatencyQuantile, "spec.istiod.pushLatencyQuantile"}}
		},
	},
	{
		Name:    AlertIstioConfigConflicts,
		Meaning: "conflicting listeners, clusters or VirtualService domains; part of the config is ignored",
		Thresholds: func(c *config.Config) []Threshold {
			i := c.Profile.Spec.Istiod
			return []Threshold{{Alert: AlertIstioConfigConflicts, Severity: profile.SeverityWarning,
				Condition: fmt.Sprintf("more than %s conflicts of one kind for %s", num(i.ConfigConflictsWarning), i.ConfigConflictsFor),
				Fields:    []string{"spec.istiod.configConflictsWarning", "spec.istiod.configConflictsFor"},
				Value:     i.ConfigConflictsWarning, Shown: num(i.ConfigConflictsWarning), For: i.ConfigConflictsFor,
				Draw: "istiod.configConflictsWarning", Panels: []string{"oncall/Config conflicts"}}}
		},
	},
	{
		Name:    AlertIstioSidecarInjectionFailures,
		Meaning: "the injection webhook fails to inject sidecars",
		Thresholds: func(c *config.Config) []Threshold {
			i := c.Profile.Spec.Istiod
			return []Threshold{{Alert: AlertIstioSidecarInjectionFailures, Severity: profile.SeverityWarning,
				Condition: fmt.Sprintf("more than %s failed injections per 5m for %s", num(i.InjectionFailuresWarning), i.InjectionFailuresFor),
				Fields:    []string{"spec.istiod.injectionFailuresWarning", "spec.istiod.injectionFailuresFor"},
				Value:     i.InjectionFailuresWarning, Shown: num(i.InjectionFailuresWarning), For: i.InjectionFailuresFor,
				Draw:   "istiod.injectionFailuresWarning",
				Panels: []string{"oncall/Sidecar injection failures per 5m", "debug/Injection failures per 5m"}}}
		},
	},
	{
		Name:    AlertIstioProxiesStale,
		Meaning: "many proxies disconnected from xDS or rejecting config (approximation of STALE)",
		Thresholds: func(c *config.Config) []Threshold {
			px := c.Profile.Spec.Proxies
			return []Threshold{
				{Alert: AlertIstioProxiesStale, Severity: profile.SeverityCritical,
					Condition: fmt.Sprintf("more than %s of proxies out of sync for %s", percent(px.StaleRatio), px.StaleFor),
					Fields:    []string{"spec.proxies.staleRatio", "spec.proxies.staleFor"},
					Value:     px.StaleRatio, Shown: percent(px.StaleRatio), For: px.StaleFor, Draw: "proxies.staleRatio",
					Panels: []string{"oncall/Proxies out of sync"}},
				{Alert: AlertIstioProxiesStale, Severity: profile.SeverityWarning,
					Condition: fmt.Sprintf("more than %d proxies out of sync for %s", px.StaleCount, px.StaleCountFor),
					Fields:    []string{"spec.proxies.staleCount", "spec.proxies.staleCountFor"},
					Value:     float64(px.StaleCount), Shown: num(float64(px.StaleCount)), For: px.StaleCountFor, Draw: "proxies.staleCount",
					Panels: []string{"oncall/Proxies out of sync (count)"}},
			}
		},
	},
	{
		Name:    AlertIstioSidecarMemoryHigh,
		Meaning: "an istio-proxy sidecar uses over {warning} / {critical} (OOMKill at the default limit)",
		Thresholds: func(c *config.Config) []Threshold {
			px := c.Profile.Spec.Proxies
			memory := func(sev, field string, q profile.Quantity, draw string) Threshold {
				return Threshold{Alert: AlertIstioSidecarMemoryHigh, Severity: sev,
					Condition: fmt.Sprintf("sidecar working set above %s for %s", q, px.MemoryFor),
					Fields:    []string{"spec.proxies." + field, "spec.proxies.memoryFor"},
					Value:     float64(q.Bytes()), Shown: q.String(), For: px.MemoryFor, Draw: "proxies." + draw,
					Panels: []string{"oncall/Sidecar memory (top 10)"}}
			}
			return []Threshold{
				memory(profile.SeverityWarning, "memoryWarning", px.MemoryWarning, "memoryWarningBytes"),
				memory(profile.SeverityCritical, "memoryCritical", px.MemoryCritical, "memoryCriticalBytes"),
			}
		},
	},
	caExpiry(AlertIstioRootCertificateExpiring, "root", "the mesh root CA certificate expires in under {warning} / {critical}"),
	caExpiry(AlertIstioCACertificateExpiring, "CA", "istiod's signing CA certificate chain expires in under {warning} / {critical}"),
	{
		Name:    AlertIstioWorkloadCertRotation,
		Meaning: "a proxy's workload certificate has under {warning} / {critical} left: rotation is failing",
		Thresholds: func(c *config.Config) []Threshold {
			ct := c.Profile.Spec.Certificates
			left := func(sev, field string, d profile.Duration, draw string) Threshold {
				return Threshold{Alert: AlertIstioWorkloadCertRotation, Severity: sev,
					Condition: fmt.Sprintf("a workload certificate has less than %s left", d),
					Fields:    []string{"spec.certificates." + field},
					Value:     d.Seconds(), Shown: d.String(), For: ct.For, Draw: "certificates." + draw,
					Panels: []string{"oncall/Workload certificates: least time left"}}
			}
			return []Threshold{
				left(profile.SeverityWarning, "workloadExpiryWarning", ct.WorkloadExpiryWarning, "workloadExpiryWarningSeconds"),
				left(profile.SeverityCritical, "workloadExpiryCritical", ct.WorkloadExpiryCritical, "workloadExpiryCriticalSeconds"),
			}
		},
	},
	{
		Name:    AlertIstioSLOErrorBudgetBurn,
		Meaning: "a service burns its SLO error budget too fast (multiwindow burn rate)",
		Thresholds: func(c *config.Config) []Threshold {
			var out []Threshold
			for si := range c.SLOs {
				out = append(out, sloBurn(c, si)...)
			}
			return out
		},
	},
	{
		Name:    AlertIstioSLOErrorBudgetExhausted,
		Meaning: "a service has no error budget left for the SLO period",
		Thresholds: func(c *config.Config) []Threshold {
			var out []Threshold
			for si := range c.SLOs {
				out = append(out, sloExhausted(c, si))
			}
			return out
		},
	},
}

// caExpiry describes the alerts on istiod's long-lived CA certificates;
// both read the same two profile fields.
func caExpiry(name, what, meaning string) *Descriptor {
	return &Descriptor{
		Name:    name,
		Meaning: meaning,
		Thresholds: func(c *config.Config) []Threshold {
			ct := c.Profile.Spec.Certificates
			left := func(sev, field string, d profile.Duration, draw string) Threshold {
				return Threshold{Alert: name, Severity: sev,
					Condition: fmt.Sprintf("%s certificate expires within %s", what, d),
					Fields:    []string{"spec.certificates." + field},
					Value:     d.Seconds(), Shown: d.String(), For: ct.For, Draw: "certificates." + draw,
					Panels: []string{"oncall/Mesh CA certificates: time left"}}
			}
			return []Threshold{
				left(profile.SeverityWarning, "expiryWarning", ct.ExpiryWarning, "expiryWarningSeconds"),
				left(profile.SeverityCritical, "expiryCritical", ct.ExpiryCritical, "expiryCriticalSeconds"),
			}
		},
	}
}

// sloBurn is one SLO's burn-rate tiers; Value is the burn factor.
func sloBurn(c *config.Config, si int) []Threshold {
	slo := c.SLOs[si]
	var out []Threshold
	for ti, t := range slo.Tiers {
		out = append(out, Threshold{Alert: AlertIstioSLOErrorBudgetBurn, Severity: t.Severity,
			Condition: fmt.Sprintf("SLO %s: burn rate above %sx (error ratio above %s) over %s and %s: %s of the %s budget in %s",
				slo.Name, num(t.Factor), num(t.ErrorRatio), t.Long, t.Short, percent(t.BudgetShare), slo.Window, t.Long),
			Fields: []string{fmt.Sprintf("spec.slos[%d].objective", si), fmt.Sprintf("spec.slos[%d].window", si), fmt.Sprintf("spec.burnRates[%d]", ti)},
			Value:  t.Factor, Shown: num(t.Factor) + "x", For: t.For,
			Panels: []string{"oncall/" + slo.Name + ": burn rate per window"}})
	}
	return out
}

// sloExhausted is one SLO's spent-budget alert; Value is the budget left.
func sloExhausted(c *config.Config, si int) Threshold {
	slo := c.SLOs[si]
	exhaustedFor := c.Profile.Spec.ErrorBudget.ExhaustedFor
	return Threshold{Alert: AlertIstioSLOErrorBudgetExhausted, Severity: profile.SeverityWarning,
		Condition: fmt.Sprintf("SLO %s: nothing left of the %s budget (%s of requests may fail) for %s", slo.Name, slo.Window, num(slo.Budget*100)+"%", exhaustedFor),
		Fields:    []string{fmt.Sprintf("spec.slos[%d].objective", si), "spec.errorBudget.exhaustedFor"},
		Value:     0, Shown: "0", For: exhaustedFor,
		Panels: []string{"executive/" + slo.Name + ": budget left"}}
}

// Descriptor returns the descriptor of the alert called name, or nil.
func DescriptorOf(name string) *Descriptor {
	for _, d := range Descriptors {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// thresholds returns the descriptor's thresholds for the builder's config.
func (b *builder) thresholds(name string) []Threshold {
	d := DescriptorOf(name)
	if d == nil {
		panic("rules: no descriptor for alert " + name)
	}
	return d.Thresholds(b.c)
}

// Thresholds lists the threshold of every alerting rule in the files, in
// rule order.
func Thresholds(files []File) []Threshold {
	var out []Threshold
	for _, r := range Alerts(files) {
		out = append(out, *r.Threshold)
	}
	return out
}

// IndexLine fills the descriptor's Meaning from thresholds (those of the
// alert, from Thresholds).
func (d *Descriptor) IndexLine(ts []Threshold) string {
	line := d.Meaning
	for _, sev := range []string{profile.SeverityWarning, profile.SeverityCritical} {
		for _, t := range ts {
			if t.Alert == d.Name && t.Severity == sev {
				line = strings.ReplaceAll(line, "{"+sev+"}", t.Shown)
				line = strings.ReplaceAll(line, "{for}", t.For.String())
				break
			}
		}
	}
	return line
}
