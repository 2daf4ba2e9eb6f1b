package cost

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/rules"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
)

// openDB opens an empty TSDB in a temporary folder: no WAL and no
// compaction, and a head wide enough to take recorded series backfilled
// over the whole history after the raw samples (the head refuses samples
// older than half its block range behind its newest sample).
func openDB(tb testing.TB, history time.Duration) *tsdb.DB {
	tb.Helper()
	opts := tsdb.DefaultOptions()
	opts.WALSegmentSize = -1
	opts.RetentionDuration = 0
	opts.MinBlockDuration = (4 * history).Milliseconds()
	opts.MaxBlockDuration = opts.MinBlockDuration
	db, err := tsdb.Open(tb.TempDir(), promslog.NewNopLogger(), nil, opts, nil)
	if err != nil {
		tb.Fatal(err)
	}
	db.DisableCompactions()
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// newEngine is Prometheus's PromQL engine with query statistics on.
// benchParser parses rules and queries with the experimental extended range
// selectors (anchored, smoothed) on, as Prometheus does with
// --enable-feature=promql-extended-range-selectors; rules that use none of
// them parse as without it.
var benchParser = parser.NewParser(parser.Options{EnableExtendedRangeSelectors: true})

func newEngine() *promql.Engine {
	return promql.NewEngine(promql.EngineOpts{
		Logger:               promslog.NewNopLogger(),
		MaxSamples:           1 << 40,
		Timeout:              time.Hour,
		LookbackDelta:        5 * time.Minute,
		EnableAtModifier:     true,
		EnableNegativeOffset: true,
		EnablePerStepStats:   true,
		Parser:               benchParser,
	})
}

// ruleSet is a set of rule files loaded by Prometheus's rule manager, with
// its groups in file order, evaluated against one TSDB.
type ruleSet struct {
	name    string
	groups  []*rules.Group
	engine  *promql.Engine
	db      *tsdb.DB
	samples atomic.Int64
	// records counts the recording rules of each expression; recorded,
	// the series they wrote in the last cycle (storage cost).
	records  map[string]int
	recorded atomic.Int64
	// perMinute is the last cycle's samples with each group's weighted by
	// how often it runs in a minute (Pyrra's groups run every 30s and
	// 2m30s; groups without an interval take the bench's 1m).
	perMinute float64
	// perQuery holds the samples each expression read in the last cycle.
	mu       sync.Mutex
	perQuery map[string]int64
}

// loadRuleSet writes each file (name -> YAML) to a temporary folder and
// loads it the way Prometheus does. Queries go through query, which counts
// the samples the engine reads.
func loadRuleSet(tb testing.TB, name string, db *tsdb.DB, engine *promql.Engine, files []namedFile) *ruleSet {
	tb.Helper()
	rs := &ruleSet{name: name, engine: engine, db: db, records: map[string]int{}}
	mgr := rules.NewManager(&rules.ManagerOptions{
		Appendable: db,
		Queryable:  db,
		QueryFunc:  rs.query,
		NotifyFunc: func(context.Context, string, ...*rules.Alert) {},
		Context:    context.Background(),
		Logger:     promslog.NewNopLogger(),
		Parser:     benchParser,
	})
	dir := tb.TempDir()
	for _, f := range files {
		path := filepath.Join(dir, f.name+".yaml")
		if err := os.WriteFile(path, f.data, 0o644); err != nil {
			tb.Fatal(err)
		}
		groups, errs := mgr.LoadGroups(time.Minute, labels.EmptyLabels(), "", nil, false, path)
		if len(errs) > 0 {
			tb.Fatalf("%s: loading %s: %v", name, f.name, errs)
		}
		parsed, errs := rulefmt.ParseFile(path, false, model.UTF8Validation, benchParser, promslog.NewNopLogger())
		if len(errs) > 0 {
			tb.Fatalf("%s: parsing %s: %v", name, f.name, errs)
		}
		for _, g := range parsed.Groups {
			group := groups[rules.GroupKey(path, g.Name)]
			rs.groups = append(rs.groups, group)
			for _, r := range group.Rules() {
				if rr, ok := r.(*rules.RecordingRule); ok {
					rs.records[rr.Query().String()]++
				}
			}
		}
	}
	return rs
}

type namedFile struct {
	name string
	data []byte
}

// query is the rule manager's query function (rules.EngineQueryFunc) plus
// a count of the samples each query reads.
func (rs *ruleSet) query(ctx context.Context, qs string, t time.Time) (promql.Vector, error) {
	q, err := rs.engine.NewInstantQuery(ctx, rs.db, promql.NewPrometheusQueryOpts(false, 0), qs, t)
	if err != nil {
		return nil, err
	}
	defer q.Close()
	res := q.Exec(ctx)
	if res.Err != nil {
		return nil, res.Err
	}
	if st := q.Stats(); st != nil && st.Samples != nil {
		rs.samples.Add(st.Samples.TotalSamples)
		rs.mu.Lock()
		if rs.perQuery == nil {
			rs.perQuery = map[string]int64{}
		}
		rs.perQuery[qs] += st.Samples.TotalSamples
		rs.mu.Unlock()
	}
	switch v := res.Value.(type) {
	case promql.Vector:
		rs.recorded.Add(int64(rs.records[qs] * len(v)))
		return v, nil
	case promql.Scalar:
		rs.recorded.Add(int64(rs.records[qs]))
		return promql.Vector{promql.Sample{T: v.T, F: v.V, Metric: labels.Labels{}}}, nil
	default:
		return nil, fmt.Errorf("rule result is not a vector or scalar: %s", qs)
	}
}

// cycle evaluates every group once at ts, in order, as the rule manager
// does at each interval, and returns the samples read and the time taken.
// rs.recorded then holds the series its recording rules wrote.
func (rs *ruleSet) cycle(ctx context.Context, ts time.Time) (int64, time.Duration, error) {
	rs.samples.Store(0)
	rs.recorded.Store(0)
	rs.perMinute = 0
	rs.mu.Lock()
	rs.perQuery = nil
	rs.mu.Unlock()
	start := time.Now()
	for _, g := range rs.groups {
		before := rs.samples.Load()
		g.Eval(ctx, ts)
		rs.perMinute += float64(rs.samples.Load()-before) * float64(time.Minute) / float64(g.Interval())
		for _, r := range g.Rules() {
			if err := r.LastError(); err != nil {
				return 0, 0, fmt.Errorf("%s: group %s, rule %s: %w", rs.name, g.Name(), r.Name(), err)
			}
		}
	}
	return rs.samples.Load(), time.Since(start), nil
}

// backfill writes what every recording rule would have recorded from start
// to end at step, rule after rule in group order, with one range query per
// rule: the same values the rule manager writes, so later rules and later
// cycles read real history. only, when set, limits it to those series.
// It returns the results of every rule by series name, for the tests.
func (rs *ruleSet) backfill(ctx context.Context, start, end time.Time, step time.Duration, only func(name string) bool) (map[string]promql.Matrix, error) {
	out := map[string]promql.Matrix{}
	for _, g := range rs.groups {
		for _, r := range g.Rules() {
			rr, ok := r.(*rules.RecordingRule)
			if !ok || (only != nil && !only(rr.Name())) {
				continue
			}
			q, err := rs.engine.NewRangeQuery(ctx, rs.db, nil, rr.Query().String(), start, end, step)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", rs.name, rr.Name(), err)
			}
			res := q.Exec(ctx)
			if res.Err != nil {
				q.Close()
				return nil, fmt.Errorf("%s: %s: %w", rs.name, rr.Name(), res.Err)
			}
			m, err := res.Matrix()
			if err != nil {
				q.Close()
				return nil, err
			}
			app := rs.db.Appender(ctx)
			var recorded promql.Matrix
			for _, s := range m {
				lb := labels.NewBuilder(s.Metric)
				lb.Set(labels.MetricName, rr.Name())
				rr.Labels().Range(func(l labels.Label) { lb.Set(l.Name, l.Value) })
				lset := lb.Labels()
				var ref storage.SeriesRef
				for _, p := range s.Floats {
					ref, err = app.Append(ref, lset, p.T, p.F)
					if err != nil {
						_ = app.Rollback()
						q.Close()
						return nil, fmt.Errorf("%s: appending %s: %w", rs.name, lset, err)
					}
				}
				recorded = append(recorded, promql.Series{Metric: lset, Floats: append([]promql.FPoint(nil), s.Floats...)})
			}
			q.Close()
			if err := app.Commit(); err != nil {
				return nil, err
			}
			out[rr.Name()] = append(out[rr.Name()], recorded...)
		}
	}
	return out, nil
}
