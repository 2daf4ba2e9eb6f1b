package cost

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/meshslo/meshslo/generator/rulers"
	meshrules "github.com/meshslo/meshslo/generator/rules"
)

// BenchmarkRuleCostSplit measures what each ruler mode costs per
// evaluation cycle, for the SLO files of the built-in large profile (as
// BenchmarkRuleCost), on the same synthetic mesh:
//   - ours: today's single Prometheus, every rule (the tiles feed the
//     longer windows within a cycle);
//   - split-local and split-ruler: the two tiers of rulers.SplitFiles, each
//     cluster's Prometheus and the ruler (spec.rulers.mode: split);
//   - chain-free: the exact rules, every window read straight from the raw
//     counters (the accuracy test's reference), for a ruler that must read
//     nothing it recorded itself within the cycle; its alerts read those
//     recordings one hop later.
//
// Sub-benchmarks: pods=N (one cluster; MESHSLO_BENCH_PODS as for
// BenchmarkRuleCost, default 200) and fleet=10x200, ten clusters of 200 pods
// under one ruler. The fleet is written into one TSDB, each cluster's
// services under their own names (what keeping the cluster label gives the
// ruler: ten times the recorded series); a cluster's Prometheus evaluates
// the local tier over its own tenth, so its figure is the pods=200 one and
// the fleet's local total is ten times that.
func BenchmarkRuleCostSplit(b *testing.B) {
	sizes := []string{"200"}
	if env := os.Getenv("MESHSLO_BENCH_PODS"); env != "" {
		sizes = strings.Split(env, ",")
	}
	for _, s := range sizes {
		var pods int
		if _, err := fmt.Sscanf(strings.TrimSpace(s), "%d", &pods); err != nil || pods < 10 {
			b.Fatalf("MESHSLO_BENCH_PODS: expected pod counts such as 200,2000, got %q", s)
		}
		b.Run(fmt.Sprintf("pods=%d", pods), func(b *testing.B) { benchSplit(b, pods, 1) })
	}
	b.Run("fleet=10x200", func(b *testing.B) { benchSplit(b, 200, 10) })
}

func benchSplit(b *testing.B, podsPerCluster, clusters int) {
	ctx := context.Background()
	pods := podsPerCluster * clusters
	m := mesh{Pods: pods, Services: pods / 10, Namespaces: 5, Sources: 2, Scrape: benchScrapeInterval(b), Buckets: benchBuckets, Seed: 1}
	history := benchHistory
	db := openDB(b, history)
	series, _, err := m.write(ctx, db, steadyTraffic, history, false)
	if err != nil {
		b.Fatal(err)
	}
	end := time.Unix(0, 0).UTC().Add(history)
	c := builtinConfig(b, "large", benchInterval)
	engine := newEngine()
	oursFiles := sloFiles(b, c)
	split, err := rulers.SplitFiles(oursFiles)
	if err != nil {
		b.Fatal(err)
	}
	if chained, err := rulers.ChainFree(split.Ruler); err != nil || len(chained) > 0 {
		b.Fatalf("the ruler tier reads its own recordings within a cycle: %v %v", chained, err)
	}
	exact := slothFiles(c, oursFiles, true)
	// Every window is read from the raw counters; only the period's
	// remaining budget (a division of the recorded period ratio) and the
	// alerts read a recording of the same cycle.
	chained, err := rulers.ChainFree(exact)
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range chained {
		if name != "sloth:period_error_budget_remaining:ratio" && !strings.HasPrefix(name, "Sloth") {
			b.Fatalf("chain-free set: %s reads a recording of the same cycle", name)
		}
	}
	sets := []*ruleSet{
		loadRuleSet(b, "ours", db, engine, renderFiles(b, c, oursFiles)),
		loadRuleSet(b, "split-local", db, engine, renderFiles(b, c, renamed(split.Local, "local"))),
		loadRuleSet(b, "split-ruler", db, engine, renderFiles(b, c, renamed(split.Ruler, "ruler"))),
		loadRuleSet(b, "chain-free", db, engine, renderFiles(b, c, exact)),
	}
	// The two tiers are ours cut in two: the same rules writing the same
	// series, so ours' backfill (every 5m, as in BenchmarkRuleCost: tiles
	// are read at whole multiples of 5m only) gives both their history, and
	// in each cycle ours writes first what the tiers then write again with
	// the same values. The chain-free set reads raw counters and needs no
	// history of its own.
	start := time.Now()
	if _, err := sets[0].backfill(ctx, end.Add(-history), end.Add(-5*time.Minute), 5*time.Minute, nil); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d cluster(s) x %d pods: %d raw series, backfill %s", clusters, podsPerCluster, len(series), time.Since(start).Round(time.Second))

	samples := make([]int64, len(sets))
	for b.Loop() {
		for i, rs := range sets {
			n, _, err := rs.cycle(ctx, end)
			if err != nil {
				b.Fatal(err)
			}
			samples[i] = n
		}
	}
	for i, rs := range sets {
		b.ReportMetric(float64(samples[i]), rs.name+"-samples/cycle")
	}
	b.Logf("%d cluster(s) x %d pods | samples/cycle: ours %d | split: local %d + ruler %d (%d rules local, %d on the ruler) | chain-free %d (%.1fx ours)",
		clusters, podsPerCluster, samples[0], samples[1], samples[2], split.LocalRules, split.RulerRules, samples[3], float64(samples[3])/float64(samples[0]))
}

// renamed gives the files of a tier their own names, so that two tiers'
// files do not collide in the rule manager (groups keep their names:
// each tier has its own manager).
func renamed(files []meshrules.File, tier string) []meshrules.File {
	out := make([]meshrules.File, len(files))
	for i, f := range files {
		f.Name = tier + "-" + f.Name
		out[i] = f
	}
	return out
}
