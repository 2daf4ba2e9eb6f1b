package cost

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
)

// mesh is a synthetic Istio data plane shaped like the one the figures in
// the brief were taken on: destination pods spread over services and
// namespaces, a few source workloads calling each pod, response codes 200
// and 503, and Envoy's request duration histogram, all reported by the
// destination sidecar and scraped at a fixed interval, each pod at its own
// phase as Prometheus spreads scrapes.
type mesh struct {
	Pods, Services, Namespaces, Sources int
	Scrape                              time.Duration
	// Buckets are the histogram's le boundaries that are stored; the
	// benchmark keeps only those some rule set reads (see bench_test.go).
	Buckets []string
	// Seed makes the traffic noise reproducible.
	Seed uint64
}

// envoyBuckets are Envoy's default request duration buckets (ms), +Inf added.
var envoyBuckets = []string{"0.5", "1", "5", "10", "25", "50", "100", "250", "500", "1000", "2500", "5000",
	"10000", "30000", "60000", "300000", "600000", "1800000", "3600000", "+Inf"}

// load is what a service receives at a moment: requests per second, the
// share answered 503, and the share slower than the latency threshold.
type load struct{ RPS, Errors, Slow float64 }

// traffic returns the load of service svc at offset t from the start.
type traffic func(svc int, t time.Duration) load

// Latency shapes: fast requests fall in buckets up to 250ms, slow ones
// above it, so the share under 250ms is exactly 1-Slow. Values are the
// cumulative share of each shape at every boundary of envoyBuckets.
var (
	fastCDF = map[string]float64{"0.5": 0, "1": 0.01, "5": 0.1, "10": 0.3, "25": 0.6, "50": 0.8, "100": 0.95, "250": 1}
	slowCDF = map[string]float64{"250": 0, "500": 0.5, "1000": 0.8, "2500": 0.95, "5000": 0.99, "10000": 1}
)

func cdf(shape map[string]float64, le string) float64 {
	if le == "+Inf" {
		return 1
	}
	if v, ok := shape[le]; ok {
		return v
	}
	b, _ := strconv.ParseFloat(le, 64)
	if b < 0.5 { // below every boundary listed
		return 0
	}
	return 1 // above every boundary listed
}

func (m mesh) service(pod int) int { return pod % m.Services }

func (m mesh) serviceName(svc int) string { return fmt.Sprintf("svc-%03d", svc) }

func (m mesh) namespace(svc int) string { return fmt.Sprintf("ns-%d", svc%m.Namespaces) }

// podsOf is how many pods service svc has.
func (m mesh) podsOf(svc int) int {
	n := m.Pods / m.Services
	if svc < m.Pods%m.Services {
		n++
	}
	return n
}

// counter is one stored series and how it grows.
type counter struct {
	labels labels.Labels
	ref    storage.SeriesRef
	pod    int
	source int
	code   string
	// le is the bucket boundary; "" for istio_requests_total, "count" for _count.
	le string
	// first is when the pod is first scraped: its phase.
	first time.Duration
	acc   float64
	// values keeps every sample when the caller wants them (accuracy test).
	values []float64
}

// series lists every stored series of the mesh, in a fixed order.
func (m mesh) series() []*counter {
	var out []*counter
	for pod := 0; pod < m.Pods; pod++ {
		svc := m.service(pod)
		for src := 0; src < m.Sources; src++ {
			for _, code := range []string{"200", "503"} {
				base := []string{
					"reporter", "destination",
					"destination_service_namespace", m.namespace(svc),
					"destination_service_name", m.serviceName(svc),
					"destination_service", m.serviceName(svc) + "." + m.namespace(svc) + ".svc.cluster.local",
					"destination_workload", m.serviceName(svc),
					"destination_workload_namespace", m.namespace(svc),
					"source_workload", fmt.Sprintf("client-%d", src),
					"source_workload_namespace", "clients",
					"request_protocol", "http",
					"response_code", code,
					"connection_security_policy", "mutual_tls",
					"namespace", m.namespace(svc),
					"pod", fmt.Sprintf("%s-%d", m.serviceName(svc), pod),
				}
				with := func(name string, kv ...string) labels.Labels {
					return labels.FromStrings(append(append([]string{"__name__", name}, base...), kv...)...)
				}
				out = append(out, &counter{labels: with("istio_requests_total"), pod: pod, source: src, code: code})
				for _, le := range m.Buckets {
					out = append(out, &counter{labels: with("istio_request_duration_milliseconds_bucket", "le", le), pod: pod, source: src, code: code, le: le})
				}
				out = append(out, &counter{labels: with("istio_request_duration_milliseconds_count"), pod: pod, source: src, code: code, le: "count"})
			}
		}
	}
	return out
}

// write appends samples from start to end (offsets from time zero) to db
// and returns the series. Every pod is scraped at its own phase within the
// scrape interval; counters start at zero. With keep, every sample value is
// kept in the returned series too.
func (m mesh) write(ctx context.Context, db storage.Appendable, tr traffic, end time.Duration, keep bool) ([]*counter, int, error) {
	series := m.series()
	rng := rand.New(rand.NewPCG(m.Seed, 1))
	phase := make([]time.Duration, m.Pods)
	for i := range phase {
		phase[i] = time.Duration(rng.Int64N(int64(m.Scrape/time.Millisecond))) * time.Millisecond
	}
	// Weights spread a service's traffic unevenly over its pods and sources,
	// so that weighting by traffic matters.
	podWeight := make([]float64, m.Pods)
	for svc := 0; svc < m.Services; svc++ {
		var sum float64
		for pod := svc; pod < m.Pods; pod += m.Services {
			podWeight[pod] = 0.5 + rng.Float64()
			sum += podWeight[pod]
		}
		for pod := svc; pod < m.Pods; pod += m.Services {
			podWeight[pod] /= sum
		}
	}
	srcWeight := make([]float64, m.Sources)
	var sum float64
	for i := range srcWeight {
		srcWeight[i] = float64(i + 1)
		sum += srcWeight[i]
	}
	for i := range srcWeight {
		srcWeight[i] /= sum
	}

	for _, c := range series {
		c.first = phase[c.pod]
	}
	steps := int(end / m.Scrape)
	samples := 0
	noise := make([]float64, m.Pods*m.Sources)
	for step := 0; step <= steps; step++ {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		for i := range noise {
			noise[i] = 0.8 + 0.4*rng.Float64()
		}
		app := db.Appender(ctx)
		for _, c := range series {
			at := time.Duration(step)*m.Scrape + phase[c.pod]
			if step > 0 {
				// Requests in the interval that ends at this scrape.
				l := tr(m.service(c.pod), at)
				n := l.RPS * m.Scrape.Seconds() * podWeight[c.pod] * srcWeight[c.source] * noise[c.pod*m.Sources+c.source]
				if c.code == "503" {
					n *= l.Errors
				} else {
					n *= 1 - l.Errors
				}
				switch c.le {
				case "", "count", "+Inf":
				default:
					n *= (1-l.Slow)*cdf(fastCDF, c.le) + l.Slow*cdf(slowCDF, c.le)
				}
				c.acc += n
			}
			// Counters count whole requests; flooring the running total keeps
			// every bucket at or below the next one.
			v := math.Floor(c.acc)
			ref, err := app.Append(c.ref, c.labels, at.Milliseconds(), v)
			if err != nil {
				_ = app.Rollback()
				return nil, 0, fmt.Errorf("appending %s: %w", c.labels, err)
			}
			c.ref = ref
			if keep {
				c.values = append(c.values, v)
			}
			samples++
		}
		if err := app.Commit(); err != nil {
			return nil, 0, err
		}
	}
	return series, samples, nil
}
