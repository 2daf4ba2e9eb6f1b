package output

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/meshslo/meshslo/generator/generate"
)

// ManifestName is the file in every profile folder meshslo writes that
// lists what it wrote there. A folder is replaced only while it has one
// for its profile and holds no file it does not list.
const ManifestName = ".meshslo-manifest"

const (
	manifestHeader  = "# meshslo manifest: the files meshslo wrote to this folder, with their sha256."
	manifestNotice  = "# meshslo replaces this folder only while it holds no other file. Check: sha256sum -c " + ManifestName
	manifestProfile = "# profile: "
)

// manifest returns the manifest of o's files, in the format of sha256sum
// (so `sha256sum -c` checks it) with the profile in a comment line. It
// holds no time, so the same output gives the same bytes.
func manifest(o *generate.Output) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n%s\n%s%s\n", manifestHeader, manifestNotice, manifestProfile, o.Profile)
	for _, p := range o.Paths() {
		sum := sha256.Sum256(o.Files[p])
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(sum[:]), p)
	}
	return b.Bytes()
}

// withManifest returns o's files plus its manifest.
func withManifest(o *generate.Output) map[string][]byte {
	files := make(map[string][]byte, len(o.Files)+1)
	for p, data := range o.Files {
		files[p] = data
	}
	files[ManifestName] = manifest(o)
	return files
}

var (
	profileName  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	manifestLine = regexp.MustCompile(`^[0-9a-f]{64}  (.+)$`)
)

// checkOutputs refuses outputs whose names could reach outside their
// folder or break the manifest; profile validation already rules these
// out, this is the last line before the disk.
func checkOutputs(outs []*generate.Output) error {
	seen := map[string]bool{}
	for _, o := range outs {
		if !profileName.MatchString(o.Profile) || strings.HasPrefix(o.Profile, tmpPrefix) {
			return fmt.Errorf("profile name %q cannot be a folder name: expected lower-case letters, digits, '.', '_' or '-', not starting with '.'", o.Profile)
		}
		if seen[o.Profile] {
			return fmt.Errorf("profile %q is given twice; each profile is one folder", o.Profile)
		}
		seen[o.Profile] = true
		for p := range o.Files {
			if p == ManifestName || !fs.ValidPath(p) || p == "." || strings.ContainsAny(p, "\\\n\r") {
				return fmt.Errorf("%s: generated file name %q is not a plain relative path", o.Profile, p)
			}
		}
	}
	return nil
}

// readManifest returns the profile and file list of the manifest in
// folder; an error says why it is missing or unusable.
func readManifest(folder string) (string, map[string]bool, error) {
	data, err := os.ReadFile(filepath.Join(folder, ManifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil, fmt.Errorf("it has no %s, so meshslo did not write it", ManifestName)
	}
	if err != nil {
		return "", nil, fmt.Errorf("reading its %s: %w", ManifestName, err)
	}
	profile := ""
	files := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, manifestProfile); ok {
			profile = rest
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		m := manifestLine.FindStringSubmatch(line)
		if m == nil || !fs.ValidPath(m[1]) {
			return "", nil, fmt.Errorf("its %s line %d is not \"<sha256>  <path>\"", ManifestName, n)
		}
		files[m[1]] = true
	}
	if profile == "" {
		return "", nil, fmt.Errorf("its %s names no profile", ManifestName)
	}
	return profile, files, nil
}

// checkTarget says whether the folder at target may be replaced by the
// output of profile: it must not exist, or be a folder with a manifest for
// that profile and no file the manifest does not list. force lifts the
// second rule, never the first part: a file or symlink is never replaced.
func checkTarget(target, profile string, force bool) error {
	info, err := os.Lstat(target)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("refusing to replace %s: %w", target, err)
	}
	if !info.IsDir() {
		return fmt.Errorf("refusing to replace %s: it is a %s, not a folder meshslo wrote; move it away (not even --force replaces it)", target, kind(info.Mode()))
	}
	if force {
		return nil
	}
	why := func(reason string) error {
		return fmt.Errorf("refusing to replace %s: %s; move it away, or pass --force to delete its files", target, reason)
	}
	owner, listed, err := readManifest(target)
	if err != nil {
		return why(err.Error())
	}
	if owner != profile {
		return why(fmt.Sprintf("its %s is for profile %q", ManifestName, owner))
	}
	dirs := map[string]bool{}
	for p := range listed {
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	var extra []string
	err = filepath.WalkDir(target, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(target, p)
		rel = filepath.ToSlash(rel)
		switch {
		case rel == "." || rel == ManifestName:
		case d.IsDir() && dirs[rel]:
		case !d.IsDir() && listed[rel]:
		default:
			if d.IsDir() {
				extra = append(extra, rel+"/")
				return fs.SkipDir
			}
			extra = append(extra, rel)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("refusing to replace %s: %w", target, err)
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		more := ""
		if len(extra) > 3 {
			more = fmt.Sprintf(" and %d more", len(extra)-3)
			extra = extra[:3]
		}
		return why(fmt.Sprintf("it holds %s%s, which meshslo did not write (not in its %s)", strings.Join(extra, ", "), more, ManifestName))
	}
	return nil
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m.IsRegular():
		return "file"
	default:
		return "special file"
	}
}

// checkTargets checks every profile folder of a run and returns every
// refusal, one per line.
func checkTargets(dir string, outs []*generate.Output, force bool) error {
	var errs []error
	for _, o := range outs {
		if err := checkTarget(filepath.Join(dir, o.Profile), o.Profile, force); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
