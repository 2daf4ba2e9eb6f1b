package profile

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/meshslo/meshslo/generator/escape"
	"github.com/meshslo/meshslo/generator/selector"
)

// SLO names become label values and parts of rule group names; '_' is
// allowed, so they are not Kubernetes names.
var sloNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// ConvergenceTopBucket is the largest finite bucket of istiod's
// pilot_proxy_convergence_time histogram.
const ConvergenceTopBucket = Duration(30 * time.Second)

// sliLabels are set by the SLI expressions themselves.
var sliLabels = []string{"reporter", "response_code", "le"}

// EnvoyLatencyBucketsMs are the default boundaries (ms) of Istio's
// istio_request_duration_milliseconds histogram. A latency SLI is exact only
// at one of them.
var EnvoyLatencyBucketsMs = []float64{0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000}

// RequestLabels are the istio_requests_total labels an SLO selector may use.
var RequestLabels = []string{
	"connection_security_policy", "destination_app", "destination_canonical_revision", "destination_canonical_service",
	"destination_cluster", "destination_principal", "destination_service", "destination_service_name",
	"destination_service_namespace", "destination_version", "destination_workload", "destination_workload_namespace",
	"grpc_response_status", "request_protocol", "response_flags", "source_app", "source_canonical_revision",
	"source_canonical_service", "source_cluster", "source_principal", "source_version", "source_workload",
	"source_workload_namespace",
}

// Sampling rates above these are warned about: tracing every twentieth
// request in production costs CPU in every sidecar and collector capacity.
var samplingWarnAbove = map[string]float64{"production": 0.05, "staging": 0.10}

type validator struct{ errs Errors }

func (v *validator) add(field, format string, args ...any) {
	v.errs = append(v.errs, &Error{Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) warn(field, format string, args ...any) {
	v.errs = append(v.errs, &Error{Field: field, Msg: fmt.Sprintf(format, args...), Warning: true})
}

func (v *validator) oneOf(field, got string, allowed []string) {
	if !slices.Contains(allowed, got) {
		v.add(field, "expected one of %s, got %q", strings.Join(allowed, ", "), got)
	}
}

// ratio checks 0 < x < 1.
func (v *validator) ratio(field string, x float64) {
	if !(x > 0 && x < 1) {
		v.add(field, "expected a ratio between 0 and 1 (exclusive), got %s", FormatNumber(x))
	}
}

func (v *validator) nonNegative(field string, x float64) {
	if !(x >= 0) {
		v.add(field, "expected a number of 0 or more, got %s", FormatNumber(x))
	}
}

func (v *validator) positive(field string, d Duration) {
	if d <= 0 {
		v.add(field, "expected a duration above 0, got %s", d)
	}
}

// Bounds on durations, by what a field does. They keep every value to what
// makes sense for alerting, and keep generation cheap: the generated tests
// simulate each alert over its for: duration and each SLO over its period.
const (
	// MaxFor bounds every for: duration: an alert held back more than a
	// day pages about history, and the tests simulate the whole of it.
	MaxFor = Duration(24 * time.Hour)
	// MinEvaluationInterval and MaxEvaluationInterval bound how often
	// Prometheus evaluates the rules: faster than 5s costs more than it
	// tells, and past 5m the shortest burn window (5m by default) would
	// hold a single evaluation.
	MinEvaluationInterval = Duration(5 * time.Second)
	MaxEvaluationInterval = Duration(5 * time.Minute)
	// MaxExpiryWarning bounds how long before expiry a CA certificate
	// alerts: a year ahead is a calendar reminder, not an alert.
	MaxExpiryWarning = Duration(365 * 24 * time.Hour)
	// MaxRotationPlanning bounds the rotation planning ticket: it comes
	// before the expiry warning, which may be a year ahead.
	MaxRotationPlanning = 2 * MaxExpiryWarning
	// MinSLOWindow and MaxSLOWindow bound an SLO period: the burn tiers
	// need a day of history, and Prometheus rarely retains more than 90d.
	MinSLOWindow = Duration(24 * time.Hour)
	MaxSLOWindow = Duration(90 * 24 * time.Hour)
)

// within checks lo <= d <= hi (lo < d when above is set) and names the
// range in its message.
func (v *validator) within(field string, d, lo, hi Duration, what string, above bool) {
	switch {
	case above && d <= lo:
		v.add(field, "%s is out of range: %s must be above %s and at most %s", d, what, lo, hi)
	case !above && (d < lo || d > hi):
		v.add(field, "%s is out of range: %s must be between %s and %s", d, what, lo, hi)
	case d > hi:
		v.add(field, "%s is out of range: %s must be above %s and at most %s", d, what, lo, hi)
	}
}

// forDuration checks a for: duration, 0 to MaxFor.
func (v *validator) forDuration(field string, d Duration) {
	v.within(field, d, 0, MaxFor, "a for: duration", false)
}

// below checks that a warning threshold comes before its critical one.
func (v *validator) below(warnField, critField string, warn, crit float64, show func(float64) string) {
	if warn >= crit {
		v.add(warnField, "expected the warning threshold %s to be below %s (%s)", show(warn), critField, show(crit))
	}
}

// Validate checks every value of p and returns every problem, errors and
// warnings, without stopping at the first. Fields are named by their path.
func Validate(p *Profile) Errors {
	v := &validator{}
	if p.APIVersion != APIVersion {
		v.add("apiVersion", "expected %q, got %q", APIVersion, p.APIVersion)
	}
	if p.Kind != Kind {
		v.add("kind", "expected %q, got %q", Kind, p.Kind)
	}
	// The name becomes the output folder and part of Kubernetes object
	// names: a DNS label has no dots, slashes or uppercase.
	if len(validation.IsDNS1123Label(p.Metadata.Name)) > 0 {
		v.add("metadata.name", "expected 1 to 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit (it names the output folder), got %q", p.Metadata.Name)
	}
	s := &p.Spec
	v.oneOf("spec.environment", s.Environment, Environments)
	v.oneOf("spec.size", s.Size, Sizes)
	validateDataPlane(v, s)
	validateMesh(v, s)
	validateIstiod(v, &s.Istiod)
	validateProxies(v, &s.Proxies)
	if !(s.Tracing.Sampling >= 0 && s.Tracing.Sampling <= 1) {
		v.add("spec.tracing.sampling", "expected a sampling rate from 0 to 1, got %s", FormatNumber(s.Tracing.Sampling))
	} else if limit, ok := samplingWarnAbove[s.Environment]; ok && s.Tracing.Sampling > limit {
		v.warn("spec.tracing.sampling", "%s samples more than %s of requests in %s; this costs CPU in every sidecar and collector capacity (--strict makes this an error)",
			FormatNumber(s.Tracing.Sampling), FormatNumber(limit), s.Environment)
	}
	validateCertificates(v, &s.Certificates)
	validatePrometheus(v, &s.Prometheus)
	validateSLOs(v, s.SLOs, s.LatencyBucketsMs())
	validateLatencyBuckets(v, s.Mesh.LatencyBuckets)
	validateSLOModel(v, s)
	validateGateways(v, s)
	validateWaypoints(v, s)
	validateBurnRates(v, s.BurnRates, s.SLOs)
	v.forDuration("spec.errorBudget.exhaustedFor", s.ErrorBudget.ExhaustedFor)
	validateAlerting(v, s)
	validateRulers(v, &s.Rulers)
	v.errs.Sort()
	return v.errs
}

func validateMesh(v *validator, s *Spec) {
	m := s.Mesh
	if m.Services < 1 {
		v.add("spec.mesh.services", "expected at least 1 service, got %d", m.Services)
	} else if b, ok := SizeBounds[s.Size]; ok && (m.Services < b[0] || m.Services > b[1]) {
		v.warn("spec.mesh.services", "%d services is outside the %s size (%s); the size sets istiod's default memory limit", m.Services, s.Size, sizeRange(s.Size))
	}
	if m.Pods < 1 {
		v.add("spec.mesh.pods", "expected at least 1 pod, got %d", m.Pods)
	}
	// Bounds far above any real mesh keep the capacity plan's arithmetic
	// in range.
	if m.Services > MaxServices {
		v.add("spec.mesh.services", "expected at most %d services, got %d", MaxServices, m.Services)
	}
	if m.Pods > MaxPods {
		v.add("spec.mesh.pods", "expected at most %d pods, got %d", MaxPods, m.Pods)
	}
	switch {
	case m.Nodes < 0:
		v.add("spec.mesh.nodes", "expected 0 or more nodes, got %d", m.Nodes)
	case m.Nodes > MaxMeshNodes:
		v.add("spec.mesh.nodes", "expected at most %d nodes, got %d", MaxMeshNodes, m.Nodes)
	}
	switch {
	// The rules write it unquoted in PromQL, so the legacy scheme applies.
	case !model.LegacyValidation.IsValidLabelName(m.ClusterLabel):
		v.add("spec.mesh.clusterLabel", "expected a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*), got %q", m.ClusterLabel)
	case strings.HasPrefix(m.ClusterLabel, "__"):
		// __name__="x" would rename every metric the rules read.
		v.add("spec.mesh.clusterLabel", "expected a label name not starting with __ (Prometheus reserves those), got %q", m.ClusterLabel)
	case slices.Contains(ownLabels, m.ClusterLabel):
		// A cluster matcher on a label the rules already match or group
		// by would silently select nothing.
		v.add("spec.mesh.clusterLabel", "%q is a label meshslo's rules already match or group by (%s); use the label that carries the cluster name, such as cluster",
			m.ClusterLabel, strings.Join(ownLabels, ", "))
	}
	checkLabelValue(v, "spec.mesh.cluster", m.Cluster)
	validateClusters(v, m)
}

// Upper bounds on mesh size and replicas.
const (
	MaxServices    = 100000
	MaxPods        = 1000000
	MaxMeshNodes   = 100000
	MaxMinReplicas = 100
	// MaxVersionSkewMinors bounds spec.istiod.versionSkewMinors.
	MaxVersionSkewMinors = 10
	// MinMemory is the smallest memory threshold that is not a typo: a
	// bare number is bytes, so "memoryLimit: 8" means 8 bytes.
	MinMemory = Quantity(1 << 20)
)

// ownLabels are the labels meshslo's own matchers and groupings use.
var ownLabels = []string{"cluster_name", "container", "destination_service_name", "destination_service_namespace",
	"le", "namespace", "pod", "reporter", "resource", "resource_name", "response_code", "slo", "type"}

// checkMemory requires a quantity of at least MinMemory.
func checkMemory(v *validator, field string, q Quantity, example string) {
	if q < MinMemory {
		v.add(field, "expected a memory quantity of at least 1Mi, such as %s (a bare number is bytes), got %s", example, q)
	}
}

func sizeRange(size string) string {
	b := SizeBounds[size]
	if b[1] >= 1<<30 {
		return fmt.Sprintf("more than %d services", b[0]-1)
	}
	if b[0] == 0 {
		return fmt.Sprintf("fewer than %d services", b[1]+1)
	}
	return fmt.Sprintf("%d to %d services", b[0], b[1])
}

func validateIstiod(v *validator, i *Istiod) {
	checkMemory(v, "spec.istiod.memoryLimit", i.MemoryLimit, "8Gi")
	if i.MinReplicas < 1 || i.MinReplicas > MaxMinReplicas {
		v.add("spec.istiod.minReplicas", "expected 1 to %d replicas, got %d", MaxMinReplicas, i.MinReplicas)
	}
	v.ratio("spec.istiod.heapWarningRatio", i.HeapWarningRatio)
	v.ratio("spec.istiod.heapCriticalRatio", i.HeapCriticalRatio)
	v.below("spec.istiod.heapWarningRatio", "spec.istiod.heapCriticalRatio", i.HeapWarningRatio, i.HeapCriticalRatio, FormatNumber)
	v.positive("spec.istiod.pushLatencyWarning", i.PushLatencyWarning)
	if i.PushLatencyWarning >= ConvergenceTopBucket {
		v.add("spec.istiod.pushLatencyWarning", "expected less than %s: pilot_proxy_convergence_time's largest finite bucket is %s, so a quantile above it cannot be measured, got %s",
			ConvergenceTopBucket, ConvergenceTopBucket, i.PushLatencyWarning)
	}
	v.checkTagged("spec.istiod", i)
	if i.VersionSkewMinors < 0 || i.VersionSkewMinors > MaxVersionSkewMinors {
		v.add("spec.istiod.versionSkewMinors", "expected 0 to %d minor versions (Istio supports 1), got %d", MaxVersionSkewMinors, i.VersionSkewMinors)
	}
	if len(validation.IsDNS1123Label(i.Namespace)) > 0 {
		v.add("spec.istiod.namespace", "expected a Kubernetes namespace name (1 to 63 characters of a-z, 0-9 and '-'), got %q", i.Namespace)
	}
	validateRevisions(v, i.Revisions)
	validateCanary(v, &i.Canary)
}

// validateRevisions holds revision names to what Istio accepts (a DNS
// label: istio/istio operator/pkg/apis/validation/validation.go, "invalid
// revision specified") and names and tags to one entry each.
func validateRevisions(v *validator, revs []Revision) {
	names, tags := map[string]int{}, map[string]int{}
	for k, r := range revs {
		f := fmt.Sprintf("spec.istiod.revisions[%d]", k)
		switch {
		case len(validation.IsDNS1123Label(r.Name)) > 0:
			v.add(f+".name", "expected a revision as in istio.io/rev (1 to 63 characters of a-z, 0-9 and '-', such as 1-25), got %q", r.Name)
		default:
			if j, dup := names[r.Name]; dup {
				v.add(f+".name", "duplicate revision %q (also spec.istiod.revisions[%d])", r.Name, j)
			} else {
				names[r.Name] = k
			}
		}
		if r.Tag == "" {
			continue
		}
		if len(validation.IsDNS1123Label(r.Tag)) > 0 {
			v.add(f+".tag", "expected a revision tag (1 to 63 characters of a-z, 0-9 and '-', such as canary), got %q", r.Tag)
		} else if j, dup := tags[r.Tag]; dup {
			v.add(f+".tag", "duplicate tag %q (also spec.istiod.revisions[%d]): a tag points at one revision", r.Tag, j)
		} else {
			tags[r.Tag] = k
		}
	}
}

func validateProxies(v *validator, p *Proxies) {
	v.ratio("spec.proxies.staleRatio", p.StaleRatio)
	v.forDuration("spec.proxies.staleFor", p.StaleFor)
	v.forDuration("spec.proxies.staleCountFor", p.StaleCountFor)
	if p.StaleCount < 0 {
		v.add("spec.proxies.staleCount", "expected 0 or more proxies, got %d", p.StaleCount)
	}
	checkMemory(v, "spec.proxies.memoryWarning", p.MemoryWarning, "800Mi")
	v.checkTagged("spec.proxies", p)
	v.below("spec.proxies.memoryWarningRatio", "spec.proxies.memoryCriticalRatio", p.MemoryWarningRatio, p.MemoryCriticalRatio, FormatNumber)
}

func validateCertificates(v *validator, c *Certificates) {
	show := func(f float64) string { return Duration(f).String() }
	v.within("spec.certificates.expiryWarning", c.ExpiryWarning, 0, MaxExpiryWarning, "a certificate expiry threshold", true)
	v.within("spec.certificates.expiryCritical", c.ExpiryCritical, 0, MaxExpiryWarning, "a certificate expiry threshold", true)
	v.positive("spec.certificates.workloadExpiryWarning", c.WorkloadExpiryWarning)
	v.positive("spec.certificates.workloadExpiryCritical", c.WorkloadExpiryCritical)
	v.forDuration("spec.certificates.for", c.For)
	v.oneOf("spec.certificates.ca", c.CA, CAModes)
	v.within("spec.certificates.rotationPlanning", c.RotationPlanning, 0, MaxRotationPlanning, "a rotation planning threshold", true)
	// Compared only with a warning in range: one out of range is reported
	// on its own.
	if c.RotationPlanning > 0 && c.ExpiryWarning > 0 && c.ExpiryWarning <= MaxExpiryWarning && c.RotationPlanning <= c.ExpiryWarning {
		v.add("spec.certificates.rotationPlanning", "expected more time left than spec.certificates.expiryWarning (%s), so planning comes before the warning, got %s",
			c.ExpiryWarning, c.RotationPlanning)
	}
	v.checkTagged("spec.certificates", c)
	// More time left is the milder condition, so warning > critical here.
	for _, f := range []struct {
		name       string
		crit, warn Duration
	}{{"expiry", c.ExpiryCritical, c.ExpiryWarning}, {"workloadExpiry", c.WorkloadExpiryCritical, c.WorkloadExpiryWarning}} {
		if f.crit >= f.warn {
			v.add("spec.certificates."+f.name+"Critical", "expected less time left than spec.certificates.%sWarning (%s), so the warning comes first, got %s",
				f.name, show(float64(f.warn)), show(float64(f.crit)))
		}
	}
	if c.WorkloadExpiryWarning >= Duration(24*time.Hour) {
		v.add("spec.certificates.workloadExpiryWarning", "expected less than 24h: workload certificates live 24h, so %s would always fire", c.WorkloadExpiryWarning)
	}
}

func validatePrometheus(v *validator, p *Prometheus) {
	v.oneOf("spec.prometheus.scrape", p.Scrape, Scrapes)
	v.within("spec.prometheus.evaluationInterval", p.EvaluationInterval, MinEvaluationInterval, MaxEvaluationInterval, "the evaluation interval", false)
	for name, sel := range map[string]string{
		"istiod": p.Selectors.Istiod, "proxies": p.Selectors.Proxies, "cadvisor": p.Selectors.Cadvisor,
		"kubeStateMetrics": p.Selectors.KubeStateMetrics, "requests": p.Selectors.Requests, "certManager": p.Selectors.CertManager,
	} {
		ms, err := selector.Parse(sel)
		if err != nil {
			v.add("spec.prometheus.selectors."+name, "%v", err)
			continue
		}
		for _, m := range ms {
			if name == "requests" && slices.Contains(sliLabels, m.Name) {
				v.add("spec.prometheus.selectors."+name, "must not match %s: meshslo sets it for each SLI", m.Name)
			}
		}
	}
	for k, val := range p.RuleLabels {
		// They label the PrometheusRule object, so Kubernetes' rules apply.
		field := keyPath("spec.prometheus.ruleLabels", k)
		if len(validation.IsQualifiedName(k)) > 0 {
			v.add(field, "expected a Kubernetes label key: [prefix/]name, the name 1 to 63 letters, digits, '-', '_' or '.' starting and ending with a letter or digit, the prefix a lowercase DNS name; got %q", k)
		}
		if len(validation.IsValidLabelValue(val)) > 0 {
			v.add(field, "expected a Kubernetes label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit; got %q", val)
		}
	}
	if len(validation.IsDNS1123Label(p.Namespace)) > 0 {
		v.add("spec.prometheus.namespace", "expected a Kubernetes namespace (lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit), got %q", p.Namespace)
	}
	// The escaping of the URL in annotations and the README relies on
	// these rules (config.RunbookURL).
	if p.RunbookBaseURL == "" {
		// Unset: the alerts link the runbooks in the output (config.RunbookURL).
	} else if err := escape.CheckBaseURL(p.RunbookBaseURL); err != nil {
		v.add("spec.prometheus.runbookBaseURL", "%v", err)
	} else if i := strings.IndexFunc(p.RunbookBaseURL, notURLChar); i >= 0 {
		// Braces would also start a Prometheus template in the
		// runbook_url annotation.
		r, _ := utf8.DecodeRuneInString(p.RunbookBaseURL[i:])
		v.add("spec.prometheus.runbookBaseURL", "expected an http(s) URL, got %q: %q cannot stand in a URL; write it percent-encoded, as %s",
			p.RunbookBaseURL, r, url.PathEscape(string(r)))
	}
}

// notURLChar reports a character RFC 3986 does not allow in a URL as it
// stands: anything but unreserved, reserved and '%'.
func notURLChar(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~:/?#[]@!$&'()*+,;=%", r))
}

// checkLabelValue refuses what textProblem refuses. Load already refuses it
// in every string a file sets; this keeps profiles built in Go to the
// same rule where a value becomes a label.
func checkLabelValue(v *validator, field, s string) {
	if msg := textProblem(s, false); msg != "" {
		v.add(field, "%s", msg)
	}
}

func validateSLOs(v *validator, slos []SLO, buckets []float64) {
	seen := map[string]int{}
	for i, s := range slos {
		f := fmt.Sprintf("spec.slos[%d]", i)
		if !sloNameRe.MatchString(s.Name) {
			v.add(f+".name", "expected 1 to 63 characters of a-z, 0-9, '-' and '_', starting with a letter or digit, got %q", s.Name)
		} else if first, dup := seen[s.Name]; dup {
			v.add(f+".name", "duplicate SLO name %q (also spec.slos[%d])", s.Name, first)
		} else {
			seen[s.Name] = i
		}
		v.oneOf(f+".sli", s.SLI, []string{SLIAvailability, SLILatency})
		checkObjective(v, f+".objective", s.Objective)
		v.within(f+".window", s.Window, MinSLOWindow, MaxSLOWindow, "an SLO period", false)
		switch s.SLI {
		case SLILatency:
			checkBucket(v, f+".threshold", s.Threshold, buckets)
		case SLIAvailability:
			if s.Threshold != 0 {
				v.add(f+".threshold", "only a latency SLO has a threshold; remove it or set sli: latency")
			}
		}
		for _, k := range sortedKeys(s.Selector) {
			field := keyPath(f+".selector", k)
			if !slices.Contains(RequestLabels, k) {
				msg := fmt.Sprintf("%q is not a label of istio_requests_total", k)
				if sug := suggest(k, RequestLabels); sug != "" {
					msg += fmt.Sprintf("; did you mean %q?", sug)
				}
				v.add(field, "%s", msg)
			}
			checkLabelValue(v, field, s.Selector[k])
		}
		validateServices(v, f, s)
	}
}

// checkObjective requires a percentage in (0, 100) and refuses one under 1,
// which is a ratio written where a percentage belongs (0.9995 for 99.95).
func checkObjective(v *validator, field string, o Percent) {
	switch {
	case !validObjective(o) && !(o > 0 && o < 1):
		v.add(field, "expected a percentage between 0 and 100 (exclusive), such as 99.9, got %s", FormatNumber(float64(o)))
	case o < 1:
		v.add(field, "%s is a percentage, so this objective promises %s%% of requests; write %s for %s%%",
			FormatNumber(float64(o)), FormatNumber(float64(o)), FormatNumber(float64(o)*100), FormatNumber(float64(o)*100))
	}
}

// validObjective is an objective the burn tiers can be checked against.
func validObjective(o Percent) bool { return o >= 1 && o < 100 }

// serviceKeys are the labels a listed service is named by; an SLO selector
// on them would contradict its list.
var serviceKeys = []string{"destination_service_namespace", "destination_service_name"}

func validateServices(v *validator, f string, s SLO) {
	if len(s.Services) > 0 {
		for _, k := range serviceKeys {
			if _, ok := s.Selector[k]; ok {
				v.add(keyPath(f+".selector", k), "cannot be combined with services, which name the SLO's services; list the service under services instead")
			}
		}
	}
	seen := map[[2]string]int{}
	for j, svc := range s.Services {
		sf := fmt.Sprintf("%s.services[%d]", f, j)
		for _, x := range []struct{ field, value, label string }{
			{"namespace", svc.Namespace, serviceKeys[0]}, {"name", svc.Name, serviceKeys[1]},
		} {
			if x.value == "" {
				v.add(sf+"."+x.field, "expected the service's %s (its %s label), got nothing", x.field, x.label)
			}
			checkLabelValue(v, sf+"."+x.field, x.value)
		}
		key := [2]string{svc.Namespace, svc.Name}
		if first, dup := seen[key]; dup {
			v.add(sf, "duplicate service %s/%s (also %s.services[%d])", svc.Namespace, svc.Name, f, first)
		} else {
			seen[key] = j
		}
		if svc.Objective != nil {
			checkObjective(v, sf+".objective", *svc.Objective)
		}
	}
}

// checkBucket requires a latency threshold at a histogram bucket boundary,
// and names the nearest boundaries when it is not one.
func checkBucket(v *validator, field string, d Duration, buckets []float64) {
	ms := float64(time.Duration(d)) / float64(time.Millisecond)
	if slices.Contains(buckets, ms) {
		return
	}
	lo, hi := "none", "none"
	for _, b := range buckets {
		if b < ms {
			lo = Duration(b * float64(time.Millisecond)).String()
		} else if hi == "none" {
			hi = Duration(b * float64(time.Millisecond)).String()
		}
	}
	where := "Envoy's default buckets"
	if !slices.Equal(buckets, EnvoyLatencyBucketsMs) {
		where = "spec.mesh.latencyBuckets"
	}
	v.add(field, "%s is not a bucket boundary of istio_request_duration_milliseconds (%s), so the SLI could not be exact; the nearest are %s and %s", d, where, lo, hi)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Validate checks the loaded profile and places each problem at the line of
// its field, or of the nearest enclosing field the file wrote. A field Load
// could not read holds its default and was reported already, so problems at
// or under it are left out.
func (l *Loaded) Validate() Errors {
	var errs Errors
	for _, e := range Validate(&l.Profile) {
		if l.loadFailed(e.Field) {
			continue
		}
		e.File = l.File
		if pos, ok := l.position(e.Field); ok {
			e.Line, e.Column = pos.Line, pos.Column
		}
		l.missingMessage(e) // effect.go
		errs = append(errs, e)
	}
	errs = append(errs, l.noEffect(errs)...) // effect.go
	errs.Sort()
	return errs
}

func (l *Loaded) loadFailed(field string) bool {
	for p := field; p != ""; {
		if l.failed[p] {
			return true
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return false
}

func (l *Loaded) position(field string) (Position, bool) {
	for p := field; p != ""; {
		if pos, ok := l.Positions[p]; ok {
			return pos, true
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return Position{}, false
}

// Origin says where a field's value came from: the file's line, or the
// default for the profile's size.
func (l *Loaded) Origin(field string) string {
	if pos, ok := l.Positions[field]; ok {
		return fmt.Sprintf("%s:%d", l.File, pos.Line)
	}
	if sizeDependent[field] {
		return "default for size " + l.Profile.Spec.Size
	}
	return "default"
}

// sizeDependent are the fields whose default depends on spec.size.
var sizeDependent = map[string]bool{"spec.istiod.memoryLimit": true, "spec.mesh.services": true, "spec.mesh.pods": true}

func validateBurnRates(v *validator, tiers []BurnRate, slos []SLO) {
	if len(tiers) == 0 && len(slos) > 0 {
		v.add("spec.burnRates", "expected at least one burn-rate tier for the SLO alerts")
	}
	// A tier's alert is labelled with its severity and long window, so two
	// tiers sharing both would fire alerts Prometheus cannot tell apart.
	type key struct {
		severity string
		long     Duration
	}
	first := map[key]int{}
	for i, t := range tiers {
		f := fmt.Sprintf("spec.burnRates[%d]", i)
		if j, dup := first[key{t.Severity, t.Long}]; dup {
			v.add(f, "same severity (%s) and long window (%s) as spec.burnRates[%d]; their alerts would carry the same labels", t.Severity, t.Long, j)
		} else {
			first[key{t.Severity, t.Long}] = i
		}
		v.oneOf(f+".severity", t.Severity, []string{SeverityCritical, SeverityWarning})
		v.ratio(f+".budgetShare", t.BudgetShare)
		v.positive(f+".long", t.Long)
		v.positive(f+".short", t.Short)
		v.forDuration(f+".for", t.For)
		if t.Short >= t.Long {
			v.add(f+".short", "expected the short window %s to be shorter than long (%s)", t.Short, t.Long)
		}
		for j, s := range slos {
			if s.Window > 0 && t.Long > s.Window {
				v.add(f+".long", "the %s window is longer than the period of spec.slos[%d] (%s)", t.Long, j, s.Window)
			}
		}
		if t.Long > 0 && t.BudgetShare > 0 && t.BudgetShare < 1 {
			checkTierFires(v, f, t, slos)
		}
	}
}

// checkTierFires refuses a tier that needs more errors than there are
// requests: it alerts when the error ratio over both windows exceeds
// factor x error budget, where factor = budgetShare x period / long (see
// config.New), so at 100% or more it can never fire. Each SLO has its own
// period and budget, and each listed service may have its own budget.
func checkTierFires(v *validator, f string, t BurnRate, slos []SLO) {
	for j, s := range slos {
		if s.Window < MinSLOWindow || s.Window > MaxSLOWindow || len(s.EffectiveTiers([]BurnRate{t})) == 0 {
			continue
		}
		factor := roundNumber(t.BudgetShare * s.Window.Seconds() / t.Long.Seconds())
		// A listed service's own objective only warns: the tier still
		// fires for the SLO's other services.
		check := func(who string, o Percent, warn bool) bool {
			if !validObjective(o) {
				return true
			}
			budget := roundNumber(1 - float64(o)/100)
			need := roundNumber(factor * budget)
			if need < 1 {
				return true
			}
			cmp := " > 100%"
			if need == 1 {
				cmp = ""
			}
			msg := fmt.Sprintf("factor %s x error budget %s%% = %s%%%s: this tier can never fire for %s (objective %s over %s)",
				FormatNumber(factor), FormatNumber(budget*100), FormatNumber(need*100), cmp, who, FormatNumber(float64(o)), s.Window)
			if warn {
				v.warn(f, "%s; its other services keep the tier (--strict makes this an error)", msg)
			} else {
				v.add(f, "%s", msg)
			}
			return false
		}
		// The SLO's objective applies unless every listed service has its own.
		applies := len(s.Services) == 0
		for _, svc := range s.Services {
			applies = applies || svc.Objective == nil
		}
		if applies && !check(fmt.Sprintf("spec.slos[%d]", j), s.Objective, false) {
			continue
		}
		for k, svc := range s.Services {
			if svc.Objective != nil {
				check(fmt.Sprintf("spec.slos[%d].services[%d]", j, k), *svc.Objective, true)
			}
		}
	}
}

// roundNumber drops float noise (1-0.999 = 0.0010000000000000009) the way
// config.New does, so the arithmetic here matches the generated rules.
func roundNumber(f float64) float64 {
	r, _ := strconv.ParseFloat(FormatNumber(f), 64)
	return r
}
