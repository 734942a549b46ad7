package certreq

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFile(t *testing.T) {
	tests := []struct {
		name      string
		existing  string // content already at the path; "" for none
		perm      fs.FileMode
		overwrite bool
		wantExist bool
		want      string
	}{
		{name: "new private file", perm: 0o600, want: "new"},
		{name: "new file with other permissions", perm: 0o644, want: "new"},
		{name: "existing file is kept", existing: "old", perm: 0o600, wantExist: true, want: "old"},
		{name: "existing file is replaced when asked", existing: "old", perm: 0o600, overwrite: true, want: "new"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "user.key")
			if tt.existing != "" {
				if err := os.WriteFile(path, []byte(tt.existing), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := WriteFile(path, []byte("new"), tt.perm, tt.overwrite)
			var exists *ExistsError
			if tt.wantExist {
				if !errors.As(err, &exists) || exists.Path != path || !errors.Is(err, fs.ErrExist) {
					t.Errorf("error %v, want an ExistsError for %q", err, path)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("content %q, want %q", got, tt.want)
			}
			if !tt.wantExist {
				checkMode(t, path, tt.perm)
			}
			checkOnly(t, dir, "user.key")
		})
	}
}

func TestWriteFileFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	// A directory where the file should be: the rename fails after the
	// temporary file was written.
	path := filepath.Join(dir, "user.kubeconfig")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("data"), 0o600, true); err == nil {
		t.Fatal("replaced a directory")
	}
	checkOnly(t, dir, "user.kubeconfig")
	if err := WriteFile(filepath.Join(dir, "missing", "user.key"), []byte("data"), 0o600, false); err == nil {
		t.Fatal("wrote into a directory that does not exist")
	}
	checkOnly(t, dir, "user.kubeconfig")
}

func TestAbsent(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := Absent(a, b); err != nil {
		t.Fatalf("nothing exists yet: %v", err)
	}
	if err := os.WriteFile(b, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var exists *ExistsError
	if err := Absent(a, b); !errors.As(err, &exists) || exists.Path != b {
		t.Errorf("error %v, want an ExistsError for %q", err, b)
	}
}

func checkMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s has mode %v, want %v", path, got, want)
	}
}

// checkOnly fails t unless dir holds exactly the entry name: no temporary
// file is left behind.
func checkOnly(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 1 || names[0] != name {
		t.Errorf("directory holds %q, want only %q", names, name)
	}
}
