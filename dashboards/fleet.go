package dashboards

import (
	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/generator/selector"
)

// Fleet is the on-call dashboard's Fleet row input: for a fleet whose
// series carry the cluster label (spec.mesh.clusters, labelSource series),
// one table across every cluster and the cross-cluster error ratios.
// Every query of the row selects All, the cluster label matching any
// value, which the cluster picker's rewrite (clusters.go) leaves as it is:
// the row shows every cluster whichever one is picked.
type Fleet struct {
	// Enabled is true for a multi-cluster topology with labelSource series.
	Enabled bool `json:"enabled"`
	// Label is the cluster label; All selects every value of it.
	Label string `json:"label"`
	All   string `json:"all"`
	// RemoteSync is istiod's remote-cluster sync state metric, present on
	// Istio 1.29+ (rules.RemoteClusterSyncMetric).
	RemoteSync string `json:"remoteSync"`
	// CrossClusterRequests and CrossClusterErrorRatio are the recorded
	// client-side request rate and 5xx ratio per (source_cluster,
	// destination_cluster) pair that differ.
	CrossClusterRequests   string `json:"crossClusterRequests"`
	CrossClusterErrorRatio string `json:"crossClusterErrorRatio"`
}

func fleet(c *config.Config) Fleet {
	m := c.Profile.Spec.Mesh
	if !m.MultiCluster() || !m.ClusterInSeries() {
		return Fleet{}
	}
	return Fleet{
		Enabled: true, Label: m.ClusterLabel,
		All:                    selector.Matchers{selector.Regex(m.ClusterLabel, ".+")}.Grafana(),
		RemoteSync:             rules.RemoteClusterSyncMetric,
		CrossClusterRequests:   rules.CrossClusterRequests,
		CrossClusterErrorRatio: rules.CrossClusterErrorRatio,
	}
}
