// The mesh's data plane mode (spec.dataPlane) and where each SLO reads its
// SLI (spec.slos[].sliSource): sidecars, waypoints or ztunnel's L4 metrics.

package profile

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Data plane modes.
const (
	// DataPlaneSidecar: every workload has an Envoy sidecar (the default).
	DataPlaneSidecar = "sidecar"
	// DataPlaneAmbient: ztunnel on every node, waypoints where L7 is needed.
	DataPlaneAmbient = "ambient"
	// DataPlaneMixed: sidecar and ambient workloads in the same mesh.
	DataPlaneMixed = "mixed"
)

// DataPlanes are the data plane modes a profile can name.
var DataPlanes = []string{DataPlaneSidecar, DataPlaneAmbient, DataPlaneMixed}

// SLI sources: which proxy's metrics an SLO reads.
const (
	// SLISourceAuto picks from spec.dataPlane: the destination sidecar in a
	// sidecar mesh; in an ambient or mixed mesh, per service, the waypoint
	// where the service has one, else the destination sidecar, else (for
	// availability) ztunnel's L4 connections.
	SLISourceAuto = "auto"
	// SLISourceSidecar reads istio_requests_total{reporter="destination"}.
	SLISourceSidecar = "sidecar"
	// SLISourceWaypoint reads istio_requests_total{reporter="waypoint"}.
	SLISourceWaypoint = "waypoint"
	// SLISourceL4 reads ztunnel's istio_tcp_connections_* (availability only).
	SLISourceL4 = "l4"
)

// SLISources are the values of spec.slos[].sliSource.
var SLISources = []string{SLISourceAuto, SLISourceSidecar, SLISourceWaypoint, SLISourceL4}

// EffectiveDataPlane is spec.dataPlane, sidecar when unset.
func (s *Spec) EffectiveDataPlane() string {
	if s.DataPlane == "" {
		return DataPlaneSidecar
	}
	return s.DataPlane
}

// Ambient reports whether the mesh runs ztunnel (ambient or mixed).
func (s *Spec) Ambient() bool { return s.EffectiveDataPlane() != DataPlaneSidecar }

// EffectiveSLISource is the SLO's sliSource, auto when unset.
func (s SLO) EffectiveSLISource() string {
	if s.SLISource == "" {
		return SLISourceAuto
	}
	return s.SLISource
}

func validateDataPlane(v *validator, s *Spec) {
	v.oneOf("spec.dataPlane", s.EffectiveDataPlane(), DataPlanes)
	v.checkTagged("spec.ztunnel", &s.Ztunnel)
	for _, n := range []struct{ field, name string }{
		{"spec.ztunnel.namespace", s.Ztunnel.Namespace}, {"spec.ztunnel.daemonSet", s.Ztunnel.DaemonSet},
	} {
		if len(validation.IsDNS1123Label(n.name)) > 0 {
			v.add(n.field, "expected a Kubernetes name (1 to 63 characters of a-z, 0-9 and '-'), got %q", n.name)
		}
	}
	if s.Ztunnel.MemoryLimit <= 0 {
		v.add("spec.ztunnel.memoryLimit", "expected a memory size above 0 (1Gi), got %s", s.Ztunnel.MemoryLimit)
	}
	for i, slo := range s.SLOs {
		f := fmt.Sprintf("spec.slos[%d].sliSource", i)
		src := slo.EffectiveSLISource()
		v.oneOf(f, src, SLISources)
		switch {
		case src == SLISourceL4 && slo.SLI == SLILatency:
			v.add(f, "ztunnel's L4 metrics have no request latency (no istio_request_duration_milliseconds); a latency SLO needs sliSource waypoint, sidecar or auto")
		case (src == SLISourceL4 || src == SLISourceWaypoint) && s.EffectiveDataPlane() == DataPlaneSidecar:
			v.warn(f, "%s reads series only an ambient mesh has (waypoints, ztunnel), but spec.dataPlane is sidecar: set spec.dataPlane to ambient or mixed (--strict makes this an error)", src)
		case src == SLISourceSidecar && s.EffectiveDataPlane() == DataPlaneAmbient:
			v.warn(f, "sidecar reads reporter=\"destination\", which only sidecars report, but spec.dataPlane is ambient: use auto or waypoint (--strict makes this an error)")
		}
	}
}
