// Package loader resolves what a user passes to --profile, a built-in
// profile name or a file path, and returns the loaded, validated profile.
package loader

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/meshslo/meshslo/generator/profile"
	"github.com/meshslo/meshslo/profiles"
)

// IsPath tells a file path from a built-in profile name: names never hold
// a slash or a dot.
func IsPath(ref string) bool {
	return strings.ContainsAny(ref, `/\.`)
}

// Load reads and validates the profile ref names. The returned errors hold
// every problem found, warnings included; the profile is nil when the file
// could not be read or parsed at all, and must not be used when any error is
// fatal.
func Load(ref string) (*profile.Loaded, profile.Errors) {
	data, file, err := read(ref)
	if err != nil {
		return nil, profile.Errors{{File: file, Msg: err.Error()}}
	}
	l, errs := profile.Load(file, data)
	if l == nil {
		return nil, errs
	}
	errs = append(errs, l.Validate()...)
	errs.Sort()
	return l, errs
}

func read(ref string) ([]byte, string, error) {
	if !IsPath(ref) {
		if data, file, ok := profiles.Read(ref); ok {
			return data, file, nil
		}
		if _, err := os.Stat(ref); err != nil {
			return nil, ref, fmt.Errorf("no built-in profile %q (built-in: %s) and no such file", ref, strings.Join(profiles.Names(), ", "))
		}
	}
	f, err := os.Open(ref)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ref, fmt.Errorf("no such profile file")
	} else if err != nil {
		return nil, ref, fmt.Errorf("cannot read profile: %v", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, ref, fmt.Errorf("is a directory, expected a profile file")
	}
	// Read one byte past the limit so an oversized file is reported as such
	// without reading all of it.
	data, err := io.ReadAll(io.LimitReader(f, profile.MaxFileBytes+1))
	if err != nil {
		return nil, ref, fmt.Errorf("cannot read profile: %v", err)
	}
	if len(data) > profile.MaxFileBytes {
		return nil, ref, fmt.Errorf("file is larger than %d bytes; a profile is a page of YAML", profile.MaxFileBytes)
	}
	return data, ref, nil
}
