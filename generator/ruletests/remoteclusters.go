package ruletests

import (
	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/generator/rules"
)

// remoteClusters are the remote clusters each test istiod watches; the
// first falls out of sync on level of the istiod pods.
var remoteClusters = []string{"us-1", "ap-1"}

// syncStates are istiod's remote-cluster sync states, in the order
// istio/istio pkg/kube/multicluster/secretcontroller.go records them.
var syncStates = []string{"synced", "syncing", "timeout", "closed"}

// remoteClusters tests the remote-cluster sync alert; nil for one cluster.
func (b *builder) remoteClusters() *suite {
	if !b.c.Profile.Spec.Mesh.MultiCluster() {
		return nil
	}
	s := b.newSuite("remote-clusters.test.yaml", "Remote-cluster sync alerts at the edges of their thresholds.")
	s.alerts = []string{rules.AlertIstioRemoteClusterNotSynced}
	s.Tests = append(s.Tests, b.edgeCases(b.remoteSyncWatch())...)
	return s
}

// remoteSyncInputs are every istiod pod's sync states of every remote
// cluster, as the generated ServiceMonitor stores them (the remote in
// remote_cluster, catalogue.SourceIstiodRemote): one series per state, 1
// for the state the cluster is in. On level of the pods the first remote
// is syncing (then timed out, from the second half on: a state change
// must not restart the hold), the rest synced; a third remote, deleted,
// has every state at 0 (clearClusterSyncState) and must stay quiet.
func (b *builder) remoteSyncInputs(level func(profile.Duration) float64, n int) []series {
	levels := b.levels(level, n)
	var out []series
	for k, p := range b.istiods() {
		base := p.with("cluster_type", "remote")
		for r, remote := range append(remoteClusters, "eu-2") {
			for _, st := range syncStates {
				vals := make([]float64, n)
				for i := range vals {
					state := "synced"
					switch {
					case remote == "eu-2":
						state = ""
					case r == 0 && float64(k) < levels[i] && i < n/2:
						state = "syncing"
					case r == 0 && float64(k) < levels[i]:
						state = "timeout"
					}
					if st == state {
						vals[i] = 1
					}
				}
				out = append(out, series{base.with(rules.RemoteClusterLabel, remote, "status", st).of(rules.RemoteClusterSyncMetric), gauge(vals)})
			}
		}
	}
	return out
}

func (b *builder) remoteSyncWatch() *watch {
	return &watch{
		alert: rules.AlertIstioRemoteClusterNotSynced, baseline: 0, labels: lbls{rules.RemoteClusterLabel: remoteClusters[0]}, inputs: b.remoteSyncInputs,
		show: func(f float64) string { return num(f) + " istiod pod(s) not synced" },
		sevs: []sev{{rule: b.rule(rules.AlertIstioRemoteClusterNotSynced, nil), holds: gt(0), above: 1, below: 0}},
	}
}
