// Package output writes generated profiles to disk so that a failed or
// interrupted run changes nothing: every file is written to a temporary
// directory first and the profile folders are swapped in, each in one
// atomic exchange where the system has it, only when the whole run
// succeeded; a journal lets the next run roll back a run killed half-way
// through its swaps. meshslo replaces only folders it wrote itself, as
// their manifest (ManifestName) shows. A lock on the output directory
// serialises concurrent runs.
package output

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/meshslo/meshslo/generator/generate"
)

const tmpPrefix = ".meshslo-tmp-"

// ErrInterrupted is returned when SIGINT or SIGTERM stopped a Write; the
// temporary files are gone and the previous output is untouched.
var ErrInterrupted = errors.New("interrupted")

// Options change how Write replaces folders.
type Options struct {
	// Force replaces profile folders meshslo did not write (no manifest,
	// or files the manifest does not list), deleting their files. A file
	// or symlink where a profile folder goes is refused all the same.
	Force bool
}

// Write places every output under dir/<profile>/ with its manifest,
// replacing folders meshslo wrote before. On any error the folders already
// in dir are left as they were.
//
// Writing is the only step of a run that leaves anything on disk, so for
// its duration SIGINT and SIGTERM do not kill the process: they cancel the
// write, which removes its temporary directory and returns ErrInterrupted.
// Once the folders are being swapped in, the swap finishes first.
func Write(dir string, outs []*generate.Output) error {
	return WriteOptions(dir, outs, Options{})
}

// WriteOptions is Write with options.
func WriteOptions(dir string, outs []*generate.Output, opt Options) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return WriteContext(ctx, dir, outs, opt)
}

// WriteContext is WriteOptions stopped by ctx instead of signals.
func WriteContext(ctx context.Context, dir string, outs []*generate.Output, opt Options) (err error) {
	if err := checkOutputs(outs); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating output directory: %w", err)
	}
	unlock, err := lock(ctx, dir)
	if err != nil {
		return err
	}
	defer unlock()
	if err := recoverStale(dir); err != nil {
		return err
	}
	if err := checkTargets(dir, outs, opt.Force); err != nil {
		return err
	}

	tmp, err := os.MkdirTemp(dir, tmpPrefix)
	if err != nil {
		return fmt.Errorf("output directory %s is not writable: %w", dir, err)
	}
	keep := false
	defer func() {
		if !keep {
			os.RemoveAll(tmp)
		}
	}()
	for _, o := range outs {
		root := filepath.Join(tmp, "new", o.Profile)
		files := withManifest(o)
		for _, p := range sortedPaths(files) {
			if ctx.Err() != nil {
				return ErrInterrupted
			}
			path := filepath.Join(root, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return fmt.Errorf("writing %s: %w", p, err)
			}
			if err := writeFile(path, files[p]); err != nil {
				return fmt.Errorf("writing %s/%s: %w", o.Profile, p, err)
			}
		}
		if err := syncDirs(root); err != nil {
			return fmt.Errorf("writing %s: %w", o.Profile, err)
		}
	}
	if ctx.Err() != nil {
		return ErrInterrupted
	}
	// The folders may have changed while the files were written.
	if err := checkTargets(dir, outs, opt.Force); err != nil {
		return err
	}
	keep, err = swap(dir, tmp, outs)
	return err
}

func sortedPaths(files map[string][]byte) []string {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// syncDirs syncs every folder under root, so that after a crash the new
// folders hold every file written into them.
func syncDirs(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		return syncDir(path)
	})
}

// errNoExchange says the system cannot exchange two paths atomically.
var errNoExchange = errors.New("atomic exchange not supported")

// writeFile, exchange and renameNoReplace are variables so tests can make
// the disk fail part-way through a run or take away exchange.
var (
	writeFile       = writeFileSync
	exchange        = exchangeAt
	renameNoReplace = renameNoReplaceAt
)

// renameIfAbsent is a rename that refuses to replace an existing path,
// for systems without RENAME_NOREPLACE (the lock keeps other meshslo runs
// out of the gap between the check and the rename).
func renameIfAbsent(from, to string) error {
	if _, err := os.Lstat(to); err == nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: fs.ErrExist}
	}
	return os.Rename(from, to)
}

func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// lock takes an exclusive lock on the output directory itself for the rest
// of the run, so no lock file ends up among the committed output. It waits
// for another run to finish, or for ctx.
func lock(ctx context.Context, dir string) (func(), error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("opening output directory: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", dir, err)
		}
		// A blocking flock could not be interrupted; poll instead.
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ErrInterrupted
		case <-time.After(20 * time.Millisecond):
		}
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// Diff lists the files under dir that differ from outs, manifests
// included: changed, missing or not generated any more. It reads only.
func Diff(dir string, outs []*generate.Output) ([]string, error) {
	var diffs []string
	for _, o := range outs {
		root := filepath.Join(dir, o.Profile)
		files := withManifest(o)
		for _, p := range sortedPaths(files) {
			have, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
			switch {
			case errors.Is(err, fs.ErrNotExist):
				diffs = append(diffs, "missing: "+filepath.ToSlash(filepath.Join(o.Profile, p)))
			case err != nil:
				return nil, err
			case !bytes.Equal(have, files[p]):
				diffs = append(diffs, "changed: "+filepath.ToSlash(filepath.Join(o.Profile, p)))
			}
		}
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if d.IsDir() {
				return nil
			}
			rel, _ := filepath.Rel(root, path)
			if _, ok := files[filepath.ToSlash(rel)]; !ok {
				diffs = append(diffs, "extra: "+filepath.ToSlash(filepath.Join(o.Profile, rel)))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(diffs)
	return diffs, nil
}
