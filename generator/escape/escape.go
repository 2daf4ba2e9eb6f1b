// Package escape writes profile values into the contexts meshslo's output
// puts them in: URLs (inert as Prometheus template text too) and Markdown.
// Each function returns plain values unchanged, so only values that would
// act in their context (a template action, a link, an HTML tag) are
// written differently. PromQL string literals are Prometheus's own quoting
// (see package selector, which also renders them for Grafana).
package escape

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"
)

// hostRe is a host name or IPv4 address with an optional port, or a
// bracketed IPv6 address with one.
var hostRe = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$`)

// CheckBaseURL reports why s cannot be a base URL that meshslo appends
// "/<alert>.md" to, or nil: it must be an absolute http(s) URL with a host,
// and no user info, query or fragment (the appended path would land in them).
func CheckBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" || (u.Scheme != "https" && u.Scheme != "http") ||
		strings.ContainsFunc(s, unicode.IsSpace) || !strings.HasPrefix(strings.ToLower(s), u.Scheme+"://") {
		return fmt.Errorf("expected an http(s) URL, got %q", s)
	}
	switch {
	case u.User != nil:
		return fmt.Errorf("expected an http(s) URL without user info (user@), got %q", s)
	case !hostRe.MatchString(u.Host):
		return fmt.Errorf("expected an http(s) URL whose host is a DNS name or IP address, got %q", s)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#"):
		return fmt.Errorf("expected an http(s) URL without ?query or #fragment: meshslo appends /<alert>.md to it, got %q", s)
	}
	return nil
}

// BaseURL returns s, which CheckBaseURL accepts, with every byte of its path
// that is not plainly safe in a URL percent-encoded: braces, quotes, angle
// brackets, parentheses, backticks, backslashes, '|', '[', ']', '%' not
// starting an escape, and non-ASCII. The result holds no '{', '}', '<', '>',
// a quote, '(', ')', '`', '|' or whitespace, so it is inert as Prometheus
// template text, as a Markdown link target and in an HTML attribute.
func BaseURL(s string) (string, error) {
	if err := CheckBaseURL(s); err != nil {
		return "", err
	}
	// scheme://host, then the path: CheckBaseURL left nothing else.
	i := strings.Index(s, "://") + 3
	j := i + strings.IndexAny(s[i:]+"/", "/")
	return s[:j] + encodePath(s[j:]), nil
}

func encodePath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '%' && i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]):
			b.WriteByte(c)
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("-._~!$&+,;=:@/*", c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// markdownText are the characters that start Markdown or HTML syntax
// anywhere in a line: code spans, emphasis, links and images, tables,
// HTML tags, entities, and backslash escapes themselves.
var markdownText = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "~", `\~`, "[", `\[`, "]", `\]`, "|", `\|`,
	"<", "&lt;", ">", "&gt;", "&", "&amp;",
	"\r\n", " ", "\n", " ", "\r", " ", "\t", " ",
)

// Markdown writes s as inline Markdown text that renders as s: no link,
// image, HTML tag, code span, emphasis or table cell break can come from it,
// and line breaks become spaces.
func Markdown(s string) string { return markdownText.Replace(s) }

// blockStart matches what makes a line a heading, list item, quote,
// thematic break or table row.
var blockStart = regexp.MustCompile(`^(#|[-+=]|[0-9]{1,9}[.)])`)

// MarkdownParagraph writes s as a paragraph of its own: Markdown, and
// without leading spaces or a leading '#', '-', '+', '=' or "1." that
// would make it a heading, list or code block ('>' is already &gt;).
func MarkdownParagraph(s string) string {
	out := strings.TrimLeft(Markdown(s), " ")
	if blockStart.MatchString(out) {
		out = `\` + out
	}
	return out
}

// CodeSpan writes s as a Markdown code span, which renders its content
// literally (no HTML, links or entities): the fence is one backtick longer
// than the longest run of backticks in s. Line breaks become spaces, and
// '|' is written \| so the span can stand in a table cell (GitHub removes
// the backslash there).
func CodeSpan(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "|", `\|`).Replace(s)
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// PromTemplate writes s so that Prometheus's template engine, which
// expands alert labels and annotations, prints it as it is: each "{{",
// which would start an action, becomes the action {{ "{{" }} that prints
// it. Text with no "{{" is unchanged.
func PromTemplate(s string) string {
	return strings.ReplaceAll(s, "{{", `{{ "{{" }}`)
}
