package profile

import (
	"fmt"
	"sort"
)

// Error is one problem found in a profile: where it is, which field, and
// what was expected. Warnings are problems --strict turns into errors.
type Error struct {
	File    string
	Line    int
	Column  int
	Field   string
	Msg     string
	Warning bool
}

func (e *Error) Error() string {
	pos := e.File
	if e.Line > 0 {
		pos = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Column)
	}
	kind := ""
	if e.Warning {
		kind = "warning: "
	}
	switch {
	case pos != "" && e.Field != "":
		return fmt.Sprintf("%s: %s%s: %s", pos, kind, e.Field, e.Msg)
	case pos != "":
		return fmt.Sprintf("%s: %s%s", pos, kind, e.Msg)
	case e.Field != "":
		return fmt.Sprintf("%s%s: %s", kind, e.Field, e.Msg)
	}
	return kind + e.Msg
}

// Errors is a list of profile problems in file order.
type Errors []*Error

// Sort orders problems as they appear in the file: by line, column, then
// field.
func (es Errors) Sort() {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Line != es[j].Line {
			return es[i].Line < es[j].Line
		}
		if es[i].Column != es[j].Column {
			return es[i].Column < es[j].Column
		}
		return es[i].Field < es[j].Field
	})
}

// Fatal returns the problems that stop generation: every error, and every
// warning as well when strict is set.
func (es Errors) Fatal(strict bool) Errors {
	var out Errors
	for _, e := range es {
		if !e.Warning || strict {
			out = append(out, e)
		}
	}
	return out
}

// Warnings returns only the warnings.
func (es Errors) Warnings() Errors {
	var out Errors
	for _, e := range es {
		if e.Warning {
			out = append(out, e)
		}
	}
	return out
}
