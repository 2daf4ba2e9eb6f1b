//go:build unix

package dashboards

import (
	"errors"
	"os"
	"syscall"
)

// openNoFollow opens path for reading without following a symbolic link
// (O_NOFOLLOW) and without blocking on a FIFO (O_NONBLOCK); the caller
// checks the opened file's type.
func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
}

// isLoop reports the error O_NOFOLLOW gives for a symbolic link.
func isLoop(err error) bool { return errors.Is(err, syscall.ELOOP) }
