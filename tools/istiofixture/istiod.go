package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	networking "istio.io/api/networking/v1alpha3"

	"istio.io/istio/pilot/test/xds"
	"istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/schema/gvk"
	"istio.io/istio/pkg/monitoring"
)

// failer implements istio's test.Failer so that the fake discovery server
// (written for go test) runs in a plain binary.
type failer struct {
	mu       sync.Mutex
	cleanups []func()
}

func (f *failer) Fail()                          { log.Fatal("Fail called") }
func (f *failer) FailNow()                       { log.Fatal("FailNow called") }
func (f *failer) Fatal(args ...any)              { log.Fatal(args...) }
func (f *failer) Fatalf(format string, a ...any) { log.Fatalf(format, a...) }
func (f *failer) Log(args ...any)                { log.Print(args...) }
func (f *failer) Logf(format string, a ...any)   { log.Printf(format, a...) }
func (f *failer) Helper()                        {}
func (f *failer) Skip(args ...any)               { log.Fatal(args...) }
func (f *failer) TempDir() string {
	d, err := os.MkdirTemp("", "istio-fixture")
	if err != nil {
		log.Fatal(err)
	}
	f.Cleanup(func() { os.RemoveAll(d) })
	return d
}
func (f *failer) Cleanup(fn func()) { f.mu.Lock(); f.cleanups = append(f.cleanups, fn); f.mu.Unlock() }
func (f *failer) runCleanups() {
	f.mu.Lock()
	c := f.cleanups
	f.cleanups = nil
	f.mu.Unlock()
	for i := len(c) - 1; i >= 0; i-- {
		c[i]()
	}
}

const istioConfig = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: shop}
spec:
  hosts: [web.shop.svc.cluster.local]
  http:
  - timeout: 1s
    route:
    - destination: {host: web.shop.svc.cluster.local}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: payments-psp, namespace: payments}
spec:
  hosts: [api.psp.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 443, name: tls, protocol: TLS}]
`

func listen(addr string) net.Listener {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	return l
}

// runIstiod runs istiod's real discovery server (istio/istio
// pilot/test/xds/fake.go NewFakeDiscoveryServer: the real DiscoveryServer,
// push context, debounce and config store over a fake Kubernetes
// registry) on loopback, with istiod's Prometheus exporter
// (pkg/monitoring, the call pilot/pkg/bootstrap/monitoring.go makes) on
// /metrics, the DiscoveryServer debug mux on /debug/ (syncz is what
// istioctl proxy-status reads), its CA and injection webhook driven in
// process, the raw proxies and the agent processes of the scenario.
func runIstiod(sc Scenario, listenHost, manifestPath, logDir string) {
	exporter, err := monitoring.RegisterPrometheusExporter(nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	t := &failer{}
	defer t.runCleanups()

	pods := buildPods(sc)
	xdsL := listen(listenHost + ":0")
	fake := xds.NewFakeDiscoveryServer(t, xds.FakeOptions{
		KubernetesObjectString: kubeObjects(sc, pods),
		ConfigString:           istioConfig,
		ListenerBuilder:        func() (net.Listener, error) { return xdsL, nil },
		DebounceTime:           100 * time.Millisecond,
	})

	metricsMux := http.NewServeMux()
	metricsMux.Handle("/metrics", exporter)
	debugMux := http.NewServeMux()
	debugMux.Handle("/debug/", fake.DiscoveryDebug)
	ksmMux := http.NewServeMux()
	ksmMux.Handle("/metrics", ksmHandler(sc, pods))
	metricsL, debugL, ksmL := listen(listenHost+":0"), listen(listenHost+":0"), listen(listenHost+":0")
	for l, h := range map[net.Listener]http.Handler{metricsL: metricsMux, debugL: debugMux, ksmL: ksmMux} {
		go func() { _ = (&http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}).Serve(l) }()
	}

	epoch := time.Now()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	holdBallast(ctx, epoch, sc)

	switch sc.CA {
	case "istiod":
		startCA(ctx, sc.CSRFailEvery)
	case "none", "":
	default:
		log.Fatalf("unknown CA mode %q", sc.CA)
	}
	startInjector(ctx, fake, epoch, sc.InjectFailStart.D(), sc.InjectFailEnd.D())
	go churn(ctx, fake, sc.Churn.D())

	// Agents first: they take a second or two to start.
	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	var agents []*exec.Cmd
	var addrs []func() string
	for _, p := range pods {
		if p.Agent {
			cmd, addr := startAgent(self, xdsL.Addr().String(), listenHost, logDir, p, epoch)
			agents, addrs = append(agents, cmd), append(addrs, addr)
		}
	}
	for i, k := 0, 0; i < len(pods); i++ {
		if pods[i].Agent {
			pods[i].Metrics = addrs[k]()
			k++
		}
	}
	defer func() {
		for _, c := range agents {
			_ = c.Process.Signal(syscall.SIGTERM)
		}
		for _, c := range agents {
			_ = c.Wait()
		}
	}()
	var wg sync.WaitGroup
	n := 0
	for _, p := range pods {
		if p.Agent {
			continue
		}
		c := newADSClient(xdsL.Addr().String(), nodeFor(p), p.Kind, p.Start.D(), p.End.D(), epoch, sc.LagDelay.D(), time.Duration(n)*sc.Stagger.D())
		n++
		wg.Add(1)
		go func() { defer wg.Done(); c.run(ctx) }()
	}

	m := Manifest{Epoch: epoch, Scenario: sc, Istiod: metricsL.Addr().String(), Debug: debugL.Addr().String(),
		XDS: xdsL.Addr().String(), KSM: ksmL.Addr().String(), IstiodPod: sc.istiodPod(), Pods: pods}
	writeManifest(manifestPath, m)
	log.Printf("istiod up: metrics http://%s/metrics, syncz http://%s/debug/syncz, ksm http://%s/metrics, %d proxies, %d agents",
		m.Istiod, m.Debug, m.KSM, n, len(agents))

	done := make(chan os.Signal, 1)
	signalNotify(done)
	var timeout <-chan time.Time
	if sc.Duration > 0 {
		timeout = time.After(sc.Duration.D())
	}
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-done:
			stop()
			return
		case <-timeout:
			stop()
			return
		case <-tick.C:
			log.Printf("t=%v connected=%d", time.Since(epoch).Round(time.Second), connected.Load())
		}
	}
}

// ballast is the memory holdBallast keeps reachable.
var ballast [][]byte

// holdBallast allocates the scenario's heap ballast now and its extra at
// HeapBallastExtraAt, writing every page so it is resident too.
func holdBallast(ctx context.Context, epoch time.Time, sc Scenario) {
	grab := func(n int64) {
		if n <= 0 {
			return
		}
		b := make([]byte, n)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		ballast = append(ballast, b)
		log.Printf("holding %d bytes of heap ballast", n)
	}
	grab(sc.HeapBallast)
	if sc.HeapBallastExtra <= 0 {
		return
	}
	go func() {
		select {
		case <-ctx.Done():
		case <-time.After(time.Until(epoch.Add(sc.HeapBallastExtraAt.D()))):
			grab(sc.HeapBallastExtra)
		}
	}()
}

// writeManifest writes m atomically (the test polls for the file).
func writeManifest(path string, m Manifest) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		log.Fatal(err)
	}
	if path == "" || path == "-" {
		fmt.Println(string(b))
		return
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		log.Fatal(err)
	}
}

// startAgent runs this binary in agent mode for pod p; the function it
// returns waits for the address of the agent's /stats/prometheus.
func startAgent(self, istiod, host, logDir string, p Pod, epoch time.Time) (*exec.Cmd, func() string) {
	addrFile := filepath.Join(logDir, p.Name+".addr")
	_ = os.Remove(addrFile)
	args := []string{"-mode", "agent", "-istiod", istiod, "-listen", host,
		"-pod", p.Name, "-namespace", p.Namespace, "-ip", p.IP, "-node", p.NodeID,
		"-epoch", strconv.FormatInt(epoch.UnixNano(), 10), "-addr-file", addrFile}
	if p.Kind != "" {
		args = append(args, "-kind", p.Kind, "-from", p.Start.D().String(), "-until", p.End.D().String())
	}
	out, err := os.Create(filepath.Join(logDir, p.Name+".log"))
	if err != nil {
		log.Fatal(err)
	}
	cmd := exec.Command(self, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	return cmd, func() string {
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			if b, err := os.ReadFile(addrFile); err == nil && strings.TrimSpace(string(b)) != "" {
				return strings.TrimSpace(string(b))
			}
			time.Sleep(50 * time.Millisecond)
		}
		log.Fatalf("agent %s did not start; see %s", p.Name, out.Name())
		return ""
	}
}

// churn changes config every interval through the real config store:
// the debounced pushes reach every proxy, so one that stops ACKing falls
// behind (STALE) and a late ACK carries an expired nonce.
func churn(ctx context.Context, fake *xds.FakeDiscoveryServer, every time.Duration) {
	tk := time.NewTicker(every)
	defer tk.Stop()
	for i := 1; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		if i%2 == 0 {
			if vs := fake.Store().Get(gvk.VirtualService, "web", "shop"); vs != nil {
				c := vs.DeepCopy()
				c.Spec.(*networking.VirtualService).Http[0].Timeout.Seconds = int64(1 + i%5)
				if _, err := fake.Store().Update(c); err != nil {
					log.Printf("VirtualService update: %v", err)
				}
			}
			continue
		}
		_, err := fake.Store().Create(config.Config{
			Meta: config.Meta{GroupVersionKind: gvk.ServiceEntry, Name: fmt.Sprintf("churn-%d", i), Namespace: "catalog"},
			Spec: &networking.ServiceEntry{
				Hosts:      []string{fmt.Sprintf("churn-%d.example.com", i)},
				Location:   networking.ServiceEntry_MESH_EXTERNAL,
				Resolution: networking.ServiceEntry_DNS,
				Ports:      []*networking.ServicePort{{Number: 443, Name: "tls", Protocol: "TLS"}},
			},
		})
		if err != nil {
			log.Printf("ServiceEntry create: %v", err)
		}
	}
}
