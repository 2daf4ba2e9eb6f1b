package output

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// exchangeAt swaps the two paths in one step (renameat2 RENAME_EXCHANGE),
// so each always names a complete folder.
func exchangeAt(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if unsupported(err) {
		return errNoExchange
	}
	return linkError("exchange", a, b, err)
}

// renameNoReplaceAt renames from to to, failing if to exists (even as an
// empty folder, which a plain rename would replace).
func renameNoReplaceAt(from, to string) error {
	err := unix.Renameat2(unix.AT_FDCWD, from, unix.AT_FDCWD, to, unix.RENAME_NOREPLACE)
	if unsupported(err) {
		return renameIfAbsent(from, to)
	}
	return linkError("rename", from, to, err)
}

// unsupported tells a kernel or filesystem without the renameat2 flag.
func unsupported(err error) bool {
	return errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EOPNOTSUPP)
}

func linkError(op, from, to string, err error) error {
	if err == nil {
		return nil
	}
	return &os.LinkError{Op: op, Old: from, New: to, Err: err}
}
