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
	return File{Name: "remote-clusters", Comment: "Remote clusters of a multi-cluster mesh, as each istiod sees them.", Groups: []Group{b.group("remote-clusters", r)}}
}
