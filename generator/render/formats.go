package render

import (
	"gopkg.in/yaml.v3"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/rules"
)

// RuleFile renders one concern as a plain Prometheus rule file.
func RuleFile(c *config.Config, f rules.File) ([]byte, error) {
	return encode(Header(c.Profile.Metadata.Name)+"\n"+f.Comment, mapping("groups", groupsNode([]rules.File{f})))
}

// ResourceName is the Kubernetes name of generated resources.
func ResourceName(c *config.Config) string { return "meshslo-" + c.Profile.Metadata.Name }

// PrometheusRule renders every group as one monitoring.coreos.com/v1
// PrometheusRule, labelled so kube-prometheus-stack's ruleSelector picks it up.
func PrometheusRule(c *config.Config, files []rules.File) ([]byte, error) {
	p := c.Profile
	meta := mapping("name", ResourceName(c), "namespace", p.Spec.Prometheus.Namespace)
	labels := map[string]string{"app.kubernetes.io/managed-by": "meshslo", "meshslo.dev/profile": p.Metadata.Name}
	for k, v := range p.Spec.Prometheus.RuleLabels {
		labels[k] = v
	}
	meta.Content = append(meta.Content, scalar("labels"), sortedMap(labels))
	root := mapping(
		"apiVersion", "monitoring.coreos.com/v1",
		"kind", "PrometheusRule",
		"metadata", meta,
		"spec", mapping("groups", groupsNode(files)),
	)
	return encode(Header(p.Metadata.Name)+"\nApply with: kubectl apply -f prometheusrule.yaml", root)
}

// HelmValues renders the groups under kube-prometheus-stack's
// additionalPrometheusRulesMap, for a values file passed with -f, the scrape
// targets (when the profile's scrape setup is kube-prometheus-stack) under
// prometheus.additionalServiceMonitors and additionalPodMonitors, and the
// dashboards, when given, for its bundled Grafana.
func HelmValues(c *config.Config, files []rules.File, dashboards ...GrafanaDashboard) ([]byte, error) {
	root := mapping("additionalPrometheusRulesMap", mapping(
		ResourceName(c), mapping("groups", groupsNode(files)),
	))
	if GeneratesMonitors(c) {
		root.Content = append(root.Content, scalar("prometheus"), helmMonitors(c))
	}
	header := Header(c.Profile.Metadata.Name) +
		"\nUse with: helm upgrade --install kube-prometheus-stack prometheus-community/kube-prometheus-stack -f kube-prometheus-stack.values.yaml"
	// The chart writes alertmanager.config as the Alertmanager's whole
	// configuration (templates/alertmanager/secret.yaml, toYaml of the
	// value); Helm merges maps with the chart's default but replaces lists.
	root.Content = append(root.Content, scalar("alertmanager"), mapping("config", BuildAlertmanager(c, files).alertmanagerNode()))
	header += "\nalertmanager.config is the whole Alertmanager configuration; its lists (receivers, routes, inhibit_rules) replace, not merge with, lists set in another values file."
	if len(dashboards) > 0 {
		root.Content = append(root.Content, scalar("grafana"), grafanaValues(c, dashboards))
		header += "\ngrafana.dashboardProviders is a list: Helm replaces, not merges, one set in another values file." +
			"\ngrafana.sidecar.dashboards files ConfigMaps by their " + FolderAnnotation + " annotation (kubernetes/grafana-dashboards.yaml's: " + DashboardFolder + ")."
	}
	return encode(header, root)
}

// GrafanaDashboard is a dashboard for the bundled Grafana: Name becomes
// its file name, JSON its content.
type GrafanaDashboard struct {
	Name string
	JSON []byte
}

// grafanaValues provisions dashboards through the Grafana chart's
// dashboards and dashboardProviders values: the chart writes each JSON to
// a ConfigMap mounted under /var/lib/grafana/dashboards/<provider>.
func grafanaValues(c *config.Config, dashboards []GrafanaDashboard) *yaml.Node {
	provider := ResourceName(c)
	typed := func(tag, v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v} }
	boards := mapping()
	for _, d := range dashboards {
		boards.Content = append(boards.Content, scalar(d.Name), mapping("json", string(d.JSON)))
	}
	return mapping(
		"dashboardProviders", mapping("dashboardproviders.yaml", mapping(
			"apiVersion", typed("!!int", "1"),
			"providers", sequence(mapping(
				"name", provider,
				"orgId", typed("!!int", "1"),
				"folder", DashboardFolder,
				"type", "file",
				"disableDeletion", typed("!!bool", "true"),
				"editable", typed("!!bool", "false"),
				"options", mapping("path", "/var/lib/grafana/dashboards/"+provider),
			)),
		)),
		"dashboards", mapping(provider, boards),
		// The sidecar route (kubernetes/grafana-dashboards.yaml) into the
		// same folder: the chart's sidecar reads the folder annotation
		// and makes its sub-folders Grafana folders (see FolderAnnotation).
		// ConfigMaps without the annotation, the chart's own dashboards
		// among them, stay in General as before.
		"sidecar", mapping("dashboards", mapping(
			"folderAnnotation", FolderAnnotation,
			"provider", mapping("foldersFromFilesStructure", typed("!!bool", "true")),
		)),
	)
}
