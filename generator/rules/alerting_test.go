package rules

import (
	"slices"
	"testing"

	"github.com/meshslo/meshslo/generator/profile"
)

// The profile checks maintenance windows' alert names against its own
// list (it cannot import this package): the list is every descriptor.
func TestProfileKnowsEveryAlert(t *testing.T) {
	var names []string
	for _, d := range Descriptors {
		names = append(names, d.Name)
	}
	if !slices.Equal(names, profile.AlertNames) {
		t.Errorf("profile.AlertNames = %v, want the descriptors' names %v", profile.AlertNames, names)
	}
}

// Silences name alerts that exist and never the alert itself.
func TestSilencesNameAlerts(t *testing.T) {
	for _, d := range Descriptors {
		for _, s := range d.Silences {
			if DescriptorOf(s) == nil || s == d.Name {
				t.Errorf("%s silences %q, which is not another alert", d.Name, s)
			}
		}
	}
}
