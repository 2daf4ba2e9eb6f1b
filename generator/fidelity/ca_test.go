//go:build unix

package fidelity

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meshslo/meshslo/generator/internal/realtools"
)

// TestNoCitadelWithExternalCA: with an external CA (cert-manager,
// istio-csr: ENABLE_CA_SERVER=false) istiod runs no CA server, and none
// of the citadel_* series exist; rules that read them read nothing.
func TestNoCitadelWithExternalCA(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips the heavy tests (Istio's control plane); make test runs them")
	}
	bin := realtools.Fixture(t)
	dir := t.TempDir()
	sc := filepath.Join(dir, "scenario.json")
	if err := os.WriteFile(sc, []byte(`{"proxies": 3, "agents": 0, "ca": "none", "phases": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	m := startFixtureWith(t, bin, dir, "-scenario", sc)
	// Wait for the three proxies, so the exposition is that of a working istiod.
	deadline := time.Now().Add(30 * time.Second)
	for {
		body := scrape(t, "http://"+m.Istiod+"/metrics")
		if strings.Contains(body, "\npilot_xds{") && strings.Contains(body, "} 3\n") {
			for _, l := range strings.Split(body, "\n") {
				if strings.HasPrefix(l, "citadel_") {
					t.Errorf("external CA mode exposes %s", l)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pilot_xds 3 after 30s:\n%.3000s", body)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
