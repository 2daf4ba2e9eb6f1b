// Package realtools finds the real promtool and Prometheus server that
// `make tools` builds from the Go module proxy, for the tests that run them.
// Without the binary a test skips locally and fails in CI, where a skipped
// check would hide a broken rule.
package realtools

import (
	"os"
	"path/filepath"
	"testing"
)

// Promtool returns the absolute path of promtool: $PROMTOOL, else bin/promtool.
func Promtool(t testing.TB) string { return find(t, "PROMTOOL", "promtool") }

// Prometheus returns the absolute path of the Prometheus server:
// $PROMETHEUS, else bin/prometheus.
func Prometheus(t testing.TB) string { return find(t, "PROMETHEUS", "prometheus") }

// Fixture returns the absolute path of istio-fixture, Istio's control
// plane as a test fixture (tools/istiofixture): $ISTIO_FIXTURE, else
// bin/istio-fixture.
func Fixture(t testing.TB) string { return find(t, "ISTIO_FIXTURE", "istio-fixture") }

func find(t testing.TB, env, name string) string {
	t.Helper()
	path := os.Getenv(env)
	if path == "" {
		path = filepath.Join(repoRoot(), "bin", name)
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found at %s (set %s or run make tools): %v", name, path, env, err)
		}
		t.Skipf("%s not found at %s; run make tools or set %s", name, path, env)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// repoRoot is the nearest directory above the working directory (a test's
// package folder) that holds go.mod.
func repoRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// Kubeconform returns the absolute path of kubeconform: $KUBECONFORM, else
// bin/kubeconform (make tools builds it from tools/kube).
func Kubeconform(t testing.TB) string { return find(t, "KUBECONFORM", "kubeconform") }

// CRDSchemas returns the folder of strict JSON schemas made from the
// prometheus-operator CRDs (tools/kube/crdschemas): $CRD_SCHEMAS, else
// bin/crd-schemas.
func CRDSchemas(t testing.TB) string { return find(t, "CRD_SCHEMAS", "crd-schemas") }

// Amtool returns the absolute path of amtool (Alertmanager v0.35.0,
// tools/alertmanager): $AMTOOL, else bin/amtool.
func Amtool(t testing.TB) string { return find(t, "AMTOOL", "amtool") }

// Alertmanager returns the absolute path of the Alertmanager server
// (v0.35.0, built from a copy of the module with stub web UI files):
// $ALERTMANAGER, else bin/alertmanager.
func Alertmanager(t testing.TB) string { return find(t, "ALERTMANAGER", "alertmanager") }

// GrafanaSchemaCheck returns the absolute path of grafana-schema-check,
// Grafana's dashboard schema from grafana-foundation-sdk (tools/grafana):
// $GRAFANA_SCHEMA_CHECK, else bin/grafana-schema-check.
func GrafanaSchemaCheck(t testing.TB) string {
	return find(t, "GRAFANA_SCHEMA_CHECK", "grafana-schema-check")
}
