package rulers

import (
	"fmt"

	"github.com/meshslo/meshslo/generator/rules"
)

// Split places a rule set on two tiers: each cluster's Prometheus (Local),
// which scrapes the raw series and evaluates its groups in order with
// read-after-write, and a remote ruler (Ruler), which reads through a
// query layer what the Prometheus servers recorded and does not read its
// own writes back in the same cycle (Thanos Ruler writes to its own TSDB or
// by remote write and queries through Thanos Query; vmalert writes by
// remote write and queries its datasource).
//
// The rules, from the dependency graph only:
//   - every rule that reads a scraped series is local;
//   - every producer of a series a local rule reads, at any time, is local
//     (a Prometheus does not see what the ruler writes);
//   - every producer of a series a ruler rule reads at the evaluation
//     instant is local (the ruler would read it a cycle or more late);
//
// repeated until nothing moves. The rest goes to the ruler: rules whose
// same-instant inputs are all recorded locally. Reads of the past (offset)
// may cross to the ruler's own series, which are stored by then.
type Split struct {
	Local, Ruler []rules.File
	// LocalRules and RulerRules count the rules of each tier.
	LocalRules, RulerRules int
}

// SplitFiles splits files as described on Split. Rule order within each
// group is kept on both tiers.
func SplitFiles(files []rules.File) (Split, error) {
	g, err := NewGraph(files)
	if err != nil {
		return Split{}, err
	}
	local := make([]bool, len(g.Nodes))
	for i, n := range g.Nodes {
		local[i] = n.Raw
	}
	for moved := true; moved; {
		moved = false
		for i, n := range g.Nodes {
			for _, rd := range n.Reads {
				if !local[i] && (!rd.Now || alertState(rd.Name)) {
					continue
				}
				for _, p := range g.Producers(rd.Name) {
					if !local[p] && p != i {
						local[p], moved = true, true
					}
				}
			}
		}
	}
	ruler := make([]bool, len(local))
	s := Split{}
	for i := range local {
		ruler[i] = !local[i]
		if local[i] {
			s.LocalRules++
		} else {
			s.RulerRules++
		}
	}
	s.Local, s.Ruler = subset(files, g, local), subset(files, g, ruler)
	if err := checkSplit(s); err != nil {
		return Split{}, err
	}
	return s, nil
}

// checkSplit holds a split to its promises, from a graph of each tier: the
// local tier reads nothing the ruler writes, and the ruler reads at the
// evaluation instant only what the local tier writes.
func checkSplit(s Split) error {
	lg, err := NewGraph(s.Local)
	if err != nil {
		return err
	}
	rg, err := NewGraph(s.Ruler)
	if err != nil {
		return err
	}
	for _, n := range lg.Nodes {
		for _, rd := range n.Reads {
			if len(lg.Producers(rd.Name)) == 0 && len(rg.Producers(rd.Name)) > 0 {
				return fmt.Errorf("rulers: local rule %s reads %s, which the ruler writes", name(n.Rule), rd.Name)
			}
		}
	}
	for _, n := range rg.Nodes {
		for _, rd := range n.Reads {
			if rd.Now && !alertState(rd.Name) && len(rg.Producers(rd.Name)) > 0 {
				return fmt.Errorf("rulers: ruler rule %s reads %s at the evaluation instant, which the ruler itself writes", name(n.Rule), rd.Name)
			}
		}
	}
	return nil
}

// ChainFree reports the rules of files that read, at the evaluation
// instant, a series another rule of the set records: none for a set that a
// ruler without read-after-write can evaluate alone over raw series.
func ChainFree(files []rules.File) ([]string, error) {
	g, err := NewGraph(files)
	if err != nil {
		return nil, err
	}
	var chained []string
	for i, d := range g.Depth() {
		if d > 0 {
			chained = append(chained, name(g.Nodes[i].Rule))
		}
	}
	return chained, nil
}

// alertState reports whether name is a series Prometheus writes for
// alerting rules (ALERTS). A rule reading it (the canary gate,
// mesh:istio_canary_healthy:bool) sees the state of the alerts' last
// evaluation even in one Prometheus, when they are in another group; on a
// ruler it sees it once the ruler's writes are readable, a lag of a cycle
// or more, not a missing series. So such a read does not pull the alerts
// it names into each cluster's Prometheus: they stay on the ruler with the
// recordings they read.
func alertState(name string) bool {
	for _, s := range alertSeries {
		if s == name {
			return true
		}
	}
	return false
}
