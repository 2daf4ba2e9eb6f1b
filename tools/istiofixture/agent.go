package main

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	meshconfig "istio.io/api/mesh/v1alpha1"
	"istio.io/istio/pkg/config/mesh"
	"istio.io/istio/pkg/envoy"
	istioagent "istio.io/istio/pkg/istio-agent"
	"istio.io/istio/pkg/monitoring"
	"istio.io/istio/pkg/security"
)

type noopSDS struct{}

func (noopSDS) OnSecretUpdate(string) {}
func (noopSDS) Stop()                 {}

// agentOptions say which pod the agent stands for and what its kind does.
type agentOptions struct {
	istiod, listenHost, addrFile string
	pod                          Pod
	epoch                        time.Time
}

// runAgent runs the real istio-agent (istio/istio pkg/istio-agent: the
// xDS proxy pilot-agent runs beside Envoy) with a fake Envoy on its Unix
// socket, and serves the agent's metrics as pilot-agent's status server
// does on :15020/stats/prometheus (pilot/cmd/pilot-agent/status/server.go
// initializeMonitoring: prefix istio_agent_, Go and process collectors).
// Between the agent and istiod sits a gate: for kind "unreachable" it cuts
// every upstream connection and refuses new ones inside the window, as a
// network partition or a down istiod Service would. For "silent" the fake
// Envoy stops ACKing inside the window; for "nack" it NACKs.
func runAgent(o agentOptions) {
	reg := prometheus.NewRegistry()
	wrapped := prometheus.WrapRegistererWithPrefix("istio_agent_", reg)
	wrapped.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	wrapped.MustRegister(collectors.NewGoCollector())
	if _, err := monitoring.RegisterPrometheusExporter(wrapped, reg); err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/stats/prometheus", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	ml := listen(o.listenHost + ":0")
	go func() { _ = (&http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}).Serve(ml) }()

	g := &gate{upstream: o.istiod}
	gl := listen(o.listenHost + ":0")
	go g.serve(gl)
	if o.pod.Kind == KindUnreachable {
		go func() {
			time.Sleep(time.Until(o.epoch.Add(o.pod.Start.D())))
			log.Printf("istiod unreachable from now")
			g.block(true)
			time.Sleep(time.Until(o.epoch.Add(o.pod.End.D())))
			log.Printf("istiod reachable again")
			g.block(false)
		}()
	}

	dir, err := os.MkdirTemp("", "istio-fixture-agent")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	_ = os.Chdir(dir) // the agent's SDS socket path is relative: ./var/run/secrets/...
	pc := mesh.DefaultProxyConfig()
	pc.DiscoveryAddress = gl.Addr().String()
	pc.ControlPlaneAuthPolicy = meshconfig.AuthenticationPolicy_NONE
	uds := filepath.Join(dir, "XDS")
	ia := istioagent.NewAgent(pc, &istioagent.AgentOptions{
		XdsUdsPath:                 uds,
		WorkloadIdentitySocketFile: security.DefaultWorkloadIdentitySocketFile,
		ProxyIPAddresses:           []string{o.pod.IP},
		SDSFactory: func(*security.Options, security.SecretManager, *meshconfig.PrivateKeyProvider) istioagent.SDSService {
			return noopSDS{}
		},
	}, &security.Options{FileMountedCerts: true, ClusterID: "Kubernetes"}, envoy.ProxyConfig{TestOnly: true})
	if _, err := ia.Run(context.Background()); err != nil {
		log.Fatalf("agent run: %v", err)
	}
	if err := os.WriteFile(o.addrFile+".tmp", []byte(ml.Addr().String()), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.Rename(o.addrFile+".tmp", o.addrFile); err != nil {
		log.Fatal(err)
	}
	log.Printf("agent %s/%s up: uds=%s istiod=%s via gate %s, metrics http://%s/stats/prometheus",
		o.pod.Namespace, o.pod.Name, uds, o.istiod, gl.Addr(), ml.Addr())

	// The fake Envoy; an unreachable istiod is the gate's business, so it
	// ACKs like a healthy Envoy then.
	kind := o.pod.Kind
	if kind == KindUnreachable {
		kind = KindAck
	}
	envoyClient := newADSClient("unix://"+uds, nodeFor(o.pod), kind, o.pod.Start.D(), o.pod.End.D(), o.epoch, 7*time.Second, 0)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan os.Signal, 1)
	signalNotify(done)
	go func() { <-done; stop() }()
	envoyClient.run(ctx)
}

// gate is a TCP relay to istiod that can be closed.
type gate struct {
	upstream string
	mu       sync.Mutex
	blocked  bool
	conns    map[net.Conn]struct{}
}

func (g *gate) block(b bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.blocked = b
	if b {
		for c := range g.conns {
			_ = c.Close()
		}
		g.conns = nil
	}
}

func (g *gate) serve(l net.Listener) {
	for {
		down, err := l.Accept()
		if err != nil {
			return
		}
		g.mu.Lock()
		if g.blocked {
			g.mu.Unlock()
			_ = down.Close()
			continue
		}
		up, err := net.DialTimeout("tcp", g.upstream, 5*time.Second)
		if err != nil {
			g.mu.Unlock()
			_ = down.Close()
			continue
		}
		if g.conns == nil {
			g.conns = map[net.Conn]struct{}{}
		}
		g.conns[down], g.conns[up] = struct{}{}, struct{}{}
		g.mu.Unlock()
		go func() { _, _ = io.Copy(up, down); _ = up.Close(); _ = down.Close() }()
		go func() { _, _ = io.Copy(down, up); _ = up.Close(); _ = down.Close() }()
	}
}
