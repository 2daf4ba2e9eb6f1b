package preview_test

import (
	"bytes"
	"encoding/xml"
	"flag"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshslo/meshslo/dashboards"
	"github.com/meshslo/meshslo/dashboards/preview"
	"github.com/meshslo/meshslo/generator/config"
	"github.com/meshslo/meshslo/generator/loader"
	"github.com/meshslo/meshslo/generator/rules"
)

var update = flag.Bool("update", false, "rewrite docs/dashboards/*.svg")

// docs/dashboards holds the medium profile's previews; they must match
// the templates (update with go test ./dashboards/preview -update, or
// meshslo preview -p medium).
func TestCommittedPreviewsAreCurrent(t *testing.T) {
	l, errs := loader.Load("medium")
	if l == nil {
		t.Fatal(errs)
	}
	c, err := config.New(l.Profile)
	if err != nil {
		t.Fatal(err)
	}
	boards, err := dashboards.Embedded().Build(c, rules.Build(c))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range boards {
		svg, err := preview.SVG(d, dashboards.CheckOptionsFor("medium", d.Name).MaxRows)
		if err != nil {
			t.Fatal(err)
		}
		if err := xml.Unmarshal(svg, new(struct{})); err != nil {
			t.Fatalf("%s: not well-formed XML: %v", d.Name, err)
		}
		m, _ := dashboards.Parse(d.JSON)
		for _, p := range m.AllPanels() {
			if !strings.Contains(string(svg), html.EscapeString(p.Description)) {
				t.Errorf("%s: panel %q is missing from the preview", d.Name, p.Title)
			}
		}
		path := filepath.Join("..", "..", "docs", "dashboards", d.Name+".svg")
		if *update {
			if err := os.WriteFile(path, svg, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(svg, want) {
			t.Errorf("%s is not current (%v); run go run ./cmd/meshslo preview -p medium", path, err)
		}
	}
}
