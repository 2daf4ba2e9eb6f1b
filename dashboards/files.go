package dashboards

import "sort"

// Files returns the names of every template file of the set, sorted.
func (s Source) Files() []string {
	names := make([]string, 0, len(s.files))
	for f := range s.files {
		names = append(names, f)
	}
	sort.Strings(names)
	return names
}

// File returns the text of one template file ("" when there is none).
func (s Source) File(name string) string { return s.files[name] }
