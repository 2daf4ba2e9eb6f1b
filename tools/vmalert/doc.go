// Package vmalert holds the tests that check meshslo's vmalert/ output with
// the real vmalert and MetricsQL parser; the module builds vmalert through
// its tool directive.
package vmalert
