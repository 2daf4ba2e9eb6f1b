//go:build unix

package fidelity

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The Prometheus helpers follow generator/e2e/prometheus_test.go.

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startProcess runs a command in its own process group, stopped (the
// whole group: the fixture's agents too) when the test ends.
func startProcess(t *testing.T, name string, cmd *exec.Cmd) (*lockedBuffer, <-chan error) {
	t.Helper()
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if t.Failed() {
			s := out.String()
			if len(s) > 20000 {
				s = "...\n" + s[len(s)-20000:]
			}
			t.Logf("%s output:\n%s", name, s)
		}
	})
	return out, exited
}

type server struct{ base string }

func startPrometheus(t *testing.T, bin, configFile, dir string) *server {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command(bin,
		"--config.file="+configFile,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(port),
		"--log.level=warn",
	)
	log, exited := startProcess(t, "prometheus", cmd)
	s := &server{base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			t.Fatalf("prometheus exited before it was ready: %v\n%s", err, log.String())
		default:
		}
		if resp, err := http.Get(s.base + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus not ready after 30s:\n%s", log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *server) get(ctx context.Context, path string, params url.Values, v any) error {
	u := s.base + path
	if len(params) > 0 {
		u += "?" + params.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var envelope struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &envelope); err != nil {
		return fmt.Errorf("GET %s: %s: %w", u, resp.Status, err)
	}
	if envelope.Status != "success" {
		return fmt.Errorf("GET %s: %s: %s", u, resp.Status, envelope.Error)
	}
	return json.Unmarshal(envelope.Data, v)
}

type sample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

func (v sample) value() float64 {
	s, _ := v.Value[1].(string)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0
	}
	return f
}

func (s *server) query(ctx context.Context, q string) ([]sample, error) {
	var data struct {
		ResultType string   `json:"resultType"`
		Result     []sample `json:"result"`
	}
	if err := s.get(ctx, "/api/v1/query", url.Values{"query": {q}}, &data); err != nil {
		return nil, err
	}
	if data.ResultType != "vector" {
		return nil, fmt.Errorf("query %q: result type %s, want vector", q, data.ResultType)
	}
	return data.Result, nil
}

type ruleGroups struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []struct {
			Name      string `json:"name"`
			Type      string `json:"type"`
			Health    string `json:"health"`
			LastError string `json:"lastError"`
		} `json:"rules"`
	} `json:"groups"`
}

// ruleErrors lists every rule the server could not evaluate.
func (s *server) ruleErrors(ctx context.Context) ([]string, error) {
	var rg ruleGroups
	if err := s.get(ctx, "/api/v1/rules", nil, &rg); err != nil {
		return nil, err
	}
	var errs []string
	for _, g := range rg.Groups {
		for _, r := range g.Rules {
			if r.Health == "err" || r.LastError != "" {
				errs = append(errs, fmt.Sprintf("group %s, %s rule %s: %s", g.Name, r.Type, r.Name, r.LastError))
			}
		}
	}
	return errs, nil
}

// writeConfig writes a Prometheus config that scrapes targets every
// second and evaluates the rule files in ruleDir every second.
func writeConfig(ruleDir string, targets []scrapeTarget) []byte {
	var b strings.Builder
	b.WriteString("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n")
	fmt.Fprintf(&b, "rule_files:\n  - %q\n", filepath.Join(ruleDir, "*.yaml"))
	b.WriteString("scrape_configs:\n")
	byJob := map[string][]scrapeTarget{}
	var jobs []string
	for _, tg := range targets {
		if _, ok := byJob[tg.Job]; !ok {
			jobs = append(jobs, tg.Job)
		}
		byJob[tg.Job] = append(byJob[tg.Job], tg)
	}
	for _, j := range jobs {
		first := byJob[j][0]
		fmt.Fprintf(&b, "  - job_name: %q\n    metrics_path: %q\n    honor_labels: %v\n    static_configs:\n", j, first.Path, first.HonorLabels)
		for _, tg := range byJob[j] {
			fmt.Fprintf(&b, "      - targets: [%q]\n        labels: {", tg.Address)
			keys := make([]string, 0, len(tg.Labels))
			for k := range tg.Labels {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for i, k := range keys {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "%s: %q", k, tg.Labels[k])
			}
			b.WriteString("}\n")
		}
	}
	return []byte(b.String())
}
