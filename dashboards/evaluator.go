package dashboards

// Templates from a --templates directory are evaluated in a child process
// of meshslo itself, so that a template that loops or allocates without end
// can be stopped: go-jsonnet has a stack limit but no way to interrupt an
// evaluation or to bound its memory. The child is the running executable
// started again with evaluatorArg and evaluatorEnv; this package's init
// answers such a start before anything else runs, so meshslo and every test
// binary that links the package can serve as the evaluator.
//
// The child reads one request (the files, the template input, the names to
// evaluate and the limits) from stdin, sets its own memory and CPU limits,
// and writes one reply per template to stdout as it goes. The parent gives
// each template Limits.Time from the previous reply and kills the child on
// overrun; a child over Limits.Memory exits (watchdog) or dies of the
// kernel's data limit, and the parent names the template it was on. The
// child gets an empty environment: nothing of the user's (GRAFANA_TOKEN)
// is there for a template to find.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"runtime/metrics"
	"strings"
	"time"
)

const (
	evaluatorArg = "__meshslo-evaluate-templates"
	evaluatorEnv = "MESHSLO_TEMPLATE_EVALUATOR"
	// exitMemory is the child's exit code when its watchdog sees it over
	// the memory limit.
	exitMemory = 3
	// maxStderr is how much of the child's stderr the parent keeps.
	maxStderr = 64 << 10
)

func init() {
	if len(os.Args) == 2 && os.Args[1] == evaluatorArg && os.Getenv(evaluatorEnv) == "1" {
		os.Exit(serveEvaluator(os.Stdin, os.Stdout, os.Stderr))
	}
}

type evalRequest struct {
	Files  map[string]string
	From   map[string]string
	Names  []string
	Input  json.RawMessage
	Limits Limits
}

// evalReply is one evaluated template, or the error that ended the run.
type evalReply struct {
	Name  string `json:",omitempty"`
	JSON  string `json:",omitempty"`
	Error string `json:",omitempty"`
}

// serveEvaluator is the child's side: it returns the process exit code.
func serveEvaluator(in io.Reader, out, errw io.Writer) int {
	var req evalRequest
	if err := json.NewDecoder(in).Decode(&req); err != nil {
		fmt.Fprintf(errw, "template evaluator: reading the request: %v\n", err)
		return 1
	}
	l := req.Limits
	limitProcess(l, len(req.Names))
	go watchMemory(l.Memory, errw)
	arg, err := decodeInput(req.Input)
	if err != nil {
		fmt.Fprintf(errw, "template evaluator: reading the input: %v\n", err)
		return 1
	}
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	err = evaluate(req.Files, req.From, arg, req.Names, l.Stack, func(name, raw string) error {
		if int64(len(raw)) > l.Output {
			return fmt.Errorf("dashboard template %s: its JSON is %d bytes, more than the limit of %s", req.From[name+".jsonnet"], len(raw), size(l.Output))
		}
		return enc.Encode(evalReply{Name: name, JSON: raw})
	})
	if err != nil {
		if enc.Encode(evalReply{Error: err.Error()}) != nil {
			return 1
		}
	}
	return 0
}

// watchMemory ends the process when the memory it holds from the system
// passes limit; the kernel's data limit (limitProcess) catches a single
// allocation too large to wait for.
func watchMemory(limit int64, errw io.Writer) {
	samples := []metrics.Sample{
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	for {
		metrics.Read(samples)
		if used := int64(samples[0].Value.Uint64() - samples[1].Value.Uint64()); used > limit {
			fmt.Fprintf(errw, "template evaluator: %d bytes in use, over the memory limit\n", used)
			os.Exit(exitMemory)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// evaluateIsolated evaluates the named templates of s in a child process
// within s's limits and returns each one's JSON, in order.
func (s Source) evaluateIsolated(names []string, input []byte) ([]string, error) {
	l := s.limits
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("dashboard templates: starting the template evaluator: %v", err)
	}
	if runtime.GOOS == "linux" {
		// The running binary itself, even if the file was replaced since.
		exe = "/proc/self/exe"
	}
	req, err := json.Marshal(evalRequest{Files: s.files, From: s.from, Names: names, Input: input, Limits: l})
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, evaluatorArg)
	cmd.Env = []string{evaluatorEnv + "=1"}
	cmd.Dir = os.TempDir()
	cmd.Stdin = bytes.NewReader(req)
	stderr := &capped{max: maxStderr}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("dashboard templates: starting the template evaluator %s: %v", exe, err)
	}
	// The reader stops at the first error reply or after every template;
	// the channel holds all replies, so it never blocks.
	replies := make(chan evalReply, len(names)+1)
	go func() {
		defer close(replies)
		dec := json.NewDecoder(io.LimitReader(stdout, int64(len(names))*(2*l.Output+4096)))
		for range names {
			var r evalReply
			if dec.Decode(&r) != nil {
				return
			}
			replies <- r
			if r.Error != "" {
				return
			}
		}
	}()
	stop := func() {
		cmd.Process.Kill()
		for range replies {
		}
		cmd.Wait()
	}
	timer := time.NewTimer(l.Time)
	defer timer.Stop()
	var raws []string
	for len(raws) < len(names) {
		current := s.from[names[len(raws)]+".jsonnet"]
		select {
		case r, ok := <-replies:
			switch {
			case !ok:
				for range replies {
				}
				err := cmd.Wait() // also waits for stderr to be copied
				return nil, exited(current, err, stderr.String(), l)
			case r.Error != "":
				stop()
				return nil, errors.New(r.Error)
			case r.Name != names[len(raws)]:
				stop()
				return nil, fmt.Errorf("dashboard template %s: the template evaluator answered for %q", current, r.Name)
			}
			raws = append(raws, r.JSON)
			timer.Reset(l.Time)
		case <-timer.C:
			stop()
			return nil, fmt.Errorf("dashboard template %s: evaluation took longer than the time limit of %s; stopped", current, l.Time)
		}
	}
	if err := cmd.Wait(); err != nil {
		return nil, exited(s.from[names[len(names)-1]+".jsonnet"], err, stderr.String(), l)
	}
	return raws, nil
}

// exited explains a child that stopped before answering for template.
func exited(template string, err error, stderr string, l Limits) error {
	var exit *exec.ExitError
	code := -1
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	}
	switch {
	case code == exitMemory || outOfMemory.MatchString(stderr):
		return fmt.Errorf("dashboard template %s: evaluation used more than the memory limit of %s; stopped", template, size(l.Memory))
	case strings.Contains(stderr, "goroutine stack exceeds"):
		return fmt.Errorf("dashboard template %s: evaluation nested too deeply (the evaluator's stack overflowed); stopped", template)
	}
	first, _, _ := strings.Cut(strings.TrimSpace(stderr), "\n")
	if err == nil {
		err = errors.New("no answer")
	}
	return fmt.Errorf("dashboard template %s: the template evaluator stopped (%v): %s", template, err, first)
}

// outOfMemory is how the Go runtime dies when the kernel's data limit
// refuses it memory ("fatal error: runtime: out of memory", "fatal error:
// out of memory allocating heap arena metadata", "fatal error: runtime:
// cannot allocate memory") or a thread.
var outOfMemory = regexp.MustCompile(`(?m)^(fatal error: .*(out of memory|cannot allocate memory)|runtime/cgo: pthread_create failed)`)

// size prints a byte count the way the limits are usually given.
func size(n int64) string {
	if n >= 1<<30 && n%(1<<30) == 0 {
		return fmt.Sprintf("%d GiB", n>>30)
	}
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// capped keeps the first max bytes written to it and drops the rest.
type capped struct {
	buf bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (c *capped) String() string { return c.buf.String() }
