// Checks on the raw input before and while YAML parses it: size, nesting,
// encoding, and the wording of the parser's own syntax errors.

package profile

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits that keep hostile input cheap: a profile is a page of YAML, so
// anything far larger is a mistake or an attack.
const (
	MaxFileBytes = 1 << 20
	// MaxNodes bounds the YAML nodes visited, aliases counted each time
	// they are followed, so "billion laughs" documents stop early.
	MaxNodes = 20000
	// MaxDepth bounds nesting; the schema itself is four levels deep.
	MaxDepth = 64
)

// checkInput refuses what is not a page of UTF-8 text before it is parsed:
// an oversized file, UTF-16, invalid UTF-8. It returns data without an
// editor's byte order mark.
func checkInput(file string, data []byte) ([]byte, *Error) {
	if len(data) > MaxFileBytes {
		return nil, &Error{File: file, Column: 1, Msg: fmt.Sprintf("file is %d bytes; a profile may be at most %d bytes (%s)", len(data), MaxFileBytes, Quantity(MaxFileBytes))}
	}
	// An editor's byte order mark is harmless; UTF-16 is not YAML we read.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(data, []byte("\xff\xfe")) || bytes.HasPrefix(data, []byte("\xfe\xff")) {
		return nil, &Error{File: file, Line: 1, Column: 1, Msg: "file is UTF-16 text; save it as UTF-8"}
	}
	if !utf8.Valid(data) {
		i := 0
		for i < len(data) {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		line := bytes.Count(data[:i], []byte("\n")) + 1
		col := utf8.RuneCount(data[bytes.LastIndexByte(data[:i], '\n')+1:i]) + 1
		return nil, &Error{File: file, Line: line, Column: col,
			Msg: fmt.Sprintf("file is not valid UTF-8 text (byte 0x%02x); save it as UTF-8", data[i])}
	}
	// YAML reads NEL and the Unicode line and paragraph separators as line
	// breaks, so in a value they silently become a space or a new line.
	line, col := 1, 1
	for _, r := range string(data) {
		if name, ok := yamlLineBreaks[r]; ok {
			return nil, &Error{File: file, Line: line, Column: col,
				Msg: fmt.Sprintf("character U+%04X (%s) is a line break to YAML, which would turn it into a space or a new line; remove it", r, name)}
		}
		if r == '\n' {
			line, col = line+1, 0
		}
		col++
	}
	return data, nil
}

// yamlLineBreaks are the characters besides CR and LF that YAML 1.1 (and
// so yaml.v3) treats as line breaks.
var yamlLineBreaks = map[rune]string{0x85: "next line", 0x2028: "line separator", 0x2029: "paragraph separator"}

func yamlSyntaxError(file string, data []byte, err error) *Error {
	msg := err.Error()
	line := 0
	// yaml.v3 reports "yaml: line N: message"; lift N into the position.
	if rest, ok := strings.CutPrefix(msg, "yaml: line "); ok {
		if i := strings.Index(rest, ":"); i > 0 {
			if n, convErr := strconv.Atoi(rest[:i]); convErr == nil {
				line, msg = n, strings.TrimSpace(rest[i+1:])
			}
		}
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	col := 1
	switch {
	case line > 0:
	case strings.Contains(msg, "control characters"):
		line, col = firstNonPrintable(data)
		msg = "control characters are not allowed; write them as escapes in a double-quoted string, such as \"\\t\""
	default:
		// yaml.v3 leaves the line out when it is the first one.
		line = 1
	}
	switch {
	case strings.HasPrefix(msg, "exceeded max depth"):
		return &Error{File: file, Msg: fmt.Sprintf("file is nested too deeply for YAML (%s); a profile is at most %d levels deep", msg, MaxDepth)}
	case line > 0 && hasTabIndent(data, line):
		// yaml.v3 says "found character that cannot start any token".
		msg = "tabs cannot indent YAML; indent with spaces"
	}
	return &Error{File: file, Line: line, Column: col, Msg: "invalid YAML: " + msg}
}

// firstNonPrintable finds the first character YAML does not allow in a
// file (YAML 1.2, 5.1), as line and column.
func firstNonPrintable(data []byte) (line, col int) {
	line, col = 1, 1
	for _, r := range string(data) {
		printable := r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0x7e || r == 0x85 ||
			r >= 0xa0 && r <= 0xd7ff || r >= 0xe000 && r <= 0xfffd || r >= 0x10000 && r <= 0x10ffff
		if !printable {
			return line, col
		}
		if r == '\n' {
			line, col = line+1, 0
		}
		col++
	}
	return 0, 0
}

// hasTabIndent reports whether the given line (1-based), or the one before
// it where yaml.v3 sometimes points, starts its indentation with a tab.
func hasTabIndent(data []byte, line int) bool {
	lines := bytes.Split(data, []byte("\n"))
	for _, l := range []int{line - 1, line - 2} {
		if l >= 0 && l < len(lines) {
			indent := lines[l][:len(lines[l])-len(bytes.TrimLeft(lines[l], " \t"))]
			if bytes.IndexByte(indent, '\t') >= 0 {
				return true
			}
		}
	}
	return false
}
