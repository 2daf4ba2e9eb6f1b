package fidelity

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
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

// syncz returns every pod's state by proxy ID (pod.namespace); a pod that exists (in the
// manifest, as in kube-state-metrics) but is absent is DISCONNECTED.
func syncz(ctx context.Context, debugAddr string, proxyIDs []string) (map[string]string, error) {
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
	states := map[string]string{}
	for _, id := range proxyIDs {
		states[id] = stateDisconnected
	}
	for _, e := range entries {
		if _, ok := states[e.ProxyID]; ok {
			states[e.ProxyID] = classify(e)
		}
	}
	return states, nil
}
