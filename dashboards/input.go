package dashboards

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/render"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/generator/selector"
)

// Input is the top-level argument every template receives, as JSON. It is
// the config seen from a dashboard: numbers in base units (seconds, bytes,
// ratios), series names from the rules package, selectors as matcher text
// (without braces, empty when there is none).
type Input struct {
	// Header is the generated-file line; templates put it in the
	// dashboard description, JSON having no comments.
	Header  string      `json:"header"`
	Profile ProfileInfo `json:"profile"`
	// Large profiles trade "All" views for speed (see mesh.libsonnet).
	Large bool `json:"large"`
	// UIDs of every dashboard in the set, by template name, for links.
	UIDs       map[string]string `json:"uids"`
	Selectors  Selectors         `json:"selectors"`
	Series     Series            `json:"series"`
	Thresholds Thresholds        `json:"thresholds"`
	SLOs       []SLO             `json:"slos"`
	// AllSLOs summarises SLOs for panels across them.
	AllSLOs AllSLOs `json:"allSLOs"`
	// Certificates are the certificate series of the profile's CA mode.
	Certificates Certificates `json:"certificates"`
	// Alerts are the names of every alert meshslo generates.
	Alerts []string `json:"alerts"`
	// ConflictGauges are istiod's config-conflict gauges that
	// IstioConfigConflicts reads.
	ConflictGauges []string `json:"conflictGauges"`
	// Gateways are the profile's gateways (dashboards/gateways.go).
	Gateways []Gateway `json:"gateways"`
	// Waypoints are the profile's waypoints (dashboards/waypoints.go).
	Waypoints []Waypoint `json:"waypoints"`
	// Ztunnel is the ztunnel row's input (ztunnel.go).
	Ztunnel Ztunnel `json:"ztunnel"`
	// Upgrade is the canary upgrade row's input (upgrade.go).
	Upgrade Upgrade `json:"upgrade"`
	// Fleet is the Fleet row's input (fleet.go).
	Fleet Fleet `json:"fleet"`
}

// ProfileInfo is what a dashboard shows about the profile itself.
// Description is the profile's text as written: Grafana would substitute a
// $name in it, so no template prints it (a panel title or description that
// did would need it escaped first). Cluster is written as inside a PromQL
// string literal of a Grafana query ($ as \x24, see grafanaValue), which
// plain names do not change.
type ProfileInfo struct {
	Name         string `json:"name"`
	Description  string `json:"description"`
	Environment  string `json:"environment"`
	Size         string `json:"size"`
	Services     int    `json:"services"`
	Pods         int    `json:"pods"`
	Cluster      string `json:"cluster"`
	ClusterLabel string `json:"clusterLabel"`
}

// Selectors are the matchers each signal source needs. The container ones
// are the rules' own (rules.SignalsOf), so a panel selects exactly what the
// alert beside it evaluates.
type Selectors struct {
	// Cluster is the profile's cluster matcher, for series read from every
	// component (istio_build).
	Cluster string `json:"cluster"`
	Istiod  string `json:"istiod"`
	Proxies string `json:"proxies"`
	// Requests selects istio_requests_total as the SLIs do (reporter and
	// the profile's requests selector).
	Requests string `json:"requests"`
	// Traffic is the profile's requests selector alone, for panels that
	// split by reporter (response flags are mostly set client-side).
	Traffic string `json:"traffic"`
	// IstiodContainer and SidecarContainer select cAdvisor series of
	// istiod's and the sidecars' containers.
	IstiodContainer  string `json:"istiodContainer"`
	SidecarContainer string `json:"sidecarContainer"`
	// IstiodKSM selects kube-state-metrics series of istiod's container.
	IstiodKSM string `json:"istiodKSM"`
	// WorkloadCert selects the sidecars' workload certificate gauge.
	WorkloadCert string `json:"workloadCert"`
}

// Certificates are the certificate series the profile's CA mode
// (spec.certificates.ca) has, as the certificate rules read them.
type Certificates struct {
	CA string `json:"ca"`
	// Targets are the long-lived CA certificates' time left: root (and
	// chain) from istiod, cert-manager's Certificates, none for an
	// external CA.
	Targets []CertTarget `json:"targets"`
	// IstiodSigns is true where istiod's CA signs CSRs and counts its
	// failures (citadel_server_csr_sign_err_count).
	IstiodSigns bool `json:"istiodSigns"`
}

// CertTarget is one query of a panel with its legend.
type CertTarget struct {
	Expr   string `json:"expr"`
	Legend string `json:"legend"`
}

// Series are the recorded series names dashboards read.
type Series struct {
	IstiodHeapRatio          string `json:"istiodHeapRatio"`
	IstiodCPURatio           string `json:"istiodCPURatio"`
	IstiodCPURequestRatio    string `json:"istiodCPURequestRatio"`
	ProxiesCount             string `json:"proxiesCount"`
	ProxiesOutOfSyncCount    string `json:"proxiesOutOfSyncCount"`
	ProxiesOutOfSyncRatio    string `json:"proxiesOutOfSyncRatio"`
	ProxyOutOfSync           string `json:"proxyOutOfSync"`
	SidecarMemoryRatio       string `json:"sidecarMemoryRatio"`
	RootCertRemaining        string `json:"rootCertRemaining"`
	CACertRemaining          string `json:"caCertRemaining"`
	SLIErrorsRate5m          string `json:"sliErrorsRate5m"`
	SLIRequestsRate5m        string `json:"sliRequestsRate5m"`
	SLOObjective             string `json:"sloObjective"`
	SLOErrorBudget           string `json:"sloErrorBudget"`
	SLOCurrentBurnRate       string `json:"sloCurrentBurnRate"`
	SLOPeriodBudgetRemaining string `json:"sloPeriodBudgetRemaining"`
}

// Thresholds are the alert thresholds in base units, by section and name
// (input.thresholds.istiod.heapWarningRatio): each is the Value of a
// rules.Threshold whose Draw names it, or a descriptor's Param, so a
// dashboard draws exactly the number its alert compares against.
type Thresholds map[string]map[string]float64

// SLO is one SLO with its budget and burn tiers.
type SLO struct {
	Name string `json:"name"`
	SLI  string `json:"sli"`
	// Objective and Budget are ratios (0.999 and 0.001 for 99.9%).
	Objective float64 `json:"objective"`
	Budget    float64 `json:"budget"`
	Window    string  `json:"window"`
	// Threshold is the latency bound (latency SLIs only), as written and in seconds.
	Threshold        string  `json:"threshold"`
	ThresholdSeconds float64 `json:"thresholdSeconds"`
	// Selector is the SLO's own request matchers (empty when it covers
	// every service): SLOs with different selectors record different
	// services, so the service variables cannot list one SLO's alone.
	Selector string `json:"selector"`
	// CurrentBurn is what rules.SLOCurrentBurnRate records: the burn rate
	// over the first tier's long window, which pages above Factor.
	CurrentBurn Burn   `json:"currentBurn"`
	Tiers       []Tier `json:"tiers"`
	// Period is what the SLI over the SLO period (Window) is made of.
	Period Period `json:"period"`
}

// Period names the recorded error and request rates over an SLO period,
// per service: the numerator and denominator of the period's recorded
// error ratio (rules.SLIErrorRatio), so an SLI across services can weigh
// each service by its traffic (errors and requests summed first).
type Period struct {
	Window   string `json:"window"`
	Errors   string `json:"errors"`
	Requests string `json:"requests"`
	seconds  float64
}

// AllSLOs is what panels across every SLO draw: distinct values, found
// here because deduplicating thousands of them in jsonnet takes seconds.
type AllSLOs struct {
	// SameSelector is true when every SLO has the same selector, so they
	// all record the same services.
	SameSelector bool `json:"sameSelector"`
	// Tiers are the distinct burn tiers of every SLO (by severity, factor
	// and windows; ErrorRatio and BudgetShare are the first SLO's), first
	// seen first;
	// CurrentTiers those whose long window is their SLO's current burn
	// window, and CurrentWindows those windows.
	Tiers          []Tier   `json:"tiers"`
	CurrentTiers   []Tier   `json:"currentTiers"`
	CurrentWindows []string `json:"currentWindows"`
	// LatencyThresholds are the distinct bounds of the latency SLOs, as
	// written and in seconds, in the same order.
	LatencyThresholds        []string  `json:"latencyThresholds"`
	LatencyThresholdsSeconds []float64 `json:"latencyThresholdsSeconds"`
	// Periods are the distinct SLO periods, longest first. An SLO's period
	// is its longest window (burn windows are at most the period), so an
	// SLO has no series of a longer period: "sli(longest) or sli(next) or
	// ..." gives each SLO the SLI over its own period.
	Periods []Period `json:"periods"`
}

// Burn is a burn rate over one window.
type Burn struct {
	Window string  `json:"window"`
	Factor float64 `json:"factor"`
}

// Tier is a burn-rate alert tier: both windows' error ratios over the
// budget must exceed Factor.
type Tier struct {
	Severity    string  `json:"severity"`
	Factor      float64 `json:"factor"`
	ErrorRatio  float64 `json:"errorRatio"`
	BudgetShare float64 `json:"budgetShare"`
	Long        string  `json:"long"`
	Short       string  `json:"short"`
	// LongSeries and ShortSeries are the recorded error ratios per window.
	LongSeries  string `json:"longSeries"`
	ShortSeries string `json:"shortSeries"`
}

// certificates lists the CA certificate series the rules record.
func certificates(c *config.Config, files []rules.File) Certificates {
	out := Certificates{CA: c.Profile.Spec.Certificates.CA, Targets: []CertTarget{}}
	recorded := map[string]bool{}
	for _, f := range files {
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				if r.Record != "" {
					recorded[r.Record] = true
				}
				if r.Alert == rules.AlertIstioCertificateSigningFailures && r.Labels["source"] == "istiod" {
					out.IstiodSigns = true
				}
			}
		}
	}
	for _, t := range []CertTarget{
		{rules.RootCertRemaining, "root"},
		{rules.CACertRemaining, "CA chain"},
		{rules.CertManagerCertRemaining, "{{namespace}}/{{name}}"},
	} {
		if recorded[t.Expr] {
			if t.Expr == rules.CertManagerCertRemaining {
				// As many as per-pod panels keep (mesh.libsonnet topN), the
				// same ones at every step: those with least time left over
				// the range (see mesh.libsonnet top).
				t.Expr = fmt.Sprintf("%s\nand on (namespace, name)\nbottomk(10, min by (namespace, name) (min_over_time(%s[$__range] @ end())))", t.Expr, t.Expr)
			}
			out.Targets = append(out.Targets, t)
		}
	}
	return out
}

// NewInput derives the template argument from the config and its rules;
// names are the templates of the set, for their uids.
func NewInput(c *config.Config, files []rules.File, names []string) (*Input, error) {
	p := c.Profile
	in := &Input{
		Header: render.Header(p.Metadata.Name),
		Profile: ProfileInfo{
			Name: p.Metadata.Name, Description: p.Metadata.Description, Environment: p.Spec.Environment,
			Size: p.Spec.Size, Services: p.Spec.Mesh.Services, Pods: p.Spec.Mesh.Pods,
			Cluster: grafanaValue(p.Spec.Mesh.Cluster), ClusterLabel: p.Spec.Mesh.ClusterLabel,
		},
		Large:        p.Spec.Size == "large",
		Certificates: certificates(c, files),
		Upgrade:      upgrade(c),
		UIDs:         map[string]string{},
		Series: Series{
			IstiodHeapRatio: rules.IstiodHeapRatio, IstiodCPURatio: rules.IstiodCPURatio, IstiodCPURequestRatio: rules.IstiodCPURequestRatio,
			ProxiesCount: rules.ProxiesCount, ProxiesOutOfSyncCount: rules.ProxiesOutOfSyncCount, ProxiesOutOfSyncRatio: rules.ProxiesOutOfSyncRatio,
			ProxyOutOfSync: rules.ProxyOutOfSync, SidecarMemoryRatio: rules.SidecarMemoryRatio,
			RootCertRemaining: rules.RootCertRemaining, CACertRemaining: rules.CACertRemaining,
			SLIErrorsRate5m: rules.SLIErrorsRate5m, SLIRequestsRate5m: rules.SLIRequestsRate5m,
			SLOObjective: rules.SLOObjective, SLOErrorBudget: rules.SLOErrorBudget,
			SLOCurrentBurnRate: rules.SLOCurrentBurnRate, SLOPeriodBudgetRemaining: rules.SLOPeriodBudgetRemaining,
		},
	}
	for _, n := range names {
		in.UIDs[n] = UID(p.Metadata.Name, n)
	}

	var cluster selector.Matchers
	if p.Spec.Mesh.Cluster != "" {
		cluster = selector.Matchers{selector.Equal(p.Spec.Mesh.ClusterLabel, p.Spec.Mesh.Cluster)}
	}
	sig := rules.SignalsOf(c)
	// Grafana substitutes $name and [[name]] in queries, inside strings
	// too: profile values reach them written so it cannot.
	in.Selectors = Selectors{
		Cluster:          cluster.Grafana(),
		Istiod:           c.Selectors.Istiod.Grafana(),
		Proxies:          c.Selectors.Proxies.Grafana(),
		Requests:         selector.Matchers{selector.Equal("reporter", config.Reporter)}.With(c.Selectors.Requests...).Grafana(),
		Traffic:          c.Selectors.Requests.Grafana(),
		IstiodContainer:  sig.IstiodContainer.Grafana(),
		SidecarContainer: sig.SidecarContainer.Grafana(),
		IstiodKSM:        sig.IstiodKSM.Grafana(),
		WorkloadCert:     sig.WorkloadCert.Grafana(),
	}

	var err error
	in.Thresholds, err = thresholds(c, files)
	if err != nil {
		return nil, err
	}

	// A profile may have no SLOs; templates take std.length of the list,
	// which fails on null.
	in.SLOs = []SLO{}
	for _, s := range c.SLOs {
		if len(s.Tiers) == 0 {
			return nil, fmt.Errorf("SLO %s has no burn-rate tiers; spec.burnRates must list at least one", s.Name)
		}
		slo := SLO{
			Name: s.Name, SLI: s.SLI, Objective: s.ObjectiveRatio, Budget: s.Budget, Window: s.Window.String(),
			Selector:    selector.FromMap(s.Selector).Grafana(),
			CurrentBurn: Burn{Window: s.Tiers[0].Long.String(), Factor: s.Tiers[0].Factor},
		}
		if slo.Period, err = periodOf(s, files); err != nil {
			return nil, err
		}
		if s.SLI == profile.SLILatency {
			slo.Threshold, slo.ThresholdSeconds = s.Threshold.String(), s.Threshold.Seconds()
		}
		for _, t := range s.Tiers {
			slo.Tiers = append(slo.Tiers, Tier{
				Severity: t.Severity, Factor: t.Factor, ErrorRatio: t.ErrorRatio, BudgetShare: t.BudgetShare,
				Long: t.Long.String(), Short: t.Short.String(),
				LongSeries: rules.SLIErrorRatio(t.Long), ShortSeries: rules.SLIErrorRatio(t.Short),
			})
		}
		in.SLOs = append(in.SLOs, slo)
	}
	in.AllSLOs = allSLOs(in.SLOs)
	in.Gateways = gateways(c)
	in.Waypoints = waypoints(c)
	in.Fleet = fleet(c)
	in.Ztunnel = ztunnelInput(c)
	for _, a := range rules.Alerts(files) {
		if !slices.Contains(in.Alerts, a.Alert) {
			in.Alerts = append(in.Alerts, a.Alert)
		}
	}
	slices.Sort(in.Alerts)
	for _, g := range rules.ConflictGauges {
		in.ConflictGauges = append(in.ConflictGauges, g.Metric)
	}
	return in, nil
}

// grafanaValue writes a label value as it stands inside a PromQL string
// literal of a Grafana query (see selector.Matchers.Grafana), the form a
// dashboard variable holding it must have: Grafana pastes a variable's
// value into a query as it is, and leaves a '$' or "[[" in it alone only
// when written \x24 or \x5b[. Plain values are unchanged.
func grafanaValue(v string) string {
	q := strconv.Quote(v)
	return selector.GrafanaQuoted(q[1 : len(q)-1])
}

// thresholds collects the values dashboards draw from the alerting rules'
// thresholds and the descriptors' params.
func thresholds(c *config.Config, files []rules.File) (Thresholds, error) {
	out := Thresholds{}
	put := func(key string, v float64) error {
		section, name, ok := strings.Cut(key, ".")
		if !ok || name == "" {
			return fmt.Errorf("dashboard key %q is not section.name", key)
		}
		if out[section] == nil {
			out[section] = map[string]float64{}
		}
		if old, dup := out[section][name]; dup && old != v {
			return fmt.Errorf("dashboard key %s has two values, %v and %v", key, old, v)
		}
		out[section][name] = v
		return nil
	}
	for _, t := range rules.Thresholds(files) {
		if t.Draw != "" {
			if err := put(t.Draw, t.Value); err != nil {
				return nil, err
			}
		}
	}
	for _, d := range rules.Descriptors {
		if d.Params == nil {
			continue
		}
		for _, p := range d.Params(c) {
			if err := put(p.Draw, p.Value); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func allSLOs(slos []SLO) AllSLOs {
	a := AllSLOs{SameSelector: true, Tiers: []Tier{}, CurrentTiers: []Tier{}, CurrentWindows: []string{},
		LatencyThresholds: []string{}, LatencyThresholdsSeconds: []float64{}, Periods: []Period{}}
	type key struct {
		severity    string
		factor      float64
		long, short string
	}
	tiers, current := map[key]bool{}, map[key]bool{}
	for _, s := range slos {
		a.SameSelector = a.SameSelector && s.Selector == slos[0].Selector
		if !slices.Contains(a.CurrentWindows, s.CurrentBurn.Window) {
			a.CurrentWindows = append(a.CurrentWindows, s.CurrentBurn.Window)
		}
		if s.SLI == profile.SLILatency && !slices.Contains(a.LatencyThresholds, s.Threshold) {
			a.LatencyThresholds = append(a.LatencyThresholds, s.Threshold)
			a.LatencyThresholdsSeconds = append(a.LatencyThresholdsSeconds, s.ThresholdSeconds)
		}
		if !slices.ContainsFunc(a.Periods, func(p Period) bool { return p == s.Period }) {
			a.Periods = append(a.Periods, s.Period)
		}
		for _, t := range s.Tiers {
			k := key{t.Severity, t.Factor, t.Long, t.Short}
			if !tiers[k] {
				tiers[k] = true
				a.Tiers = append(a.Tiers, t)
			}
			if t.Long == s.CurrentBurn.Window && !current[k] {
				current[k] = true
				a.CurrentTiers = append(a.CurrentTiers, t)
			}
		}
	}
	slices.SortStableFunc(a.Periods, func(x, y Period) int { return -cmp.Compare(x.seconds, y.seconds) })
	return a
}

// periodOf finds the series the SLO's recorded error ratio over its period
// divides: the rule recording rules.SLIErrorRatio(period) for the SLO is
// errors / requests of two recorded series.
func periodOf(s config.SLO, files []rules.File) (Period, error) {
	name := rules.SLIErrorRatio(s.Window)
	for _, f := range files {
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				if r.Record != name || !r.Serves(s.Name) {
					continue
				}
				expr, err := parser.NewParser(parser.Options{}).ParseExpr(r.Expr)
				if err != nil {
					return Period{}, fmt.Errorf("SLO %s: recorded %s: %v", s.Name, name, err)
				}
				if b, ok := expr.(*parser.BinaryExpr); ok && b.Op == parser.DIV {
					num, okN := b.LHS.(*parser.VectorSelector)
					den, okD := b.RHS.(*parser.VectorSelector)
					if okN && okD && num.Name != "" && den.Name != "" {
						return Period{Window: s.Window.String(), Errors: num.Name, Requests: den.Name, seconds: s.Window.Seconds()}, nil
					}
				}
				return Period{}, fmt.Errorf("SLO %s: recorded %s is %q, not errors / requests of two recorded series, which the dashboards' SLI over the period reads", s.Name, name, r.Expr)
			}
		}
	}
	return Period{}, fmt.Errorf("SLO %s: no rule records %s{slo=%q}, the error ratio over its period, which the dashboards read", s.Name, name, s.Name)
}
