package cluster

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestReadErrors(t *testing.T) {
	t.Parallel()
	const dir = "testdata/errors/"
	tests := []struct {
		name  string
		paths []string
		want  string
	}{
		{
			name:  "invalid YAML in the third document",
			paths: []string{dir + "third-doc-invalid.yaml"},
			want:  `reading snapshot "testdata/errors/third-doc-invalid.yaml": line 18: did not find expected key`,
		},
		{
			name:  "kubectl list cut at the end of a line",
			paths: []string{dir + "truncated-list.yaml"},
			want:  `reading snapshot "testdata/errors/truncated-list.yaml": line 1: list has no kind; is the file cut short?`,
		},
		{
			name:  "kubectl list cut inside a quoted string",
			paths: []string{dir + "truncated-quote.yaml"},
			want:  `reading snapshot "testdata/errors/truncated-quote.yaml": line 97: found unexpected end of stream`,
		},
		{
			name:  "JSON list cut short",
			paths: []string{dir + "truncated.json"},
			want:  `reading snapshot "testdata/errors/truncated.json": line 153, column 17: unexpected end of file inside a JSON value; is the file cut short?`,
		},
		{
			name:  "field of the wrong type in a YAML list item",
			paths: []string{dir + "wrong-type.yaml"},
			want: `reading snapshot "testdata/errors/wrong-type.yaml": line 49: decoding Pod "shop/web-7d4b9c8f6d-abcde": ` +
				`json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32`,
		},
		{
			name:  "field of the wrong type in a JSON list item",
			paths: []string{dir + "wrong-type.json"},
			want: `reading snapshot "testdata/errors/wrong-type.json": line 68, column 50: decoding Pod "shop/web-7d4b9c8f6d-abcde": ` +
				`json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32`,
		},
		{
			name:  "field of the wrong type in the second document",
			paths: []string{dir + "wrong-type-manifest.yaml"},
			want: `reading snapshot "testdata/errors/wrong-type-manifest.yaml": line 13: decoding ReplicaSet "shop/web": ` +
				`json: cannot unmarshal string into Go struct field ReplicaSetSpec.spec.replicas of type int32`,
		},
		{
			name:  "field of the wrong type in a list read as a whole",
			paths: []string{dir + "wrong-type-anchors.yaml"},
			want: `reading snapshot "testdata/errors/wrong-type-anchors.yaml": line 18: decoding Pod "shop/web": ` +
				`json: cannot unmarshal array into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32`,
		},
		{
			name:  "unquoted yes where a string belongs",
			paths: []string{dir + "unquoted-yes.yaml"},
			want: `reading snapshot "testdata/errors/unquoted-yes.yaml": line 7: decoding Pod "shop/web": ` +
				`json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type string ` +
				`(YAML reads unquoted yes, no, on, off, y and n as booleans; quote them)`,
		},
		{
			name:  "list item without kind",
			paths: []string{dir + "item-without-kind.yaml"},
			want:  `reading snapshot "testdata/errors/item-without-kind.yaml": line 92: list item has no kind`,
		},
		{
			name:  "duplicate object across files",
			paths: []string{dir + "duplicate-a.yaml", dir + "duplicate-b.json"},
			want: `reading snapshot "testdata/errors/duplicate-b.json": line 3, column 3: duplicate Pod "shop/web": ` +
				`already read from "testdata/errors/duplicate-a.yaml" line 1`,
		},
		{
			name:  "duplicate object in one list",
			paths: []string{dir + "duplicate-in-list.yaml"},
			want: `reading snapshot "testdata/errors/duplicate-in-list.yaml": line 13: duplicate Pod "shop/web": ` +
				`already read from "testdata/errors/duplicate-in-list.yaml" line 3`,
		},
		{
			name:  "the same file twice",
			paths: []string{dir + "duplicate-a.yaml", dir + "duplicate-a.yaml"},
			want: `reading snapshot "testdata/errors/duplicate-a.yaml": line 1: duplicate Pod "shop/web": ` +
				`already read from "testdata/errors/duplicate-a.yaml" line 1`,
		},
		{
			name:  "object without name",
			paths: []string{dir + "no-name.yaml"},
			want:  `reading snapshot "testdata/errors/no-name.yaml": line 1: Job has no metadata.name`,
		},
		{
			name:  "JSON syntax error",
			paths: []string{dir + "syntax.json"},
			want:  `reading snapshot "testdata/errors/syntax.json": line 4, column 51: invalid character '}' looking for beginning of object key string`,
		},
		{
			name:  "duplicate key in YAML",
			paths: []string{dir + "duplicate-key.yaml"},
			want:  `reading snapshot "testdata/errors/duplicate-key.yaml": line 6: key "name" already set in map`,
		},
		{
			name:  "duplicate field in JSON",
			paths: []string{dir + "duplicate-field.json"},
			want:  `reading snapshot "testdata/errors/duplicate-field.json": line 1, column 1: Pod "shop/api": duplicate field "metadata.name"`,
		},
		{
			name:  "text after a document separator",
			paths: []string{dir + "bad-separator.yaml"},
			want:  `reading snapshot "testdata/errors/bad-separator.yaml": line 5: invalid document separator "--- apiVersion: v1"`,
		},
		{
			name:  "document that is not an object",
			paths: []string{dir + "not-an-object.yaml"},
			want:  `reading snapshot "testdata/errors/not-an-object.yaml": line 6: found a string where a Kubernetes object or list was expected`,
		},
		{
			name:  "items that are not a list",
			paths: []string{dir + "items-not-list.yaml"},
			want:  `reading snapshot "testdata/errors/items-not-list.yaml": line 3: items of List is an object, not a list`,
		},
		{
			name:  "items in an object that is not a list",
			paths: []string{dir + "items-of-non-list.yaml"},
			want:  `reading snapshot "testdata/errors/items-of-non-list.yaml": line 1: object of kind "Pod" has items, but is not a list`,
		},
		{
			name:  "kind that is not a string",
			paths: []string{dir + "kind-not-string.yaml"},
			want:  `reading snapshot "testdata/errors/kind-not-string.yaml": line 2: kind is an object, not a string`,
		},
		{
			name:  "kind given twice, in different case",
			paths: []string{dir + "kind-in-two-cases.json"},
			want: `reading snapshot "testdata/errors/kind-in-two-cases.json": line 1, column 1: decoding Pod "shop/web": ` +
				`decoded as *v1.Service; is apiVersion or kind given twice, in different case?`,
		},
		{
			name:  "missing directory",
			paths: []string{"testdata/no-such-dir"},
			want:  `reading snapshot "testdata/no-such-dir": no such file or directory`,
		},
		{
			name:  "binary data",
			paths: []string{dir + "binary.yaml"},
			want:  `reading snapshot "testdata/errors/binary.yaml": line 3: binary data (a NUL byte), not YAML or JSON text in UTF-8`,
		},
		{
			name:  "invalid UTF-8, placed at its line and column",
			paths: []string{dir + "invalid-utf8.yaml"},
			want:  `reading snapshot "testdata/errors/invalid-utf8.yaml": line 5, column 17: invalid leading UTF-8 octet`,
		},
		{
			name:  "label value the API server refuses as too long",
			paths: []string{dir + "long-label.yaml"},
			want:  `reading snapshot "testdata/errors/long-label.yaml": line 1: Service "shop/web": label "note": the value has 64 bytes; the API server allows at most 63`,
		},
		{
			name:  "label key the API server refuses",
			paths: []string{dir + "bad-label-key.yaml"},
			want: `reading snapshot "testdata/errors/bad-label-key.yaml": line 1: Pod "shop/web": label key "app name": name part must consist of alphanumeric characters, '-', '_' or '.', ` +
				`and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
		},
		{
			name:  "only kinds Read does not keep",
			paths: []string{"testdata/unknown-kinds.yaml", "testdata/empty.yaml"},
			want: `reading snapshot "testdata/unknown-kinds.yaml", "testdata/empty.yaml": no object of a kind sdinspect reads, only ` +
				`3 objects of kind ConfigMap (v1), 1 object of kind Deployment (apps/v1), 1 object of kind EndpointSlice (discovery.k8s.io/v1beta1), ` +
				`2 objects of kind ServiceMonitor (monitoring.coreos.com/v1): sdinspect reads only ` + keptKinds,
		},
		{
			name:  "only EndpointSlices of an old version",
			paths: []string{dir + "old-endpointslice.yaml"},
			want: `reading snapshot "testdata/errors/old-endpointslice.yaml": no object of a kind sdinspect reads, only ` +
				`1 object of kind EndpointSlice (discovery.k8s.io/v1beta1): sdinspect reads EndpointSlice only as discovery.k8s.io/v1`,
		},
		{
			name:  "error in a later file after good ones",
			paths: []string{"testdata/list.yaml", dir + "no-name.yaml"},
			want:  `reading snapshot "testdata/errors/no-name.yaml": line 1: Job has no metadata.name`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			snap, err := Read(tt.paths, nil)
			if err == nil {
				t.Fatalf("Read succeeded with %d pods, want error %q", len(snap.Pods), tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Read error:\n got: %s\nwant: %s", err, tt.want)
			}
			if snap != nil {
				t.Errorf("Read returned a snapshot with its error")
			}
		})
	}
}

func TestReadMissingPathIsNotExist(t *testing.T) {
	t.Parallel()
	_, err := Read([]string{"testdata/no-such-dir"}, nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read error %v does not match fs.ErrNotExist", err)
	}
}

func TestReadUnreadableFile(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		// Permission bits do not stop root from reading a file, so the
		// error cannot be provoked.
		t.Skip("running as root, which can read a file of mode 000")
	}
	tests := []struct {
		name string
		path func(dir string) string // what to pass to Read
	}{
		{name: "file given by name", path: func(dir string) string { return filepath.Join(dir, "secret.yaml") }},
		{name: "file in a directory", path: func(dir string) string { return dir }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			name := filepath.Join(dir, "secret.yaml")
			writeFile(t, name, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n")
			if err := os.Chmod(name, 0); err != nil {
				t.Fatal(err)
			}
			_, err := Read([]string{tt.path(dir)}, nil)
			want := `reading snapshot "` + name + `": permission denied`
			if err == nil || err.Error() != want {
				t.Errorf("Read error = %v, want %s", err, want)
			}
			if !errors.Is(err, fs.ErrPermission) {
				t.Errorf("Read error %v does not match fs.ErrPermission", err)
			}
		})
	}
}
