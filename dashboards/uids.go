package dashboards

import (
	"errors"
	"fmt"
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
