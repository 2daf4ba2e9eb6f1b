// Which characters and YAML tags a profile may hold.

package profile

import (
	"fmt"
	"strconv"
	"unicode"

	"gopkg.in/yaml.v3"
)

// runeNames name the characters a profile string is most often refused for.
var runeNames = map[rune]string{
	0x00: "NUL", '\t': "tab", '\n': "newline", '\r': "carriage return", 0x1b: "escape", 0x7f: "DEL",
	0x85: "next line", 0xad: "soft hyphen", 0x200b: "zero-width space", 0x200e: "left-to-right mark",
	0x200f: "right-to-left mark", 0x2028: "line separator", 0x2029: "paragraph separator",
	0x202a: "left-to-right embedding", 0x202b: "right-to-left embedding", 0x202c: "pop directional formatting",
	0x202d: "left-to-right override", 0x202e: "right-to-left override", 0x2066: "left-to-right isolate",
	0x2067: "right-to-left isolate", 0x2068: "first strong isolate", 0x2069: "pop directional isolate",
	0xfeff: "byte order mark",
}

// textProblem says why s cannot be a profile string, or returns "". Refused
// are the C0 and C1 control characters and DEL (category Cc), invisible
// formatting characters such as bidi overrides and zero-width spaces (Cf),
// and the line and paragraph separators (Zl, Zp): none prints, and each
// would change what a reader sees in a generated file. newlines allows
// U+000A, for the free-text description only.
func textProblem(s string, newlines bool) string {
	pos := 0
	for _, r := range s {
		pos++
		if r == '\n' && newlines {
			continue
		}
		kind := ""
		switch {
		case unicode.Is(unicode.Cc, r):
			kind = "a control character"
		case unicode.Is(unicode.Cf, r):
			kind = "an invisible formatting character"
		case unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r):
			kind = "a line or paragraph separator"
		default:
			continue
		}
		name := fmt.Sprintf("U+%04X", r)
		if n, ok := runeNames[r]; ok {
			name += " (" + n + ")"
		}
		return fmt.Sprintf("expected text without control or invisible formatting characters, got %s: character %d is %s, %s",
			strconv.Quote(shorten(s)), pos, name, kind)
	}
	return ""
}

// tagProblem refuses an explicit YAML tag: the loader reads every value by
// the type of its field, so a tag could only be ignored or misread.
func tagProblem(n *yaml.Node) string {
	return fmt.Sprintf("YAML tags are not allowed, got %s; write the value without a tag (in quotes to make it a string)", strconv.Quote(shorten(n.Tag)))
}
