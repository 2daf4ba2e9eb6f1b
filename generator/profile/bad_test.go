package profile_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshslo/meshslo/cmd/meshslo/cli"
	"github.com/meshslo/meshslo/generator/loader"
	"github.com/meshslo/meshslo/generator/profile"
)

// head is the smallest valid profile; cases append a spec to it, so their
// lines start at 5.
const head = "apiVersion: meshslo/v1alpha1\nkind: MeshProfile\nmetadata: {name: bad}\nspec:\n"

// spec builds a profile from spec lines written at two spaces of indent.
func spec(lines ...string) string {
	return head + "  " + strings.Join(lines, "\n  ") + "\n"
}

// problems returns every message the CLI would print for a profile file,
// in its order (see loader.Load).
func problems(t *testing.T, path string) []string {
	t.Helper()
	_, errs := loader.Load(path)
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

// Each bad profile gets exactly these messages: the file, the line and
// column, the field path and what was expected. A case is either inline
// YAML (written to bad.yaml) or a file in testdata/bad/.
func TestBadProfiles(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string // inline profile; empty means testdata/bad/<name>.yaml
		want []string
	}{
		// spec.rulers.
		{"rulers", spec("rulers: {formats: [thanos, loki, thanos], mode: chained, namespace: \"istio/mesh\"}"), []string{
			`bad.yaml:5:30: spec.rulers.formats[1]: expected one of thanos, mimir, vmalert, got "loki"`,
			`bad.yaml:5:36: spec.rulers.formats[2]: thanos is listed twice`,
			`bad.yaml:5:51: spec.rulers.mode: expected one of split, all, got "chained"`,
			`bad.yaml:5:71: spec.rulers.namespace: expected letters, digits, '_', '.' or '-' (at most 200), got "istio/mesh"`,
		}},
		// spec.dataPlane and spec.slos[].sliSource.
		{"data plane unknown", spec("dataPlane: hybrid"), []string{
			`bad.yaml:5:14: spec.dataPlane: expected one of sidecar, ambient, mixed, got "hybrid"`,
		}},
		{"sli source unknown", spec("dataPlane: ambient", "slos: [{name: a, sli: availability, sliSource: ztunnel, objective: 99}]"), []string{
			`bad.yaml:6:50: spec.slos[0].sliSource: expected one of auto, sidecar, waypoint, l4, got "ztunnel"`,
		}},
		{"l4 latency", spec("dataPlane: ambient", "slos: [{name: a, sli: latency, sliSource: l4, objective: 99}]"), []string{
			`bad.yaml:6:45: spec.slos[0].sliSource: ztunnel's L4 metrics have no request latency (no istio_request_duration_milliseconds); a latency SLO needs sliSource waypoint, sidecar or auto`,
		}},
		// spec.waypoints.
		{"waypoints in a sidecar mesh", spec("waypoints: [{name: waypoint, namespace: shop}]"), []string{
			`bad.yaml:5:14: spec.waypoints: waypoints run only in an ambient mesh, but spec.dataPlane is sidecar: set spec.dataPlane to ambient or mixed, or remove spec.waypoints`,
		}},
		{"waypoint without namespace", spec("dataPlane: mixed", "waypoints: [{name: waypoint}]"), []string{
			`bad.yaml:6:15: spec.waypoints[0].namespace: missing; expected the namespace of the waypoint's Gateway`,
		}},
		{"waypoint names", spec("dataPlane: ambient", "waypoints: [{name: Way_point, namespace: shop}, {name: waypoint, namespace: \"Shop\"}, {name: w, namespace: shop, workload: \"a/b\"}]"), []string{
			`bad.yaml:6:22: spec.waypoints[0].name: expected the waypoint's Gateway name: 1 to 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit, got "Way_point"`,
			`bad.yaml:6:79: spec.waypoints[1].namespace: expected a Kubernetes namespace (a DNS label), got "Shop"`,
			`bad.yaml:6:125: spec.waypoints[2].workload: expected a Deployment name (a DNS subdomain), got "a/b"`,
		}},
		{"waypoint duplicates", spec("dataPlane: ambient", "waypoints: [{name: waypoint, namespace: shop}, {name: waypoint, namespace: shop}, {name: reviews, namespace: shop, workload: waypoint}, {name: waypoint, namespace: cart}]"), []string{
			`bad.yaml:6:57: spec.waypoints[1].name: duplicate waypoint shop/waypoint (also spec.waypoints[0])`,
			`bad.yaml:6:128: spec.waypoints[2].workload: spec.waypoints[0] is already the Deployment shop/waypoint; one entry per waypoint Deployment`,
		}},
		{"waypoint health", spec("dataPlane: ambient", "waypoints: [{name: waypoint, namespace: shop, minReplicas: 1001, memoryWarningRatio: 0.95, memoryCriticalRatio: 0.9, cpuWarningRatio: 1.5}]"), []string{
			`bad.yaml:6:62: spec.waypoints[0].minReplicas: expected 1 to 1000 available pods, got 1001`,
			`bad.yaml:6:88: spec.waypoints[0].memoryWarningRatio: expected the warning threshold 0.95 to be below spec.waypoints[0].memoryCriticalRatio (0.9)`,
			`bad.yaml:6:137: spec.waypoints[0].cpuWarningRatio: expected a ratio between 0 and 1 (exclusive), got 1.5`,
		}},
		{"ztunnel thresholds", spec("dataPlane: ambient", "ztunnel: {memoryLimit: 0, memoryHighRatio: 1.5, xdsErrorRate: -1, dnsFailureRatio: 0, dnsMinRequests: -2}"), []string{
			`bad.yaml:6:26: spec.ztunnel.memoryLimit: expected a memory size above 0 (1Gi), got 0`,
			`bad.yaml:6:46: spec.ztunnel.memoryHighRatio: expected a ratio between 0 and 1 (exclusive), got 1.5`,
			`bad.yaml:6:65: spec.ztunnel.xdsErrorRate: expected a number of 0 or more, got -1`,
			`bad.yaml:6:86: spec.ztunnel.dnsFailureRatio: expected a ratio between 0 and 1 (exclusive), got 0`,
			`bad.yaml:6:105: spec.ztunnel.dnsMinRequests: expected a number of 0 or more, got -2`,
		}},
		// spec.alerting.
		{"duplicate receiver names", spec("alerting: {receivers: [{name: pager, severity: critical}, {name: pager, severity: warning}]}"), []string{
			`bad.yaml:5:68: spec.alerting.receivers[1].name: duplicate receiver name "pager" (also spec.alerting.receivers[0])`,
		}},
		{"receiver severity unknown", spec("alerting: {receivers: [{name: pager, severity: page}]}"), []string{
			`bad.yaml:5:50: spec.alerting.receivers[0].severity: expected critical, warning or nothing (both), got "page"`,
		}},
		{"receiver name with a space", spec("alerting: {receivers: [{name: \"on call\"}]}"), []string{
			`bad.yaml:5:33: spec.alerting.receivers[0].name: expected 1 to 63 letters, digits, '-', '_' or '.', starting with a letter or digit, got "on call"`,
		}},
		{"receiver matchers that do not parse", spec("alerting: {receivers: [{name: payments, matchers: 'team=payments'}]}"), []string{
			`bad.yaml:5:53: spec.alerting.receivers[0].matchers: expected label matchers such as app="istiod", got "team=payments": 1:7: parse error: unexpected identifier "payments" in label matching, expected string`,
		}},
		{"receiver matching severity", spec("alerting: {receivers: [{name: payments, matchers: 'severity=\"critical\"'}]}"), []string{
			`bad.yaml:5:53: spec.alerting.receivers[0].matchers: must not match severity; set the receiver's severity instead`,
		}},
		{"no receivers", spec("alerting: {receivers: []}"), []string{
			`bad.yaml:5:25: spec.alerting.receivers: expected at least one receiver (the defaults are mesh-pages for pages and mesh-tickets for tickets)`,
		}},
		{"continue not a boolean", spec("alerting: {receivers: [{name: payments, continue: yes}]}"), []string{
			`bad.yaml:5:53: spec.alerting.receivers[0].continue: expected true or false, got "yes"`,
		}},
		{"groupBy not a label", spec("alerting: {groupBy: [alertname, \"team-name\", alertname]}"), []string{
			`bad.yaml:5:35: spec.alerting.groupBy[1]: expected a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*), got "team-name"`,
			`bad.yaml:5:48: spec.alerting.groupBy[2]: duplicate label "alertname"`,
		}},
		{"repeat before group interval", spec("alerting: {pages: {groupInterval: 10m, repeatInterval: 5m}}"), []string{
			`bad.yaml:5:58: spec.alerting.pages.repeatInterval: expected at least the group interval (10m): notifications repeat only when the group is flushed, got 5m`,
		}},
		{"group wait too long", spec("alerting: {tickets: {groupWait: 2h}}"), []string{
			`bad.yaml:5:35: spec.alerting.tickets.groupWait: 2h is out of range: a group wait must be between 0s and 1h`,
		}},
		{"window weekday unknown", spec("alerting: {maintenanceWindows: [{name: rollout, weekdays: [mon], mute: [tickets]}]}"), []string{
			`bad.yaml:5:62: spec.alerting.maintenanceWindows[0].weekdays[0]: expected a day (monday) or a range of days (monday:friday), got "mon"`,
		}},
		{"window weekday range backwards", spec("alerting: {maintenanceWindows: [{name: rollout, weekdays: [\"saturday:monday\"], mute: [tickets]}]}"), []string{
			`bad.yaml:5:62: spec.alerting.maintenanceWindows[0].weekdays[0]: "saturday:monday" runs backwards: weeks start on sunday, so write it as two entries (saturday and sunday:monday)`,
		}},
		{"window time not HH:MM", spec("alerting: {maintenanceWindows: [{name: rollout, times: [{start: \"9:00\", end: \"25:00\"}], mute: [tickets]}]}"), []string{
			`bad.yaml:5:67: spec.alerting.maintenanceWindows[0].times[0].start: expected a time of day HH:MM from 00:00 to 23:59, got "9:00"`,
			`bad.yaml:5:80: spec.alerting.maintenanceWindows[0].times[0].end: expected a time of day HH:MM from 00:01 to 24:00, got "25:00"`,
		}},
		{"window end before start", spec("alerting: {maintenanceWindows: [{name: rollout, times: [{start: \"22:00\", end: \"02:00\"}], mute: [tickets]}]}"), []string{
			`bad.yaml:5:81: spec.alerting.maintenanceWindows[0].times[0].end: expected 02:00 to be after start (22:00); a window across midnight is two ranges, such as 22:00-24:00 and 00:00-02:00`,
		}},
		{"window location unknown", spec("alerting: {maintenanceWindows: [{name: rollout, weekdays: [monday], location: Europe/Berlinn, mute: [tickets]}]}"), []string{
			`bad.yaml:5:81: spec.alerting.maintenanceWindows[0].location: expected an IANA time zone such as Europe/Berlin or UTC, got "Europe/Berlinn"`,
		}},
		{"window mutes an unknown alert", spec("alerting: {maintenanceWindows: [{name: rollout, weekdays: [monday], mute: [IstiodDwn]}]}"), []string{
			`bad.yaml:5:78: spec.alerting.maintenanceWindows[0].mute[0]: expected tickets, all or an alert meshslo generates, got "IstiodDwn"; did you mean "IstiodDown"?`,
		}},
		{"window without days or times", spec("alerting: {maintenanceWindows: [{name: rollout, mute: [all]}]}"), []string{
			`bad.yaml:5:35: spec.alerting.maintenanceWindows[0]: expected weekdays or times: a window without either mutes all the time`,
		}},
		{"duplicate window names", spec("alerting: {maintenanceWindows: [{name: rollout, weekdays: [monday], mute: [all]}, {name: rollout, weekdays: [friday], mute: [tickets]}]}"), []string{
			`bad.yaml:5:92: spec.alerting.maintenanceWindows[1].name: duplicate maintenance window name "rollout" (also spec.alerting.maintenanceWindows[0])`,
		}},
		{"window in a zone with daylight saving time", spec("alerting: {maintenanceWindows: [{name: rollout, weekdays: [monday], location: Europe/Berlin, mute: [tickets]}]}"), []string{
			`bad.yaml:5:81: warning: spec.alerting.maintenanceWindows[0].location: Europe/Berlin observes daylight saving time; the AlertmanagerConfig (its time intervals have no location) gets the window in UTC at standard time, an hour off while daylight saving time applies; alertmanager.yaml and the Helm values keep the zone (--strict makes this an error)`,
		}},
		// Value errors.
		{"objective of 100", spec("slos: [{name: a, sli: availability, objective: 100}]"), []string{
			`bad.yaml:5:50: spec.slos[0].objective: expected a percentage between 0 and 100 (exclusive), such as 99.9, got 100`}},
		{"objective of 0", spec("slos: [{name: a, sli: availability, objective: 0}]"), []string{
			`bad.yaml:5:50: spec.slos[0].objective: expected a percentage between 0 and 100 (exclusive), such as 99.9, got 0`}},
		{"negative objective", spec("slos: [{name: a, sli: availability, objective: -99.9}]"), []string{
			`bad.yaml:5:50: spec.slos[0].objective: expected a percentage between 0 and 100 (exclusive), such as 99.9, got -99.9`}},
		{"ratio above 1", spec("istiod: {heapWarningRatio: 1.5, heapCriticalRatio: 1.6}"), []string{
			`bad.yaml:5:30: spec.istiod.heapWarningRatio: expected a ratio between 0 and 1 (exclusive), got 1.5`,
			`bad.yaml:5:54: spec.istiod.heapCriticalRatio: expected a ratio between 0 and 1 (exclusive), got 1.6`}},
		{"ratio of 0", spec("proxies: {staleRatio: 0}"), []string{
			`bad.yaml:5:25: spec.proxies.staleRatio: expected a ratio between 0 and 1 (exclusive), got 0`}},
		{"heap warning at critical", spec("istiod: {heapWarningRatio: 0.9, heapCriticalRatio: 0.9}"), []string{
			`bad.yaml:5:30: spec.istiod.heapWarningRatio: expected the warning threshold 0.9 to be below spec.istiod.heapCriticalRatio (0.9)`}},
		{"memory warning ratio above critical", spec("proxies: {memoryWarningRatio: 0.95, memoryCriticalRatio: 0.9}"), []string{
			`bad.yaml:5:33: spec.proxies.memoryWarningRatio: expected the warning threshold 0.95 to be below spec.proxies.memoryCriticalRatio (0.9)`}},
		{"memoryCritical is gone", spec("proxies: {memoryCritical: 1Gi}"), []string{
			`bad.yaml:5:13: spec.proxies.memoryCritical: unknown field; expected one of staleRatio, staleFor, staleCount, staleCountFor, memoryWarning, memoryWarningRatio, memoryCriticalRatio, memoryFor, oomKilledWindow`}},
		{"OOM window of 0", spec("proxies: {oomKilledWindow: 0s}"), []string{
			`bad.yaml:5:30: spec.proxies.oomKilledWindow: 0s is out of range: a window must be between 1m and 1d`}},
		{"unknown scrape setup", spec("prometheus: {scrape: prometheus-operator}"), []string{
			`bad.yaml:5:24: spec.prometheus.scrape: expected one of kube-prometheus-stack, istio-sample, custom, got "prometheus-operator"`}},
		{"unknown CA mode", spec("certificates: {ca: vault}"), []string{
			`bad.yaml:5:22: spec.certificates.ca: expected one of istiod, plugged, cert-manager, external, got "vault"`}},
		{"rotation planning after the warning", spec("certificates: {rotationPlanning: 2d}"), []string{
			`bad.yaml:5:36: spec.certificates.rotationPlanning: expected more time left than spec.certificates.expiryWarning (3d), so planning comes before the warning, got 2d`}},
		{"revision name not a DNS label", spec("istiod: {revisions: [{name: 1.25}]}"), []string{
			`bad.yaml:5:31: spec.istiod.revisions[0].name: expected a revision as in istio.io/rev (1 to 63 characters of a-z, 0-9 and '-', such as 1-25), got "1.25"`}},
		{"revision name missing", spec("istiod: {revisions: [{tag: canary}]}"), []string{
			`bad.yaml:5:24: spec.istiod.revisions[0].name: expected a revision as in istio.io/rev (1 to 63 characters of a-z, 0-9 and '-', such as 1-25), got ""`}},
		{"duplicate revision", spec("istiod: {revisions: [{name: 1-24, tag: stable}, {name: 1-24}]}"), []string{
			`bad.yaml:5:58: spec.istiod.revisions[1].name: duplicate revision "1-24" (also spec.istiod.revisions[0])`}},
		{"duplicate revision tag", spec("istiod: {revisions: [{name: 1-24, tag: stable}, {name: 1-25, tag: stable}]}"), []string{
			`bad.yaml:5:69: spec.istiod.revisions[1].tag: duplicate tag "stable" (also spec.istiod.revisions[0]): a tag points at one revision`}},
		{"revision tag not a DNS label", spec("istiod: {revisions: [{name: 1-25, tag: Canary_1}]}"), []string{
			`bad.yaml:5:42: spec.istiod.revisions[0].tag: expected a revision tag (1 to 63 characters of a-z, 0-9 and '-', such as canary), got "Canary_1"`}},
		{"version skew out of range", spec("istiod: {versionSkewMinors: -1, versionSkewFor: 5 days}"), []string{
			`bad.yaml:5:31: spec.istiod.versionSkewMinors: expected 0 to 10 minor versions (Istio supports 1), got -1`,
			`bad.yaml:5:51: spec.istiod.versionSkewFor: expected a duration such as 60s, 5m, 1h or 30d, got "5 days"`}},
		{"version skew above the bound", spec("istiod: {versionSkewMinors: 11}"), []string{
			`bad.yaml:5:31: spec.istiod.versionSkewMinors: expected 0 to 10 minor versions (Istio supports 1), got 11`}},
		{"istiod namespace not a DNS label", spec("istiod: {namespace: Istio_System}"), []string{
			`bad.yaml:5:23: spec.istiod.namespace: expected a Kubernetes namespace name (1 to 63 characters of a-z, 0-9 and '-'), got "Istio_System"`}},
		{"certificate critical before warning", spec("certificates: {expiryWarning: 24h, expiryCritical: 48h}"), []string{
			`bad.yaml:5:54: spec.certificates.expiryCritical: expected less time left than spec.certificates.expiryWarning (1d), so the warning comes first, got 2d`}},
		{"duplicate SLO names", spec("slos:",
			"  - {name: checkout, sli: availability, objective: 99.9}",
			"  - {name: checkout, sli: latency, objective: 95}"), []string{
			`bad.yaml:7:14: spec.slos[1].name: duplicate SLO name "checkout" (also spec.slos[0])`}},
		{"duration without unit", spec("proxies: {staleFor: 60}"), []string{
			`bad.yaml:5:23: spec.proxies.staleFor: expected a duration such as 60s, 5m, 1h or 30d, got "60"; a duration needs a unit, such as 60s`}},
		{"duration in words", spec("istiod: {downFor: 5 minutes}"), []string{
			`bad.yaml:5:21: spec.istiod.downFor: expected a duration such as 60s, 5m, 1h or 30d, got "5 minutes"`}},
		{"fractional duration", spec("certificates: {expiryCritical: 1.5d}"), []string{
			`bad.yaml:5:34: spec.certificates.expiryCritical: expected a duration such as 60s, 5m, 1h or 30d, got "1.5d"`}},
		{"fractional hours", spec("istiod: {heapFor: 0.5h}"), []string{
			`bad.yaml:5:21: spec.istiod.heapFor: expected a duration such as 60s, 5m, 1h or 30d, got "0.5h"; write whole numbers of a smaller unit, such as 30m`}},
		{"negative duration", spec("errorBudget: {exhaustedFor: -5m}"), []string{
			`bad.yaml:5:31: spec.errorBudget.exhaustedFor: expected a duration such as 60s, 5m, 1h or 30d, got "-5m"; durations cannot be negative`}},
		{"quantity in GB", spec("istiod: {memoryLimit: 8GB}"), []string{
			`bad.yaml:5:25: spec.istiod.memoryLimit: expected a memory quantity such as 800Mi, 8Gi or 1073741824, got "8GB"; write 8Gi for binary units or 8G for decimal ones`}},
		{"negative quantity", spec("proxies: {memoryWarning: -800Mi}"), []string{
			`bad.yaml:5:28: spec.proxies.memoryWarning: expected a memory quantity such as 800Mi, 8Gi or 1073741824, got "-800Mi"; a memory quantity cannot be negative`}},
		{"zero quantity", spec("istiod: {memoryLimit: 0Gi}"), []string{
			`bad.yaml:5:25: spec.istiod.memoryLimit: expected a memory quantity of at least 1Mi, such as 8Gi (a bare number is bytes), got 0`}},
		{"bare number is bytes", spec("istiod: {memoryLimit: 8}"), []string{
			`bad.yaml:5:25: spec.istiod.memoryLimit: expected a memory quantity of at least 1Mi, such as 8Gi (a bare number is bytes), got 8`}},
		{"cluster label the rules already use", spec("mesh: {cluster: eu1, clusterLabel: le}"), []string{
			`bad.yaml:5:38: spec.mesh.clusterLabel: "le" is a label meshslo's rules already match or group by (cluster_name, container, destination_service_name, destination_service_namespace, le, namespace, pod, reporter, resource, resource_name, response_code, slo, type); use the label that carries the cluster name, such as cluster`}},
		{"requests selector on a label the SLI sets", spec(`prometheus: {selectors: {requests: 'reporter="source"'}}`), []string{
			`bad.yaml:5:38: spec.prometheus.selectors.requests: must not match reporter: meshslo sets it for each SLI`}},
		{"push latency above the top bucket", spec("istiod: {pushLatencyWarning: 30s}"), []string{
			`bad.yaml:5:32: spec.istiod.pushLatencyWarning: expected less than 30s: pilot_proxy_convergence_time's largest finite bucket is 30s, so a quantile above it cannot be measured, got 30s`}},
		{"negative nodes", spec("mesh: {nodes: -1}"), []string{
			`bad.yaml:5:17: spec.mesh.nodes: expected 0 or more nodes, got -1`}},
		{"more nodes than any mesh", spec("mesh: {nodes: 200000}"), []string{
			`bad.yaml:5:17: spec.mesh.nodes: expected at most 100000 nodes, got 200000`}},
		{"more pods than any mesh", spec("mesh: {pods: 2000000}"), []string{
			`bad.yaml:5:16: spec.mesh.pods: expected at most 1000000 pods, got 2000000`}},
		{"latency threshold between buckets", spec("slos: [{name: fast, sli: latency, objective: 99, threshold: 300ms}]"), []string{
			`bad.yaml:5:63: spec.slos[0].threshold: 300ms is not a bucket boundary of istio_request_duration_milliseconds (Envoy's default buckets), so the SLI could not be exact; the nearest are 250ms and 500ms`}},
		{"latency threshold above every bucket", spec("slos: [{name: slow, sli: latency, objective: 99, threshold: 2h}]"), []string{
			`bad.yaml:5:63: spec.slos[0].threshold: 2h is not a bucket boundary of istio_request_duration_milliseconds (Envoy's default buckets), so the SLI could not be exact; the nearest are 1h and none`}},
		{"threshold on availability", spec("slos: [{name: a, sli: availability, objective: 99.9, threshold: 250ms}]"), []string{
			`bad.yaml:5:67: spec.slos[0].threshold: only a latency SLO has a threshold; remove it or set sli: latency`}},
		{"SLO window under a day", spec("slos: [{name: a, sli: availability, objective: 99.9, window: 12h}]"), []string{
			`bad.yaml:5:3: spec.burnRates[2].long: the 1d window is longer than the period of spec.slos[0] (12h)`,
			`bad.yaml:5:3: spec.burnRates[3].long: the 3d window is longer than the period of spec.slos[0] (12h)`,
			`bad.yaml:5:64: spec.slos[0].window: 12h is out of range: an SLO period must be between 1d and 90d`}},
		{"unknown SLI", spec("slos: [{name: a, sli: errors, objective: 99.9}]"), []string{
			`bad.yaml:5:25: spec.slos[0].sli: expected one of availability, latency, got "errors"`}},
		{"burn short window not shorter", spec("burnRates: [{severity: critical, budgetShare: 0.02, long: 1h, short: 1h}]"), []string{
			`bad.yaml:5:72: spec.burnRates[0].short: expected the short window 1h to be shorter than long (1h)`}},
		{"burn window longer than the SLO", spec("burnRates: [{severity: warning, budgetShare: 0.1, long: 60d, short: 1d}]"), []string{
			`bad.yaml:5:59: spec.burnRates[0].long: the 60d window is longer than the period of spec.slos[0] (30d)`,
			`bad.yaml:5:59: spec.burnRates[0].long: the 60d window is longer than the period of spec.slos[1] (30d)`}},
		{"two burn tiers alike", spec("burnRates:",
			"  - &tier {severity: critical, budgetShare: 0.02, long: 1h, short: 5m}",
			"  - {<<: *tier, budgetShare: 0.01, short: 10m}"), []string{
			`bad.yaml:7:7: spec.burnRates[1]: same severity (critical) and long window (1h) as spec.burnRates[0]; their alerts would carry the same labels`}},
		{"workload certificate warning of a day", spec("certificates: {workloadExpiryWarning: 24h}"), []string{
			`bad.yaml:5:41: spec.certificates.workloadExpiryWarning: expected less than 24h: workload certificates live 24h, so 1d would always fire`}},
		{"unknown environment", spec("environment: prod"), []string{
			`bad.yaml:5:16: spec.environment: expected one of production, staging, development, got "prod"`}},
		{"unknown size", spec("size: xl"), []string{
			`bad.yaml:5:9: spec.size: expected one of small, medium, large, got "xl"`}},
		{"sampling above 1", spec("tracing: {sampling: 2}"), []string{
			`bad.yaml:5:23: spec.tracing.sampling: expected a sampling rate from 0 to 1, got 2`}},
		{"no pods", spec("mesh: {pods: 0}"), []string{
			`bad.yaml:5:16: spec.mesh.pods: expected at least 1 pod, got 0`}},
		{"no istiod replicas", spec("istiod: {minReplicas: 0}"), []string{
			`bad.yaml:5:25: spec.istiod.minReplicas: expected 1 to 100 replicas, got 0`}},
		{"wrong apiVersion and kind", "apiVersion: meshslo/v1\nkind: Profile\nmetadata: {name: bad}\n", []string{
			`bad.yaml:1:13: apiVersion: expected "meshslo/v1alpha1", got "meshslo/v1"`,
			`bad.yaml:2:7: kind: expected "MeshProfile", got "Profile"`}},

		// Durations out of the range that makes sense for alerting; each
		// of these took seconds to minutes, or all memory, to generate.
		{"for: of 292 years", spec("proxies: {staleFor: 106751d}"), []string{
			`bad.yaml:5:23: spec.proxies.staleFor: 106751d is out of range: a for: duration must be between 0s and 1d`}},
		{"budget exhausted for 1000 days", spec("errorBudget: {exhaustedFor: 1000d}"), []string{
			`bad.yaml:5:31: spec.errorBudget.exhaustedFor: 1000d is out of range: a for: duration must be between 0s and 1d`}},
		{"certificate for: of 1000 days", spec("certificates: {for: 1000d}"), []string{
			`bad.yaml:5:23: spec.certificates.for: 1000d is out of range: a for: duration must be between 0s and 1d`}},
		{"istiod for: just over a day", spec("istiod: {cpuFor: 1d1ms}"), []string{
			`bad.yaml:5:20: spec.istiod.cpuFor: 86400001ms is out of range: a for: duration must be between 0s and 1d`}},
		{"burn tier for: of a week", spec("burnRates: [{severity: warning, budgetShare: 0.1, long: 3d, short: 6h, for: 1w}]"), []string{
			`bad.yaml:5:79: spec.burnRates[0].for: 7d is out of range: a for: duration must be between 0s and 1d`}},
		{"evaluation interval of 1ms", spec("prometheus: {evaluationInterval: 1ms}"), []string{
			`bad.yaml:5:36: spec.prometheus.evaluationInterval: 1ms is out of range: the evaluation interval must be between 5s and 5m`}},
		{"evaluation interval of a day", spec("prometheus: {evaluationInterval: 1d}"), []string{
			`bad.yaml:5:36: spec.prometheus.evaluationInterval: 1d is out of range: the evaluation interval must be between 5s and 5m`}},
		{"certificate warning over a year ahead", spec("certificates: {expiryWarning: 366d}"), []string{
			`bad.yaml:5:33: spec.certificates.expiryWarning: 366d is out of range: a certificate expiry threshold must be above 0s and at most 365d`}},
		{"certificate critical of 0", spec("certificates: {expiryCritical: 0s}"), []string{
			`bad.yaml:5:34: spec.certificates.expiryCritical: 0s is out of range: a certificate expiry threshold must be above 0s and at most 365d`}},
		// Certificates by CA mode.
		{"unknown CA mode", spec("certificates: {ca: vault}"), []string{
			`bad.yaml:5:22: spec.certificates.ca: expected one of istiod, plugged, cert-manager, external, got "vault"`}},
		{"CA mode in capitals", spec("certificates: {ca: Istiod}"), []string{
			`bad.yaml:5:22: spec.certificates.ca: expected one of istiod, plugged, cert-manager, external, got "Istiod"`}},
		{"rotation planning at the expiry warning", spec("certificates: {rotationPlanning: 72h}"), []string{
			`bad.yaml:5:36: spec.certificates.rotationPlanning: expected more time left than spec.certificates.expiryWarning (3d), so planning comes before the warning, got 3d`}},
		{"rotation planning of 0", spec("certificates: {rotationPlanning: 0s}"), []string{
			`bad.yaml:5:36: spec.certificates.rotationPlanning: 0s is out of range: a rotation planning threshold must be above 0s and at most 730d`}},
		{"rotation planning over two years", spec("certificates: {rotationPlanning: 731d}"), []string{
			`bad.yaml:5:36: spec.certificates.rotationPlanning: 731d is out of range: a rotation planning threshold must be above 0s and at most 730d`}},
		{"absent for a year", spec("certificates: {absentFor: 365d}"), []string{
			`bad.yaml:5:29: spec.certificates.absentFor: 365d is out of range: a for: duration must be between 0s and 1d`}},
		{"negative CSR failures", spec("certificates: {csrFailuresWarning: -1}"), []string{
			`bad.yaml:5:38: spec.certificates.csrFailuresWarning: expected a number of 0 or more, got -1`}},
		{"CSR failures as text", spec("certificates: {csrFailuresWarning: some}"), []string{
			`bad.yaml:5:38: spec.certificates.csrFailuresWarning: expected a number, got "some"`}},
		{"CSR failures for without unit", spec("certificates: {csrFailuresFor: 600}"), []string{
			`bad.yaml:5:34: spec.certificates.csrFailuresFor: expected a duration such as 60s, 5m, 1h or 30d, got "600"; a duration needs a unit, such as 600s`}},
		{"cert-manager selector in braces", spec(`prometheus: {selectors: {certManager: '{name="istio-ca"}'}}`), []string{
			`bad.yaml:5:41: spec.prometheus.selectors.certManager: expected label matchers without braces, such as app="istiod", got "{name=\"istio-ca\"}"`}},
		{"cert-manager selector on the metric name", spec(`prometheus: {selectors: {certManager: '__name__="x"'}}`), []string{
			`bad.yaml:5:41: spec.prometheus.selectors.certManager: selector "__name__=\"x\"" must not match the metric name; it is added to several metrics`}},
		{"SLO period over 90 days", spec("slos: [{name: a, sli: availability, objective: 99.9, window: 91d}]"), []string{
			`bad.yaml:5:64: spec.slos[0].window: 91d is out of range: an SLO period must be between 1d and 90d`}},

		// Burn tiers that can never fire.
		{"burn tier over every request", spec("slos: [{name: a, sli: availability, objective: 95}]",
			"burnRates: [{severity: critical, budgetShare: 0.5, long: 1h, short: 5m}]"), []string{
			`bad.yaml:6:15: spec.burnRates[0]: factor 360 x error budget 5% = 1800% > 100%: this tier can never fire for spec.slos[0] (objective 95 over 30d)`}},
		{"objective of 90 with the default tiers", spec("slos: [{name: a, sli: availability, objective: 90}]"), []string{
			`bad.yaml:5:3: spec.burnRates[0]: factor 14.4 x error budget 10% = 144% > 100%: this tier can never fire for spec.slos[0] (objective 90 over 30d)`}},
		{"burn tier at exactly every request", spec("slos: [{name: a, sli: availability, objective: 90, window: 20d}]",
			"burnRates: [{severity: critical, budgetShare: 0.5, long: 1d, short: 1h}]"), []string{
			`bad.yaml:6:15: spec.burnRates[0]: factor 10 x error budget 10% = 100%: this tier can never fire for spec.slos[0] (objective 90 over 20d)`}},
		{"objective written as a ratio", spec("slos: [{name: a, sli: availability, objective: 0.9995}]"), []string{
			`bad.yaml:5:50: spec.slos[0].objective: 0.9995 is a percentage, so this objective promises 0.9995% of requests; write 99.95 for 99.95%`}},
		{"listed service objective written as a ratio", spec("slos: [{name: a, sli: availability, objective: 99.9, services: [{namespace: shop, name: cart, objective: 0.99}]}]"), []string{
			`bad.yaml:5:108: spec.slos[0].services[0].objective: 0.99 is a percentage, so this objective promises 0.99% of requests; write 99 for 99%`}},
		{"listed service whose budget a tier cannot reach", spec("slos: [{name: a, sli: availability, objective: 99.9, services: [{namespace: shop, name: cart, objective: 90}, {namespace: shop, name: pay}]}]"), []string{
			`bad.yaml:5:3: warning: spec.burnRates[0]: factor 14.4 x error budget 10% = 144% > 100%: this tier can never fire for spec.slos[0].services[0] (objective 90 over 30d); its other services keep the tier (--strict makes this an error)`}},

		// YAML tags, control characters and nulls, which were read as
		// something else.
		{"binary tag", spec("mesh: {cluster: !!binary ZXUtd2VzdA==}"), []string{
			`bad.yaml:5:19: spec.mesh.cluster: YAML tags are not allowed, got "!!binary"; write the value without a tag (in quotes to make it a string)`}},
		{"python object tag", strings.Replace(head, "name: bad", "name: !!python/object:os.system bad", 1), []string{
			`bad.yaml:3:18: metadata.name: YAML tags are not allowed, got "!!python/object:os.system"; write the value without a tag (in quotes to make it a string)`}},
		{"local tag", spec("environment: !foo production"), []string{
			`bad.yaml:5:16: spec.environment: YAML tags are not allowed, got "!foo"; write the value without a tag (in quotes to make it a string)`}},
		{"set tag", spec("prometheus: {ruleLabels: !!set {release: x}}"), []string{
			`bad.yaml:5:28: spec.prometheus.ruleLabels: YAML tags are not allowed, got "!!set"; write the value without a tag (in quotes to make it a string)`}},
		{"str tag", spec("mesh: {cluster: !!str 42}"), []string{
			`bad.yaml:5:19: spec.mesh.cluster: YAML tags are not allowed, got "!!str"; write the value without a tag (in quotes to make it a string)`}},
		{"tag on a key", spec("mesh: {!!str cluster: eu}"), []string{
			`bad.yaml:5:10: spec.mesh.cluster: YAML tags are not allowed, got "!!str"; write the value without a tag (in quotes to make it a string)`}},
		{"NUL in the description", strings.Replace(head, "{name: bad}", `{name: bad, description: "a\0b"}`, 1), []string{
			`bad.yaml:3:36: metadata.description: expected text without control or invisible formatting characters, got "a\x00b": character 2 is U+0000 (NUL), a control character`}},
		{"raw next line in a value", spec("mesh: {cluster: \"eu\u0085west\"}"), []string{
			`bad.yaml:5:22: character U+0085 (next line) is a line break to YAML, which would turn it into a space or a new line; remove it`}},
		{"raw line separator in a comment", spec("mesh: {cluster: eu} # a\u2028b"), []string{
			`bad.yaml:5:26: character U+2028 (line separator) is a line break to YAML, which would turn it into a space or a new line; remove it`}},
		{"next line in the description", strings.Replace(head, "{name: bad}", `{name: bad, description: "a\Nb"}`, 1), []string{
			`bad.yaml:3:36: metadata.description: expected text without control or invisible formatting characters, got "a\u0085b": character 2 is U+0085 (next line), a control character`}},
		{"line separator in the description", strings.Replace(head, "{name: bad}", `{name: bad, description: "a\Lb"}`, 1), []string{
			`bad.yaml:3:36: metadata.description: expected text without control or invisible formatting characters, got "a\u2028b": character 2 is U+2028 (line separator), a line or paragraph separator`}},
		{"right-to-left override in a selector value", spec(`slos: [{name: a, sli: availability, objective: 99.9, selector: {destination_service_name: "pay\u202ekcehc"}}]`), []string{
			`bad.yaml:5:93: spec.slos[0].selector.destination_service_name: expected text without control or invisible formatting characters, got "pay\u202ekcehc": character 4 is U+202E (right-to-left override), an invisible formatting character`}},
		{"tab in a selector", spec(`prometheus: {selectors: {istiod: "app=\"istiod\",\tjob=\"x\""}}`), []string{
			`bad.yaml:5:36: spec.prometheus.selectors.istiod: expected text without control or invisible formatting characters, got "app=\"istiod\",\tjob=\"x\"": character 14 is U+0009 (tab), a control character`}},
		{"null selector value", spec("slos: [{name: a, sli: availability, objective: 99.9, selector: {destination_service_name: ~}}]"), []string{
			`bad.yaml:5:93: spec.slos[0].selector.destination_service_name: expected a string, got nothing (null); write "" for an empty string`}},
		{"empty cluster", spec("mesh:", "  cluster:"), []string{
			`bad.yaml:6:13: spec.mesh.cluster: expected a string, got nothing (null); write "" for an empty string`}},
		{"runbook URL with a template", spec("prometheus: {runbookBaseURL: 'https://runbooks.example.com/{{ .Labels.job }}'}"), []string{
			`bad.yaml:5:32: spec.prometheus.runbookBaseURL: expected an http(s) URL, got "https://runbooks.example.com/{{ .Labels.job }}"`}},
		{"runbook URL with braces", spec("prometheus: {runbookBaseURL: 'https://runbooks.example.com/{{.Labels.job}}'}"), []string{
			`bad.yaml:5:32: spec.prometheus.runbookBaseURL: expected an http(s) URL, got "https://runbooks.example.com/{{.Labels.job}}": '{' cannot stand in a URL; write it percent-encoded, as %7B`}},
		{"name ending with a dash", strings.Replace(head, "name: bad", "name: payments-", 1), []string{
			`bad.yaml:3:18: metadata.name: expected 1 to 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit (it names the output folder), got "payments-"`}},

		// Names that would escape or collide as folder names.
		{"name with dot-dot", strings.Replace(head, "name: bad", "name: ../etc", 1), []string{
			`bad.yaml:3:18: metadata.name: expected 1 to 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit (it names the output folder), got "../etc"`}},
		{"name with slash", strings.Replace(head, "name: bad", "name: team/payments", 1), []string{
			`bad.yaml:3:18: metadata.name: expected 1 to 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit (it names the output folder), got "team/payments"`}},
		{"uppercase name", strings.Replace(head, "name: bad", "name: Payments", 1), []string{
			`bad.yaml:3:18: metadata.name: expected 1 to 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit (it names the output folder), got "Payments"`}},
		{"64-character name", strings.Replace(head, "name: bad", "name: "+strings.Repeat("a", 64), 1), []string{
			`bad.yaml:3:18: metadata.name: expected 1 to 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit (it names the output folder), got "` + strings.Repeat("a", 64) + `"`}},
		{"missing name", "apiVersion: meshslo/v1alpha1\nkind: MeshProfile\n", []string{
			`bad.yaml: metadata.name: missing; expected the profile's name: 1 to 63 characters of a-z, 0-9 and '-' (it names the output folder), such as payments-prod`}},
		{"uppercase SLO name", spec("slos: [{name: Checkout, sli: availability, objective: 99.9}]"), []string{
			`bad.yaml:5:17: spec.slos[0].name: expected 1 to 63 characters of a-z, 0-9, '-' and '_', starting with a letter or digit, got "Checkout"`}},

		// Missing required values say "missing", not the zero value they hold.
		{"SLO without objective", spec("slos: [{name: a, sli: availability}]"), []string{
			`bad.yaml:5:10: spec.slos[0].objective: missing; expected a percentage like 99.9`}},
		{"SLO without name and sli", spec("slos: [{objective: 99.9}]"), []string{
			`bad.yaml:5:10: spec.slos[0].name: missing; expected a name such as availability: 1 to 63 characters of a-z, 0-9, '-' and '_'`,
			`bad.yaml:5:10: spec.slos[0].sli: missing; expected availability or latency`}},

		// Fields set to no effect warn (effect.go).
		{"cluster label without a cluster", spec("mesh: {clusterLabel: k8s_cluster}"), []string{
			`bad.yaml:5:24: warning: spec.mesh.clusterLabel: has no effect without spec.mesh.cluster: the rules match k8s_cluster only when a cluster is named; set spec.mesh.cluster or remove clusterLabel (--strict makes this an error)`}},
		{"cert-manager selector without cert-manager", spec(`prometheus: {selectors: {certManager: 'job="cert-manager"'}}`), []string{
			`bad.yaml:5:41: warning: spec.prometheus.selectors.certManager: has no effect with spec.certificates.ca istiod: only the cert-manager mode reads cert-manager's series (--strict makes this an error)`}},
		{"expiry thresholds with an external CA", spec("certificates: {ca: external, expiryWarning: 96h, rotationPlanning: 60d}"), []string{
			`bad.yaml:5:47: warning: spec.certificates.expiryWarning: has no effect with spec.certificates.ca external: an external CA exports no CA certificate expiry series, so no alert reads it (--strict makes this an error)`,
			`bad.yaml:5:70: warning: spec.certificates.rotationPlanning: has no effect with spec.certificates.ca external: an external CA exports no CA certificate expiry series, so no alert reads it (--strict makes this an error)`}},
		{"istiod namespace without generated monitors", spec("istiod: {namespace: istio-prod}", "prometheus: {scrape: istio-sample}"), []string{
			`bad.yaml:5:23: warning: spec.istiod.namespace: has no effect with spec.prometheus.scrape istio-sample: it places the generated ServiceMonitor, which only kube-prometheus-stack gets (--strict makes this an error)`}},
		{"budget alert without SLOs", spec("slos: []", "errorBudget: {exhaustedFor: 30m}"), []string{
			`bad.yaml:6:31: warning: spec.errorBudget.exhaustedFor: has no effect: spec.slos is empty, so no SLO alert is generated (--strict makes this an error)`}},
		{"cluster label with a cluster is fine", spec("mesh: {cluster: eu-west, clusterLabel: k8s_cluster}"), nil},
		{"a wrong cluster label gets its error only", spec("mesh: {clusterLabel: k8s-cluster}"), []string{
			`bad.yaml:5:24: spec.mesh.clusterLabel: expected a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*), got "k8s-cluster"`}},

		// Selectors and label values.
		{"unterminated selector", spec(`prometheus: {selectors: {istiod: 'app="istiod'}}`), []string{
			`bad.yaml:5:36: spec.prometheus.selectors.istiod: expected label matchers such as app="istiod", got "app=\"istiod": 1:6: parse error: unterminated quoted string`}},
		{"selector with braces", spec(`prometheus: {selectors: {proxies: '{job="envoy"}'}}`), []string{
			`bad.yaml:5:37: spec.prometheus.selectors.proxies: expected label matchers without braces, such as app="istiod", got "{job=\"envoy\"}"`}},
		{"selector injecting PromQL", spec(`prometheus: {selectors: {requests: 'app="x"} or vector(1) or {a="'}}`), []string{
			`bad.yaml:5:38: spec.prometheus.selectors.requests: expected label matchers without braces, such as app="istiod", got "app=\"x\"} or vector(1) or {a=\""`}},
		{"selector with an operator", spec(`prometheus: {selectors: {requests: 'app="x" or vector(1)'}}`), []string{
			`bad.yaml:5:38: spec.prometheus.selectors.requests: expected label matchers such as app="istiod", got "app=\"x\" or vector(1)": 1:10: parse error: unexpected identifier "or" in label matching, expected "," or "}"`}},
		{"selector on the metric name", spec(`prometheus: {selectors: {cadvisor: '__name__="up"'}}`), []string{
			`bad.yaml:5:38: spec.prometheus.selectors.cadvisor: selector "__name__=\"up\"" must not match the metric name; it is added to several metrics`}},
		{"SLO selector label misspelt", spec("slos: [{name: a, sli: availability, objective: 99.9, selector: {destination_servce: x}}]"), []string{
			`bad.yaml:5:87: spec.slos[0].selector.destination_servce: "destination_servce" is not a label of istio_requests_total; did you mean "destination_service"?`}},
		{"SLO selector value with a newline", spec(`slos: [{name: a, sli: availability, objective: 99.9, selector: {destination_service_name: "a\n} or vector(1)"}}]`), []string{
			`bad.yaml:5:93: spec.slos[0].selector.destination_service_name: expected text without control or invisible formatting characters, got "a\n} or vector(1)": character 2 is U+000A (newline), a control character`}},
		{"listed services with a selector on the service", spec("slos: [{name: a, sli: availability, objective: 99.9, selector: {destination_service_name: x}, services: [{namespace: shop, name: x}]}]"), []string{
			`bad.yaml:5:93: spec.slos[0].selector.destination_service_name: cannot be combined with services, which name the SLO's services; list the service under services instead`}},
		{"listed service twice", spec("slos: [{name: a, sli: availability, objective: 99.9, services: [{namespace: shop, name: cart}, {namespace: shop, name: cart, objective: 99}]}]"), []string{
			`bad.yaml:5:98: spec.slos[0].services[1]: duplicate service shop/cart (also spec.slos[0].services[0])`}},
		{"listed service objective of 100", spec("slos: [{name: a, sli: availability, objective: 99.9, services: [{namespace: shop, name: cart, objective: 100}]}]"), []string{
			`bad.yaml:5:108: spec.slos[0].services[0].objective: expected a percentage between 0 and 100 (exclusive), such as 99.9, got 100`}},
		{"listed service objective with a % sign", spec("slos: [{name: a, sli: availability, objective: 99.9, services: [{namespace: shop, name: cart, objective: 99%}]}]"), []string{
			`bad.yaml:5:108: spec.slos[0].services[0].objective: expected a number, got "99%"; write the percentage without the % sign, such as 99`}},
		{"listed service without a namespace", spec("slos: [{name: a, sli: availability, objective: 99.9, services: [{name: cart}]}]"), []string{
			`bad.yaml:5:67: spec.slos[0].services[0].namespace: missing; expected the service's namespace (its destination_service_namespace label)`}},
		{"listed service name with a newline", spec(`slos: [{name: a, sli: availability, objective: 99.9, services: [{namespace: shop, name: "cart\n} or vector(1)"}]}]`), []string{
			`bad.yaml:5:91: spec.slos[0].services[0].name: expected text without control or invisible formatting characters, got "cart\n} or vector(1)": character 5 is U+000A (newline), a control character`}},
		{"listed service field misspelt", spec("slos: [{name: a, sli: availability, objective: 99.9, services: [{namespace: shop, service: cart}]}]"), []string{
			`bad.yaml:5:67: spec.slos[0].services[0].name: missing; expected the service's name (its destination_service_name label)`,
			`bad.yaml:5:85: spec.slos[0].services[0].service: unknown field; expected one of namespace, name, objective`}},
		{"cluster with a newline", spec(`mesh: {cluster: "eu\nwest"}`), []string{
			`bad.yaml:5:19: spec.mesh.cluster: expected text without control or invisible formatting characters, got "eu\nwest": character 3 is U+000A (newline), a control character`}},
		{"cluster label not a label name", spec("mesh: {clusterLabel: k8s-cluster}"), []string{
			`bad.yaml:5:24: spec.mesh.clusterLabel: expected a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*), got "k8s-cluster"`}},
		{"reserved cluster label", spec("mesh: {cluster: eu, clusterLabel: __name__}"), []string{
			`bad.yaml:5:37: spec.mesh.clusterLabel: expected a label name not starting with __ (Prometheus reserves those), got "__name__"`}},
		{"runbook URL with a space", spec("prometheus: {runbookBaseURL: 'https://runbooks.example.com/istio runbooks'}"), []string{
			`bad.yaml:5:32: spec.prometheus.runbookBaseURL: expected an http(s) URL, got "https://runbooks.example.com/istio runbooks"`}},
		{"runbook URL without a host", spec("prometheus: {runbookBaseURL: 'https:///runbooks'}"), []string{
			`bad.yaml:5:32: spec.prometheus.runbookBaseURL: expected an http(s) URL, got "https:///runbooks"`}},
		{"rule label key with a space", spec(`prometheus: {ruleLabels: {"team name": mesh}}`), []string{
			`bad.yaml:5:42: spec.prometheus.ruleLabels["team name"]: expected a Kubernetes label key: [prefix/]name, the name 1 to 63 letters, digits, '-', '_' or '.' starting and ending with a letter or digit, the prefix a lowercase DNS name; got "team name"`}},
		{"rule label value Kubernetes refuses", spec(`prometheus: {ruleLabels: {release: "kube prometheus"}}`), []string{
			`bad.yaml:5:38: spec.prometheus.ruleLabels.release: expected a Kubernetes label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit; got "kube prometheus"`}},
		{"namespace with uppercase", spec("prometheus: {namespace: Monitoring}"), []string{
			`bad.yaml:5:27: spec.prometheus.namespace: expected a Kubernetes namespace (lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit), got "Monitoring"`}},
		{"runbook URL not http", spec("prometheus: {runbookBaseURL: 'ftp://runbooks'}"), []string{
			`bad.yaml:5:32: spec.prometheus.runbookBaseURL: expected an http(s) URL, got "ftp://runbooks"`}},
		// meshslo appends /<alert>.md to the base URL.
		{"runbook URL with a query", spec("prometheus: {runbookBaseURL: 'https://wiki.example.com/view?page=istio'}"), []string{
			`bad.yaml:5:32: spec.prometheus.runbookBaseURL: expected an http(s) URL without ?query or #fragment: meshslo appends /<alert>.md to it, got "https://wiki.example.com/view?page=istio"`}},
		{"runbook URL with a fragment", spec("prometheus: {runbookBaseURL: 'https://wiki.example.com/istio#{{1}}'}"), []string{
			`bad.yaml:5:32: spec.prometheus.runbookBaseURL: expected an http(s) URL without ?query or #fragment: meshslo appends /<alert>.md to it, got "https://wiki.example.com/istio#{{1}}"`}},
		{"runbook URL with user info", spec("prometheus: {runbookBaseURL: 'https://admin:secret@wiki.example.com/istio'}"), []string{
			`bad.yaml:5:32: spec.prometheus.runbookBaseURL: expected an http(s) URL without user info (user@), got "https://admin:secret@wiki.example.com/istio"`}},
		{"runbook URL host not a name", spec("prometheus: {runbookBaseURL: 'https://wiki_x.example.com/istio'}"), []string{
			`bad.yaml:5:32: spec.prometheus.runbookBaseURL: expected an http(s) URL whose host is a DNS name or IP address, got "https://wiki_x.example.com/istio"`}},

		// Hostile files (testdata/bad/).
		{name: "wrong-types", want: []string{
			`testdata/bad/wrong-types.yaml:4:18: metadata.name: expected a string, got a list`,
			`testdata/bad/wrong-types.yaml:6:20: spec.mesh.services: expected a whole number, got "many"`,
			`testdata/bad/wrong-types.yaml:6:32: spec.mesh.pods: expected a whole number, got 2.5`,
			`testdata/bad/wrong-types.yaml:6:46: spec.mesh.cluster: expected a string, got a mapping`,
			`testdata/bad/wrong-types.yaml:7:25: spec.istiod.minReplicas: expected a whole number, got the boolean true`,
			`testdata/bad/wrong-types.yaml:7:49: spec.istiod.heapWarningRatio: expected a number, got "0.8"; write the number without quotes`,
			`testdata/bad/wrong-types.yaml:7:65: spec.istiod.heapFor: expected a duration such as 60s, 5m, 1h or 30d, got "300"; a duration needs a unit, such as 300s`,
			`testdata/bad/wrong-types.yaml:8:25: spec.proxies.staleRatio: expected a number, got "5%"; write a ratio from 0 to 1, such as 0.05`,
			`testdata/bad/wrong-types.yaml:8:46: spec.proxies.memoryWarning: expected a memory quantity such as 800Mi, 8Gi or 1073741824, got "8GB"; write 8Gi for binary units or 8G for decimal ones`,
			`testdata/bad/wrong-types.yaml:9:9: spec.slos: expected a list, got a mapping`,
			`testdata/bad/wrong-types.yaml:10:15: spec.burnRates[0]: expected a mapping, got "critical"`}},
		{name: "out-of-range", want: []string{
			`testdata/bad/out-of-range.yaml:6:20: spec.mesh.services: expected a whole number, got 99999999999999999999, which is too large`,
			`testdata/bad/out-of-range.yaml:6:48: spec.mesh.pods: expected a whole number, got 1e3`,
			`testdata/bad/out-of-range.yaml:7:31: spec.istiod.xdsRejectsWarning: expected a finite number, got .inf`,
			`testdata/bad/out-of-range.yaml:8:23: spec.tracing.sampling: expected a finite number, got .nan`,
			`testdata/bad/out-of-range.yaml:10:58: spec.slos[0].objective: expected a number, got "99.9%"; write the percentage without the % sign, such as 99.9`}},
		{name: "misspelt-fields", want: []string{
			`testdata/bad/misspelt-fields.yaml:4:28: metadata.labels: unknown field; expected one of name, description`,
			`testdata/bad/misspelt-fields.yaml:6:3: spec.enviroment: unknown field; did you mean "environment"?`,
			`testdata/bad/misspelt-fields.yaml:7:12: spec.istiod.memoryLimt: unknown field; did you mean "memoryLimit"?`,
			`testdata/bad/misspelt-fields.yaml:7:29: spec.istiod.MinReplicas: unknown field; did you mean "minReplicas"?`,
			`testdata/bad/misspelt-fields.yaml:9:7: spec.slos[0].objective: missing; expected a percentage like 99.9`,
			`testdata/bad/misspelt-fields.yaml:9:47: spec.slos[0].objectiv: unknown field; did you mean "objective"?`}},
		{name: "duplicate-keys", want: []string{
			`testdata/bad/duplicate-keys.yaml:7:3: spec.size: duplicate key "size"`,
			`testdata/bad/duplicate-keys.yaml:9:27: spec.prometheus.ruleLabels.team: duplicate key "team"`}},
		{name: "billion-laughs", want: []string{
			`testdata/bad/billion-laughs.yaml:9:7: spec.slos[0]: expected a mapping, got a list`,
			`testdata/bad/billion-laughs.yaml:10:7: spec.slos[1]: expected a mapping, got a list`,
			`testdata/bad/billion-laughs.yaml:11:7: spec.slos[2]: expected a mapping, got a list`,
			`testdata/bad/billion-laughs.yaml:12:7: spec.slos[3]: expected a mapping, got a list`,
			`testdata/bad/billion-laughs.yaml:13:7: spec.slos[4]: expected a mapping, got a list`,
			`testdata/bad/billion-laughs.yaml:14:7: spec.slos[5]: expected a mapping, got a list`,
			`testdata/bad/billion-laughs.yaml:15:7: spec.slos[6]: expected a mapping, got a list`,
			`testdata/bad/billion-laughs.yaml:16:7: spec.slos[7]: expected a mapping, got a list`,
			`testdata/bad/billion-laughs.yaml:17:7: spec.slos[8]: expected a mapping, got a list`}},
		{name: "merge-laughs", want: []string{
			`testdata/bad/merge-laughs.yaml:12:24: spec.prometheus.ruleLabels: document has more than 20000 YAML nodes (aliases count each time they are used); a profile is a page of YAML`}},
		{name: "several-documents", want: []string{
			`testdata/bad/several-documents.yaml:5:1: file holds several YAML documents (separated by ---); put one profile per file`}},
		{name: "tabs", want: []string{
			`testdata/bad/tabs.yaml:4:1: invalid YAML: tabs cannot indent YAML; indent with spaces`}},
		{name: "not-utf8", want: []string{
			`testdata/bad/not-utf8.yaml:3:43: file is not valid UTF-8 text (byte 0xe9); save it as UTF-8`}},
		{name: "empty", want: []string{
			`testdata/bad/empty.yaml: file is empty; a profile needs at least apiVersion, kind and metadata.name`}},
		{"only comments", "# apiVersion: meshslo/v1alpha1\n", []string{
			`bad.yaml: file is empty; a profile needs at least apiVersion, kind and metadata.name (it holds only comments)`}},
		{"UTF-16", "\xff\xfea\x00:\x00 \x00b\x00\n\x00", []string{
			`bad.yaml:1:1: file is UTF-16 text; save it as UTF-8`}},
		{"control character", head + "  mesh: {cluster: eu\x07west}\n", []string{
			`bad.yaml:5:21: invalid YAML: control characters are not allowed; write them as escapes in a double-quoted string, such as "\t"`}},
		{"a list at the top", "- apiVersion: meshslo/v1alpha1\n", []string{
			`bad.yaml:1:1: expected a mapping with apiVersion, kind, metadata and spec at the top of the file`}},
		{"merge of a scalar", spec("istiod: {<<: 5}"), []string{
			`bad.yaml:5:16: spec.istiod: expected a mapping to merge with <<, such as <<: *anchor, got 5`}},
		{"long value quoted whole", spec("environment: " + strings.Repeat("x", 200)), []string{
			`bad.yaml:5:16: spec.environment: expected one of production, staging, development, got "` + strings.Repeat("x", 200) + `"`}},
		{"list as a key", spec("istiod: {[a, b]: 1}"), []string{
			`bad.yaml:5:12: spec.istiod: expected a field name, got a list as a key`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join("testdata", "bad", tc.name+".yaml")
			if tc.yaml != "" {
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(tc.yaml), 0o644); err != nil {
					t.Fatal(err)
				}
				t.Chdir(dir)
				path = "bad.yaml"
			}
			got := problems(t, path)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", quoteLines(got), quoteLines(tc.want))
			}
			sameVerdict(t, path, tc.want)
		})
	}
}

// sameVerdict runs `meshslo validate` and `meshslo generate` on the profile:
// both must print the same messages, each of want among them, and exit
// with the same code, which fails when any message is not a warning; a
// failed generate writes nothing.
func sameVerdict(t *testing.T, path string, want []string) {
	t.Helper()
	var vOut, vErr, gOut, gErr bytes.Buffer
	out := filepath.Join(t.TempDir(), "out")
	vCode := cli.Main([]string{"validate", path}, &vOut, &vErr)
	gCode := cli.Main([]string{"generate", "--profile", path, "--out", out}, &gOut, &gErr)
	fatal := slices.ContainsFunc(want, func(m string) bool { return !strings.Contains(m, ": warning: ") })
	switch {
	case vErr.String() != gErr.String():
		t.Errorf("validate and generate disagree:\nvalidate (exit %d):\n%s\ngenerate (exit %d):\n%s", vCode, vErr.String(), gCode, gErr.String())
	case vCode != gCode || (vCode != cli.ExitOK) != fatal:
		t.Errorf("validate exits %d, generate %d; want both to fail: %v\n%s", vCode, gCode, fatal, vErr.String())
	}
	for _, m := range want {
		if !strings.Contains(vErr.String(), m+"\n") {
			t.Errorf("validate does not print %q:\n%s", m, vErr.String())
		}
	}
	if _, err := os.Stat(out); fatal && !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("generate failed but wrote %s (%v)", out, err)
	}
}

func quoteLines(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("\t`" + l + "`,\n")
	}
	return b.String()
}

// Files far beyond the limits are refused before they are parsed, in
// bounded time and memory: a 50 MB file is not read past MaxFileBytes, and
// deep nesting stops in the YAML parser.
func TestHostileFilesStayCheap(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: 50 MB long without writing 50 MB.
	if err := f.Truncate(50 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	deepFlow := filepath.Join(dir, "deep-flow.yaml")
	os.WriteFile(deepFlow, []byte("spec: "+strings.Repeat("[", 100000)+strings.Repeat("]", 100000)+"\n"), 0o644)
	deepMap := filepath.Join(dir, "deep-map.yaml")
	os.WriteFile(deepMap, []byte("spec: "+strings.Repeat("{a: ", 100000)+"1"+strings.Repeat("}", 100000)+"\n"), 0o644)
	// Within the file limit, but more list items than MaxNodes.
	wide := filepath.Join(dir, "wide.yaml")
	os.WriteFile(wide, []byte(head+"  slos: ["+strings.Repeat("{}, ", profile.MaxNodes)+"{}]\n"), 0o644)

	for _, tc := range []struct {
		path string
		want string
	}{
		{big, big + ": file is larger than 1048576 bytes; a profile is a page of YAML"},
		{deepFlow, deepFlow + ": file is nested too deeply for YAML (exceeded max depth of 10000); a profile is at most 64 levels deep"},
		{deepMap, deepMap + ": file is nested too deeply for YAML (exceeded max depth of 10000); a profile is at most 64 levels deep"},
		{wide, wide + ":5:9: spec.slos: document has more than 20000 YAML nodes (aliases count each time they are used); a profile is a page of YAML"},
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		got := problems(t, tc.path)
		elapsed := time.Since(start)
		runtime.ReadMemStats(&after)
		if strings.Join(got, "\n") != tc.want {
			t.Errorf("%s:\n%s\nwant:\n\t`%s`", filepath.Base(tc.path), quoteLines(got), tc.want)
		}
		// Generous bounds: these catch work that grows with the hostile
		// input (reading 50 MB, expanding aliases), not slow machines.
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
			t.Errorf("%s: allocated %d MB", filepath.Base(tc.path), alloc>>20)
		}
		t.Logf("%s: %v", filepath.Base(tc.path), elapsed)
	}
}

// Encodings that are valid must just work: JSON (which is YAML), CRLF line
// endings, a byte order mark, anchors with merge keys, a trailing "---".
// Each gives exactly the profile the plain YAML gives.
func TestEquivalentEncodings(t *testing.T) {
	const plain = `apiVersion: meshslo/v1alpha1
kind: MeshProfile
metadata: {name: same, description: one profile}
spec:
  size: small
  mesh: {services: 20, cluster: eu}
  prometheus: {ruleLabels: {release: prom, team: mesh}}
  slos:
    - {name: a, sli: availability, objective: 99.9, selector: {destination_service_name: checkout}}
    - {name: b, sli: latency, objective: 99, threshold: 500ms, selector: {destination_service_name: checkout}}
`
	want := load(t, plain)
	for name, data := range map[string]string{
		"JSON": `{"apiVersion": "meshslo/v1alpha1", "kind": "MeshProfile",
 "metadata": {"name": "same", "description": "one profile"},
 "spec": {"size": "small", "mesh": {"services": 20, "cluster": "eu"},
  "prometheus": {"ruleLabels": {"team": "mesh", "release": "prom"}},
  "slos": [{"name": "a", "sli": "availability", "objective": 99.9, "selector": {"destination_service_name": "checkout"}},
           {"name": "b", "sli": "latency", "objective": 99, "threshold": "500ms", "selector": {"destination_service_name": "checkout"}}]}}`,
		"CRLF":         strings.ReplaceAll(plain, "\n", "\r\n"),
		"BOM and CRLF": "\xef\xbb\xbf" + strings.ReplaceAll(plain, "\n", "\r\n"),
		"trailing ---": plain + "---\n",
		"anchors and <<": strings.Replace(plain, `    - {name: a, sli: availability, objective: 99.9, selector: {destination_service_name: checkout}}
    - {name: b, sli: latency, objective: 99, threshold: 500ms, selector: {destination_service_name: checkout}}`,
			`    - {name: a, sli: availability, objective: 99.9, selector: &sel {destination_service_name: checkout}}
    - &b {name: x, sli: latency, objective: 98, threshold: 500ms, selector: *sel}
    - {<<: *b, name: b, objective: 99}`, 1),
	} {
		got := load(t, data)
		if name == "anchors and <<" {
			// The anchored entry is a third SLO; drop it to compare.
			got.Spec.SLOs = append(got.Spec.SLOs[:1], got.Spec.SLOs[2])
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v\nwant %+v", name, got.Spec, want.Spec)
		}
	}
}

func load(t *testing.T, data string) profile.Profile {
	t.Helper()
	l, errs := profile.Load("p.yaml", []byte(data))
	if l == nil || len(errs) > 0 {
		t.Fatalf("load: %v", errs)
	}
	if errs := l.Validate().Fatal(false); len(errs) > 0 {
		t.Fatalf("validate: %v", errs)
	}
	return l.Profile
}

// What the text checks leave alone: a description over several lines (the
// one free-text field), and printable text in any script.
func TestTextThatLoads(t *testing.T) {
	p := load(t, "apiVersion: meshslo/v1alpha1\nkind: MeshProfile\nmetadata:\n  name: text\n  description: |\n    Two lines,\n    ünïcödé ✓ 雪\nspec:\n  mesh: {cluster: \"ünïcödé ✓ 雪\"}\n")
	if want := "Two lines,\nünïcödé ✓ 雪\n"; p.Metadata.Description != want {
		t.Errorf("description %q, want %q", p.Metadata.Description, want)
	}
	if p.Spec.Mesh.Cluster != "ünïcödé ✓ 雪" {
		t.Errorf("cluster %q", p.Spec.Mesh.Cluster)
	}
}
