package render

import (
	"bytes"
	"encoding/json"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/meshslo/meshslo/generator/config"
)

// ConfigMapName is the Kubernetes name of a dashboard's ConfigMap.
func ConfigMapName(c *config.Config, name string) string {
	return ResourceName(c) + "-dashboard-" + name
}

// DashboardFolder is the Grafana folder meshslo's dashboards go to on
// every route: the Helm values' dashboard provider, the ConfigMaps' folder
// annotation and push --folder's default.
const DashboardFolder = "Istio"

// FolderAnnotation is the ConfigMap annotation whose value names the
// Grafana folder of the dashboard, for a sidecar started with
// FOLDER_ANNOTATION set to it. The Grafana chart (grafana-community/
// helm-charts charts/grafana, 12.11.1 in kube-prometheus-stack 88.5.3)
// passes sidecar.dashboards.folderAnnotation as FOLDER_ANNOTATION
// (templates/_pod.tpl) and, with sidecar.dashboards.provider.
// foldersFromFilesStructure, turns the sidecar's sub-folders into Grafana
// folders (templates/_config.tpl); both default to off (values.yaml), and
// kube-prometheus-stack's values set neither. grafana_folder is the name
// the chart's users commonly pick; HelmValues sets both values.
const FolderAnnotation = "grafana_folder"

// MaxAnnotations is how many bytes of annotations (keys and values) an
// object may carry: the API server refuses more (k8s.io/apimachinery
// pkg/api/validation/objectmeta.go, TotalAnnotationSizeLimitB, 256 KiB).
// A client-side kubectl apply adds the whole object as JSON in one.
const MaxAnnotations = 262144

// ConfigMaps renders one ConfigMap per dashboard, labelled for the
// Grafana sidecar that kube-prometheus-stack runs and annotated with its
// folder, in the namespace of the profile's Prometheus stack.
func ConfigMaps(c *config.Config, boards []GrafanaDashboard) ([]byte, error) {
	var cms []configMap
	largest := 0
	for _, d := range boards {
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
				Annotations: map[string]string{FolderAnnotation: DashboardFolder},
			},
			Data: map[string]string{"meshslo-" + c.Profile.Metadata.Name + "-" + d.Name + ".json": string(d.JSON)},
		}
		n, err := AnnotationsAfterApply(cm)
		if err != nil {
			return nil, err
		}
		if n > MaxAnnotations {
			return nil, fmt.Errorf("dashboard %s: a client-side kubectl apply would give its ConfigMap %d bytes of annotations, more than the %d the API server takes", d.Name, n, MaxAnnotations)
		}
		largest = max(largest, n)
		cms = append(cms, cm)
	}
	var buf bytes.Buffer
	for _, line := range []string{
		Header(c.Profile.Metadata.Name),
		"Grafana dashboards for kube-prometheus-stack's Grafana sidecar (label grafana_dashboard: \"1\"),",
		fmt.Sprintf("in folder %s (annotation %s) once the chart's values set grafana.sidecar.dashboards.folderAnnotation: %s", DashboardFolder, FolderAnnotation, FolderAnnotation),
		"and grafana.sidecar.dashboards.provider.foldersFromFilesStructure: true, else in General. helm/kube-prometheus-stack.values.yaml",
		"sets both, and also carries these dashboards itself: install them through one of the two, not both.",
		"Apply with: kubectl apply -f grafana-dashboards.yaml (or --server-side)",
		fmt.Sprintf("(a client-side apply copies each ConfigMap into an annotation; the largest comes to %d KiB of the 256 KiB an object's annotations may hold)", (largest+1023)/1024),
	} {
		buf.WriteString("# " + line + "\n")
	}
	for i, cm := range cms {
		if i > 0 {
			buf.WriteString("---\n")
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
	APIVersion string            `yaml:"apiVersion" json:"apiVersion"`
	Kind       string            `yaml:"kind" json:"kind"`
	Metadata   metadata          `yaml:"metadata" json:"metadata"`
	Data       map[string]string `yaml:"data" json:"data"`
}

type metadata struct {
	Name        string            `yaml:"name" json:"name"`
	Namespace   string            `yaml:"namespace" json:"namespace"`
	Labels      map[string]string `yaml:"labels" json:"labels"`
	Annotations map[string]string `yaml:"annotations,omitempty" json:"annotations,omitempty"`
}

// AnnotationsAfterApply is how many bytes of annotations the ConfigMap
// has after a client-side kubectl apply: its own, and the
// kubectl.kubernetes.io/last-applied-configuration annotation holding the
// object as JSON (k8s.io/kubectl pkg/util/apply.go,
// GetModifiedConfiguration: json of the object without that annotation).
func AnnotationsAfterApply(cm configMap) (int, error) {
	b, err := json.Marshal(cm)
	if err != nil {
		return 0, err
	}
	n := len("kubectl.kubernetes.io/last-applied-configuration") + len(b)
	for k, v := range cm.Metadata.Annotations {
		n += len(k) + len(v)
	}
	return n, nil
}
