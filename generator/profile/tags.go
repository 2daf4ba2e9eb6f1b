package profile

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// A threshold field may carry its default and its check in struct tags,
// beside its declaration, so adding a threshold is one line in types.go:
//
//	WebhookFailuresFor Duration `yaml:"webhookFailuresFor" json:"webhookFailuresFor" default:"10m" check:"for"`
//
// default is parsed as the field's type (a duration, a quantity or a
// number) and applies to every size; check is one of
//
//	for          a for: duration, 0 to MaxFor
//	window       a range of time, 1m to MaxFor
//	nonnegative  a number of 0 or more
//	ratio        a ratio strictly between 0 and 1
//
// Fields whose defaults depend on the size, or whose checks relate two
// fields, stay in Defaults and Validate.

// applyTagDefaults sets every field of the struct v points to that has a
// default tag. A tag that does not parse is a programming error.
func applyTagDefaults(v any) {
	rv := reflect.ValueOf(v).Elem()
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Type().Field(i)
		def, ok := f.Tag.Lookup("default")
		if !ok {
			continue
		}
		if err := setFromTag(rv.Field(i), def); err != nil {
			panic(fmt.Sprintf("profile: %s.%s: default %q: %v", rv.Type().Name(), f.Name, def, err))
		}
	}
}

func setFromTag(fv reflect.Value, s string) error {
	switch fv.Interface().(type) {
	case Duration:
		d, err := ParseDuration(s)
		if err != nil {
			return err
		}
		fv.Set(reflect.ValueOf(d))
	case Quantity:
		q, err := ParseQuantity(s)
		if err != nil {
			return err
		}
		fv.Set(reflect.ValueOf(q))
	case float64:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return err
		}
		fv.SetFloat(x)
	case int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return err
		}
		fv.SetInt(int64(n))
	default:
		return fmt.Errorf("no default for a %s", fv.Type())
	}
	return nil
}

// checkTagged runs the check of every field of the struct v points to that
// has a check tag; path is the struct's field path (spec.istiod).
func (v *validator) checkTagged(path string, s any) {
	rv := reflect.ValueOf(s).Elem()
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Type().Field(i)
		check, ok := f.Tag.Lookup("check")
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		field := path + "." + name
		switch x := rv.Field(i).Interface().(type) {
		case Duration:
			switch check {
			case "for":
				v.forDuration(field, x)
			case "window":
				v.within(field, x, Duration(time.Minute), MaxFor, "a window", false)
			default:
				panic("profile: check " + check + " on a duration: " + field)
			}
		case float64:
			switch check {
			case "nonnegative":
				v.nonNegative(field, x)
			case "ratio":
				v.ratio(field, x)
			default:
				panic("profile: check " + check + " on a number: " + field)
			}
		default:
			panic("profile: check " + check + " on a " + rv.Field(i).Type().String() + ": " + field)
		}
	}
}
