package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"

	"istio.io/istio/pilot/pkg/model"
	v3 "istio.io/istio/pilot/pkg/xds/v3"
	"istio.io/istio/pilot/test/xdstest"
)

// connected counts ADS clients with a live stream that got a response.
var connected atomic.Int64

// adsClient is an Envoy stand-in: a SotW ADS client that subscribes like
// Envoy (CDS and LDS, then the EDS clusters and RDS routes they name) and
// whose ACKs follow its kind inside its window [start, end) after epoch.
// It talks to istiod directly (raw proxies) or to an istio-agent's xDS
// proxy over its Unix socket (agent mode).
type adsClient struct {
	target string
	node   *core.Node
	kind   string
	start  time.Duration
	end    time.Duration
	epoch  time.Time
	lag    time.Duration
	delay  time.Duration // before the first connection (stagger)

	mu       sync.Mutex
	stream   discovery.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	gen      int // stream generation: delayed ACKs of an old stream are dropped
	nodeSent bool
	version  map[string]string
	nonce    map[string]string
	names    map[string][]string
	last     map[string]*discovery.DiscoveryResponse
}

func newADSClient(target string, node *core.Node, kind string, start, end time.Duration, epoch time.Time, lag, delay time.Duration) *adsClient {
	return &adsClient{target: target, node: node, kind: kind, start: start, end: end, epoch: epoch, lag: lag, delay: delay}
}

// behaviour is the client's kind now: its failure kind inside its window,
// else ack.
func (c *adsClient) behaviour() string {
	if c.kind == "" || c.kind == KindAck {
		return KindAck
	}
	t := time.Since(c.epoch)
	if t >= c.start && t < c.end {
		return c.kind
	}
	return KindAck
}

func (c *adsClient) until(d time.Duration) time.Duration { return time.Until(c.epoch.Add(d)) }

// run connects, and reconnects like Envoy (jittered exponential backoff
// from 500ms to 8s) until ctx ends. A "disconnect" client closes its stream
// when its window starts and stays away until it ends.
func (c *adsClient) run(ctx context.Context) {
	if !sleep(ctx, c.delay) {
		return
	}
	if c.kind == KindNack || c.kind == KindSilent {
		// When the window ends, ACK the newest push of each type, as Envoy
		// does once it accepts config again.
		go func() {
			if sleep(ctx, c.until(c.end)) {
				c.recover()
			}
		}()
	}
	backoff := 500 * time.Millisecond
	for ctx.Err() == nil {
		if c.behaviour() == KindDisconnect {
			if !sleep(ctx, c.until(c.end)) {
				return
			}
			continue
		}
		sctx, cancel := context.WithCancel(ctx)
		var cut *time.Timer
		if c.kind == KindDisconnect && c.until(c.start) > 0 {
			cut = time.AfterFunc(c.until(c.start), cancel)
		}
		got := c.once(sctx)
		if cut != nil {
			cut.Stop()
		}
		cancel()
		if got {
			backoff = 500 * time.Millisecond
		}
		if c.behaviour() == KindDisconnect {
			continue
		}
		if !sleep(ctx, backoff/2+rand.N(backoff)) {
			return
		}
		backoff = min(2*backoff, 8*time.Second)
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// once runs one ADS stream; it reports whether the stream got a response.
func (c *adsClient) once(ctx context.Context) bool {
	conn, err := grpc.NewClient(c.target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Printf("%s dial: %v", c.node.Id, err)
		return false
	}
	defer conn.Close()
	stream, err := discovery.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		return false
	}
	c.mu.Lock()
	c.stream = stream
	c.gen++
	c.nodeSent = false
	c.version, c.nonce, c.names = map[string]string{}, map[string]string{}, map[string][]string{}
	c.last = map[string]*discovery.DiscoveryResponse{}
	c.send(v3.ClusterType, nil)
	c.send(v3.ListenerType, nil)
	c.mu.Unlock()
	got := false
	defer func() {
		if got {
			connected.Add(-1)
		}
	}()
	for {
		resp, err := stream.Recv()
		if err != nil {
			if ctx.Err() == nil && err != io.EOF {
				log.Printf("%s recv: %v", c.node.Id, err)
			}
			return got
		}
		if !got {
			got = true
			connected.Add(1)
		}
		c.handle(resp)
	}
}

// send writes one request; c.mu is held.
func (c *adsClient) send(typ string, errDetail *status.Status) {
	req := &discovery.DiscoveryRequest{
		TypeUrl:       typ,
		VersionInfo:   c.version[typ],
		ResponseNonce: c.nonce[typ],
		ResourceNames: c.names[typ],
		ErrorDetail:   errDetail,
	}
	if !c.nodeSent {
		req.Node = c.node
		c.nodeSent = true
	}
	_ = c.stream.Send(req) // a broken stream shows in Recv
}

func (c *adsClient) handle(resp *discovery.DiscoveryResponse) {
	c.mu.Lock()
	defer c.mu.Unlock()
	typ := resp.TypeUrl
	c.last[typ] = resp
	switch c.behaviour() {
	case KindSilent:
		return
	case KindNack:
		if typ == v3.ListenerType || typ == v3.ClusterType {
			// Envoy's NACK: the rejected response's nonce, the version it
			// last accepted, and the reason.
			c.nonce[typ] = resp.Nonce
			c.send(typ, &status.Status{Code: int32(codes.InvalidArgument),
				Message: fmt.Sprintf("Error adding/updating %s: fixture rejects this config", v3.GetShortType(typ))})
			return
		}
	case KindLag:
		gen := c.gen
		time.AfterFunc(c.lag, func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.gen == gen {
				c.ack(resp)
			}
		})
		return
	}
	c.ack(resp)
}

// recover ACKs the newest response of every type; c.mu is not held.
func (c *adsClient) recover() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stream == nil {
		return
	}
	types := make([]string, 0, len(c.last))
	for t := range c.last {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		c.ack(c.last[t])
	}
}

// ack accepts a response like Envoy: subscribe to the EDS clusters and RDS
// routes that CDS and LDS name, then ACK its version and nonce; c.mu is held.
func (c *adsClient) ack(resp *discovery.DiscoveryResponse) {
	typ := resp.TypeUrl
	switch typ {
	case v3.ClusterType:
		var cl []*cluster.Cluster
		for _, r := range resp.Resources {
			if x := xdstest.SilentlyUnmarshalAny[cluster.Cluster](r); x != nil {
				cl = append(cl, x)
			}
		}
		c.resubscribe(v3.EndpointType, xdstest.ExtractEdsClusterNames(cl))
	case v3.ListenerType:
		var ll []*listener.Listener
		for _, r := range resp.Resources {
			if x := xdstest.SilentlyUnmarshalAny[listener.Listener](r); x != nil {
				ll = append(ll, x)
			}
		}
		c.resubscribe(v3.RouteType, xdstest.ExtractRoutesFromListeners(ll))
	}
	c.version[typ], c.nonce[typ] = resp.VersionInfo, resp.Nonce
	c.send(typ, nil)
}

func (c *adsClient) resubscribe(typ string, names []string) {
	sort.Strings(names)
	if fmt.Sprint(names) == fmt.Sprint(c.names[typ]) {
		return
	}
	c.names[typ] = names
	c.send(typ, nil)
}

// nodeFor is the Envoy node a sidecar of pod sends: the ID format of
// istio/istio pilot/pkg/model/context.go (ParseServiceNodeWithMetadata):
// type~ip~pod.namespace~namespace.svc.cluster.local.
func nodeFor(p Pod) *core.Node {
	meta := model.NodeMetadata{
		IstioVersion: "1.31.0",
		Namespace:    p.Namespace,
		ClusterID:    "Kubernetes",
		InstanceIPs:  []string{p.IP},
		Labels:       map[string]string{"app": appOf(p)},
	}
	return &core.Node{Id: p.NodeID, Metadata: meta.ToStruct()}
}
