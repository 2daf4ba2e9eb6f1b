// Package output writes generated profiles to disk so that a failed or
// interrupted run changes nothing: every file is written to a temporary
// directory first and each profile folder is swapped in by rename only when
// the whole run succeeded. A lock on the output directory serialises concurrent runs.
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
	"strings"
	"syscall"
	"time"

	"github.com/meshslo/meshslo/generator/generate"
)

const tmpPrefix = ".meshslo-tmp-"

// ErrInterrupted is returned when SIGINT or SIGTERM stopped a Write; the
// temporary files are gone and the previous output is untouched.
var ErrInterrupted = errors.New("interrupted")

// Write places every output under dir/<profile>/, replacing what was there.
// On any error the folders already in dir are left as they were.
//
// Writing is the only step of a run that leaves anything on disk, so for
// its duration SIGINT and SIGTERM do not kill the process: they cancel the
// write, which removes its temporary directory and returns ErrInterrupted.
// Once the folders are being swapped in, the swap finishes first.
func Write(dir string, outs []*generate.Output) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return WriteContext(ctx, dir, outs)
}

// WriteContext is Write stopped by ctx instead of signals.
func WriteContext(ctx context.Context, dir string, outs []*generate.Output) (err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating output directory: %w", err)
	}
	unlock, err := lock(ctx, dir)
	if err != nil {
		return err
	}
	defer unlock()
	removeStale(dir)

	tmp, err := os.MkdirTemp(dir, tmpPrefix)
	if err != nil {
		return fmt.Errorf("output directory %s is not writable: %w", dir, err)
	}
	defer os.RemoveAll(tmp)
	for _, o := range outs {
		for _, p := range o.Paths() {
			if ctx.Err() != nil {
				return ErrInterrupted
			}
			path := filepath.Join(tmp, "new", o.Profile, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return fmt.Errorf("writing %s: %w", p, err)
			}
			if err := writeFile(path, o.Files[p]); err != nil {
				return fmt.Errorf("writing %s/%s: %w", o.Profile, p, err)
			}
		}
	}
	if ctx.Err() != nil {
		return ErrInterrupted
	}
	// Swap folders in: the old one moves aside first, so a failed rename
	// can be undone and the old one is deleted only at the end.
	if err := os.MkdirAll(filepath.Join(tmp, "old"), 0o755); err != nil {
		return err
	}
	var swapped []string
	defer func() {
		if err == nil {
			return
		}
		for _, name := range swapped {
			os.RemoveAll(filepath.Join(dir, name))
			os.Rename(filepath.Join(tmp, "old", name), filepath.Join(dir, name))
		}
	}()
	for _, o := range outs {
		target := filepath.Join(dir, o.Profile)
		if err := rename(target, filepath.Join(tmp, "old", o.Profile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("replacing %s: %w", target, err)
		}
		swapped = append(swapped, o.Profile)
		if err := rename(filepath.Join(tmp, "new", o.Profile), target); err != nil {
			return fmt.Errorf("replacing %s: %w", target, err)
		}
	}
	return nil
}

// writeFile and rename are variables so tests can make the disk fail
// part-way through a run.
var (
	writeFile = writeFileSync
	rename    = os.Rename
)

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

// removeStale deletes temporary folders a killed run left behind; holding
// the lock means no other run is using them.
func removeStale(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

// Diff lists the files under dir that differ from outs: changed, missing
// or not generated any more. It reads only.
func Diff(dir string, outs []*generate.Output) ([]string, error) {
	var diffs []string
	for _, o := range outs {
		root := filepath.Join(dir, o.Profile)
		for _, p := range o.Paths() {
			have, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
			switch {
			case errors.Is(err, fs.ErrNotExist):
				diffs = append(diffs, "missing: "+filepath.ToSlash(filepath.Join(o.Profile, p)))
			case err != nil:
				return nil, err
			case !bytes.Equal(have, o.Files[p]):
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
			if _, ok := o.Files[filepath.ToSlash(rel)]; !ok {
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
