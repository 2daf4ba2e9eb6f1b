package dashboards

import (
	"syscall"
	"time"
)

// limitProcess sets the evaluator's kernel limits: its data segment (the
// Go heap and every other private writable mapping) at l.Memory, so even a
// single huge allocation fails, and its CPU time at twice the time all
// templates may take, which stops it should the parent be gone. A limit
// already lower stays.
func limitProcess(l Limits, templates int) {
	lower(syscall.RLIMIT_DATA, uint64(l.Memory))
	lower(syscall.RLIMIT_CPU, uint64(2*time.Duration(templates)*l.Time/time.Second)+10)
}

func lower(resource int, limit uint64) {
	var old syscall.Rlimit
	if syscall.Getrlimit(resource, &old) == nil && old.Max < limit {
		limit = old.Max
	}
	syscall.Setrlimit(resource, &syscall.Rlimit{Cur: limit, Max: limit})
}
