// Package cost measures what the generated SLO rules cost a Prometheus
// server and how close they stay to the exact burn rates. It holds only
// tests and benchmarks: the Prometheus engine, TSDB and rule manager they
// use stay out of the meshslo binary.
package cost
