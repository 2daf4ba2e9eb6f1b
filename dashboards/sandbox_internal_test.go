package dashboards

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// The listing said regular file, but the entry changed before the open:
// the opened file is checked again, a link is not followed and a FIFO does
// not block the open.
func TestReadTemplateChecksTheOpenedFile(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(secret, []byte("GRAFANA_TOKEN=glsa_s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.libsonnet")
	if err := os.Symlink(secret, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.libsonnet")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		link: link + ": is a symbolic link; --templates reads only regular files inside the directory",
		fifo: fifo + ": is a named pipe (FIFO); --templates reads only regular files inside the directory",
	} {
		data, err := readTemplate(path, 0)
		if err == nil || err.Error() != want {
			t.Errorf("got %q, %v\nwant %s", data, err, want)
		}
	}
}
