package render

import (
	"bytes"

	"gopkg.in/yaml.v3"

	"github.com/meshslo/meshslo/generator/config"
)

// ConfigMapName is the Kubernetes name of a dashboard's ConfigMap.
func ConfigMapName(c *config.Config, name string) string {
	return ResourceName(c) + "-dashboard-" + name
}

// ConfigMaps renders one ConfigMap per dashboard, labelled for the
// Grafana sidecar that kube-prometheus-stack runs, in the namespace of the
// profile's Prometheus stack.
func ConfigMaps(c *config.Config, boards []GrafanaDashboard) ([]byte, error) {
	var buf bytes.Buffer
	for _, line := range []string{
		Header(c.Profile.Metadata.Name),
		"Grafana dashboards for kube-prometheus-stack's Grafana sidecar (label grafana_dashboard: \"1\").",
		"Apply with: kubectl apply --server-side -f grafana-dashboards.yaml",
		"(server-side: a client-side apply stores each dashboard again in an annotation limited to 256KiB)",
	} {
		buf.WriteString("# " + line + "\n")
	}
	for i, d := range boards {
		if i > 0 {
			buf.WriteString("---\n")
		}
		cm := configMap{
			APIVersion: "v1",
			Kind:       "ConfigMap",
			Metadata: metadata{
				Name:      ConfigMapName(c, d.Name),
				Namespace: c.Profile.Spec.Prometheus.Namespace,
				Labels: map[string]string{
					"app.kubernetes.io/managed-by": "meshslo",
					"grafana_dashboard":            "1",
					"meshslo.dev/profile":          c.Profile.Metadata.Name,
				},
			},
			Data: map[string]string{"meshslo-" + c.Profile.Metadata.Name + "-" + d.Name + ".json": string(d.JSON)},
		}
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(cm); err != nil {
			return nil, err
		}
		if err := enc.Close(); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

// configMap is a core/v1 ConfigMap; yaml.v3 writes struct fields in order
// and map keys sorted, so the output is stable.
type configMap struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Metadata   metadata          `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
}

type metadata struct {
	Name      string            `yaml:"name"`
	Namespace string            `yaml:"namespace"`
	Labels    map[string]string `yaml:"labels"`
}
