package profile

import "fmt"

// validateClusters checks spec.mesh.clusters against spec.mesh.cluster.
// Which wins: with topology single the legacy cluster/clusterLabel pair
// works as before (a named cluster is selected and kept); a multi-cluster
// topology covers every cluster, so naming one cluster beside it is an
// error rather than a silent choice.
func validateClusters(v *validator, m Mesh) {
	c := m.Clusters
	v.checkTagged("spec.mesh.clusters", &c)
	v.oneOf("spec.mesh.clusters.topology", c.Topology, []string{TopologySingle, TopologyMultiPrimary, TopologyPrimaryRemote})
	v.oneOf("spec.mesh.clusters.labelSource", c.LabelSource, []string{LabelSourceSeries, LabelSourceExternal})
	if m.MultiCluster() && m.Cluster != "" {
		v.add("spec.mesh.cluster", "names one cluster (%q) but spec.mesh.clusters.topology is %s, which covers several: remove it and list the clusters in spec.mesh.clusters.names",
			m.Cluster, c.Topology)
	}
	if c.Topology == TopologySingle && len(c.Names) > 0 {
		v.add("spec.mesh.clusters.names", "lists clusters but spec.mesh.clusters.topology is single: set topology to multi-primary or primary-remote, or name the one cluster in spec.mesh.cluster")
	}
	if c.Topology == TopologyMultiPrimary && len(c.Names) == 1 {
		v.add("spec.mesh.clusters.names", "expected at least 2 clusters for topology multi-primary, got 1 (one cluster is topology single with spec.mesh.cluster)")
	}
	seen := map[string]int{}
	for i, n := range c.Names {
		f := fmt.Sprintf("spec.mesh.clusters.names[%d]", i)
		switch first, dup := seen[n]; {
		case n == "":
			v.add(f, "expected a cluster name, got an empty string")
		case dup:
			v.add(f, "duplicate cluster %q (also spec.mesh.clusters.names[%d])", n, first)
		default:
			seen[n] = i
			checkLabelValue(v, f, n)
		}
	}
	if len(c.Primaries) > 0 && c.Topology != TopologyPrimaryRemote {
		v.add("spec.mesh.clusters.primaries", "only applies to topology primary-remote, got topology %s", c.Topology)
	}
	for i, p := range c.Primaries {
		if _, ok := seen[p]; !ok {
			v.add(fmt.Sprintf("spec.mesh.clusters.primaries[%d]", i), "expected one of spec.mesh.clusters.names, got %q", p)
		}
	}
}
