package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/selector"
)

// Version skew between istiod and its data plane. Istio supports a control
// plane up to one minor version ahead of its data plane, and no data plane
// ahead of its control plane (istio.io docs/releases/supported-releases,
// "Control Plane/Data Plane Skew"); spec.istiod.versionSkewMinors sets how
// far behind is tolerated.
//
// The versions are label values: istiod's istio_build{component="pilot",
// tag} (istio/istio pkg/version/stats.go, recorded by
// pilot/pkg/bootstrap/monitoring.go), the proxy versions istiod counts in
// pilot_xds{version} (the ISTIO_VERSION metadata of each xDS client:
// pilot/pkg/xds/monitoring.go recordXDSClients), and ztunnel's
// istio_build{component="ztunnel", tag} (istio/ztunnel src/metrics/meta.rs;
// tag is the Istio version, ISTIO_META_ISTIO_VERSION, src/version.rs).
// PromQL cannot turn a label into a number, except where it reads bucket
// bounds: histogram_quantile(1, ...) over one bucket le="<n>" of count 1
// and le="+Inf" returns n. The recordings below do that for the major and
// the minor of each version, so a skew is a number the alerts compare.

// Recorded versions, value 1000 x major + minor of the label they carry.
const (
	// IstiodVersion is each revision's istiod versions (istiod_version,
	// major.minor), one series per version its istiods run.
	IstiodVersion = "revision_version:istiod_build:number"
	// ProxyVersion is the versions of the proxies connected to each
	// revision's istiods (proxy_version, major.minor), from pilot_xds.
	ProxyVersion = "revision_version:pilot_xds_proxies:number"
	// ZtunnelVersion is the versions ztunnel runs (ztunnel_version,
	// major.minor) per revision it connects to (its pod's istio.io/rev,
	// "default" without one: it then connects to Service istiod).
	ZtunnelVersion = "revision_version:ztunnel_build:number"
)

// Alerts of version skew.
const (
	AlertIstioProxyVersionSkew   = "IstioProxyVersionSkew"
	AlertIstioZtunnelVersionSkew = "IstioZtunnelVersionSkew"
)

// Skew directions, the skew label of the skew alerts.
const (
	SkewOlder = "older"
	SkewNewer = "newer"
)

// versionRe matches an Istio version (1.24.3, 1.25.0-beta.1, a distro's
// 1.24.3-suffix; Istio's own parse: pilot/pkg/model/context.go
// ParseIstioVersion) with its major and minor as $1 and $2.
const versionRe = `v?([0-9]+)\.([0-9]+)([^0-9].*)?`

func skewThresholds(alert, what string) func(c *config.Config) []Threshold {
	return func(c *config.Config) []Threshold {
		i := c.Profile.Spec.Istiod
		n := float64(i.VersionSkewMinors)
		return []Threshold{
			{Alert: alert, Severity: profile.SeverityWarning,
				Condition: fmt.Sprintf("%s more than %d minor version(s) older than the istiod of their revision for %s", what, i.VersionSkewMinors, i.VersionSkewFor),
				Fields:    []string{"spec.istiod.versionSkewMinors", "spec.istiod.versionSkewFor"},
				Value:     n, Shown: num(n) + " minor", For: i.VersionSkewFor, Labels: map[string]string{"skew": SkewOlder}},
			{Alert: alert, Severity: profile.SeverityWarning,
				Condition: fmt.Sprintf("%s newer than the istiod of their revision for %s", what, i.VersionSkewFor),
				Fields:    []string{"spec.istiod.versionSkewFor"},
				Value:     0, Shown: "newer", For: i.VersionSkewFor, Labels: map[string]string{"skew": SkewNewer}},
		}
	}
}

var versionAlerts = []*Descriptor{
	{
		Name:           AlertIstioProxyVersionSkew,
		InstanceLabels: []string{RevisionLabel, "proxy_version", "istiod_version", "skew"},
		Meaning:        "proxies connected to an istiod are newer than it, or more than {warning} version(s) older: outside Istio's supported skew",
		Thresholds:     skewThresholds(AlertIstioProxyVersionSkew, "proxies"),
	},
	{
		Name:           AlertIstioZtunnelVersionSkew,
		InstanceLabels: []string{RevisionLabel, "ztunnel_version", "istiod_version", "skew"},
		Meaning:        "ztunnel is newer than the istiod it connects to, or more than {warning} version(s) older: outside Istio's supported skew",
		Thresholds:     skewThresholds(AlertIstioZtunnelVersionSkew, "ztunnel"),
		Skip:           notAmbient,
		SkipFields:     []string{"spec.dataPlane"},
	},
}

// versionNumber records, per revision and major.minor of the version in
// label from of expr's series, the group (1, with the major.minor in label
// to) and then 1000 x major + minor.
func versionNumber(name, expr, from, to, comment string) []Rule {
	re := strconv.Quote(versionRe)
	groupName := strings.TrimSuffix(name, ":number") + ":group"
	grouped := record(groupName, "group by (revision, "+to+") (label_replace("+expr+", "+strconv.Quote(to)+`, "$1.$2", `+strconv.Quote(from)+", "+re+"))",
		"One series per revision and major.minor ("+to+") seen in "+from+".")
	part := func(n string) string {
		return lines(
			"histogram_quantile(1,",
			"    label_replace("+groupName+`, "le", "$`+n+`", `+strconv.Quote(to)+`, "([0-9]+)\\.([0-9]+)")`,
			"  or",
			"    label_replace("+groupName+`, "le", "+Inf", "", "")`,
			")")
	}
	return []Rule{grouped, record(name, lines("1000 *", part("1"), "+", part("2")), comment)}
}

// skewAlerts are the two rules of a skew alert: data plane versions (the
// recording dp, its version label) older than the newest istiod of their
// revision by more than the threshold, or newer than the oldest.
func (b *builder) skewAlerts(alert, dp, label, what string) []Rule {
	ts := b.thresholds(alert)
	newest := IstiodVersion + " == on (revision) group_left () max by (revision) (" + IstiodVersion + ")"
	oldest := IstiodVersion + " == on (revision) group_left () min by (revision) (" + IstiodVersion + ")"
	older := b.alert(ts[0], lines(
		"(",
		"    "+newest,
		")",
		"- on (revision) group_right (istiod_version)",
		"  "+dp,
		"> "+num(ts[0].Value)),
		what+" run an Istio version older than their istiod supports.",
		what+" of Istio {{ $labels."+label+" }} connected to revision {{ $labels.revision }} are {{ $value }} minor version(s) behind its istiod "+
			"({{ $labels.istiod_version }}) for "+ts[0].For.String()+"; the profile tolerates "+ts[0].Shown+" (Istio supports one). "+
			"Move them to the revision's version (restart the workloads, or upgrade the ztunnel DaemonSet).")
	newer := b.alert(ts[1], lines(
		dp,
		"- on (revision) group_left (istiod_version)",
		"(",
		"    "+oldest,
		")",
		"> "+num(ts[1].Value)),
		what+" run a newer Istio version than their istiod.",
		what+" of Istio {{ $labels."+label+" }} connected to revision {{ $labels.revision }} are {{ $value }} minor version(s) newer than its istiod "+
			"({{ $labels.istiod_version }}) for "+ts[1].For.String()+". Istio does not support a data plane ahead of its control plane: "+
			"upgrade the revision's istiod, or roll the data plane back.")
	return []Rule{older, newer}
}

// versions is the rule file of version skew.
func (b *builder) versions() File {
	c := b.c
	build := c.Selectors.Istiod.With(selector.Equal("component", "pilot"), selector.Regex("tag", versionRe)).Metric("istio_build")
	xds := c.Selectors.Istiod.With(selector.Regex("version", versionRe)).Metric("pilot_xds")
	rules := slices.Concat(
		versionNumber(IstiodVersion, byRevision(build), "tag", "istiod_version",
			"Each revision's istiod versions (istio_build{component=\"pilot\"}: istio/istio pkg/version/stats.go), as 1000 x major + minor: "+
				"histogram_quantile(1) over one bucket le=<n> and +Inf returns n, the only way PromQL reads a number from a label."),
		versionNumber(ProxyVersion, byRevision(xds+" > 0"), "version", "proxy_version",
			"The versions of the proxies connected to each revision's istiods (pilot_xds{version}: istio/istio pilot/pkg/xds/monitoring.go), "+
				"as 1000 x major + minor."),
	)
	rules = append(rules, b.skewAlerts(AlertIstioProxyVersionSkew, ProxyVersion, "proxy_version", "Proxies")...)
	if c.Profile.Spec.Ambient() {
		// ztunnel's series come from its own scrape (job and labels vary):
		// selected by component alone, and the cluster.
		zt := ClusterMatcher(c).With(selector.Equal("component", "ztunnel"), selector.Regex("tag", versionRe)).Metric("istio_build")
		withRev := `label_replace(` + byRevision(zt) + `, "` + RevisionLabel + `", "default", "` + RevisionLabel + `", "")`
		rules = append(rules, versionNumber(ZtunnelVersion, withRev, "tag", "ztunnel_version",
			"The versions ztunnel runs (istio_build{component=\"ztunnel\"}: istio/ztunnel src/metrics/meta.rs) per revision it connects to "+
				"(its pod's istio.io/rev, kept as istio_io_rev; default without one: the chart then points it at Service istiod), as 1000 x major + minor.")...)
		rules = append(rules, b.skewAlerts(AlertIstioZtunnelVersionSkew, ZtunnelVersion, "ztunnel_version", "ztunnel pods")...)
	}
	return File{
		Name:    "versions",
		Comment: "Version skew between each istiod revision and the proxies and ztunnel connected to it.",
		Groups:  []Group{b.group("versions", rules...)},
	}
}
