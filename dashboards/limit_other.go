//go:build !linux

package dashboards

// limitProcess has no kernel limits to set here: the memory watchdog and
// the parent's deadline remain.
func limitProcess(Limits, int) {}
