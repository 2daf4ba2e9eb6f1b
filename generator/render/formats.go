package render

import (
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
// additionalPrometheusRulesMap, for a values file passed with -f.
func HelmValues(c *config.Config, files []rules.File) ([]byte, error) {
	root := mapping("additionalPrometheusRulesMap", mapping(
		ResourceName(c), mapping("groups", groupsNode(files)),
	))
	return encode(Header(c.Profile.Metadata.Name)+
		"\nUse with: helm upgrade --install kube-prometheus-stack prometheus-community/kube-prometheus-stack -f kube-prometheus-stack.values.yaml", root)
}
