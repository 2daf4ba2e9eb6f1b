//go:build unix

// Package promserver runs the real Prometheus server (and other helper
// processes) for tests, each in its own process group stopped when the
// test ends, and reads its HTTP API: the part generator/e2e and
// generator/fidelity share.
package promserver

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
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// FreePort asks the kernel for a free loopback port. Another process could
// take it before Prometheus binds it; Start then fails clearly.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Buffer collects a process's output while it runs.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// StartProcess runs a command in its own process group, stopped (the
// whole group: the fixture's agents too) when the test ends.
func StartProcess(t testing.TB, name string, cmd *exec.Cmd) (*Buffer, <-chan error) {
	t.Helper()
	out := &Buffer{}
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

// Server is a running Prometheus and its HTTP API.
type Server struct{ Base string }

// Start runs the Prometheus binary on a free loopback port with its data in
// dir, stopped (its whole process group) when the test ends, passed or not.
// It returns once /-/ready answers.
func Start(t testing.TB, bin, configFile, dir string) *Server {
	t.Helper()
	port := FreePort(t)
	cmd := exec.Command(bin,
		"--config.file="+configFile,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(port),
		"--log.level=warn",
	)
	log, exited := StartProcess(t, "prometheus", cmd)
	s := &Server{Base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	WaitReady(t, "prometheus", s.Base, log, exited)
	return s
}

// WaitReady waits up to 30s for the process started by StartProcess to
// answer 200 on base/-/ready (Prometheus and Alertmanager both do), and
// fails the test with its log if it exits first or never does.
func WaitReady(t testing.TB, name, base string, log *Buffer, exited <-chan error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			t.Fatalf("%s exited before it was ready: %v\n%s", name, err, log.String())
		default:
		}
		if resp, err := http.Get(base + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after 30s:\n%s", name, log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Get reads an API path into v, failing on a non-success envelope.
func (s *Server) Get(ctx context.Context, path string, params url.Values, v any) error {
	u := s.Base + path
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

// Sample is one element of an instant vector.
type Sample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

// Float is the sample's value (0 if it does not parse).
func (v Sample) Float() float64 {
	s, _ := v.Value[1].(string)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0
	}
	return f
}

// Query runs an instant query that must return a vector.
func (s *Server) Query(ctx context.Context, q string) ([]Sample, error) {
	var data struct {
		ResultType string   `json:"resultType"`
		Result     []Sample `json:"result"`
	}
	if err := s.Get(ctx, "/api/v1/query", url.Values{"query": {q}}, &data); err != nil {
		return nil, err
	}
	if data.ResultType != "vector" {
		return nil, fmt.Errorf("query %q: result type %s, want vector", q, data.ResultType)
	}
	return data.Result, nil
}
