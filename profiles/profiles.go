// Package profiles embeds the built-in mesh profiles into the binary, so
// `meshslo generate` works from any directory without a profile file.
package profiles

import (
	"embed"
	"path"
	"sort"
	"strings"
)

//go:embed *.yaml
var files embed.FS

// Default is the profile `generate` uses when none is named.
const Default = "medium"

// Names lists the built-in profiles in alphabetical order.
func Names() []string {
	entries, _ := files.ReadDir(".")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// Read returns a built-in profile's YAML and the name it is shown under.
func Read(name string) (data []byte, file string, ok bool) {
	file = path.Join("profiles", name+".yaml")
	data, err := files.ReadFile(name + ".yaml")
	return data, file, err == nil
}
