// Hints that make errors useful: how a value was written (describe), the
// usual mistakes with numbers, durations and quantities, and did-you-mean
// suggestions for misspelt names.

package profile

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// numberHint explains the usual ways a number is written as text.
func numberHint(n *yaml.Node, t reflect.Type) string {
	if n.Tag != "!!str" {
		return ""
	}
	if _, err := strconv.ParseFloat(n.Value, 64); err == nil {
		return "; write the number without quotes"
	}
	pct, ok := strings.CutSuffix(strings.TrimSpace(n.Value), "%")
	f, err := strconv.ParseFloat(strings.TrimSpace(pct), 64)
	if !ok || err != nil {
		return ""
	}
	if t == percentType {
		return "; write the percentage without the % sign, such as " + FormatNumber(f)
	}
	return "; write a ratio from 0 to 1, such as " + FormatNumber(f/100)
}

// durationHint points at the usual mistakes: no unit, a fraction, a sign.
func durationHint(s string) string {
	t := strings.TrimSpace(s)
	if _, err := strconv.ParseFloat(t, 64); err == nil {
		if strings.HasPrefix(t, "-") {
			return "; durations cannot be negative"
		}
		return fmt.Sprintf("; a duration needs a unit, such as %ss", t)
	}
	if strings.HasPrefix(t, "-") {
		return "; durations cannot be negative"
	}
	if d, err := time.ParseDuration(t); err == nil && d > 0 && d%time.Millisecond == 0 {
		return fmt.Sprintf("; write whole numbers of a smaller unit, such as %s", Duration(d))
	}
	return ""
}

// quantityHint points at units written the way disks are sold.
func quantityHint(s string) string {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "-") {
		return "; a memory quantity cannot be negative"
	}
	for _, unit := range []string{"K", "M", "G", "T"} {
		for _, suffix := range []string{"iB", "B", "b"} {
			if num, ok := strings.CutSuffix(t, unit+suffix); ok {
				if _, err := strconv.ParseFloat(num, 64); err == nil {
					dec := strings.Replace(unit, "K", "k", 1)
					return fmt.Sprintf("; write %s%si for binary units or %s%s for decimal ones", num, unit, num, dec)
				}
			}
		}
	}
	return ""
}

// describe names what the file wrote, quoted and shortened so an error
// stays one readable line whatever the value holds.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return describe(n.Alias)
	}
	switch n.Tag {
	case "!!null":
		return "nothing (null)"
	case "!!bool":
		return "the boolean " + n.Value
	case "!!int", "!!float":
		return shorten(n.Value)
	}
	return strconv.Quote(shorten(n.Value))
}

// shorten cuts user text that would drown an error message.
func shorten(s string) string {
	const max = 80
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "..."
}

// suggest returns the known name closest to key, if any is close enough to
// be a likely typo.
func suggest(key string, names []string) string {
	best, bestDist := "", 3
	for _, name := range names {
		if strings.EqualFold(name, key) {
			return name
		}
		if abs(len(name)-len(key)) >= bestDist {
			continue // too far apart, and long keys would cost quadratic time
		}
		if dist := editDistance(strings.ToLower(key), strings.ToLower(name)); dist < bestDist {
			best, bestDist = name, dist
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}
