package config

import "github.com/meshslo/meshslo/generator/profile"

// Where an SLI reads a service, in Sources.
const (
	// SourceWaypoint: istio_requests_total{reporter="waypoint"}, which a
	// waypoint (Envoy with the istio.stats filter's ServerGateway reporter)
	// writes for every request it proxies to the service (envoyproxy/envoy
	// contrib/istio/filters/http/istio_stats/source/istio_stats.cc:
	// Reporter::ServerGateway tags reporter="waypoint").
	SourceWaypoint = "waypoint"
	// SourceDestination: istio_requests_total{reporter="destination"},
	// written by the destination pod's sidecar.
	SourceDestination = "destination"
	// SourceL4: ztunnel's connections to the service's pods, from the
	// destination (inbound) side: istio_tcp_connections_opened_total and
	// istio_tcp_connections_closed_total with a response_flags other than
	// "-" (istio/ztunnel src/proxy/metrics.rs; inbound.rs reports
	// Reporter::destination). Availability only: ztunnel has no HTTP status
	// and no latency histogram.
	SourceL4 = "l4"
)

// L4Reporter is the reporter of ztunnel's inbound connection metrics.
const L4Reporter = "destination"

// sliSources are where the SLI of s reads each service, in order of
// preference: a service is read from the first source that has series for
// it, so a request that a waypoint and the destination sidecar both report
// counts once. nil: the SLO reads only Reporter (a sidecar mesh's SLOs,
// unchanged).
//
// A service with a waypoint (istio.io/use-waypoint) that runs sidecar pods
// (a mixed mesh) is reported twice for each request: by the waypoint
// (reporter="waypoint") and by the destination sidecar
// (reporter="destination"). The waypoint sees what the client sees
// (its own retries and policy denials included), so it is preferred.
func sliSources(spec profile.Spec, s profile.SLO) []string {
	switch s.EffectiveSLISource() {
	case profile.SLISourceSidecar:
		return nil
	case profile.SLISourceWaypoint:
		return []string{SourceWaypoint}
	case profile.SLISourceL4:
		return []string{SourceL4}
	}
	if !spec.Ambient() {
		return nil
	}
	if s.SLI == profile.SLILatency {
		return []string{SourceWaypoint, SourceDestination}
	}
	return []string{SourceWaypoint, SourceDestination, SourceL4}
}

// L4 reports whether the SLO reads ztunnel's connection metrics for some service.
func (s SLO) L4() bool {
	for _, src := range s.Sources {
		if src == SourceL4 {
			return true
		}
	}
	return false
}
