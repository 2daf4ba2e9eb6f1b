package escape

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql"
	promtemplate "github.com/prometheus/prometheus/template"
)

func TestBaseURL(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{in: "https://github.com/meshslo/meshslo/blob/main/docs/runbooks", want: "https://github.com/meshslo/meshslo/blob/main/docs/runbooks"},
		{in: "http://10.0.0.1:8080", want: "http://10.0.0.1:8080"},
		{in: "HTTPS://Wiki.Example.com/RB", want: "HTTPS://Wiki.Example.com/RB"},
		{in: "https://[::1]:443/rb", want: "https://[::1]:443/rb"},
		{in: "https://wiki.example.com/a%20b/c~d", want: "https://wiki.example.com/a%20b/c~d"},
		{in: `https://x.example/{{"up"|query}}`, want: "https://x.example/%7B%7B%22up%22%7Cquery%7D%7D"},
		{in: "https://x.example/](javascript:alert(1))", want: "https://x.example/%5D%28javascript:alert%281%29%29"},
		{in: "https://x.example/</a><script>", want: "https://x.example/%3C/a%3E%3Cscript%3E"},
		{in: "https://x.example/`'\\%41", want: "https://x.example/%60%27%5C%41"},
		{in: "https://x.example/%zz", err: `expected an http(s) URL, got "https://x.example/%zz"`},
		{in: "https://x.example/ünï", want: "https://x.example/%C3%BCn%C3%AF"},
		{in: "https://x.example/$__all", want: "https://x.example/$__all"},
		{in: "ftp://x.example", err: `expected an http(s) URL, got "ftp://x.example"`},
		{in: "https:x.example/rb", err: `expected an http(s) URL, got "https:x.example/rb"`},
		{in: "//x.example/rb", err: `expected an http(s) URL, got "//x.example/rb"`},
		{in: "javascript:alert(1)", err: `expected an http(s) URL, got "javascript:alert(1)"`},
		{in: "https://x.example/a\tb", err: `expected an http(s) URL, got "https://x.example/a\tb"`},
		{in: "https://u@x.example", err: `expected an http(s) URL without user info (user@), got "https://u@x.example"`},
		{in: "https://x.example/rb?", err: `expected an http(s) URL without ?query or #fragment: meshslo appends /<alert>.md to it, got "https://x.example/rb?"`},
		{in: "https://x.example/rb#", err: `expected an http(s) URL without ?query or #fragment: meshslo appends /<alert>.md to it, got "https://x.example/rb#"`},
		{in: "https://-x.example", err: `expected an http(s) URL whose host is a DNS name or IP address, got "https://-x.example"`},
	} {
		got, err := BaseURL(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("BaseURL(%q) = %q, %v; want the error %s", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("BaseURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestMarkdown(t *testing.T) {
	for _, tc := range []struct{ in, inline, paragraph string }{
		{"Production sidecar mesh, 50-200 services (the default profile)",
			"Production sidecar mesh, 50-200 services (the default profile)", "Production sidecar mesh, 50-200 services (the default profile)"},
		{"[x](javascript:alert(1))", `\[x\](javascript:alert(1))`, `\[x\](javascript:alert(1))`},
		{"</a><script>", "&lt;/a&gt;&lt;script&gt;", "&lt;/a&gt;&lt;script&gt;"},
		{"a | b `c` *d* _e_ ~f~ \\g &amp;", "a \\| b \\`c\\` \\*d\\* \\_e\\_ \\~f\\~ \\\\g &amp;amp;", "a \\| b \\`c\\` \\*d\\* \\_e\\_ \\~f\\~ \\\\g &amp;amp;"},
		{"one\ntwo\r\nthree", "one two three", "one two three"},
		{"# title", "# title", `\# title`},
		{"  - item", "  - item", `\- item`},
		{"12. item", "12. item", `\12. item`},
		{"> quote", "&gt; quote", "&gt; quote"},
	} {
		if got := Markdown(tc.in); got != tc.inline {
			t.Errorf("Markdown(%q) = %q, want %q", tc.in, got, tc.inline)
		}
		if got := MarkdownParagraph(tc.in); got != tc.paragraph {
			t.Errorf("MarkdownParagraph(%q) = %q, want %q", tc.in, got, tc.paragraph)
		}
	}
}

func TestCodeSpan(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`cluster="prod"`, "`cluster=\"prod\"`"},
		{"a`b", "``a`b``"},
		{"``x```", "```` ``x``` ````"},
		{"<b>|](x)\nx", "`<b>\\|](x) x`"},
	} {
		if got := CodeSpan(tc.in); got != tc.want {
			t.Errorf("CodeSpan(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// PromTemplate text comes out of Prometheus's own template engine as it
// went in, and runs no query.
func TestPromTemplateIsInert(t *testing.T) {
	for _, s := range []string{`plain`, `{{ range query "up" }}x{{ end }}`, `{{{`, `}}{{`, `a {{"x"}} b`, `{{/* c */}}`, `{{- x -}}`} {
		tmpl := promtemplate.NewTemplateExpander(context.Background(), PromTemplate(s), "t", nil, 0,
			func(context.Context, string, time.Time) (promql.Vector, error) {
				t.Errorf("%q ran a query", s)
				return nil, nil
			}, nil, nil)
		got, err := tmpl.Expand()
		if err != nil || got != s {
			t.Errorf("PromTemplate(%q) expands to %q, %v", s, got, err)
		}
	}
}
