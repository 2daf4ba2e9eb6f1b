package dashboards

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// CheckUIDs refuses dashboards that share a uid: Grafana keeps one
// dashboard per uid, so the last one uploaded or provisioned would replace
// the others. Pass every dashboard of a run (all its profiles); the error
// lists each clash with both templates and the uid.
func CheckUIDs(boards []Dashboard) error {
	first := map[string]Dashboard{}
	var problems []string
	for _, d := range boards {
		prev, dup := first[d.UID]
		if !dup {
			first[d.UID] = d
			continue
		}
		problems = append(problems, fmt.Sprintf("dashboard template %s (profile %s) gives uid %q, which dashboard template %s (profile %s) already gives; Grafana keeps one dashboard per uid",
			d.Template, d.Profile, d.UID, prev.Template, prev.Profile))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

// Generated reads back the dashboards among one profile's generated files
// (paths as JSONPath gives them), for CheckUIDs over a whole run; s tells
// which template each came from.
func (s Source) Generated(profile string, files map[string][]byte) ([]Dashboard, error) {
	var paths []string
	for p := range files {
		if name, ok := strings.CutPrefix(p, "dashboards/"); ok && strings.HasSuffix(name, ".json") && !strings.Contains(name, "/") {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	var out []Dashboard
	for _, p := range paths {
		name := strings.TrimSuffix(strings.TrimPrefix(p, "dashboards/"), ".json")
		var head struct {
			UID   string `json:"uid"`
			Title string `json:"title"`
		}
		if err := json.Unmarshal(files[p], &head); err != nil {
			return nil, fmt.Errorf("%s/%s: %v", profile, p, err)
		}
		template := s.from[name+".jsonnet"]
		if template == "" {
			template = name + ".jsonnet"
		}
		out = append(out, Dashboard{Name: name, UID: head.UID, Title: head.Title, JSON: files[p], Profile: profile, Template: template})
	}
	return out, nil
}
