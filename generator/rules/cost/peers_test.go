package cost

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"

	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/profile"
	meshrules "github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/generator/selector"
)

// The real peers: Sloth v0.16.0 and Pyrra v0.10.1, built by `make peers`
// from tools/peers (SLOTH and PYRRA name the binaries; by default
// bin/sloth and bin/pyrra at the repository root). The benchmark writes
// each tool a spec for the same SLOs as meshslo's profile and lets the
// tool generate its own rules, which then run on the same engine over the
// same synthetic mesh as ours.

// peerBinary is the path of a peer's binary, or "" when it is absent.
func peerBinary(env, name string) string {
	path := os.Getenv(env)
	if path == "" {
		_, file, _, _ := runtime.Caller(0)
		path = filepath.Join(filepath.Dir(file), "..", "..", "..", "bin", name)
	}
	if st, err := os.Stat(path); err != nil || st.IsDir() {
		return ""
	}
	return path
}

// peerSLO is one meshslo SLO as a peer's spec needs it: the selectors of
// the bad and all events, per destination service, and the objective.
type peerSLO struct {
	Name      string
	Objective float64 // percent
	Window    profile.Duration
	// Errors and Total select the raw series: for availability the 5xx
	// and all requests of istio_requests_total, for latency the threshold
	// bucket (the good events) and _count.
	Errors, Total string
	Latency       bool
	// PyrraSuccess is the threshold bucket with le as one value, as
	// Pyrra's latency indicator takes it (its Prometheus 3 migration
	// mode, on by default, matches both "250" and "250.0" itself).
	PyrraSuccess string
}

// peerSLOs turns the config's SLOs into selectors on the raw series. A
// listed SLO (payments) selects its services by name: what its team
// writes in Sloth or Pyrra, which have no overrides.
func peerSLOs(c *config.Config) []peerSLO {
	var out []peerSLO
	for _, s := range c.SLOs {
		ms := s.Requests
		if len(s.Listed) > 0 {
			var ns, names []string
			for _, l := range s.Listed {
				ns = append(ns, l.Namespace)
				names = append(names, l.Name)
			}
			ns = slices.Compact(slices.Sorted(slices.Values(ns)))
			ms = ms.With(selector.Regex("destination_service_namespace", strings.Join(ns, "|")),
				selector.Regex("destination_service_name", strings.Join(names, "|")))
		}
		p := peerSLO{Name: s.Name, Objective: float64(s.Objective), Window: s.Window}
		if s.SLI == profile.SLILatency {
			p.Latency = true
			// The same le matcher as ours (generator/rules: a bucket
			// boundary as Prometheus 2 and 3 store it, "250" and "250.0").
			le := strings.TrimSuffix(profile.FormatNumber(float64(time.Duration(s.Threshold).Milliseconds())), ".0")
			p.Errors = ms.With(selector.Regex("le", regexp.QuoteMeta(le)+`(\.0)?`)).Metric("istio_request_duration_milliseconds_bucket")
			p.PyrraSuccess = ms.With(selector.Equal("le", le)).Metric("istio_request_duration_milliseconds_bucket")
			p.Total = ms.Metric("istio_request_duration_milliseconds_count")
		} else {
			p.Errors = ms.With(selector.Regex("response_code", "5..")).Metric("istio_requests_total")
			p.Total = ms.Metric("istio_requests_total")
		}
		out = append(out, p)
	}
	return out
}

// slothSpec is a Sloth prometheus/v1 spec for the SLOs (Sloth's own
// format: github.com/slok/sloth pkg/prometheus/api/v1). The SLI is the
// events ratio per destination service; {{.window}} is Sloth's
// placeholder for each window it records.
func slothSpec(c *config.Config) []byte {
	by := "sum by (" + strings.Join(meshrules.ServiceLabels, ", ") + ") "
	rate := func(sel string) string { return by + "(rate(" + sel + "[{{.window}}]))" }
	var sb strings.Builder
	sb.WriteString("version: prometheus/v1\nservice: mesh\nslos:\n")
	for _, s := range peerSLOs(c) {
		errQuery := rate(s.Errors)
		if s.Latency {
			// Bad events: all requests less those within the threshold.
			errQuery = "(" + rate(s.Total) + " - " + rate(s.Errors) + ")"
		}
		fmt.Fprintf(&sb, "  - name: %s\n    objective: %s\n    sli:\n      events:\n        error_query: %q\n        total_query: %q\n",
			s.Name, profile.FormatNumber(s.Objective), errQuery, rate(s.Total))
		fmt.Fprintf(&sb, "    alerting:\n      name: %s\n      page_alert: {labels: {severity: critical}}\n      ticket_alert: {labels: {severity: warning}}\n",
			slothAlertName(s.Name))
	}
	return []byte(sb.String())
}

// slothAlertName is Sloth's alert for an SLO: payments-latency ->
// SlothPaymentsLatency.
func slothAlertName(slo string) string {
	name := "Sloth"
	for _, part := range strings.Split(slo, "-") {
		if part != "" {
			name += strings.ToUpper(part[:1]) + part[1:]
		}
	}
	return name
}

// slothWindows is a Sloth AlertWindows catalogue with the profile's burn
// rate tiers (the two critical ones page, the two warning ones ticket),
// so that Sloth alerts over the same windows as ours. The built-in
// profiles use the SRE workbook's tiers, which are Sloth's google-30d
// windows too.
func slothWindows(tb testing.TB, c *config.Config) []byte {
	tb.Helper()
	s := c.SLOs[0]
	if len(s.Tiers) != 4 {
		tb.Fatalf("Sloth's windows need 4 tiers, the profile has %d", len(s.Tiers))
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "apiVersion: sloth.slok.dev/v1\nkind: AlertWindows\nspec:\n  sloPeriod: %s\n", s.Window)
	for i, kind := range []string{"page", "ticket"} {
		fmt.Fprintf(&sb, "  %s:\n", kind)
		for j, speed := range []string{"quick", "slow"} {
			t := s.Tiers[2*i+j]
			fmt.Fprintf(&sb, "    %s: {errorBudgetPercent: %s, shortWindow: %s, longWindow: %s}\n",
				speed, profile.FormatNumber(t.BudgetShare*100), t.Short, t.Long)
		}
	}
	return []byte(sb.String())
}

// pyrraSpecs are Pyrra ServiceLevelObjective files for the SLOs (Pyrra's
// own format: github.com/pyrra-dev/pyrra kubernetes/api/v1alpha1), grouped
// by destination service. perf sets performanceOverAccuracy, Pyrra's
// performance mode (docs/performance-mode.md in v0.10.1).
func pyrraSpecs(c *config.Config, perf bool) []namedFile {
	var out []namedFile
	for _, s := range peerSLOs(c) {
		var sb strings.Builder
		fmt.Fprintf(&sb, "apiVersion: pyrra.dev/v1alpha1\nkind: ServiceLevelObjective\nmetadata:\n  name: %s\n  namespace: monitoring\nspec:\n", s.Name)
		fmt.Fprintf(&sb, "  target: %q\n  window: %s\n", profile.FormatNumber(s.Objective), s.Window)
		if perf {
			sb.WriteString("  performanceOverAccuracy: true\n")
		}
		grouping := "[" + strings.Join(meshrules.ServiceLabels, ", ") + "]"
		if s.Latency {
			fmt.Fprintf(&sb, "  indicator:\n    latency:\n      success: {metric: %q}\n      total: {metric: %q}\n      grouping: %s\n", s.PyrraSuccess, s.Total, grouping)
		} else {
			fmt.Fprintf(&sb, "  indicator:\n    ratio:\n      errors: {metric: %q}\n      total: {metric: %q}\n      grouping: %s\n", s.Errors, s.Total, grouping)
		}
		out = append(out, namedFile{s.Name, []byte(sb.String())})
	}
	return out
}

// runPeer runs a peer's binary and returns its combined output on error.
func runPeer(tb testing.TB, bin string, args ...string) {
	tb.Helper()
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		tb.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out.String())
	}
}

// slothRules writes the spec and window catalogue and returns the rule
// file `sloth generate` makes of them.
func slothRules(tb testing.TB, bin string, c *config.Config) []namedFile {
	tb.Helper()
	dir := tb.TempDir()
	spec, windows, out := filepath.Join(dir, "slos.yaml"), filepath.Join(dir, "windows"), filepath.Join(dir, "rules.yaml")
	if err := os.Mkdir(windows, 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(spec, slothSpec(c), 0o644); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(windows, "mesh.yaml"), slothWindows(tb, c), 0o644); err != nil {
		tb.Fatal(err)
	}
	runPeer(tb, bin, "generate", "-i", spec, "-o", out, "--slo-period-windows-path", windows, "--default-slo-period", c.SLOs[0].Window.String())
	data, err := os.ReadFile(out)
	if err != nil {
		tb.Fatal(err)
	}
	return []namedFile{{"sloth-generated", data}}
}

// pyrraRules writes the specs and returns the rule files `pyrra generate`
// (its filesystem mode's generator) makes of them, in name order.
func pyrraRules(tb testing.TB, bin string, c *config.Config, perf bool) []namedFile {
	tb.Helper()
	dir := tb.TempDir()
	specs, out := filepath.Join(dir, "slos"), filepath.Join(dir, "rules")
	for _, d := range []string{specs, out} {
		if err := os.Mkdir(d, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	for _, f := range pyrraSpecs(c, perf) {
		if err := os.WriteFile(filepath.Join(specs, f.name+".yaml"), f.data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	runPeer(tb, bin, "generate", "--config-files="+filepath.Join(specs, "*.yaml"), "--prometheus-folder="+out)
	entries, err := os.ReadDir(out)
	if err != nil {
		tb.Fatal(err)
	}
	var files []namedFile
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(out, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		files = append(files, namedFile{"pyrra-" + strings.TrimSuffix(e.Name(), filepath.Ext(e.Name())), data})
	}
	if len(files) == 0 {
		tb.Fatal("pyrra generate wrote no rule file")
	}
	// Performance mode's -long file reads what its -short file records:
	// evaluate -short first, so that cycles repeated at one timestamp
	// read the same values (else the second writes a different sample at
	// a timestamp the first has written, which the TSDB refuses).
	rank := func(name string) string {
		if base, ok := strings.CutSuffix(name, "-long"); ok {
			return base + "\x01"
		}
		return strings.TrimSuffix(name, "-short") + "\x00"
	}
	sort.SliceStable(files, func(i, j int) bool { return rank(files[i].name) < rank(files[j].name) })
	return files
}

// isolated is a peer's rule files with every series it records and every
// alert it raises renamed under prefix, so that several rule sets share
// one TSDB without reading each other's series (Sloth records slo:* names
// as ours do; Pyrra's two modes record the same names). Only names
// change: the selectors, ranges and functions, and so the samples read,
// stay the tool's own. rangeReads are the renamed recorded series the set
// reads over a range (a matrix selector or a subquery), with the finest
// step it reads them at: these need history (see peerSet.backfill).
type isolated struct {
	files      []namedFile
	rangeReads map[string]time.Duration
	deps       map[string][]string
	records    map[string]bool
}

func isolate(tb testing.TB, prefix string, files []namedFile) isolated {
	tb.Helper()
	p := parser.NewParser(parser.Options{})
	var parsed []*rulefmt.RuleGroups
	renamed := map[string]string{}
	for _, f := range files {
		rgs, errs := rulefmt.Parse(f.data, false, model.UTF8Validation, p, promslog.NewNopLogger())
		if len(errs) > 0 {
			tb.Fatalf("%s: %v", f.name, errs)
		}
		for _, g := range rgs.Groups {
			for _, r := range g.Rules {
				if r.Record != "" {
					renamed[r.Record] = prefix + "_" + strings.ReplaceAll(r.Record, ":", "_") + ":" + prefix
				}
			}
		}
		parsed = append(parsed, rgs)
	}
	out := isolated{rangeReads: map[string]time.Duration{}, deps: map[string][]string{}, records: map[string]bool{}}
	for i, rgs := range parsed {
		for gi := range rgs.Groups {
			g := &rgs.Groups[gi]
			g.Name = prefix + "-" + g.Name
			for ri := range g.Rules {
				r := &g.Rules[ri]
				expr, err := p.ParseExpr(r.Expr)
				if err != nil {
					tb.Fatalf("%s: %s: %v", files[i].name, r.Expr, err)
				}
				var reads []string
				parser.Inspect(expr, func(node parser.Node, path []parser.Node) error {
					vs, ok := node.(*parser.VectorSelector)
					if !ok {
						return nil
					}
					name := vs.Name
					for _, m := range vs.LabelMatchers {
						if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
							name = m.Value
						}
					}
					to, ok := renamed[name]
					if !ok {
						return nil
					}
					vs.Name = to
					for j, m := range vs.LabelMatchers {
						if m.Name == labels.MetricName {
							vs.LabelMatchers[j] = labels.MustNewMatcher(labels.MatchEqual, labels.MetricName, to)
						}
					}
					reads = append(reads, to)
					// A range read: the nearest matrix selector or
					// subquery above the selector.
					for k := len(path) - 1; k >= 0; k-- {
						var step time.Duration
						switch n := path[k].(type) {
						case *parser.MatrixSelector:
							step = benchInterval
						case *parser.SubqueryExpr:
							step = n.Step
							if step == 0 {
								step = benchInterval
							}
						default:
							continue
						}
						if old, ok := out.rangeReads[to]; !ok || step < old {
							out.rangeReads[to] = step
						}
						break
					}
					return nil
				})
				r.Expr = expr.String()
				if r.Record != "" {
					r.Record = renamed[r.Record]
					out.records[r.Record] = true
					out.deps[r.Record] = append(out.deps[r.Record], reads...)
				}
				if r.Alert != "" {
					r.Alert = strings.ToUpper(prefix[:1]) + prefix[1:] + "_" + r.Alert
				}
			}
		}
		data, err := yaml.Marshal(rgs)
		if err != nil {
			tb.Fatal(err)
		}
		out.files = append(out.files, namedFile{files[i].name, data})
	}
	return out
}

// backfillSteps is which recorded series must be backfilled, and at which
// step: those read over a range at the step they are read at (at least
// minStep) and, at the same step or finer, what they are computed from.
// Series read at an instant only need the cycle's own evaluation. Each
// series gets one step, the finest asked of it, so that a dependency is
// never coarser than what reads it; steps come finest first.
func (is isolated) backfillSteps(minStep time.Duration) []backfillStep {
	step := map[string]time.Duration{}
	var add func(name string, d time.Duration)
	add = func(name string, d time.Duration) {
		if old, ok := step[name]; ok && old <= d {
			return
		}
		step[name] = d
		for _, dep := range is.deps[name] {
			add(dep, d)
		}
	}
	for n, d := range is.rangeReads {
		add(n, max(d, minStep))
	}
	byStep := map[time.Duration]map[string]bool{}
	for n, d := range step {
		if byStep[d] == nil {
			byStep[d] = map[string]bool{}
		}
		byStep[d][n] = true
	}
	var out []backfillStep
	for d, names := range byStep {
		out = append(out, backfillStep{d, names})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].step < out[j].step })
	return out
}

type backfillStep struct {
	step  time.Duration
	names map[string]bool
}
