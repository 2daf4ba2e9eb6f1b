// Package config derives, from one profile, everything the rule, test and
// dashboard builders read: parsed selectors, SLO budgets and burn tiers, the
// capacity plan and a named list of every threshold with where it came from.
// It is meshslo's equivalent of kubernetes-mixin's _config.
package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/meshslo/meshslo/generator/catalogue"
	"github.com/meshslo/meshslo/generator/escape"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/selector"
)

// Config is the derived view of a profile.
type Config struct {
	Profile   profile.Profile
	Selectors Selectors
	SLOs      []SLO
	Capacity  Capacity
}

// Selectors are the profile's matchers per signal source, with the cluster
// matcher added when the profile names a cluster.
type Selectors struct {
	Istiod, Proxies, Cadvisor, KubeStateMetrics, Requests selector.Matchers
	// CertManager selects cert-manager's certificate series.
	CertManager selector.Matchers
	// Ztunnel tells ztunnel's own series (its :15020/metrics) from the
	// sidecars', gateways' and waypoints', which share their metric names
	// (istio_tcp_*, istio_build): job="ztunnel" under
	// kube-prometheus-stack (the generated ztunnel PodMonitor),
	// app="ztunnel" under istio-sample (the pod label its kubernetes-pods
	// job copies onto every series), nothing under custom,
	// whose selectors say everything. Added to the proxies or requests
	// selector where a rule reads ztunnel.
	Ztunnel selector.Matchers
}

// SLO is a profile SLO with its budget and burn tiers worked out.
type SLO struct {
	profile.SLO
	// ObjectiveRatio is the objective as a fraction (99.9 -> 0.999).
	ObjectiveRatio float64
	// Budget is the error budget as a fraction (0.001 for 99.9%).
	Budget float64
	// Requests selects the SLO's istio_requests_total series (reporter,
	// the requests selector, the SLO selector).
	Requests selector.Matchers
	// Reporter is the istio_requests_total reporter Requests selects:
	// destination (the default), waypoint, or source (gateways).
	Reporter string
	// Sources, when set, are where the SLI reads each service in order of
	// preference (SourceWaypoint, SourceDestination, SourceL4; see
	// sliSources); nil reads Reporter only.
	Sources []string
	Tiers   []Tier
	// Listed are the services the profile lists for the SLO, in its order,
	// each with its objective worked out; empty when the SLO covers every
	// service its selector matches.
	Listed []Service
	// ListedMatchers are the matchers Listed adds to Requests (on the
	// service labels; none without a list), so the raw series read are
	// only the listed services'.
	ListedMatchers selector.Matchers
	// Exclude are the exclude entries of more than one matcher, which no
	// single matcher can negate: requests matching one are subtracted with
	// unless. Entries of one matcher are negated into Requests.
	Exclude []selector.Matchers
	// OverriddenBy are the SLOs that take precedence over this one: its
	// alerts stay quiet for the services they cover.
	OverriddenBy []string
	// MinRequests is the traffic a tier's long window must hold to fire.
	MinRequests int
	// NoDataFor is the hold of IstioSLONoData.
	NoDataFor profile.Duration
	// Field is the profile path of the SLO (spec.slos[0], or
	// spec.gateways[0].slos[1] for a gateway's), which its thresholds
	// name their fields under.
	Field string
	// Gateway is the spec.gateways entry the SLO belongs to, or nil.
	Gateway *profile.Gateway
}

// Service is a listed service of an SLO with its own objective and budget.
type Service struct {
	Namespace, Name string
	Objective       profile.Percent
	ObjectiveRatio  float64
	Budget          float64
}

// ErrorRatioFor is the error ratio both windows of the tier must exceed for a
// service with the given budget.
func (t Tier) ErrorRatioFor(budget float64) float64 { return round(t.Factor * budget) }

// Tier is a burn-rate tier applied to one SLO.
type Tier struct {
	profile.BurnRate
	// Factor is how many times faster than sustainable the budget burns.
	Factor float64
	// ErrorRatio is Factor x Budget: the error ratio both windows must exceed.
	ErrorRatio float64
	// Index is the tier's place in spec.burnRates; Override is the SLO's
	// tiers entry that changes it, or -1.
	Index, Override int
}

// Capacity is the memory the mesh needs, from the profile's size and data plane.
type Capacity struct {
	// Sidecars are the pods with a sidecar the plan counts: spec.mesh.pods
	// in a sidecar or mixed mesh, none in an ambient one.
	Sidecars      int
	SidecarBytes  int64
	SidecarsBytes int64
	IstiodBytes   int64
	// Ztunnels are the nodes of an ambient or mixed mesh (spec.mesh.nodes),
	// one ztunnel each at ZtunnelBytes; 0 in a sidecar mesh.
	Ztunnels      int
	ZtunnelBytes  int64
	ZtunnelsBytes int64
	// Waypoints are the replicas of spec.waypoints (minReplicas each), at
	// WaypointBytes each.
	Waypoints      int
	WaypointBytes  int64
	WaypointsBytes int64
	TotalBytes     int64
	SidecarReason  string
}

// RunbooksDir is the folder of the output that carries the runbooks.
const RunbooksDir = "runbooks"

// Reporter is the istio_requests_total reporter the SLIs read: the server
// side sees every request, including those from outside the mesh.
const Reporter = "destination"

// New derives a Config from a validated profile. It fails only if the
// profile did not pass Validate.
func New(p profile.Profile) (*Config, error) {
	c := &Config{Profile: p}
	var cluster []*labels.Matcher
	// An external cluster label is not on the series the rules read
	// (Prometheus adds it on the way out): selecting on it selects nothing.
	if p.Spec.Mesh.Cluster != "" && p.Spec.Mesh.ClusterInSeries() {
		cluster = append(cluster, selector.Equal(p.Spec.Mesh.ClusterLabel, p.Spec.Mesh.Cluster))
	}
	sel := p.Spec.Prometheus.Selectors
	for _, s := range []struct {
		text string
		dst  *selector.Matchers
	}{
		{sel.Istiod, &c.Selectors.Istiod}, {sel.Proxies, &c.Selectors.Proxies}, {sel.Cadvisor, &c.Selectors.Cadvisor},
		{sel.KubeStateMetrics, &c.Selectors.KubeStateMetrics}, {sel.Requests, &c.Selectors.Requests},
		{sel.CertManager, &c.Selectors.CertManager},
	} {
		ms, err := selector.Parse(s.text)
		if err != nil {
			return nil, err
		}
		*s.dst = ms.With(cluster...)
	}
	c.Selectors.Ztunnel = ztunnelMatchers(p.Spec)
	for si, s := range append(slices.Clone(p.Spec.SLOs), gatewaySLOs(p)...) {
		slo := SLO{SLO: s, ObjectiveRatio: round(s.Objective.Ratio()), Reporter: Reporter, Field: fmt.Sprintf("spec.slos[%d]", si)}
		if si >= len(p.Spec.SLOs) {
			gatewaySLO(p, &slo, si-len(p.Spec.SLOs))
		}
		slo.Budget = round(1 - slo.ObjectiveRatio)
		if si < len(p.Spec.SLOs) {
			// A gateway SLO reads its gateway's own proxy (reporter
			// source); the others read the source the data plane gives.
			slo.Sources = sliSources(p.Spec, s)
			if len(slo.Sources) > 0 && slo.Sources[0] != SourceL4 {
				slo.Reporter = slo.Sources[0]
			}
		}
		slo.Requests = selector.Matchers{selector.Equal("reporter", slo.Reporter)}.
			With(c.Selectors.Requests...).With(profile.SLOMatchers(s)...)
		for _, e := range s.Exclude {
			ms, err := selector.Parse(e)
			if err != nil {
				return nil, err
			}
			if len(ms) == 1 {
				slo.Requests = slo.Requests.With(selector.Negate(ms[0]))
			} else {
				slo.Exclude = append(slo.Exclude, ms)
			}
		}
		for _, o := range p.Spec.SLOs {
			if slices.Contains(o.Overrides, s.Name) {
				slo.OverriddenBy = append(slo.OverriddenBy, o.Name)
			}
		}
		slo.MinRequests = s.EffectiveMinRequests()
		slo.NoDataFor = s.EffectiveNoDataFor()
		for i, shared := range p.Spec.BurnRates {
			br := s.EffectiveTiers([]profile.BurnRate{shared})
			if len(br) == 0 {
				continue // disabled for this SLO
			}
			factor := round(br[0].BudgetShare * s.Window.Seconds() / br[0].Long.Seconds())
			t := Tier{BurnRate: br[0], Factor: factor, ErrorRatio: round(factor * slo.Budget), Index: i, Override: -1}
			t.Override = slices.IndexFunc(s.Tiers, func(o profile.TierOverride) bool { return o.Long == shared.Long })
			slo.Tiers = append(slo.Tiers, t)
		}
		for _, svc := range s.Services {
			objective := s.Objective
			if svc.Objective != nil {
				objective = *svc.Objective
			}
			ratio := round(objective.Ratio())
			slo.Listed = append(slo.Listed, Service{Namespace: svc.Namespace, Name: svc.Name,
				Objective: objective, ObjectiveRatio: ratio, Budget: round(1 - ratio)})
		}
		slo.ListedMatchers = listedMatchers(slo.Listed)
		slo.Requests = slo.Requests.With(slo.ListedMatchers...)
		c.SLOs = append(c.SLOs, slo)
	}
	if base := p.Spec.Prometheus.RunbookBaseURL; base != "" {
		if _, err := escape.BaseURL(base); err != nil {
			return nil, fmt.Errorf("spec.prometheus.runbookBaseURL: %w", err)
		}
	}
	c.Capacity = capacity(p)
	return c, nil
}

// listedMatchers restrict the raw series an SLO reads to the services it
// lists: its namespaces and its names (several of either as one regex of
// the quoted values). Their product can match a service the SLO does not
// list (two namespaces, a name in only one of them); it then gets SLI
// series but no budget, so no burn rate or alert (listedBudgets). Without
// a list, nothing is added.
func listedMatchers(listed []Service) selector.Matchers {
	if len(listed) == 0 {
		return nil
	}
	var namespaces, names []string
	for _, l := range listed {
		namespaces = append(namespaces, l.Namespace)
		names = append(names, l.Name)
	}
	one := func(label string, values []string) *labels.Matcher {
		slices.Sort(values)
		values = slices.Compact(values)
		if len(values) == 1 {
			return selector.Equal(label, values[0])
		}
		quoted := make([]string, len(values))
		for i, v := range values {
			quoted[i] = regexp.QuoteMeta(v)
		}
		return selector.Regex(label, strings.Join(quoted, "|"))
	}
	return selector.Matchers{one("destination_service_namespace", namespaces), one("destination_service_name", names)}
}

// ztunnelMatchers are Selectors.Ztunnel for the profile's scrape setup.
func ztunnelMatchers(s profile.Spec) selector.Matchers {
	switch s.Prometheus.Scrape {
	case profile.ScrapeKubePrometheusStack:
		return selector.Matchers{selector.Equal("job", catalogue.ZtunnelJob)}
	case profile.ScrapeIstioSample:
		return selector.Matchers{selector.Equal("app", catalogue.ZtunnelApp)}
	}
	return nil
}

// round drops float noise (1-0.999 = 0.0010000000000000009) so derived
// numbers print as a person would write them.
func round(f float64) float64 { return profile.Round(f) }

// SidecarRequestBytes is the memory each sidecar reserves: the istio-proxy
// request of Istio's injection template, global.proxy.resources.requests
// (istio/istio manifests/charts/istio-control/istio-discovery/values.yaml:
// requests 128Mi, limits 1024Mi). What a proxy uses depends on the
// configuration it holds, not on its traffic: Istio measures about 50 MB
// per proxy with namespace isolation (a Sidecar resource) and says "request
// rate doesn't affect the memory consumption" (istio/istio.io
// content/en/docs/ops/deployment/performance-and-scalability/index.md);
// trace sampling is not among the factors it names. A proxy that holds the
// whole mesh's configuration uses more; its live limit is what
// IstioSidecarMemoryHigh compares with.
const SidecarRequestBytes = 128 << 20

// SidecarLimitBytes is the istio-proxy memory limit of the same template.
const SidecarLimitBytes = 1024 << 20

// ZtunnelRequestBytes is the memory each ztunnel requests: its chart's
// resources.requests (istio/istio manifests/charts/ztunnel/values.yaml:
// cpu 200m, memory 512Mi, "enough for ~200k pod cluster or 100k
// concurrently open connections"; no limit). The DaemonSet runs one per node.
const ZtunnelRequestBytes = 512 << 20

// WaypointRequestBytes is the memory each waypoint replica requests:
// global.waypoint.resources.requests (istio/istio
// manifests/charts/istio-control/istio-discovery/values.yaml: cpu 100m,
// memory 128Mi; limits cpu 2, memory 1Gi).
const WaypointRequestBytes = 128 << 20

func capacity(p profile.Profile) Capacity {
	s := p.Spec
	c := Capacity{SidecarBytes: SidecarRequestBytes, Sidecars: s.Mesh.Pods,
		SidecarReason: "the istio-proxy memory request of Istio's chart (limit 1Gi); Istio measures about 50 MB per proxy with namespace isolation, more when each proxy holds the whole mesh's config, whatever its traffic or trace sampling"}
	if s.EffectiveDataPlane() == profile.DataPlaneAmbient {
		c.Sidecars = 0
	}
	if s.Ambient() {
		c.Ztunnels, c.ZtunnelBytes = s.Mesh.Nodes, ZtunnelRequestBytes
		c.WaypointBytes = WaypointRequestBytes
		for _, w := range s.Waypoints {
			c.Waypoints += w.MinReplicas
		}
	}
	c.SidecarsBytes = c.SidecarBytes * int64(c.Sidecars)
	c.ZtunnelsBytes = c.ZtunnelBytes * int64(c.Ztunnels)
	c.WaypointsBytes = c.WaypointBytes * int64(c.Waypoints)
	c.IstiodBytes = s.Istiod.MemoryLimit.Bytes() * int64(s.Istiod.MinReplicas)
	c.TotalBytes = c.SidecarsBytes + c.ZtunnelsBytes + c.WaypointsBytes + c.IstiodBytes
	return c
}

// RunbookURL is where an alert's runbook lives: the profile's base URL with
// its path percent-encoded (escape.BaseURL), so it holds no brace, quote,
// parenthesis or angle bracket and can stand as it is in an annotation
// (which Prometheus expands as a template), a Markdown link or HTML. It is
// empty for a base URL that New refuses. Without a base URL it is the
// runbook the output carries, relative to the profile's folder
// (RunbooksDir/<alert>.md): alert names are letters only, so it needs no
// escaping.
func (c *Config) RunbookURL(alert string) string {
	if c.Profile.Spec.Prometheus.RunbookBaseURL == "" {
		return RunbooksDir + "/" + alert + ".md"
	}
	base, err := escape.BaseURL(c.Profile.Spec.Prometheus.RunbookBaseURL)
	if err != nil {
		return ""
	}
	return base + "/" + alert + ".md"
}
