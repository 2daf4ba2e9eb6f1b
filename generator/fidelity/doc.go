// Package fidelity proves meshslo's staleness and istiod rules against
// Istio's real control-plane code: it runs bin/istio-fixture (istiod's
// discovery server, metrics exporter, CA and injection webhook, fake
// proxies and real istio-agents; see tools/istiofixture) under a real
// Prometheus that evaluates the generated rules, and measures each
// candidate signal against istiod's own /debug/syncz, classified as
// istioctl proxy-status does. The package holds tests only; it does not
// import Istio.
package fidelity
