// Package credentials reads and writes the RGrid CLI's files,
// ~/.rgrid/credentials (API keys) and ~/.rgrid/config (settings such as
// api_url), both INI files with one [profile] section per profile.
//
// Reads are tolerant (BOM, CRLF, spaces, unknown keys, comments). Writes are
// atomic: a temporary file in the same folder is written, synced and renamed
// over the old one, so a crash leaves either the old file or the new one,
// never a mix. The folder is kept at mode 0700 and the files at 0600.
package credentials

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// File names inside the configuration folder, and the keys stored in them.
const (
	CredentialsFile = "credentials"
	ConfigFile      = "config"
	KeyAPIKey       = "api_key"
	KeyAPIURL       = "api_url"
)

const (
	dirMode  fs.FileMode = 0o700
	fileMode fs.FileMode = 0o600
	// maxFileSize bounds what is read: these files hold a few short lines.
	maxFileSize = 1 << 20
	// staleTempAge is how old an abandoned temporary file must be before a
	// later write removes it (a write in progress is never that slow).
	staleTempAge = time.Minute
)

// DefaultDir returns the configuration folder: RGRID_CONFIG_DIR when set,
// otherwise .rgrid in the home folder. getenv is the environment lookup.
func DefaultDir(getenv func(string) string) (string, error) {
	if d := getenv("RGRID_CONFIG_DIR"); d != "" {
		abs, err := filepath.Abs(d)
		if err != nil {
			return "", fmt.Errorf("resolve RGRID_CONFIG_DIR %q: %w", d, err)
		}
		if why := notAFolder(abs); why != "" {
			return "", fmt.Errorf("RGRID_CONFIG_DIR is %s, but %s: point RGRID_CONFIG_DIR at a folder for RGrid's files, or unset it to use ~/.rgrid", abs, why)
		}
		return abs, nil
	}
	home := getenv("HOME")
	if home == "" && runtime.GOOS == "windows" {
		home = getenv("USERPROFILE")
	}
	if home == "" {
		return "", errors.New("cannot find your home folder because HOME is not set: set HOME, or set RGRID_CONFIG_DIR to the folder for RGrid's files")
	}
	dir := filepath.Join(home, ".rgrid")
	if why := notAFolder(dir); why != "" {
		return "", fmt.Errorf("RGrid keeps its files in %s, but %s: move it out of the way, or set RGRID_CONFIG_DIR to another folder", dir, why)
	}
	return dir, nil
}

// notAFolder says why dir cannot be the configuration folder because a file
// is in the way, or returns "" (a folder, or nothing there yet: it is made
// when a key is saved; other problems are reported when it is used).
func notAFolder(dir string) string {
	fi, err := os.Stat(dir)
	switch {
	case err == nil && !fi.IsDir():
		return "that is a file, not a folder"
	case errors.Is(err, syscall.ENOTDIR):
		return "part of that path is a file, not a folder"
	}
	return ""
}

// LoosePermissions returns the mode of the named file and true when users
// other than its owner may read or write it (as ssh does for its keys, the
// caller warns). A missing file, or a system without Unix modes, is fine.
func (s *Store) LoosePermissions(name string) (fs.FileMode, bool) {
	if runtime.GOOS == "windows" {
		return 0, false
	}
	fi, err := os.Stat(s.Path(name))
	if err != nil || !fi.Mode().IsRegular() {
		return 0, false
	}
	return fi.Mode().Perm(), fi.Mode().Perm()&0o077 != 0
}

// Store is the configuration folder.
type Store struct {
	Dir string

	// beforeRename, when set, runs after the temporary file is written and
	// synced and before it replaces the real file (tests inject failures and
	// crashes here).
	beforeRename func(tmp string) error
}

// Path returns the full path of the named file in the folder.
func (s *Store) Path(name string) string { return filepath.Join(s.Dir, name) }

// Load reads the named file. A missing file (or folder) is an empty file.
func (s *Store) Load(name string) (*File, error) {
	path := s.Path(name)
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Parse(nil), nil
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", path, reason(err))
	case fi.IsDir():
		return nil, fmt.Errorf("%s is a folder, but it should be a file: move it out of the way", path)
	case fi.Size() > maxFileSize:
		return nil, fmt.Errorf("%s is %d bytes, too large to be an RGrid file", path, fi.Size())
	}
	data, err := os.ReadFile(path) //nolint:gosec // the path is the user's own configuration file
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, reason(err))
	}
	return Parse(data), nil
}

// Get reads one value: key in section of the named file.
func (s *Store) Get(name, section, key string) (string, bool, error) {
	f, err := s.Load(name)
	if err != nil {
		return "", false, err
	}
	v, ok := f.Get(section, key)
	return v, ok, nil
}

// Update loads the named file, lets change edit it, and saves the result
// atomically. When change returns an error nothing is written.
func (s *Store) Update(name string, change func(*File) error) error {
	f, err := s.Load(name)
	if err != nil {
		return err
	}
	if err := change(f); err != nil {
		return err
	}
	return s.Save(name, f)
}

// Save writes f to the named file atomically: it creates the folder (0700)
// if needed, writes a temporary file (0600) beside the target, syncs it,
// renames it over the target and syncs the folder. Afterwards it checks that
// the file is 0600 and the folder 0700. If the target is a symbolic link, the
// file it points to is replaced instead of the link.
func (s *Store) Save(name string, f *File) error {
	if err := s.ensureDir(); err != nil {
		return err
	}
	path := s.Path(name)
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a folder, but it should be a file: move it out of the way", path)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*.tmp") // created with mode 0600
	if err != nil {
		return fmt.Errorf("cannot write to the folder %s: %w", dir, reason(err))
	}
	tmpName := tmp.Name()
	renamed := false
	defer func() {
		if !renamed {
			_ = tmp.Close()
			_ = os.Remove(tmpName)
		}
	}()
	if _, err := tmp.Write(f.Bytes()); err != nil {
		return fmt.Errorf("write %s: %w", tmpName, reason(err))
	}
	if err := tmp.Chmod(fileMode); err != nil {
		return fmt.Errorf("set the mode of %s: %w", tmpName, reason(err))
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", tmpName, reason(err))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmpName, reason(err))
	}
	if s.beforeRename != nil {
		if err := s.beforeRename(tmpName); err != nil {
			return err
		}
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("replace %s: %w", path, reason(err))
	}
	renamed = true
	syncDir(dir)
	removeStaleTemps(dir, filepath.Base(path))
	return verifyMode(path, fileMode)
}

// CheckWritable reports, without changing anything, whether Save could
// write the named files: none of them may be a folder, and the configuration
// folder (or, when it does not exist yet, the nearest existing folder above
// it, where it would be created) must accept a new entry. Permission bits
// are not read, because they do not tell the whole story (root ignores them,
// read-only mounts ignore them); instead a temporary entry is created and
// removed.
func (s *Store) CheckWritable(names ...string) error {
	for _, name := range names {
		if fi, err := os.Stat(s.Path(name)); err == nil && fi.IsDir() {
			return fmt.Errorf("%s is a folder, but it should be a file: move it out of the way", s.Path(name))
		}
	}
	dir := s.Dir
	for {
		fi, err := os.Stat(dir)
		if err == nil {
			if !fi.IsDir() && dir == s.Dir {
				return fmt.Errorf("%s is a file, but it should be a folder (set RGRID_CONFIG_DIR to use another folder)", s.Dir)
			}
			if !fi.IsDir() {
				return fmt.Errorf("cannot create the folder %s: %s is a file, not a folder (set RGRID_CONFIG_DIR to use another folder)", s.Dir, dir)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return fmt.Errorf("cannot use the folder %s: %w", s.Dir, reason(err))
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return fmt.Errorf("cannot create the folder %s: no parent folder exists", s.Dir)
		}
		dir = parent
	}
	if dir == s.Dir {
		f, err := os.CreateTemp(dir, ".rgrid-probe-*")
		if err != nil {
			return fmt.Errorf("cannot write to the folder %s: %w (set RGRID_CONFIG_DIR to use another folder)", dir, reason(err))
		}
		_ = f.Close()
		return os.Remove(f.Name())
	}
	probe, err := os.MkdirTemp(dir, ".rgrid-probe-*")
	if err != nil {
		return fmt.Errorf("cannot create the folder %s: %s is not writable: %w (set RGRID_CONFIG_DIR to use another folder)", s.Dir, dir, reason(err))
	}
	return os.Remove(probe)
}

// ensureDir creates the folder with mode 0700, or tightens an existing one
// to 0700 (unless it is a shared sticky folder such as /tmp, which is left
// alone), then checks the result.
func (s *Store) ensureDir() error {
	fi, err := os.Stat(s.Dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(s.Dir, dirMode); err != nil {
			return fmt.Errorf("cannot create the folder %s: %w", s.Dir, reason(err))
		}
		fi, err = os.Stat(s.Dir)
		if err != nil {
			return fmt.Errorf("cannot use the folder %s: %w", s.Dir, reason(err))
		}
	case err != nil:
		return fmt.Errorf("cannot use the folder %s: %w", s.Dir, reason(err))
	case !fi.IsDir():
		return fmt.Errorf("%s is a file, but it should be a folder (set RGRID_CONFIG_DIR to use another folder)", s.Dir)
	}
	if fi.Mode()&os.ModeSticky != 0 || runtime.GOOS == "windows" {
		return nil
	}
	if fi.Mode().Perm() != dirMode {
		if err := os.Chmod(s.Dir, dirMode); err != nil {
			return fmt.Errorf("set the mode of the folder %s to 700: %w", s.Dir, reason(err))
		}
	}
	return verifyMode(s.Dir, dirMode)
}

func verifyMode(path string, want fs.FileMode) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("check the mode of %s: %w", path, reason(err))
	}
	if got := fi.Mode().Perm(); got != want {
		return fmt.Errorf("%s has mode %o after writing, want %o: check the folder's file system", path, got, want)
	}
	return nil
}

// syncDir makes the rename durable. Not every file system supports syncing
// a folder, so a failure here is not reported.
func syncDir(dir string) {
	d, err := os.Open(dir) //nolint:gosec // dir is the configuration folder
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// removeStaleTemps deletes temporary files left by a write that crashed
// between creating and renaming them; they may hold a key.
func removeStaleTemps(dir, base string) {
	matches, _ := filepath.Glob(filepath.Join(dir, "."+base+"-*.tmp"))
	for _, m := range matches {
		if fi, err := os.Lstat(m); err == nil && fi.Mode().IsRegular() && time.Since(fi.ModTime()) > staleTempAge {
			_ = os.Remove(m)
		}
	}
}

// reason strips the operation and path from a *fs.PathError, whose message
// repeats what the caller's sentence already says.
func reason(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// DisplayPath shortens path for messages: the home folder becomes "~".
func DisplayPath(path, home string) string {
	if home != "" && home != "/" {
		if rel, err := filepath.Rel(home, path); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel) {
			return filepath.Join("~", rel)
		}
	}
	return path
}
