// Package e2e runs the generated rules in a real Prometheus server (the
// v3 binary `make tools` builds) against a synthetic mesh served by the
// test itself, and checks through the HTTP API that every rule evaluates
// cleanly and that known faults raise exactly the expected alerts.
// Everything is in _test.go files; the package has no code of its own.
package e2e
