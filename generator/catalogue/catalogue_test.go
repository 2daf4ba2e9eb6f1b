package catalogue_test

import (
	"strings"
	"testing"

	"github.com/meshslo/meshslo/generator/catalogue"
	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/loader"
	"github.com/meshslo/meshslo/generator/rules"
	"github.com/meshslo/meshslo/profiles"
)

// Every metric a generated expression names must be exported by current
// Istio, Envoy, cAdvisor or kube-state-metrics, or recorded by our own rules.
func TestGeneratedRulesNameOnlyCataloguedMetrics(t *testing.T) {
	for _, name := range profiles.Names() {
		l, errs := loader.Load(name)
		if l == nil || len(errs.Fatal(false)) > 0 {
			t.Fatalf("%s: %v", name, errs)
		}
		c, err := config.New(l.Profile)
		if err != nil {
			t.Fatal(err)
		}
		files := rules.Build(c)
		recorded := map[string]bool{}
		for _, f := range files {
			for _, g := range f.Groups {
				for _, r := range g.Rules {
					if r.Record != "" {
						recorded[r.Record] = true
					}
				}
			}
		}
		for _, f := range files {
			for _, g := range f.Groups {
				for _, r := range g.Rules {
					names, err := catalogue.MetricNames(r.Expr)
					if err != nil {
						t.Fatalf("%s/%s: %v", name, g.Name, err)
					}
					for _, m := range names {
						if err := catalogue.Check(m, recorded); err != nil {
							t.Errorf("%s: rule %s%s: %v", name, r.Alert, r.Record, err)
						}
					}
				}
			}
		}
	}
}

func TestMetricNames(t *testing.T) {
	got, err := catalogue.MetricNames(`sum(rate(a_total{x="1"}[5m])) / on() group_left {__name__="b"} or absent(c)`)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "a_total,b,c" {
		t.Fatalf("got %v", got)
	}
}

func TestLookupHistogramSeries(t *testing.T) {
	for _, name := range []string{"istio_request_duration_milliseconds_bucket", "pilot_proxy_convergence_time_count"} {
		if _, ok := catalogue.Lookup(name); !ok {
			t.Errorf("%s should resolve to its histogram", name)
		}
	}
	for _, name := range []string{"istio_requests_total_bucket", "pilot_xds_push_errors", "istiod_mem_heap_alloc_bytes"} {
		if _, ok := catalogue.Lookup(name); ok {
			t.Errorf("%s must not be catalogued", name)
		}
	}
}

func TestEveryEntryIsCited(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range catalogue.Entries() {
		if e.Citation == "" || e.Source == "" || e.Type == "" {
			t.Errorf("%s lacks a type, source or citation", e.Name)
		}
		if seen[e.Name] {
			t.Errorf("%s is listed twice", e.Name)
		}
		seen[e.Name] = true
		if _, removed := catalogue.Removed[e.Name]; removed {
			t.Errorf("%s is both catalogued and removed", e.Name)
		}
	}
}
