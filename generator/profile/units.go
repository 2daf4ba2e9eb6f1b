package profile

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// Duration is a Prometheus-style duration ("60s", "30d", "250ms").
type Duration time.Duration

// ParseDuration accepts Prometheus duration syntax, the one users already
// write in rule files.
func ParseDuration(s string) (Duration, error) {
	d, err := model.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("expected a duration such as 60s, 5m, 1h or 30d, got %q", s)
	}
	return Duration(d), nil
}

// Seconds returns the duration in seconds.
func (d Duration) Seconds() float64 { return time.Duration(d).Seconds() }

// String renders the duration in the largest unit that divides it exactly,
// so 30d stays "30d" (Prometheus itself would print "4w2d").
func (d Duration) String() string {
	ms := time.Duration(d).Milliseconds()
	if ms == 0 {
		return "0s"
	}
	units := []struct {
		name string
		ms   int64
	}{{"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}}
	for _, u := range units {
		if ms%u.ms == 0 {
			return strconv.FormatInt(ms/u.ms, 10) + u.name
		}
	}
	return strconv.FormatInt(ms, 10) + "ms"
}

// MarshalYAML and MarshalJSON keep durations readable in dumps.
func (d Duration) MarshalYAML() (any, error)    { return d.String(), nil }
func (d Duration) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(d.String())), nil }

// Quantity is a byte amount written the Kubernetes way ("8Gi", "800Mi").
type Quantity int64

var quantitySuffixes = []struct {
	suffix string
	factor int64
}{
	{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40},
	{"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12},
}

// ParseQuantity accepts a whole number of bytes or one with a binary (Ki, Mi,
// Gi, Ti) or decimal (k, M, G, T) suffix.
func ParseQuantity(s string) (Quantity, error) {
	bad := fmt.Errorf("expected a memory quantity such as 800Mi, 8Gi or 1073741824, got %q", s)
	t := strings.TrimSpace(s)
	factor := int64(1)
	for _, q := range quantitySuffixes {
		if strings.HasSuffix(t, q.suffix) {
			t, factor = strings.TrimSuffix(t, q.suffix), q.factor
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || t == "" || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0, bad
	}
	v := f * float64(factor)
	if v > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is too large for a memory quantity", s)
	}
	return Quantity(math.Round(v)), nil
}

// Bytes returns the quantity in bytes.
func (q Quantity) Bytes() int64 { return int64(q) }

// String renders the quantity with the largest binary suffix that divides it.
func (q Quantity) String() string {
	for i := 3; i >= 0; i-- {
		f := quantitySuffixes[i]
		if q != 0 && int64(q)%f.factor == 0 {
			return strconv.FormatInt(int64(q)/f.factor, 10) + f.suffix
		}
	}
	return strconv.FormatInt(int64(q), 10)
}

// Human renders the quantity for people, with up to two decimals in the
// largest binary unit that is at least 1 (6871947673 -> "6.4Gi").
func (q Quantity) Human() string {
	for i := 3; i >= 0; i-- {
		f := quantitySuffixes[i]
		if int64(q) >= f.factor {
			v := math.Round(float64(q)/float64(f.factor)*100) / 100
			return strconv.FormatFloat(v, 'f', -1, 64) + f.suffix
		}
	}
	return strconv.FormatInt(int64(q), 10) + "B"
}

func (q Quantity) MarshalYAML() (any, error)    { return q.String(), nil }
func (q Quantity) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(q.String())), nil }

// Percent is an objective in percent, such as 99.9.
type Percent float64

// Ratio is the objective as a fraction, 99.9 -> 0.999.
func (p Percent) Ratio() float64 { return float64(p) / 100 }

// FormatNumber prints a float with at most 12 significant digits, so values
// computed from profile numbers print as a person wrote them (0.999, never
// 0.9990000000000001) and the same input always prints the same bytes.
func FormatNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(Round(f), 'f', -1, 64)
}

// Round rounds f to 12 significant digits, the precision FormatNumber
// prints: derived ratios (1 - 0.999) are stored as people write them.
func Round(f float64) float64 {
	if f == 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return f
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 12, 64), 64)
	return r
}
