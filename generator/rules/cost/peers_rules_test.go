package cost

import (
	"strings"
	"testing"
	"time"
)

// TestPeerRules runs the real Sloth and Pyrra (when built: make peers) on
// the specs the benchmark writes for the large profile and checks what
// the benchmark relies on: the rules load in Prometheus's rule manager
// after isolation, they read the raw series the SLOs name, and the series
// read over a range are found (Sloth's period from its 5m ratio, Pyrra's
// performance mode from its 5m increases through a 5m subquery).
func TestPeerRules(t *testing.T) {
	c := builtinConfig(t, "large", benchInterval)
	db := openDB(t, time.Hour)
	engine := newEngine()
	cases := []struct {
		name, env, bin string
		perf           bool
		// wantRange is a part of the recorded name read over a range,
		// and the step it is read at.
		wantRange string
		step      time.Duration
	}{
		{"sloth", "SLOTH", "sloth", false, "sli_error_ratio_rate5m", benchInterval},
		{"pyrra", "PYRRA", "pyrra", false, "", 0},
		{"pyrra_perf", "PYRRA", "pyrra", true, "increase5m", 5 * time.Minute},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bin := peerBinary(tc.env, tc.bin)
			if bin == "" {
				t.Skipf("no %s binary (set %s or run make peers)", tc.bin, tc.env)
			}
			var files []namedFile
			if tc.bin == "sloth" {
				files = slothRules(t, bin, c)
			} else {
				files = pyrraRules(t, bin, c, tc.perf)
			}
			is := isolate(t, tc.name, files)
			rs := loadRuleSet(t, tc.name, db, engine, is.files)
			if len(rs.groups) == 0 || len(rs.records) == 0 {
				t.Fatalf("%s: no recording rules loaded", tc.name)
			}
			var text strings.Builder
			for _, f := range is.files {
				text.Write(f.data)
			}
			for _, raw := range []string{"istio_requests_total", "istio_request_duration_milliseconds_bucket", "istio_request_duration_milliseconds_count"} {
				if !strings.Contains(text.String(), raw) {
					t.Errorf("%s: no rule reads %s", tc.name, raw)
				}
			}
			found := false
			for name, step := range is.rangeReads {
				t.Logf("%s: %s read over a range, step %s", tc.name, name, step)
				if tc.wantRange != "" && strings.Contains(name, tc.wantRange) {
					found = true
					if step != tc.step {
						t.Errorf("%s: %s read at step %s, want %s", tc.name, name, step, tc.step)
					}
				}
			}
			if tc.wantRange != "" && !found {
				t.Errorf("%s: no recorded series matching %q read over a range", tc.name, tc.wantRange)
			}
			if tc.wantRange == "" && len(is.rangeReads) > 0 {
				t.Errorf("%s: expected every range read on raw series, got %v", tc.name, is.rangeReads)
			}
		})
	}
}
