package generate_test

import (
	"path"
	"regexp"
	"strings"
	"testing"
)

// Without spec.prometheus.runbookBaseURL (no built-in profile sets it),
// every runbook link of the output (alert annotations in every format,
// the README's tables, the runbook index) names a file the output holds,
// relative to where the link stands.
func TestRunbookLinksResolveInTheOutput(t *testing.T) {
	annotation := regexp.MustCompile(`runbook_url: (\S+)`)
	mdLink := regexp.MustCompile(`\]\(([^)#]+\.md)\)`)
	for _, out := range builtins(t) {
		links := 0
		for _, p := range out.Paths() {
			data := string(out.Files[p])
			check := func(from, link string) {
				links++
				if strings.Contains(link, "://") {
					t.Errorf("%s/%s: runbook link %s is absolute without runbookBaseURL", out.Profile, p, link)
					return
				}
				if _, ok := out.Files[path.Clean(path.Join(from, link))]; !ok {
					t.Errorf("%s/%s: runbook link %s names no file of the output", out.Profile, p, link)
				}
			}
			for _, m := range annotation.FindAllStringSubmatch(data, -1) {
				// Annotations are relative to the profile's folder.
				check(".", strings.Trim(m[1], `"'`))
			}
			if strings.HasSuffix(p, ".md") {
				for _, m := range mdLink.FindAllStringSubmatch(data, -1) {
					check(path.Dir(p), m[1])
				}
			}
		}
		if links == 0 {
			t.Errorf("%s: no runbook links found", out.Profile)
		}
	}
}
