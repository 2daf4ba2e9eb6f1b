package profile_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Every problem of spec.mesh.clusters, with its file, line and column.
func TestBadClusters(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"cluster beside a fleet", spec("mesh: {cluster: eu-1, clusters: {topology: multi-primary}}"), []string{
			`bad.yaml:5:19: spec.mesh.cluster: names one cluster ("eu-1") but spec.mesh.clusters.topology is multi-primary, which covers several: remove it and list the clusters in spec.mesh.clusters.names`,
		}},
		{"unknown topology and source", spec("mesh: {clusters: {topology: mesh, labelSource: remote}}"), []string{
			`bad.yaml:5:31: spec.mesh.clusters.topology: expected one of single, multi-primary, primary-remote, got "mesh"`,
			`bad.yaml:5:50: spec.mesh.clusters.labelSource: expected one of series, external, got "remote"`,
		}},
		{"names of one cluster", spec("mesh: {clusters: {names: [a, b]}}"), []string{
			`bad.yaml:5:28: spec.mesh.clusters.names: lists clusters but spec.mesh.clusters.topology is single: set topology to multi-primary or primary-remote, or name the one cluster in spec.mesh.cluster`,
		}},
		{"duplicate name and a primary not listed", spec("mesh: {clusters: {topology: primary-remote, names: [a, b, a], primaries: [c]}}"), []string{
			`bad.yaml:5:61: spec.mesh.clusters.names[2]: duplicate cluster "a" (also spec.mesh.clusters.names[0])`,
			`bad.yaml:5:77: spec.mesh.clusters.primaries[0]: expected one of spec.mesh.clusters.names, got "c"`,
		}},
		{"primaries outside primary-remote", spec("mesh: {clusters: {topology: multi-primary, names: [a, b], primaries: [a]}}"), []string{
			`bad.yaml:5:72: spec.mesh.clusters.primaries: only applies to topology primary-remote, got topology multi-primary`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.yaml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range problems(t, path) {
				got = append(got, filepath.Base(p[:len(path)])+p[len(path):])
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got\n  %q\nwant\n  %q", got, tc.want)
			}
		})
	}
}
