package profile

import (
	"testing"
	"time"
)

func TestDurationRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		out  string
	}{
		{"60s", time.Minute, "1m"},
		{"30d", 30 * 24 * time.Hour, "30d"},
		{"250ms", 250 * time.Millisecond, "250ms"},
		{"1h30m", 90 * time.Minute, "90m"},
		{"72h", 72 * time.Hour, "3d"},
	} {
		d, err := ParseDuration(tc.in)
		if err != nil || time.Duration(d) != tc.want || d.String() != tc.out {
			t.Errorf("ParseDuration(%q) = %v (%s), %v; want %v (%s)", tc.in, time.Duration(d), d, err, tc.want, tc.out)
		}
	}
	for _, bad := range []string{"", "5", "1.5h", "-1m", "five minutes"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) should fail", bad)
		}
	}
}

func TestQuantity(t *testing.T) {
	for _, tc := range []struct {
		in    string
		bytes int64
		out   string
		human string
	}{
		{"8Gi", 8 << 30, "8Gi", "8Gi"},
		{"800Mi", 800 << 20, "800Mi", "800Mi"},
		{"1G", 1e9, "1000000000", "953.67Mi"},
		{"1073741824", 1 << 30, "1Gi", "1Gi"},
		{"0.5Gi", 512 << 20, "512Mi", "512Mi"},
	} {
		q, err := ParseQuantity(tc.in)
		if err != nil || q.Bytes() != tc.bytes || q.String() != tc.out || q.Human() != tc.human {
			t.Errorf("ParseQuantity(%q) = %d %q %q, %v; want %d %q %q", tc.in, q.Bytes(), q, q.Human(), err, tc.bytes, tc.out, tc.human)
		}
	}
	for _, bad := range []string{"", "Gi", "-1Gi", "8GB", "NaN", "1e400"} {
		if _, err := ParseQuantity(bad); err == nil {
			t.Errorf("ParseQuantity(%q) should fail", bad)
		}
	}
}

// Numbers derived from profile values print as a person wrote them.
func TestFormatNumber(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0.999, "0.999"},
		{1 - 0.999, "0.001"},
		{14.4 * 0.001, "0.0144"},
		{99.9 / 100, "0.999"},
		{8589934592, "8589934592"},
		{0.02 * 720, "14.4"},
	} {
		if got := FormatNumber(tc.in); got != tc.want {
			t.Errorf("FormatNumber(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
