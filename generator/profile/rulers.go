package profile

import (
	"fmt"
	"regexp"
)

// mimirNamespace is what a Mimir/Cortex rule namespace may hold here: it
// becomes a path segment of the ruler API (/prometheus/config/v1/rules/<ns>).
var mimirNamespace = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,200}$`)

func validateRulers(v *validator, r *Rulers) {
	seen := map[string]bool{}
	for i, f := range r.Formats {
		field := fmt.Sprintf("spec.rulers.formats[%d]", i)
		v.oneOf(field, f, RulerFormats)
		if seen[f] {
			v.add(field, "%s is listed twice", f)
		}
		seen[f] = true
	}
	v.oneOf("spec.rulers.mode", r.Mode, RulerModes)
	if r.Namespace != "" && !mimirNamespace.MatchString(r.Namespace) {
		v.add("spec.rulers.namespace", "expected letters, digits, '_', '.' or '-' (at most 200), got %q", r.Namespace)
	}
}
