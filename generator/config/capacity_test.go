package config

import (
	"testing"

	"github.com/meshslo/meshslo/generator/profile"
)

// TestCapacityPerDataPlane: a sidecar mesh counts its pods' sidecars; an
// ambient one no sidecars but one ztunnel per node and its waypoints'
// replicas; a mixed one the sidecars of spec.mesh.pods and the ztunnels and
// waypoints too.
func TestCapacityPerDataPlane(t *testing.T) {
	const mi = 1 << 20
	for _, tc := range []struct {
		dataPlane                     string
		sidecars, ztunnels, waypoints int
		total                         int64
	}{
		{profile.DataPlaneSidecar, 100, 0, 0, 100*128*mi + 2*8192*mi},
		{profile.DataPlaneAmbient, 0, 10, 3, 10*512*mi + 3*128*mi + 2*8192*mi},
		{profile.DataPlaneMixed, 100, 10, 3, 100*128*mi + 10*512*mi + 3*128*mi + 2*8192*mi},
	} {
		p := profile.Defaults("medium")
		p.Spec.DataPlane = tc.dataPlane
		p.Spec.Mesh.Pods, p.Spec.Mesh.Nodes = 100, 10
		p.Spec.Istiod.MinReplicas, p.Spec.Istiod.MemoryLimit = 2, profile.Quantity(8192*mi)
		if tc.dataPlane != profile.DataPlaneSidecar {
			p.Spec.Waypoints = []profile.Waypoint{{Name: "a", Namespace: "shop", MinReplicas: 2}, {Name: "b", Namespace: "cart", MinReplicas: 1}}
		}
		c := capacity(p)
		if c.Sidecars != tc.sidecars || c.Ztunnels != tc.ztunnels || c.Waypoints != tc.waypoints || c.TotalBytes != tc.total {
			t.Errorf("%s: %d sidecars, %d ztunnels, %d waypoint replicas, %d bytes; want %d, %d, %d, %d",
				tc.dataPlane, c.Sidecars, c.Ztunnels, c.Waypoints, c.TotalBytes, tc.sidecars, tc.ztunnels, tc.waypoints, tc.total)
		}
	}
}
