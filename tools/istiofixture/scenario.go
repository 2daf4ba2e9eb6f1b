package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// Failure kinds. A proxy behaves as "ack" outside its window.
const (
	KindAck        = "ack"        // ACK every push (healthy)
	KindNack       = "nack"       // NACK every LDS and CDS push with error_detail
	KindLag        = "lag"        // ACK each push late, with a nonce istiod has already replaced
	KindSilent     = "silent"     // stop ACKing, keep the stream open
	KindDisconnect = "disconnect" // close the stream, reconnect when the window ends
	// Agent-only: istiod's address is blocked for that agent (the agent's
	// upstream connections are cut and new ones refused).
	KindUnreachable = "unreachable"
)

// Duration is a time.Duration written as "30s" in JSON.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	*d = Duration(v)
	return err
}

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Phase is one failure kind, for Proxies raw ADS clients and Agents real
// istio-agents, from Start to End after the scenario's epoch.
type Phase struct {
	Kind    string   `json:"kind"`
	Proxies int      `json:"proxies"`
	Agents  int      `json:"agents"`
	Start   Duration `json:"start"`
	End     Duration `json:"end"`
}

// Scenario is what the fixture runs; see defaultScenario.
type Scenario struct {
	// Proxies is the number of raw ADS clients (Envoy stand-ins talking to
	// istiod directly); Agents the number of real istio-agent processes,
	// each with a fake Envoy behind it.
	Proxies int `json:"proxies"`
	Agents  int `json:"agents"`
	// Stagger is the delay between two proxies' first connections: istiod
	// rate-limits new xDS streams to 15 + 5 x GOMAXPROCS per second
	// (PILOT_MAX_REQUESTS_PER_SECOND, istio/istio pilot/pkg/features/tuning.go).
	Stagger Duration `json:"stagger"`
	// Churn is the interval between config changes (each one a push).
	Churn Duration `json:"churn"`
	// LagDelay is how late a "lag" proxy ACKs; above Churn its nonces expire.
	LagDelay Duration `json:"lagDelay"`
	// NativeEvery: every NativeEvery-th pod runs istio-proxy as a native
	// sidecar (an init container with restartPolicy Always).
	NativeEvery int `json:"nativeEvery"`
	// Namespaces the pods are spread over.
	Namespaces []string `json:"namespaces"`
	// CA is "istiod" (istiod's self-signed CA signs CSRs, every
	// CSRFailEvery-th one fails) or "none" (an external CA: no citadel_*).
	CA           string `json:"ca"`
	CSRFailEvery int    `json:"csrFailEvery"`
	// InjectFail is a window in which injection requests fail.
	InjectFailStart Duration `json:"injectFailStart"`
	InjectFailEnd   Duration `json:"injectFailEnd"`
	Phases          []Phase  `json:"phases"`
	// Duration after which the fixture exits (0: run until SIGTERM).
	Duration Duration `json:"duration"`
	// Revision is the istio.io/rev this istiod stands for ("" or
	// "default": the default revision). It names the istiod pod
	// (istiod-<rev>-..., as the Deployment istiod-<rev> names it) and
	// seeds the proxies' pod names, so that two fixtures run side by side
	// as two revisions of one mesh, each with its own proxies.
	Revision string `json:"revision,omitempty"`
	// HeapBallast is memory (bytes) the process holds from the start, and
	// HeapBallastExtra more from HeapBallastExtraAt on: a control plane
	// that needs more memory, as a new istiod version may. Both count in
	// go_memstats_heap_alloc_bytes like istiod's own allocations.
	HeapBallast        int64    `json:"heapBallast,omitempty"`
	HeapBallastExtra   int64    `json:"heapBallastExtra,omitempty"`
	HeapBallastExtraAt Duration `json:"heapBallastExtraAt,omitempty"`
}

// istiodPod is the pod name the fixture's istiod stands for: its
// revision's Deployment is istiod-<rev> (istio/istio manifests/charts/
// istio-control/istio-discovery/templates/deployment.yaml), istiod for the
// default revision.
func (sc Scenario) istiodPod() string {
	if sc.Revision == "" || sc.Revision == "default" {
		return IstiodPod
	}
	return "istiod-" + sc.Revision + "-" + IstiodPod[len("istiod-"):]
}

func defaultScenario() Scenario {
	s := func(d time.Duration) Duration { return Duration(d) }
	return Scenario{
		Proxies: 150, Agents: 8, Stagger: s(40 * time.Millisecond), Churn: s(3 * time.Second), LagDelay: s(7 * time.Second),
		NativeEvery: 3, Namespaces: []string{"shop", "payments", "catalog"},
		CA: "istiod", CSRFailEvery: 5,
		InjectFailStart: s(40 * time.Second), InjectFailEnd: s(70 * time.Second),
		Phases: []Phase{
			{Kind: KindNack, Proxies: 15, Start: s(40 * time.Second), End: s(70 * time.Second)},
			{Kind: KindLag, Proxies: 15, Start: s(75 * time.Second), End: s(105 * time.Second)},
			{Kind: KindSilent, Proxies: 15, Agents: 2, Start: s(110 * time.Second), End: s(140 * time.Second)},
			{Kind: KindDisconnect, Proxies: 15, Start: s(145 * time.Second), End: s(175 * time.Second)},
			{Kind: KindUnreachable, Agents: 2, Start: s(145 * time.Second), End: s(175 * time.Second)},
		},
	}
}

func loadScenario(path string) (Scenario, error) {
	sc := defaultScenario()
	if path == "" {
		return sc, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return sc, err
	}
	if err := json.Unmarshal(b, &sc); err != nil {
		return sc, fmt.Errorf("%s: %w", path, err)
	}
	return sc, sc.validate()
}

func (sc Scenario) validate() error {
	np, na := 0, 0
	for _, p := range sc.Phases {
		switch p.Kind {
		case KindNack, KindLag, KindSilent, KindDisconnect:
		case KindUnreachable:
			if p.Proxies > 0 {
				return fmt.Errorf("phase %s: only agents can have istiod blocked", p.Kind)
			}
		default:
			return fmt.Errorf("unknown kind %q", p.Kind)
		}
		if p.End <= p.Start {
			return fmt.Errorf("phase %s ends before it starts", p.Kind)
		}
		np += p.Proxies
		na += p.Agents
	}
	if np > sc.Proxies || na > sc.Agents {
		return fmt.Errorf("phases use %d proxies and %d agents, the scenario has %d and %d", np, na, sc.Proxies, sc.Agents)
	}
	if len(sc.Namespaces) == 0 {
		return fmt.Errorf("no namespaces")
	}
	return nil
}

// Pod is one injected pod of the fake mesh, as the manifest lists it.
type Pod struct {
	Namespace string `json:"namespace"`
	Name      string `json:"pod"`
	IP        string `json:"ip"`
	NodeID    string `json:"nodeID"`
	// Native: istio-proxy is an init container (native sidecar).
	Native bool `json:"native"`
	// Agent: a real istio-agent sits between its Envoy and istiod; Metrics
	// is then its /stats/prometheus address.
	Agent   bool   `json:"agent"`
	Metrics string `json:"metrics,omitempty"`
	// Kind and window (empty kind: healthy all along).
	Kind  string   `json:"kind,omitempty"`
	Start Duration `json:"start,omitempty"`
	End   Duration `json:"end,omitempty"`
}

// Manifest is what the fixture writes once every listener is up: where
// to scrape, what each pod does and when (relative to Epoch).
type Manifest struct {
	Epoch    time.Time `json:"epoch"`
	Scenario Scenario  `json:"scenario"`
	// Istiod: /metrics (istiod's http-monitoring port 15014), Debug: the
	// DiscoveryServer debug mux (/debug/syncz), XDS: plaintext xDS (15010),
	// KSM: the kube-state-metrics exposition of the pods.
	Istiod string `json:"istiod"`
	Debug  string `json:"debug"`
	XDS    string `json:"xds"`
	KSM    string `json:"ksm"`
	// IstiodPod is the pod name the istiod target stands for.
	IstiodPod string `json:"istiodPod"`
	Pods      []Pod  `json:"pods"`
}
