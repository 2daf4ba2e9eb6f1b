package scrapelabels

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// The cluster the discovery runs over: the objects Istio's charts, the
// kubelet and kube-prometheus-stack create, written as the API server would
// hold them. Labels, container names and ports come from the charts cited
// beside each; names, IPs and uids are made up.

func port(name string, n int32) corev1.ContainerPort {
	return corev1.ContainerPort{Name: name, ContainerPort: n, Protocol: corev1.ProtocolTCP}
}

func running(p *corev1.Pod, ip string) *corev1.Pod {
	p.Spec.NodeName = "node-a"
	p.Status = corev1.PodStatus{
		Phase: corev1.PodRunning, PodIP: ip, HostIP: "10.0.0.10",
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
	}
	return p
}

func pod(ns, name, uid string, labels map[string]string, controller string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
		Namespace: ns, Name: name, UID: types.UID(uid), Labels: labels,
		OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: controller, Controller: ptr.To(true), APIVersion: "apps/v1"}},
	}}
}

// istiodService is the Service of istio-discovery's templates/service.yaml
// (revision "" gives istiod with istio.io/rev "default"), or with a tag
// the one of templates/revision-tags-svc.yaml.
func istiodService(name, rev, tag string) *corev1.Service {
	labels := map[string]string{
		"app": "istiod", "istio": "pilot", "istio.io/rev": rev, "release": "istiod",
		"app.kubernetes.io/name": "istiod", "operator.istio.io/component": "Pilot",
		"install.operator.istio.io/owning-resource": "unknown",
	}
	if tag != "" {
		labels["istio.io/tag"] = tag
	}
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "istio-system", Name: name, Labels: labels},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "istiod", "istio.io/rev": rev},
			Ports: []corev1.ServicePort{
				{Name: "grpc-xds", Port: 15010, Protocol: corev1.ProtocolTCP},
				{Name: "https-dns", Port: 15012, Protocol: corev1.ProtocolTCP},
				{Name: "https-webhook", Port: 443, Protocol: corev1.ProtocolTCP},
				{Name: "http-monitoring", Port: 15014, Protocol: corev1.ProtocolTCP},
			},
		},
	}
}

// istiodPod is a pod of istio-discovery's templates/deployment.yaml: its
// container discovery declares 8080, 15010, 15017 (and 15014 is served
// but not declared).
func istiodPod(name, uid, rev, ip string) *corev1.Pod {
	p := pod("istio-system", name, uid, map[string]string{
		"app": "istiod", "istio": "pilot", "istio.io/rev": rev, "sidecar.istio.io/inject": "false",
		"operator.istio.io/component": "Pilot", "istio.io/dataplane-mode": "none",
	}, name[:len(name)-6])
	p.Spec.Containers = []corev1.Container{{
		Name: "discovery", Image: "docker.io/istio/pilot:1.31.0",
		Ports: []corev1.ContainerPort{port("", 8080), port("", 15010), port("", 15017)},
	}}
	return running(p, ip)
}

func slice(svc *corev1.Service, ports []discoveryv1.EndpointPort, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: svc.Namespace, Name: svc.Name + "-abcde",
			Labels: map[string]string{discoveryv1.LabelServiceName: svc.Name, discoveryv1.LabelManagedBy: "endpointslice-controller.k8s.io"},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       ports,
		Endpoints:   eps,
	}
}

func epPort(name string, n int32) discoveryv1.EndpointPort {
	return discoveryv1.EndpointPort{Name: ptr.To(name), Port: ptr.To(n), Protocol: ptr.To(corev1.ProtocolTCP)}
}

func podEndpoint(p *corev1.Pod) discoveryv1.Endpoint {
	return discoveryv1.Endpoint{
		Addresses:  []string{p.Status.PodIP},
		Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true), Serving: ptr.To(true), Terminating: ptr.To(false)},
		NodeName:   ptr.To(p.Spec.NodeName),
		TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID},
	}
}

func istiodPorts() []discoveryv1.EndpointPort {
	return []discoveryv1.EndpointPort{epPort("grpc-xds", 15010), epPort("https-dns", 15012), epPort("https-webhook", 15017), epPort("http-monitoring", 15014)}
}

// A sidecar-injected application pod (istio-discovery
// files/injection-template.yaml: istio-init, then istio-proxy declaring
// 15090 http-envoy-prom). native makes istio-proxy an init container with
// restartPolicy Always, as injection does on Kubernetes 1.33+ since 1.27.
func appPod(ns, name, uid, app, ip string, native bool) *corev1.Pod {
	p := pod(ns, name, uid, map[string]string{
		"app": app, "version": "v1", "security.istio.io/tlsMode": "istio",
		"service.istio.io/canonical-name": app, "service.istio.io/canonical-revision": "v1",
		"pod-template-hash": name[len(name)-16 : len(name)-6],
	}, name[:len(name)-6])
	p.Annotations = map[string]string{
		"prometheus.io/path": "/stats/prometheus", "prometheus.io/port": "15020", "prometheus.io/scrape": "true",
		"sidecar.istio.io/status": `{"initContainers":["istio-init"],"containers":["istio-proxy"]}`,
		// The injector annotates the pod with the revision that injected
		// it ("default" without one): istio/istio manifests/charts/
		// istio-control/istio-discovery/files/injection-template.yaml,
		// metadata.annotations istio.io/rev: {{ .Revision | default "default" }}.
		"istio.io/rev": "default",
	}
	proxy := corev1.Container{Name: "istio-proxy", Image: "docker.io/istio/proxyv2:1.31.0", Ports: []corev1.ContainerPort{port("http-envoy-prom", 15090)}}
	appC := corev1.Container{Name: app, Image: "example.com/" + app + ":1.0", Ports: []corev1.ContainerPort{port("http", 8080)}}
	p.Spec.InitContainers = []corev1.Container{{Name: "istio-init", Image: "docker.io/istio/proxyv2:1.31.0"}}
	if native {
		proxy.RestartPolicy = ptr.To(corev1.ContainerRestartPolicyAlways)
		p.Spec.InitContainers = append(p.Spec.InitContainers, proxy)
		p.Spec.Containers = []corev1.Container{appC}
	} else {
		p.Spec.Containers = []corev1.Container{appC, proxy}
	}
	return running(p, ip)
}

// gatewayPod is a pod of Istio's gateway chart (charts/gateway
// templates/deployment.yaml): container istio-proxy, 15090 http-envoy-prom.
func gatewayPod() *corev1.Pod {
	p := pod("istio-ingress", "istio-ingressgateway-6d5f8c9b7d-h7j2k", "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
		map[string]string{"app": "istio-ingressgateway", "istio": "ingressgateway", "sidecar.istio.io/inject": "true",
			"service.istio.io/canonical-name": "istio-ingressgateway"}, "istio-ingressgateway-6d5f8c9b7d")
	p.Annotations = map[string]string{"prometheus.io/path": "/stats/prometheus", "prometheus.io/port": "15020", "prometheus.io/scrape": "true"}
	p.Spec.Containers = []corev1.Container{{Name: "istio-proxy", Image: "docker.io/istio/proxyv2:1.31.0",
		Ports: []corev1.ContainerPort{port("http-envoy-prom", 15090)}}}
	return running(p, "10.244.2.7")
}

// waypointPod is a waypoint of istio-discovery files/waypoint.yaml:
// istio-proxy declares 15020 metrics, 15021 status-port, 15090
// http-envoy-prom.
func waypointPod() *corev1.Pod {
	p := pod("shop", "waypoint-7b9c5d4f6-r8t2w", "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a",
		map[string]string{"gateway.networking.k8s.io/gateway-name": "waypoint", "gateway.istio.io/managed": "istio.io-mesh-controller",
			"istio.io/dataplane-mode": "none", "service.istio.io/canonical-name": "waypoint"}, "waypoint-7b9c5d4f6")
	p.Annotations = map[string]string{"prometheus.io/path": "/stats/prometheus", "prometheus.io/port": "15020", "prometheus.io/scrape": "true"}
	p.Spec.Containers = []corev1.Container{{Name: "istio-proxy", Image: "docker.io/istio/proxyv2:1.31.0",
		Ports: []corev1.ContainerPort{port("metrics", 15020), port("status-port", 15021), port("http-envoy-prom", 15090)}}}
	return running(p, "10.244.1.9")
}

// ztunnelPod is a pod of charts/ztunnel templates/daemonset.yaml:
// container istio-proxy declaring only 15020 ztunnel-stats (/metrics).
func ztunnelPod() *corev1.Pod {
	p := pod("istio-system", "ztunnel-4kq9x", "3e4f5a6b-7c8d-4e9f-0a1b-2c3d4e5f6a7b",
		map[string]string{"app": "ztunnel", "app.kubernetes.io/name": "ztunnel", "sidecar.istio.io/inject": "false", "istio.io/dataplane-mode": "none"}, "ztunnel")
	p.OwnerReferences[0].Kind = "DaemonSet"
	p.Annotations = map[string]string{"prometheus.io/port": "15020", "prometheus.io/scrape": "true"}
	p.Spec.Containers = []corev1.Container{{Name: "istio-proxy", Image: "docker.io/istio/ztunnel:1.31.0",
		Ports: []corev1.ContainerPort{port("ztunnel-stats", 15020)}}}
	return running(p, "10.244.1.2")
}

// The kubelet Service the operator maintains (--kubelet-service; the
// chart's kube-system/<release>-kubelet, labels k8s-app: kubelet and
// app.kubernetes.io/name: kubelet, ports https-metrics 10250, http-metrics
// 10255, cadvisor 4194), its endpoints the nodes.
func kubeletObjects() []runtime.Object {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "kube-prometheus-stack-kubelet",
			Labels: map[string]string{"k8s-app": "kubelet", "app.kubernetes.io/name": "kubelet", "app.kubernetes.io/managed-by": "prometheus-operator"}},
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Ports: []corev1.ServicePort{
			{Name: "https-metrics", Port: 10250}, {Name: "http-metrics", Port: 10255}, {Name: "cadvisor", Port: 4194}}},
	}
	ep := slice(svc, []discoveryv1.EndpointPort{epPort("https-metrics", 10250), epPort("http-metrics", 10255), epPort("cadvisor", 4194)},
		discoveryv1.Endpoint{Addresses: []string{"10.0.0.10"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
			TargetRef: &corev1.ObjectReference{Kind: "Node", Name: "node-a"}})
	ep.Labels[discoveryv1.LabelManagedBy] = "prometheus-operator"
	return []runtime.Object{svc, ep}
}

// kube-state-metrics as its chart (charts/kube-state-metrics 8.4.0)
// deploys it under kube-prometheus-stack: Service port http 8080.
func ksmObjects() []runtime.Object {
	labels := map[string]string{
		"app.kubernetes.io/name": "kube-state-metrics", "app.kubernetes.io/instance": "kube-prometheus-stack",
		"app.kubernetes.io/component": "metrics", "app.kubernetes.io/part-of": "kube-state-metrics",
		"app.kubernetes.io/managed-by": "Helm", "release": "kube-prometheus-stack", "app.kubernetes.io/version": "2.20.0",
		"helm.sh/chart": "kube-state-metrics-8.4.0",
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "monitoring", Name: "kube-prometheus-stack-kube-state-metrics", Labels: labels},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app.kubernetes.io/name": "kube-state-metrics", "app.kubernetes.io/instance": "kube-prometheus-stack"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 8080}}},
	}
	p := pod("monitoring", "kube-prometheus-stack-kube-state-metrics-6b8f7d9c5-m2n4p", "4f5a6b7c-8d9e-4f0a-1b2c-3d4e5f6a7b8c", labels,
		"kube-prometheus-stack-kube-state-metrics-6b8f7d9c5")
	p.Spec.Containers = []corev1.Container{{Name: "kube-state-metrics", Image: "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.20.0",
		Ports: []corev1.ContainerPort{port("http", 8080)}}}
	running(p, "10.244.0.12")
	return []runtime.Object{svc, p, slice(svc, []discoveryv1.EndpointPort{epPort("http", 8080)}, podEndpoint(p))}
}

// endpoints is the core/v1 Endpoints the endpoints controller mirrors from
// the same Service: kube-prometheus-stack's Prometheus sets no
// serviceDiscoveryRole, so the operator generates role endpoints
// (pkg/prometheus/promcfg.go endpointRoleFlavor).
func endpoints(s *discoveryv1.EndpointSlice) *corev1.Endpoints {
	var sub corev1.EndpointSubset
	for _, p := range s.Ports {
		sub.Ports = append(sub.Ports, corev1.EndpointPort{Name: *p.Name, Port: *p.Port, Protocol: *p.Protocol})
	}
	for _, e := range s.Endpoints {
		sub.Addresses = append(sub.Addresses, corev1.EndpointAddress{IP: e.Addresses[0], NodeName: e.NodeName, TargetRef: e.TargetRef})
	}
	name := s.Labels[discoveryv1.LabelServiceName]
	return &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: name}, Subsets: []corev1.EndpointSubset{sub}}
}

// cluster is every object, and the pod each source's samples are scraped
// from.
func cluster() (objects []runtime.Object) {
	istiod := istiodService("istiod", "default", "")
	canary := istiodService("istiod-1-31", "1-31", "")
	tag := istiodService("istiod-revision-tag-stable", "default", "stable")
	p1 := istiodPod("istiod-7f9d8c6b5-abcde", "5a6b7c8d-9e0f-4a1b-2c3d-4e5f6a7b8c9d", "default", "10.244.0.5")
	p2 := istiodPod("istiod-1-31-6c8b7d5f4-fghij", "6b7c8d9e-0f1a-4b2c-3d4e-5f6a7b8c9d0e", "1-31", "10.244.0.6")
	objects = append(objects, istiod, canary, tag, p1, p2,
		slice(istiod, istiodPorts(), podEndpoint(p1)),
		slice(canary, istiodPorts(), podEndpoint(p2)),
		slice(tag, istiodPorts(), podEndpoint(p1)),
		appPod("shop", "checkout-7c9d8b6f4d-x2k8p", "6f1c2a7e-0d4b-4b8e-9a51-2f0c3d9e8b11", "checkout", "10.244.1.4", false),
		appPod("payments", "ledger-5b7f9c8d6-q4m2z", "8a2d4c1f-3e5b-4a9c-8d7e-1b2c3d4e5f60", "ledger", "10.244.1.5", true),
		gatewayPod(), waypointPod(), ztunnelPod(),
	)
	objects = append(objects, kubeletObjects()...)
	objects = append(objects, ksmObjects()...)
	for _, o := range objects {
		if s, ok := o.(*discoveryv1.EndpointSlice); ok {
			objects = append(objects, endpoints(s))
		}
	}
	return objects
}
