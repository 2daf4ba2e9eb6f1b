//go:build !unix

package dashboards

import (
	"io/fs"
	"os"
)

// openNoFollow opens path if it is not a symbolic link; without O_NOFOLLOW
// the check and the open are two steps.
func openNoFollow(path string) (*os.File, error) {
	info, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		return nil, errSymlink
	}
	return os.Open(path)
}

var errSymlink = fs.ErrInvalid

func isLoop(err error) bool { return err == errSymlink }
