package rules

import (
	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/selector"
)

// Remote clusters of a multi-cluster mesh, as an istiod sees them.
//
// Each primary's istiod watches every remote cluster's API server through
// a remote secret and reports, per remote cluster, one series per sync
// state, 1 for the state the cluster is in (synced, syncing, timeout,
// closed) and 0 for the others; a deleted remote's series all drop to 0
// (istio/istio pkg/kube/multicluster/secretcontroller.go
// recordClusterSyncState and clearClusterSyncState, cluster.go
// SyncStatus*; added in 1.29.0). The metric names the remote in its own
// label cluster, which on a fleet is the label that names the cluster
// the series comes from: the generated ServiceMonitor moves it to
// RemoteClusterLabel (render/monitors.go), so this rule, like every
// other, reads cluster as the istiod's own cluster.

// AlertIstioRemoteClusterNotSynced is the remote-cluster sync alert.
const AlertIstioRemoteClusterNotSynced = "IstioRemoteClusterNotSynced"

// RemoteClusterLabel is the label the generated scrape targets give the
// remote cluster of istiod_remote_cluster_sync_status.
const RemoteClusterLabel = "remote_cluster"

// RemoteClusterSyncMetric is istiod's remote-cluster sync state.
const RemoteClusterSyncMetric = "istiod_remote_cluster_sync_status"

// notMultiCluster skips the remote-cluster alert where the profile covers
// one cluster: its istiod has no remote cluster to watch.
func notMultiCluster(c *config.Config) string {
	if c.Profile.Spec.Mesh.MultiCluster() {
		return ""
	}
	return "spec.mesh.clusters.topology is " + c.Profile.Spec.Mesh.Clusters.Topology + ": istiod watches no remote cluster"
}

var remoteClusterAlerts = []*Descriptor{
	{
		Name:           AlertIstioRemoteClusterNotSynced,
		Meaning:        "an istiod has reported a remote cluster not synced (syncing, timed out or closed) for {for}: it serves that cluster's endpoints and services from a stale or empty view",
		InstanceLabels: []string{RemoteClusterLabel},
		Skip:           notMultiCluster,
		SkipFields:     []string{"spec.mesh.clusters.topology"},
		Thresholds: func(c *config.Config) []Threshold {
			f := c.Profile.Spec.Mesh.Clusters.RemoteSyncFor
			return []Threshold{{Alert: AlertIstioRemoteClusterNotSynced, Severity: profile.SeverityWarning,
				Condition: "an istiod pod reports a remote cluster in a state other than synced (" + RemoteClusterSyncMetric + ", Istio 1.29+) for " + f.String(),
				Fields:    []string{"spec.mesh.clusters.remoteSyncFor"},
				Value:     0, Shown: "0 pods not synced", For: f}}
		},
	},
}

// remoteClusters is the rule file of the remote clusters' sync state: the
// number of istiod pods that see each remote cluster in a state other than
// synced. Counted per pod, so one replica stuck behind its peers alerts
// too (its proxies get its view); a state series of 0 is a state the
// cluster is not in, so a deleted remote (all 0) stays quiet.
func (b *builder) remoteClusters() File {
	c := b.c
	notSynced := c.Selectors.Istiod.With(selector.NotEqual("status", "synced"))
	t := b.thresholds(AlertIstioRemoteClusterNotSynced)[0]
	expr := "count by (" + RemoteClusterLabel + ") (" + notSynced.Metric(RemoteClusterSyncMetric) + " == 1) > " + num(t.Value)
	r := b.alert(t, expr, "istiod has not synced a remote cluster.",
		"{{ $value }} istiod pod(s) have reported remote cluster {{ $labels."+RemoteClusterLabel+" }} not synced for "+t.For.String()+
			": endpoints and services of that cluster are stale or missing in their proxies' config.")
	r.Comment = "istiod pods that see a remote cluster in a state other than synced (" + RemoteClusterSyncMetric + ", Istio 1.29+; older istiods export no such series and this stays quiet)."
	return File{Name: "remote-clusters", Comment: "Remote clusters of a multi-cluster mesh, as each istiod sees them, and the requests across clusters.", Groups: []Group{b.group("remote-clusters", r), b.crossClusterRequests()}}
}

// Requests across clusters.
//
// Every istio_requests_total series carries the cluster of the workload on
// each side, source_cluster and destination_cluster (istio/proxy
// source/extensions/filters/http/istio_stats/istio_stats.cc, the tags
// source_cluster and destination_cluster; the proxy's own cluster is its
// node metadata CLUSTER_ID, the peer's comes from metadata exchange or the
// upstream endpoint's istio metadata; istio.io docs
// reference/config/metrics). The rules read reporter="source": the client
// proxy (or gateway) reports every request it sends, including those that
// never reach the other cluster (no healthy endpoint, east-west gateway
// down, connection refused: 503 with UH, UF or URX), which the destination
// proxy never sees; the destination's report would count only the
// requests that arrived.
const (
	// CrossClusterRequests is the request rate per (source_cluster,
	// destination_cluster) pair over 5m, for pairs that differ.
	CrossClusterRequests = "source_cluster_destination_cluster:istio_requests:rate5m"
	// CrossClusterErrorRatio is the 5xx share of those requests over 5m.
	CrossClusterErrorRatio = "source_cluster_destination_cluster:istio_requests:error_ratio_rate5m"
)

// crossClusterPair is the grouping of the cross-cluster rules.
const crossClusterPair = "source_cluster, destination_cluster"

// crossClusterRequests records the client-side request rate and its 5xx
// ratio per (source_cluster, destination_cluster) pair where the two
// differ. PromQL cannot compare two labels of a series, so the pairs
// within one cluster are removed with unless: each source cluster's total,
// its source_cluster copied into destination_cluster (one series per
// source cluster, so label_replace makes no duplicates), is exactly the
// pair (x, x).
func (b *builder) crossClusterRequests() Group {
	reqs := selector.Matchers{selector.Equal("reporter", "source")}.With(b.c.Selectors.Requests...)
	total := "rate(" + reqs.Metric("istio_requests_total") + "[5m])"
	errs := "rate(" + reqs.With(selector.Regex("response_code", "5..")).Metric("istio_requests_total") + "[5m])"
	requests := record(CrossClusterRequests, lines(
		"sum by ("+crossClusterPair+") ("+total+")",
		"unless on ("+crossClusterPair+")",
		"  label_replace(sum by (source_cluster) ("+total+"), \"destination_cluster\", \"$1\", \"source_cluster\", \"(.*)\")",
	), "Requests per second from each cluster's workloads (reporter source: client proxies and gateways) to workloads of another cluster, over 5m.")
	ratio := record(CrossClusterErrorRatio, lines(
		"(",
		"    sum by ("+crossClusterPair+") ("+errs+")",
		"  or on ("+crossClusterPair+")",
		"    0 * "+CrossClusterRequests,
		")",
		"/ on ("+crossClusterPair+")",
		CrossClusterRequests,
	), "The 5xx share of the requests from one cluster to another over 5m, as the client side saw them (a request that never reached the other cluster counts); 0 where no 5xx was seen; pairs within one cluster are left out by the division.")
	return b.group("cross-cluster-requests", requests, ratio)
}
