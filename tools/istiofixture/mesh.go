package main

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// IstiodPod is the pod name the fixture's istiod stands for.
const IstiodPod = "istiod-5d8f6c7b9-q2x7z"

// buildPods lays out the fake mesh: Proxies raw ADS clients, then Agents
// pods behind real istio-agents, spread over the namespaces, each given
// the kind of the phase that claims it (phases take pods in order).
func buildPods(sc Scenario) []Pod {
	var pods []Pod
	for i := range sc.Proxies + sc.Agents {
		agent := i >= sc.Proxies
		ns := sc.Namespaces[i%len(sc.Namespaces)]
		app := apps[i%len(apps)]
		ip := fmt.Sprintf("10.1.%d.%d", i/250, i%250+1)
		if agent {
			ip = fmt.Sprintf("10.2.0.%d", i-sc.Proxies+1)
		}
		name := fmt.Sprintf("%s-%s-%s", app, hash("rs"+ns+app+sc.Revision, 9), hash(fmt.Sprint("pod", i), 5))
		pods = append(pods, Pod{
			Namespace: ns, Name: name, IP: ip,
			NodeID: fmt.Sprintf("sidecar~%s~%s.%s~%s.svc.cluster.local", ip, name, ns, ns),
			Native: sc.NativeEvery > 0 && i%sc.NativeEvery == sc.NativeEvery-1,
			Agent:  agent,
		})
	}
	nextProxy, nextAgent := 0, sc.Proxies
	for _, ph := range sc.Phases {
		for range ph.Proxies {
			pods[nextProxy].Kind, pods[nextProxy].Start, pods[nextProxy].End = ph.Kind, ph.Start, ph.End
			nextProxy++
		}
		for range ph.Agents {
			pods[nextAgent].Kind, pods[nextAgent].Start, pods[nextAgent].End = ph.Kind, ph.Start, ph.End
			nextAgent++
		}
	}
	return pods
}

var apps = []string{"web", "cart", "ledger", "search", "reviews"}

func appOf(p Pod) string { return p.Name[:strings.IndexByte(p.Name, '-')] }

// hash is a short lower-case alphanumeric string, as in Kubernetes names.
func hash(s string, n int) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	sum := sha256.Sum256([]byte(s))
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[int(sum[i])%len(alphabet)]
	}
	return string(b)
}

// kubeObjects are the Kubernetes objects istiod's fake registry holds: the
// namespaces, one Service per app and namespace, and a Running pod per
// proxy, so istiod builds inbound listeners for each as for a sidecar.
func kubeObjects(sc Scenario, pods []Pod) string {
	var b strings.Builder
	for _, ns := range sc.Namespaces {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n", ns)
		for i, app := range apps {
			fmt.Fprintf(&b, `---
apiVersion: v1
kind: Service
metadata: {name: %s, namespace: %s}
spec:
  clusterIP: 10.96.%d.%d
  selector: {app: %s}
  ports: [{name: http, port: 8080, targetPort: 8080}]
`, app, ns, indexOf(sc.Namespaces, ns), i+10, app)
		}
	}
	for _, p := range pods {
		fmt.Fprintf(&b, `---
apiVersion: v1
kind: Pod
metadata:
  name: %s
  namespace: %s
  labels: {app: %s}
spec:
  serviceAccountName: %s
  containers: [{name: app, image: app}]
status:
  phase: Running
  podIP: %s
  podIPs: [{ip: %s}]
  conditions: [{type: Ready, status: "True"}]
`, p.Name, p.Namespace, appOf(p), appOf(p), p.IP, p.IP)
	}
	return b.String()
}

func indexOf(xs []string, x string) int {
	for i, y := range xs {
		if y == x {
			return i
		}
	}
	return -1
}

// ksmHandler serves what kube-state-metrics exports for these pods, in its
// format and label names (kubernetes/kube-state-metrics
// internal/store/pod.go, createPodContainerInfoFamilyGenerator and
// createPodInitContainerInfoFamilyGenerator; expositions in
// internal/store/pod_test.go): namespace, pod, uid, container, image,
// image_spec, image_id, container_id, and restart_policy on init
// containers. A native sidecar is an init container with restartPolicy
// Always; a classic one a container. Every namespace also holds one pod
// without a sidecar, and istiod's own pod is listed.
func ksmHandler(sc Scenario, pods []Pod) http.Handler {
	var containers, inits, running, initRunning []string
	add := func(list *[]string, ns, pod, container, image string, extra string) {
		uid := uuidOf(ns + "/" + pod)
		// kube_pod_container_status_running{namespace,pod,uid,container}
		// (kube-state-metrics internal/store/pod.go): every container runs.
		r := &running
		if list == &inits {
			r = &initRunning
		}
		*r = append(*r, fmt.Sprintf(`{namespace=%q,pod=%q,uid=%q,container=%q} 1`, ns, pod, uid, container))
		*list = append(*list, fmt.Sprintf(
			`{namespace=%q,pod=%q,uid=%q,container=%q,image_spec=%q,image=%q,image_id=%q,container_id=%q%s} 1`,
			ns, pod, uid, container, image, image, "docker.io/"+image+"@sha256:"+hash(image, 12),
			"containerd://"+fmt.Sprintf("%x", sha256.Sum256([]byte(uid+container)))[:64], extra))
	}
	const proxyImage = "docker.io/istio/proxyv2:1.31.0"
	for _, p := range pods {
		add(&containers, p.Namespace, p.Name, "app", "registry.example.com/"+appOf(p)+":1.4.2", "")
		if p.Native {
			add(&inits, p.Namespace, p.Name, "istio-proxy", proxyImage, `,restart_policy="Always"`)
		} else {
			add(&containers, p.Namespace, p.Name, "istio-proxy", proxyImage, "")
		}
	}
	for _, ns := range sc.Namespaces {
		add(&containers, ns, "nightly-report-29410560-"+hash(ns, 5), "report", "registry.example.com/report:2.0.0", "")
	}
	add(&containers, "istio-system", sc.istiodPod(), "discovery", "docker.io/istio/pilot:1.31.0", "")
	sort.Strings(containers)
	sort.Strings(inits)
	var b strings.Builder
	b.WriteString("# HELP kube_pod_container_info [STABLE] Information about a container in a pod.\n# TYPE kube_pod_container_info gauge\n")
	for _, l := range containers {
		b.WriteString("kube_pod_container_info" + l + "\n")
	}
	b.WriteString("# HELP kube_pod_init_container_info [STABLE] Information about an init container in a pod.\n# TYPE kube_pod_init_container_info gauge\n")
	for _, l := range inits {
		b.WriteString("kube_pod_init_container_info" + l + "\n")
	}
	sort.Strings(running)
	sort.Strings(initRunning)
	b.WriteString("# HELP kube_pod_container_status_running [STABLE] Describes whether the container is currently in running state.\n# TYPE kube_pod_container_status_running gauge\n")
	for _, l := range running {
		b.WriteString("kube_pod_container_status_running" + l + "\n")
	}
	b.WriteString("# HELP kube_pod_init_container_status_running [STABLE] Describes whether the init container is currently in running state.\n# TYPE kube_pod_init_container_status_running gauge\n")
	for _, l := range initRunning {
		b.WriteString("kube_pod_init_container_status_running" + l + "\n")
	}
	body := []byte(b.String())
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_, _ = w.Write(body)
	})
}

func uuidOf(s string) string {
	h := fmt.Sprintf("%x", sha256.Sum256([]byte(s)))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
