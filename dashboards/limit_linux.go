package dashboards

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"time"
)

// limitProcess sets the evaluator's kernel limits. Its data segment (the
// Go heap and every other private writable mapping, thread stacks too) may
// grow by l.Memory and 64 MiB over what it holds now, so that a single huge
// allocation fails at once while gradual growth meets the watchdog
// (watchMemory) first. Its CPU time stops at twice the time all templates
// may take, which ends it should the parent be gone. A limit already lower
// stays.
func limitProcess(l Limits, templates int) {
	lower(syscall.RLIMIT_DATA, dataNow()+uint64(l.Memory)+64<<20)
	lower(syscall.RLIMIT_CPU, uint64(2*time.Duration(templates)*l.Time/time.Second)+10)
}

// dataNow is the process's data segment (VmData), 0 if unknown.
func dataNow() uint64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(status, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmData:")); ok {
			kb, err := strconv.ParseUint(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(v), []byte("kB")))), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

func lower(resource int, limit uint64) {
	var old syscall.Rlimit
	if syscall.Getrlimit(resource, &old) == nil && old.Max < limit {
		limit = old.Max
	}
	syscall.Setrlimit(resource, &syscall.Rlimit{Cur: limit, Max: limit})
}
