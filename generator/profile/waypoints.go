// Waypoints: the L7 proxies of an ambient mesh. istiod's deployment
// controller turns each Gateway of gatewayClassName istio-waypoint into a
// Deployment named after the Gateway (istio/istio
// pilot/pkg/config/kube/gatewaycommon/classinfo.go: DisableNameSuffix;
// deploymentcontroller.go: DeploymentName, gateway.istio.io/name-override),
// whose pods run one istio-proxy container with the limits of
// global.waypoint.resources (cpu 2, memory 1Gi; istio-discovery's
// files/waypoint.yaml and values.yaml). Like a gateway, a waypoint is a
// proxy Deployment: its health fields and their checks are shared
// (ProxyHealth).

package profile

import (
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/util/validation"
)

// WaypointLabel is the label that names the waypoint on its alerts and
// recorded series (with namespace: waypoint names are unique per namespace).
const WaypointLabel = "waypoint"

// ProxyHealth are the health thresholds of a proxy Deployment (a gateway or
// a waypoint): available pods, and memory and CPU against the live limits.
type ProxyHealth struct {
	MinReplicas                             int
	ReplicasFor, MemoryFor, CPUFor          Duration
	MemoryWarningRatio, MemoryCriticalRatio float64
	CPUWarningRatio                         float64
}

// Health is the gateway's health thresholds.
func (g Gateway) Health() ProxyHealth {
	return ProxyHealth{MinReplicas: g.MinReplicas, ReplicasFor: g.ReplicasFor, MemoryFor: g.MemoryFor, CPUFor: g.CPUFor,
		MemoryWarningRatio: g.MemoryWarningRatio, MemoryCriticalRatio: g.MemoryCriticalRatio, CPUWarningRatio: g.CPUWarningRatio}
}

// Health is the waypoint's health thresholds.
func (w Waypoint) Health() ProxyHealth {
	return ProxyHealth{MinReplicas: w.MinReplicas, ReplicasFor: w.ReplicasFor, MemoryFor: w.MemoryFor, CPUFor: w.CPUFor,
		MemoryWarningRatio: w.MemoryWarningRatio, MemoryCriticalRatio: w.MemoryCriticalRatio, CPUWarningRatio: w.CPUWarningRatio}
}

// WorkloadName is the waypoint's Deployment.
func (w Waypoint) WorkloadName() string {
	if w.Workload != "" {
		return w.Workload
	}
	return w.Name
}

// fillTagDefaults sets every field of the struct s points to that is still
// at zero and has a default tag to that default (list entries are decoded
// from zero values, so a zero reads as unset).
func fillTagDefaults(what string, s any) {
	rv := reflect.ValueOf(s).Elem()
	for k := 0; k < rv.NumField(); k++ {
		def, ok := rv.Type().Field(k).Tag.Lookup("default")
		if !ok || !rv.Field(k).IsZero() {
			continue
		}
		if err := setFromTag(rv.Field(k), def); err != nil {
			panic(fmt.Sprintf("profile: %s.%s: default %q: %v", what, rv.Type().Field(k).Name, def, err))
		}
	}
}

func fillWaypointDefaults(p *Profile) {
	for i := range p.Spec.Waypoints {
		fillTagDefaults("Waypoint", &p.Spec.Waypoints[i])
	}
}

// validateProxyHealth checks what the tags do not: the replica bounds and
// the order of the memory ratios. f is the entry's field path.
func validateProxyHealth(v *validator, f string, h ProxyHealth) {
	if h.MinReplicas < 1 || h.MinReplicas > 1000 {
		v.add(f+".minReplicas", "expected 1 to 1000 available pods, got %d", h.MinReplicas)
	}
	v.below(f+".memoryWarningRatio", f+".memoryCriticalRatio", h.MemoryWarningRatio, h.MemoryCriticalRatio, FormatNumber)
}

func validateWaypoints(v *validator, s *Spec) {
	if len(s.Waypoints) > 0 && !s.Ambient() {
		v.add("spec.waypoints", "waypoints run only in an ambient mesh, but spec.dataPlane is %s: set spec.dataPlane to ambient or mixed, or remove spec.waypoints", s.EffectiveDataPlane())
	}
	names := map[[2]string]int{}
	workloads := map[[2]string]int{}
	for i, w := range s.Waypoints {
		f := fmt.Sprintf("spec.waypoints[%d]", i)
		if len(validation.IsDNS1123Label(w.Name)) > 0 {
			v.add(f+".name", "expected the waypoint's Gateway name: 1 to 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit, got %q", w.Name)
		}
		nsOK := true
		switch {
		case w.Namespace == "":
			v.add(f+".namespace", "missing; expected the namespace of the waypoint's Gateway")
			nsOK = false
		case len(validation.IsDNS1123Label(w.Namespace)) > 0:
			v.add(f+".namespace", "expected a Kubernetes namespace (a DNS label), got %q", w.Namespace)
			nsOK = false
		}
		if w.Workload != "" && len(validation.IsDNS1123Subdomain(w.Workload)) > 0 {
			v.add(f+".workload", "expected a Deployment name (a DNS subdomain), got %q", w.Workload)
		}
		if nsOK {
			n := [2]string{w.Namespace, w.Name}
			if k, dup := names[n]; dup {
				v.add(f+".name", "duplicate waypoint %s/%s (also spec.waypoints[%d])", n[0], n[1], k)
			} else {
				names[n] = i
				wl := [2]string{w.Namespace, w.WorkloadName()}
				if k, dup := workloads[wl]; dup {
					v.add(f+".workload", "spec.waypoints[%d] is already the Deployment %s/%s; one entry per waypoint Deployment", k, wl[0], wl[1])
				} else {
					workloads[wl] = i
				}
			}
		}
		validateProxyHealth(v, f, w.Health())
		v.checkTagged(f, &w)
	}
}
