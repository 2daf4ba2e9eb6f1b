package dashboards

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"time"

	jsonnet "github.com/google/go-jsonnet"
)

// What --templates reads: at most MaxTemplateFile bytes per file and
// MaxTemplateDir for all of a directory's templates together.
const (
	MaxTemplateFile = 1 << 20
	MaxTemplateDir  = 8 << 20
)

// Limits bound the evaluation of templates that come from a --templates
// directory. Built-in templates are trusted and evaluated in process
// without them.
type Limits struct {
	// Time is the wall-clock time one template may take.
	Time time.Duration
	// Memory caps the evaluator process (see evaluator.go), in bytes.
	Memory int64
	// Output caps one dashboard's JSON, in bytes.
	Output int64
	// Stack is the depth of nested jsonnet calls (go-jsonnet's MaxStack).
	Stack int
}

// DefaultLimits are the limits of `--templates`: ten times what the
// built-in templates need for a profile of 1,000 SLOs.
func DefaultLimits() Limits {
	return Limits{Time: 20 * time.Second, Memory: 1 << 30, Output: 16 << 20, Stack: 500}
}

// orDefault fills the limits left at zero from DefaultLimits.
func (l Limits) orDefault() Limits {
	d := DefaultLimits()
	if l.Time <= 0 {
		l.Time = d.Time
	}
	if l.Memory <= 0 {
		l.Memory = d.Memory
	}
	if l.Output <= 0 {
		l.Output = d.Output
	}
	if l.Stack <= 0 {
		l.Stack = d.Stack
	}
	return l
}

// WithLimits returns s evaluating its --templates files within l.
func (s Source) WithLimits(l Limits) Source {
	s.limits = l
	return s
}

// readTemplate reads one template of a --templates directory: a regular
// file of at most MaxTemplateFile bytes, never through a symbolic link and
// never a device, pipe or socket (opening a FIFO blocks, /dev/zero never
// ends, /proc files hold the environment). typ is the entry's type from the
// directory listing; the opened file is checked again, in case the entry
// changed in between.
func readTemplate(path string, typ fs.FileMode) ([]byte, error) {
	if err := regular(path, typ); err != nil {
		return nil, err
	}
	f, err := openNoFollow(path)
	if err != nil {
		if isLoop(err) {
			return nil, regular(path, fs.ModeSymlink)
		}
		return nil, fmt.Errorf("%s: %v", path, unwrapPath(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, unwrapPath(err))
	}
	if err := regular(path, info.Mode()); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxTemplateFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, unwrapPath(err))
	}
	if len(data) > MaxTemplateFile {
		return nil, fmt.Errorf("%s: is larger than %d bytes (1 MiB), the limit for a template file", path, MaxTemplateFile)
	}
	return data, nil
}

// regular refuses everything but a regular file, naming what it is.
func regular(path string, mode fs.FileMode) error {
	what := ""
	switch t := mode.Type(); {
	case t == 0:
		return nil
	case t&fs.ModeSymlink != 0:
		what = "a symbolic link"
	case t&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case t&fs.ModeSocket != 0:
		what = "a socket"
	case t&fs.ModeDevice != 0:
		what = "a device"
	case t&fs.ModeDir != 0:
		what = "a directory"
	default:
		what = "not a regular file"
	}
	return fmt.Errorf("%s: is %s; --templates reads only regular files inside the directory", path, what)
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// importer resolves jsonnet's import, importstr and importbin against the
// files of a Source, by plain file name: there is no file system behind
// it, so no directory, absolute path or .. reaches anything.
// go-jsonnet wants the same Contents each time a file is imported.
type importer struct {
	files map[string]jsonnet.Contents
	from  map[string]string
}

func newImporter(files, from map[string]string) importer {
	im := importer{files: map[string]jsonnet.Contents{}, from: from}
	for name, data := range files {
		im.files[name] = jsonnet.MakeContents(data)
	}
	return im
}

func (im importer) Import(importedFrom, importedPath string) (jsonnet.Contents, string, error) {
	if importedPath != filepath.Base(importedPath) || strings.ContainsAny(importedPath, `/\`) || importedPath == ".." || importedPath == "." {
		return jsonnet.Contents{}, "", fmt.Errorf("import %q: templates import only files of the template set, by file name (no directories, no absolute paths, no ..)", importedPath)
	}
	data, ok := im.files[importedPath]
	if !ok {
		var names []string
		for n := range im.files {
			names = append(names, n)
		}
		sort.Strings(names)
		return jsonnet.Contents{}, "", fmt.Errorf("import %q: no such template file; the set has %s", importedPath, strings.Join(names, ", "))
	}
	// foundAt is the file's origin, unique per name, so error traces point
	// at the right file and the import cache keys one entry per file.
	return data, im.from[importedPath], nil
}
