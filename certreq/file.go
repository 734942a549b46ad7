package certreq

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ExistsError reports a file that WriteFile or Absent would not replace.
type ExistsError struct {
	// Path is the file that exists.
	Path string
}

func (e *ExistsError) Error() string { return fmt.Sprintf("%q already exists", e.Path) }

// Is makes errors.Is(err, fs.ErrExist) hold.
func (e *ExistsError) Is(target error) bool { return target == fs.ErrExist }

// Absent returns an *ExistsError for the first of paths that exists, so
// that a command can refuse before it generates anything.
func Absent(paths ...string) error {
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			return &ExistsError{Path: p}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("checking %q: %w", p, err)
		}
	}
	return nil
}

// WriteFile writes data to path with permissions perm. The data goes to a
// new temporary file in the same directory, created readable by its owner
// only, and the file gets its name only once it is complete and on disk:
// a private key is never readable by others, not even for a moment, and a
// failed write leaves nothing behind. Unless overwrite is set, an existing
// path is left alone and the error is an *ExistsError.
func WriteFile(path string, data []byte, perm fs.FileMode, overwrite bool) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	tmp := f.Name()
	// After a successful rename tmp is gone and this does nothing; after a
	// link it removes the second name.
	defer os.Remove(tmp)
	if err := fill(f, data, perm); err != nil {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	if overwrite {
		err = os.Rename(tmp, path)
	} else {
		err = place(tmp, path)
	}
	var exists *ExistsError
	if errors.As(err, &exists) {
		return err
	}
	if err != nil {
		return fmt.Errorf("writing %q: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return nil
}

// fill writes data to f, sets perm, flushes it to disk and closes f.
func fill(f *os.File, data []byte, perm fs.FileMode) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// place gives the complete file tmp the name path unless path exists. A
// hard link fails atomically if path exists; on file systems without hard
// links, a check and a rename do, with a short race.
func place(tmp, path string) error {
	err := os.Link(tmp, path)
	if errors.Is(err, fs.ErrExist) {
		return &ExistsError{Path: path}
	}
	if err == nil {
		return nil
	}
	if err := Absent(path); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// syncDir flushes the directory entry of a renamed file, so that the new
// name survives a crash. Failing to is no reason to fail the write: some
// systems cannot sync directories.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}
