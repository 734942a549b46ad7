package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadDirectory(t *testing.T) {
	t.Parallel()
	abs, err := filepath.Abs("testdata/manifests/d-node.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		want    []string
		warns   []string
		wantErr string // with %s for the directory
	}{
		{
			name:  "empty directory",
			setup: func(*testing.T, string) {},
			warns: []string{`no .yaml, .yml or .json files in snapshot directory "%s"`},
		},
		{
			name: "symbolic link to a file",
			setup: func(t *testing.T, dir string) {
				if err := os.Symlink(abs, filepath.Join(dir, "node.json")); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"Node node-1"},
		},
		{
			name: "dangling symbolic link",
			setup: func(t *testing.T, dir string) {
				if err := os.Symlink(filepath.Join(dir, "gone.yaml"), filepath.Join(dir, "link.yaml")); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: `reading snapshot "%s/link.yaml": no such file or directory`,
		},
		{
			name: "upper-case extension, other files ignored",
			setup: func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "NS.YAML"), "{apiVersion: v1, kind: Namespace, metadata: {name: a}}\n")
				writeFile(t, filepath.Join(dir, "README.md"), "# not a manifest\n")
			},
			want: []string{"Namespace a"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			tt.setup(t, dir)
			var warns []string
			snap, err := Read([]string{dir}, func(s string) { warns = append(warns, s) })
			if tt.wantErr != "" {
				if want := fmt.Sprintf(tt.wantErr, dir); err == nil || err.Error() != want {
					t.Fatalf("Read error = %v, want %s", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summarize(snap)); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
			var wantWarns []string
			for _, w := range tt.warns {
				wantWarns = append(wantWarns, fmt.Sprintf(w, dir))
			}
			if diff := cmp.Diff(wantWarns, warns); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}
