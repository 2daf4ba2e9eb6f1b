package ruletests

import (
	"strconv"
	"strings"

	"github.com/meshslo/meshslo/generator/profile"
)

// gauge writes sample values in promtool's expanding notation, folding
// runs that change by the same step into one `a+bxn` term so days of
// samples stay one short line.
func gauge(vals []float64) string {
	var parts []string
	for i := 0; i < len(vals); {
		j := i + 1
		if j < len(vals) {
			d := vals[j] - vals[i]
			for j+1 < len(vals) && vals[j+1]-vals[j] == d {
				j++
			}
			j++
		}
		parts = append(parts, term(vals[i], stepOf(vals[i:j]), j-i))
		i = j
	}
	return strings.Join(parts, " ")
}

// counter writes a counter that starts at start and grows by incs[k]
// between sample k and k+1; runs of one increment fold into one term.
func counter(start float64, incs []float64) string {
	parts := []string{}
	v := start
	first := true
	for i := 0; i < len(incs); {
		j := i
		for j+1 < len(incs) && incs[j+1] == incs[i] {
			j++
		}
		n := j - i + 1
		if first {
			// The first term holds the start sample and n increments.
			parts = append(parts, term(v, incs[i], n+1))
			first = false
		} else {
			parts = append(parts, term(v+incs[i], incs[i], n))
		}
		v += incs[i] * float64(n)
		i = j + 1
	}
	if first {
		return num(start)
	}
	return strings.Join(parts, " ")
}

func stepOf(vals []float64) float64 {
	if len(vals) < 2 {
		return 0
	}
	return vals[1] - vals[0]
}

// term renders n samples from a, each d apart.
func term(a, d float64, n int) string {
	if n == 1 {
		return num(a)
	}
	if d == 0 {
		return num(a) + "x" + strconv.Itoa(n-1)
	}
	sign := "+"
	if d < 0 {
		sign = ""
	}
	return num(a) + sign + num(d) + "x" + strconv.Itoa(n-1)
}

func num(f float64) string { return profile.FormatNumber(f) }

// samples is how many input samples, one per step from 0, reach until.
func (b *builder) samples(until profile.Duration) int { return int(until/b.step) + 1 }

// ceilStep rounds d up to whole evaluation steps: an alert with for: d
// fires at the first evaluation at least d after it went pending.
func (b *builder) ceilStep(d profile.Duration) profile.Duration {
	n := (d + b.step - 1) / b.step
	return n * b.step
}

func (b *builder) floorStep(d profile.Duration) profile.Duration {
	if d < 0 {
		return 0
	}
	return d / b.step * b.step
}

// ceilEvery rounds d up to whole test evaluations.
func (b *builder) ceilEvery(d profile.Duration) profile.Duration {
	n := (d + b.every - 1) / b.every
	return n * b.every
}
