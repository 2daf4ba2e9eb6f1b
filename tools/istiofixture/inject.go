package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"istio.io/istio/pilot/test/xds"
	"istio.io/istio/pkg/kube/inject"
	"istio.io/istio/pkg/kube/multicluster"
)

const injectTemplates = `policy: enabled
defaultTemplates: [sidecar]
templates:
  sidecar: |
    spec:
      initContainers:
      - name: istio-init
        image: docker.io/istio/proxyv2:1.31.0
      containers:
      - name: istio-proxy
        image: docker.io/istio/proxyv2:1.31.0
`

func admissionReview(uid string) []byte {
	pod := corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-" + uid, Namespace: "shop"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app"}}},
	}
	raw, _ := json.Marshal(&pod)
	b, _ := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{Kind: "AdmissionReview", APIVersion: "admission.k8s.io/v1"},
		Request: &admissionv1.AdmissionRequest{
			UID: types.UID("uid-" + uid), Namespace: "shop", Operation: admissionv1.Create,
			Kind:   metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Object: runtime.RawExtension{Raw: raw},
		},
	})
	return b
}

// startInjector builds istiod's sidecar injection webhook (istio/istio
// pkg/kube/inject/webhook.go) on a mux and posts it an AdmissionReview
// every second, as the API server does for each new pod; inside
// [failFrom, failUntil) the bodies cannot be decoded, which the webhook
// counts in sidecar_injection_failure_total.
func startInjector(ctx context.Context, fake *xds.FakeDiscoveryServer, epoch time.Time, failFrom, failUntil time.Duration) {
	dir, err := os.MkdirTemp("", "istio-fixture-inject")
	if err != nil {
		log.Fatal(err)
	}
	cfg, vals := filepath.Join(dir, "config"), filepath.Join(dir, "values")
	_ = os.WriteFile(cfg, []byte(injectTemplates), 0o644)
	_ = os.WriteFile(vals, []byte("{}"), 0o644)
	w, err := inject.NewFileWatcher(cfg, vals)
	if err != nil {
		log.Fatalf("inject watcher: %v", err)
	}
	mux := http.NewServeMux()
	if _, err := inject.NewWebhook(inject.WebhookParameters{
		Watcher: w, Env: fake.Env(), Mux: mux, MultiCluster: multicluster.NewFakeController(),
	}); err != nil {
		log.Fatalf("inject webhook: %v", err)
	}
	go func() {
		defer os.RemoveAll(dir)
		for i := 0; sleep(ctx, time.Second); i++ {
			body := admissionReview(hash(time.Now().String(), 5))
			if t := time.Since(epoch); t >= failFrom && t < failUntil {
				body = []byte("{not an AdmissionReview")
			}
			req := httptest.NewRequest(http.MethodPost, "http://istiod.istio-system.svc:443/inject", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			mux.ServeHTTP(httptest.NewRecorder(), req)
		}
	}()
}
