package profile_test

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/profiles"
)

// FuzzLoad feeds arbitrary bytes to the loader and the validator. Seeds are
// the built-in profiles and testdata/fuzz/FuzzLoad (together they set every
// field; TestSeedsSetEveryField checks that). Run it with make fuzz.
func FuzzLoad(f *testing.F) {
	for _, name := range profiles.Names() {
		data, _, _ := profiles.Read(name)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkLoad(t, data)
	})
}

// checkLoad is the property every input must keep: no panic, and every
// problem is a clear message that names the file and either a position or
// a field (a whole-file problem such as "file is empty" names neither).
func checkLoad(t *testing.T, data []byte) (*profile.Loaded, profile.Errors) {
	t.Helper()
	const file = "fuzz.yaml"
	l, errs := profile.Load(file, data)
	if l == nil && len(errs) == 0 {
		t.Fatal("Load returned neither a profile nor an error")
	}
	if l != nil {
		errs = append(errs, l.Validate()...)
	}
	for _, e := range errs {
		msg := e.Error()
		switch {
		case e.File != file || !strings.HasPrefix(msg, file):
			t.Errorf("error does not name the file: %q", msg)
		case e.Msg == "":
			t.Errorf("error without a message: %q", msg)
		case e.Line == 0 && e.Field == "" && !strings.HasPrefix(e.Msg, "file "):
			t.Errorf("error with neither a position nor a field: %q", msg)
		case strings.ContainsAny(msg, "\n\r") || !utf8.ValidString(msg):
			// User text is quoted, so an error is always one printable line.
			t.Errorf("error is not one line of text: %q", msg)
		}
	}
	return l, errs
}

// The seed corpus sets every field of the schema at least once, so the
// fuzzer starts from inputs that reach every decoder and validator branch.
func TestSeedsSetEveryField(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join("testdata", "fuzz", "FuzzLoad"))
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	index := regexp.MustCompile(`\[\d+\]`)
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzLoad", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		body, ok := strings.CutPrefix(string(raw), "go test fuzz v1\n[]byte(")
		data, err := strconv.Unquote(strings.TrimSuffix(strings.TrimSpace(body), ")"))
		if !ok || err != nil {
			t.Fatalf("%s is not a fuzz corpus entry: %v", e.Name(), err)
		}
		if l, _ := profile.Load(e.Name(), []byte(data)); l != nil {
			for path := range l.Positions {
				set[index.ReplaceAllString(path, "[0]")] = true
			}
		}
	}
	for _, field := range schemaFields(reflect.TypeOf(profile.Profile{}), "") {
		if !set[field] {
			t.Errorf("no seed in testdata/fuzz/FuzzLoad sets %s", field)
		}
	}
}

// schemaFields lists every field path of t as the loader names them.
func schemaFields(t reflect.Type, path string) []string {
	var out []string
	switch t.Kind() {
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			name := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
			child := name
			if path != "" {
				child = path + "." + name
			}
			out = append(out, schemaFields(t.Field(i).Type, child)...)
		}
	case reflect.Slice:
		out = append(out, path)
		out = append(out, schemaFields(t.Elem(), path+"[0]")...)
	default:
		out = append(out, path)
	}
	return out
}
