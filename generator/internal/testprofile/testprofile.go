// Package testprofile holds what tests that run a real Prometheus do to a
// profile so that its alerts fire within seconds, shared by generator/e2e
// and generator/fidelity.
package testprofile

import (
	"reflect"
	"strings"

	"github.com/meshslo/meshslo/generator/profile"
)

// ShortenHolds sets every for: duration of the spec (fields named *For,
// nested structs and lists included) to d, and returns how many it set.
func ShortenHolds(spec *profile.Spec, d profile.Duration) int {
	return shorten(reflect.ValueOf(spec).Elem(), d)
}

func shorten(v reflect.Value, d profile.Duration) int {
	n := 0
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			f, field := v.Field(i), v.Type().Field(i)
			if field.Type == reflect.TypeFor[profile.Duration]() && strings.HasSuffix(field.Name, "For") && f.CanSet() {
				f.Set(reflect.ValueOf(d))
				n++
				continue
			}
			n += shorten(f, d)
		}
	case reflect.Slice:
		for i := range v.Len() {
			n += shorten(v.Index(i), d)
		}
	}
	return n
}
