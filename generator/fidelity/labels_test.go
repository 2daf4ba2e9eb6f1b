package fidelity

// Every scrape label set of the harness is here, and only here: another
// helper derives the exact sets kube-prometheus-stack and meshslo's
// generated ServiceMonitor/PodMonitor produce, to be swapped in.

// scrapeTarget is one static target as the scrape config gives it.
type scrapeTarget struct {
	// Job is the scrape config's job_name (unique); the job label itself,
	// if set, is in Labels.
	Job         string
	Path        string
	HonorLabels bool
	Address     string
	Labels      map[string]string
}

// istiodTarget: the istiod Service's http-monitoring endpoint
// (:15014/metrics), as the ServiceMonitor for istiod labels it.
func istiodTarget(addr, pod string) scrapeTarget {
	return scrapeTarget{Job: "istiod", Path: "/metrics", Address: addr, Labels: map[string]string{
		"job": "istiod", "namespace": "istio-system", "pod": pod, "container": "discovery",
		"service": "istiod", "endpoint": "http-monitoring", "app": "istiod", "istio_io_rev": "default",
	}}
}

// proxyTarget: one sidecar's merged agent+Envoy endpoint
// (:15020/stats/prometheus), as the PodMonitor for proxies labels it.
func proxyTarget(addr, namespace, pod string) scrapeTarget {
	return scrapeTarget{Job: "istio-proxies", Path: "/stats/prometheus", Address: addr, Labels: map[string]string{
		"job": "monitoring/istio-proxies", "namespace": namespace, "pod": pod,
		"container": "istio-proxy", "endpoint": "http-envoy-prom",
	}}
}

// ksmTarget: kube-state-metrics as the chart's ServiceMonitor scrapes it,
// with honor_labels, so its series keep the object's namespace, pod and
// container rather than those of the kube-state-metrics pod
// (prometheus-community/helm-charts charts/kube-prometheus-stack/values.yaml,
// chart 88.5.3: kube-state-metrics.prometheus.monitor.http.honorLabels: true;
// job from jobLabel app.kubernetes.io/name,
// charts/kube-state-metrics/templates/servicemonitor.yaml).
func ksmTarget(addr string) scrapeTarget {
	return scrapeTarget{Job: "kube-state-metrics", Path: "/metrics", HonorLabels: true, Address: addr, Labels: map[string]string{
		"job": "kube-state-metrics", "namespace": "monitoring", "pod": "kube-prometheus-stack-kube-state-metrics-6d5c8b7f4-h2k9w",
		"container": "kube-state-metrics", "service": "kube-prometheus-stack-kube-state-metrics", "endpoint": "http",
	}}
}

// revisionTarget: the istiod of a revision other than default, as the same
// ServiceMonitor labels it: the Service istiod-<rev> and its istio.io/rev
// (istio/istio manifests/charts/istio-control/istio-discovery/templates/
// service.yaml). Each revision is its own static job of the harness; the
// job label stays the ServiceMonitor's (jobLabel app).
func revisionTarget(addr, pod, rev string) scrapeTarget {
	tg := istiodTarget(addr, pod)
	tg.Job = "istiod-" + rev
	tg.Labels["service"] = "istiod-" + rev
	tg.Labels["istio_io_rev"] = rev
	return tg
}
