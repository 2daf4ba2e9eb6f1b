package dashboards

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/render"
	"github.com/meshslo/meshslo/generator/rules"
)

// Paths of the generated files, relative to <out>/<profile>/.
const (
	ConfigMapsPath = "kubernetes/grafana-dashboards.yaml"
	HelmValuesPath = "helm/kube-prometheus-stack.values.yaml"
)

// JSONPath is where a dashboard's JSON is written.
func JSONPath(name string) string { return "dashboards/" + name + ".json" }

// Files is the generator's extra renderer for dashboards: their JSON, the
// ConfigMaps for Grafana's sidecar and the kube-prometheus-stack values
// file. That file is rendered again here, with the same rule groups plus
// the dashboards, and replaces the rules-only version the generator wrote
// first: extras run after the rule formats and cannot change how they are
// rendered.
func Files(c *config.Config, files []rules.File) (map[string][]byte, error) {
	boards, err := Build(c, files)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	var grafana []render.GrafanaDashboard
	for _, d := range boards {
		out[JSONPath(d.Name)] = d.JSON
		grafana = append(grafana, render.GrafanaDashboard{Name: d.Name, JSON: d.JSON})
	}
	cms, err := ConfigMaps(c, boards)
	if err != nil {
		return nil, fmt.Errorf("rendering %s: %w", ConfigMapsPath, err)
	}
	out[ConfigMapsPath] = cms
	hv, err := render.HelmValues(c, files, grafana...)
	if err != nil {
		return nil, fmt.Errorf("rendering %s: %w", HelmValuesPath, err)
	}
	// Its rule groups are the nodes generate already checked (see
	// generate.Run); the dashboards were checked by Build.
	out[HelmValuesPath] = hv
	return out, nil
}

// ConfigMapName is the Kubernetes name of a dashboard's ConfigMap.
func ConfigMapName(c *config.Config, name string) string {
	return render.ResourceName(c) + "-dashboard-" + name
}

// ConfigMaps renders one ConfigMap per dashboard, labelled for the
// Grafana sidecar that kube-prometheus-stack runs, in the namespace of the
// profile's Prometheus stack.
func ConfigMaps(c *config.Config, boards []Dashboard) ([]byte, error) {
	var buf bytes.Buffer
	for _, line := range []string{
		render.Header(c.Profile.Metadata.Name),
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
