// Package templates holds the jsonnet sources of meshslo's Grafana
// dashboards. Each <name>.jsonnet is one dashboard: a function of one
// top-level argument, meshslo, the JSON of dashboards.Input (profile,
// thresholds in base units, recorded series names, selectors, SLOs).
// *.libsonnet files are shared libraries. Package dashboards evaluates them;
// `meshslo generate --templates DIR` overlays a team's own files by name.
package templates

import "embed"

// FS holds every template and library.
//
//go:embed *.jsonnet *.libsonnet
var FS embed.FS
