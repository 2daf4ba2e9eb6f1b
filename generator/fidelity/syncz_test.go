package fidelity

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Sync states, as istioctl proxy-status prints them.
const (
	stateSynced       = "SYNCED"
	stateNotSent      = "NOT SENT"
	stateStale        = "STALE"
	stateError        = "ERROR"
	stateDisconnected = "DISCONNECTED" // pod exists, absent from syncz
)

// synczEntry is one proxy of istiod's /debug/syncz (istio/istio
// pilot/pkg/xds/debug.go, SyncStatus and ResourceStatus).
type synczEntry struct {
	ProxyID   string `json:"proxy"`
	Resources map[string]struct {
		Sent      string `json:"sent"`
		Acked     string `json:"acked"`
		LastError string `json:"lastError"`
	} `json:"resources"`
}

// classify is istiod's debugSyncStatus (istio/istio
// pilot/pkg/xds/statusgen.go), which istioctl proxy-status prints per xDS
// type, folded over a proxy's types: ERROR if a type's last response was
// NACKed, else STALE if a type's acked nonce is not the one sent, else
// NOT SENT if a watched type was sent nothing, else SYNCED.
func classify(e synczEntry) string {
	state := stateSynced
	for _, r := range e.Resources {
		switch {
		case r.LastError != "":
			return stateError
		case r.Sent == "":
			if state == stateSynced {
				state = stateNotSent
			}
		case r.Acked != r.Sent:
			state = stateStale
		}
	}
	return state
}

// outOfSync is what the page is about: a proxy istiod cannot keep in sync.
// NOT SENT is a watched type istiod had nothing to send for, not a fault.
func outOfSync(state string) bool {
	return state == stateError || state == stateStale || state == stateDisconnected
}

// fetchSyncz reads istiod's /debug/syncz.
func fetchSyncz(ctx context.Context, debugAddr string) (map[string]synczEntry, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+debugAddr+"/debug/syncz", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var entries []synczEntry
	if err := json.Unmarshal(b, &entries); err != nil {
		return nil, fmt.Errorf("syncz: %w: %.300s", err, b)
	}
	byID := map[string]synczEntry{}
	for _, e := range entries {
		byID[e.ProxyID] = e
	}
	return byID, nil
}

// settle is how long a push may stay unacknowledged before the harness
// calls the proxy STALE. istioctl reads one instant, and right after a
// push every healthy proxy is STALE until its ACK arrives (on a loaded
// 2-core machine, for a good part of a second across 158 proxies); the
// harness reads syncz twice, settle apart, and keeps STALE only for a
// proxy behind at both reads that acknowledged nothing in between.
const settle = 1500 * time.Millisecond

// states classifies every pod by proxy ID (pod.namespace) from two syncz
// reads settle apart: ERROR and DISCONNECTED (the pod exists, in the
// manifest as in kube-state-metrics, but is absent) as of the second
// read, STALE if a type was behind in both reads with no ACK between.
func states(before, after map[string]synczEntry, proxyIDs []string) map[string]string {
	out := map[string]string{}
	for _, id := range proxyIDs {
		e, ok := after[id]
		if !ok {
			out[id] = stateDisconnected
			continue
		}
		st := classify(e)
		if st == stateStale {
			st = stateSynced
			if b, ok := before[id]; ok {
				for typ, r := range e.Resources {
					// Behind at both reads, and no ACK in between.
					was := b.Resources[typ]
					if r.Sent != "" && r.Acked != r.Sent && was.Sent != was.Acked && was.Acked == r.Acked {
						st = stateStale
					}
				}
			}
		}
		out[id] = st
	}
	return out
}
