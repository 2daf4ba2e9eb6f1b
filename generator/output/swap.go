package output

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/meshslo/meshslo/generator/generate"
)

// A run's temporary folder <dir>/.meshslo-tmp-*/ holds:
//
//	new/<profile>/  the run's files; after an exchange, the folder it replaced
//	old/<profile>/  the folder it replaced, where exchange is not supported
//	journal         written atomically before the first swap
//	committed       the journal, renamed once the last swap is done
//
// The journal lists each profile of the run with the inode of its new
// folder and whether a folder was there before. Whoever finds a journal
// (the run itself on an error, or the next run after a kill) rolls the
// run back: a profile folder whose inode is the new one is swapped back.
// A committed run or one without a journal has swapped nothing of its own
// back, so its folder is simply deleted. Roll back rather than forward
// because the next run may be another one (other profiles, other
// versions): the output it finds is then exactly what the killed run
// found, and the killed run changed nothing.
const (
	journalName   = "journal"
	committedName = "committed"
	journalHeader = "meshslo swap journal 1"
)

type journalEntry struct {
	profile  string
	dev, ino uint64
	hadOld   bool
}

// afterStep is called after each step that changes the output directory
// in the swap and in a roll-back; tests kill the process there.
var afterStep = func(step string) {}

// swap moves every new folder of tmp into dir as one transaction. On an
// error it rolls back what it swapped; keep reports that the roll-back
// failed too, so tmp holds the only copy of some folder and must stay.
func swap(dir, tmp string, outs []*generate.Output) (keep bool, err error) {
	if err := os.MkdirAll(filepath.Join(tmp, "old"), 0o755); err != nil {
		return false, err
	}
	var entries []journalEntry
	for _, o := range outs {
		e := journalEntry{profile: o.Profile}
		info, err := os.Lstat(filepath.Join(tmp, "new", o.Profile))
		if err != nil {
			return false, err
		}
		e.dev, e.ino = inode(info)
		if _, err := os.Lstat(filepath.Join(dir, o.Profile)); err == nil {
			e.hadOld = true
		} else if !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("replacing %s: %w", filepath.Join(dir, o.Profile), err)
		}
		entries = append(entries, e)
	}
	if err := writeJournal(tmp, entries); err != nil {
		return false, fmt.Errorf("writing the swap journal: %w", err)
	}
	afterStep("journal")
	for _, e := range entries {
		target := filepath.Join(dir, e.profile)
		if err := swapOne(dir, tmp, e); err != nil {
			if rerr := rollBack(dir, tmp, entries); rerr != nil {
				return true, fmt.Errorf("replacing %s: %w; putting the previous folders back failed too (%v): they are in %s", target, err, rerr, tmp)
			}
			return false, fmt.Errorf("replacing %s: %w", target, err)
		}
	}
	if err := os.Rename(filepath.Join(tmp, journalName), filepath.Join(tmp, committedName)); err != nil {
		if rerr := rollBack(dir, tmp, entries); rerr != nil {
			return true, fmt.Errorf("committing: %w; putting the previous folders back failed too (%v): they are in %s", err, rerr, tmp)
		}
		return false, fmt.Errorf("committing: %w", err)
	}
	syncDir(tmp)
	syncDir(dir)
	afterStep("commit")
	return false, nil
}

func swapOne(dir, tmp string, e journalEntry) error {
	target := filepath.Join(dir, e.profile)
	fresh := filepath.Join(tmp, "new", e.profile)
	if !e.hadOld {
		if err := renameNoReplace(fresh, target); err != nil {
			return err
		}
		afterStep("create " + e.profile)
		return nil
	}
	err := exchange(fresh, target)
	if err == nil {
		afterStep("exchange " + e.profile)
		return nil
	}
	if !errors.Is(err, errNoExchange) {
		return err
	}
	// Two renames: a kill between them leaves target missing until the
	// next run puts old/<profile> back.
	if err := renameNoReplace(target, filepath.Join(tmp, "old", e.profile)); err != nil {
		return err
	}
	afterStep("aside " + e.profile)
	if err := renameNoReplace(fresh, target); err != nil {
		return err
	}
	afterStep("in " + e.profile)
	return nil
}

// rollBack undoes the swaps of entries, last first. It may run again on
// what an interrupted roll-back left: each step looks at where the
// folders are, not at what was done.
func rollBack(dir, tmp string, entries []journalEntry) error {
	var errs []error
	for i := len(entries) - 1; i >= 0; i-- {
		if err := restoreOne(dir, tmp, entries[i]); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", entries[i].profile, err))
		}
	}
	return errors.Join(errs...)
}

func restoreOne(dir, tmp string, e journalEntry) error {
	target := filepath.Join(dir, e.profile)
	fresh := filepath.Join(tmp, "new", e.profile)
	old := filepath.Join(tmp, "old", e.profile)
	info, err := os.Lstat(target)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	swapped := err == nil
	if swapped {
		dev, ino := inode(info)
		swapped = dev == e.dev && ino == e.ino
	}
	switch {
	case swapped && !e.hadOld:
		if err := renameNoReplace(target, fresh); err != nil {
			return err
		}
		afterStep("remove " + e.profile)
	case swapped:
		if exists(fresh) {
			// Exchanged: new/<profile> holds the previous folder.
			err := exchange(fresh, target)
			if err == nil {
				afterStep("exchange back " + e.profile)
				return nil
			}
			if !errors.Is(err, errNoExchange) {
				return err
			}
			if err := renameNoReplace(fresh, old); err != nil {
				return err
			}
			afterStep("move aside " + e.profile)
		}
		if err := renameNoReplace(target, fresh); err != nil {
			return err
		}
		afterStep("take out " + e.profile)
		fallthrough
	case err != nil && e.hadOld:
		// The previous folder is aside and target is empty.
		if err := renameNoReplace(old, target); err != nil {
			return err
		}
		afterStep("put back " + e.profile)
	}
	return nil
}

// recoverStale deals with the temporary folders of killed runs; holding
// the lock means no other run is using them. A run killed in its swap is
// rolled back; any other leftover is deleted. If a roll-back fails the
// folder stays, since it may hold the only copy of a profile folder, and
// the error says where it is.
func recoverStale(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reading output directory: %w", err)
	}
	for _, d := range entries {
		if !d.IsDir() || !strings.HasPrefix(d.Name(), tmpPrefix) {
			continue
		}
		tmp := filepath.Join(dir, d.Name())
		if exists(filepath.Join(tmp, journalName)) {
			journal, err := readJournal(tmp)
			if err != nil {
				return fmt.Errorf("an interrupted run left %s and its journal is unreadable (%v); it may hold a previous profile folder: move that back by hand and delete %s", tmp, err, tmp)
			}
			if err := rollBack(dir, tmp, journal); err != nil {
				return fmt.Errorf("an interrupted run left %s and putting its previous folders back failed: %v; move them back by hand from %s", tmp, err, tmp)
			}
		} else if !exists(filepath.Join(tmp, committedName)) {
			// Left by a meshslo without a journal, killed between its two
			// renames: put back any folder whose place is empty.
			olds, _ := os.ReadDir(filepath.Join(tmp, "old"))
			for _, o := range olds {
				target := filepath.Join(dir, o.Name())
				if _, err := os.Lstat(target); errors.Is(err, fs.ErrNotExist) {
					if err := renameNoReplace(filepath.Join(tmp, "old", o.Name()), target); err != nil {
						return fmt.Errorf("an interrupted run left %s and putting %s back failed: %v", tmp, o.Name(), err)
					}
				}
			}
		}
		if err := os.RemoveAll(tmp); err != nil {
			return fmt.Errorf("removing %s, left by an interrupted run: %w", tmp, err)
		}
	}
	return nil
}

func writeJournal(tmp string, entries []journalEntry) error {
	var b bytes.Buffer
	fmt.Fprintln(&b, journalHeader)
	for _, e := range entries {
		had := 0
		if e.hadOld {
			had = 1
		}
		fmt.Fprintf(&b, "%s %d %d %d\n", e.profile, e.dev, e.ino, had)
	}
	part := filepath.Join(tmp, journalName+".part")
	if err := writeFileSync(part, b.Bytes()); err != nil {
		return err
	}
	if err := os.Rename(part, filepath.Join(tmp, journalName)); err != nil {
		return err
	}
	return syncDir(tmp)
}

func readJournal(tmp string) ([]journalEntry, error) {
	data, err := os.ReadFile(filepath.Join(tmp, journalName))
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	if !sc.Scan() || sc.Text() != journalHeader {
		return nil, fmt.Errorf("it does not start with %q", journalHeader)
	}
	var entries []journalEntry
	for n := 2; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) != 4 {
			return nil, fmt.Errorf("line %d has %d fields, want 4", n, len(f))
		}
		dev, err1 := strconv.ParseUint(f[1], 10, 64)
		ino, err2 := strconv.ParseUint(f[2], 10, 64)
		if err1 != nil || err2 != nil || (f[3] != "0" && f[3] != "1") || !profileName.MatchString(f[0]) {
			return nil, fmt.Errorf("line %d is not \"<profile> <dev> <inode> <0|1>\"", n)
		}
		entries = append(entries, journalEntry{profile: f[0], dev: dev, ino: ino, hadOld: f[3] == "1"})
	}
	return entries, nil
}

func inode(info fs.FileInfo) (dev, ino uint64) {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), uint64(st.Ino)
	}
	return 0, 0
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// syncDir makes the entries of dir durable (a rename is not until its
// directory is synced).
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
