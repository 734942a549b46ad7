package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/sdinspect/sdinspect/discovery"
)

// allKinds is what testdata/list.yaml holds, in summarize's order.
var allKinds = []string{
	"Pod default/nightly-x7k2p",
	"Pod shop/web-7d4b9c8f6d-abcde",
	"Service shop/web",
	"Endpoints shop/web",
	"EndpointSlice shop/web-8xq2z",
	"Node node-1",
	"Namespace shop",
	"Ingress shop/web",
	"ReplicaSet shop/web-7d4b9c8f6d",
	"Job default/nightly",
}

func TestReadForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		paths []string
		want  []string
		warns []string
	}{
		{
			name:  "kubectl v1 List YAML",
			paths: []string{"testdata/list.yaml"},
			want:  allKinds,
		},
		{
			name:  "kubectl v1 List JSON",
			paths: []string{"testdata/list.json"},
			want:  allKinds,
		},
		{
			name:  "typed PodList YAML, items without kind",
			paths: []string{"testdata/podlist.yaml"},
			want:  allKinds[:2],
		},
		{
			name:  "typed PodList JSON on one line",
			paths: []string{"testdata/podlist.json"},
			want:  allKinds[:2],
		},
		{
			name:  "directory of multi-document YAML and JSON files",
			paths: []string{"testdata/manifests"},
			want:  allKinds,
			warns: []string{
				`not reading 1 subdirectory in "testdata/manifests": snapshot directories are read one level deep`,
				`skipping 1 object of kind ConfigMap (v1) in "testdata/manifests/a-namespace.yaml": sdinspect reads only ` + keptKinds,
			},
		},
		{
			name:  "a single file of a directory",
			paths: []string{"testdata/manifests/d-node.json"},
			want:  []string{"Node node-1"},
		},
		{
			name:  "several paths",
			paths: []string{"testdata/manifests/d-node.json", "testdata/podlist.json"},
			want:  []string{"Pod default/nightly-x7k2p", "Pod shop/web-7d4b9c8f6d-abcde", "Node node-1"},
		},
		{
			name:  "no paths",
			paths: nil,
			want:  nil,
		},
		{
			name:  "empty file",
			paths: []string{"testdata/empty.yaml"},
			want:  nil,
		},
		{
			name:  "only comments and separators",
			paths: []string{"testdata/comments.yaml"},
			want:  nil,
		},
		{
			name:  "unknown kinds, warned once per file and kind",
			paths: []string{"testdata/unknown-kinds.yaml", "testdata/manifests/d-node.json"},
			want:  []string{"Node node-1"},
			warns: []string{
				`skipping 3 objects of kind ConfigMap (v1) in "testdata/unknown-kinds.yaml": sdinspect reads only ` + keptKinds,
				`skipping 1 object of kind Deployment (apps/v1) in "testdata/unknown-kinds.yaml": sdinspect reads only ` + keptKinds,
				`skipping 1 object of kind EndpointSlice (discovery.k8s.io/v1beta1) in "testdata/unknown-kinds.yaml": sdinspect reads EndpointSlice only as discovery.k8s.io/v1`,
				`skipping 2 objects of kind ServiceMonitor (monitoring.coreos.com/v1) in "testdata/unknown-kinds.yaml": sdinspect reads only ` + keptKinds,
			},
		},
		{
			name:  "list and object forms mixed in one file",
			paths: []string{"testdata/mixed.yaml"},
			want:  []string{"Pod shop/a", "Pod shop/b", "Pod shop/c", "Pod shop/d", "Service shop/a"},
			warns: []string{
				`skipping 1 object of kind ConfigMap (v1) in "testdata/mixed.yaml": sdinspect reads only ` + keptKinds,
			},
		},
		{
			name:  "YAML sequence of objects",
			paths: []string{"testdata/sequence.yaml"},
			want:  []string{"Namespace default", "Namespace shop"},
		},
		{
			name:  "anchors shared between list items",
			paths: []string{"testdata/anchors.yaml"},
			want:  []string{"Pod shop/web", "Service shop/web"},
		},
		{
			name:  "unknown fields and missing namespaces",
			paths: []string{"testdata/lenient.yaml"},
			want:  []string{"Pod /no-namespace", "Pod shop/new-field", "Node node-1"},
			warns: []string{
				`1 object in "testdata/lenient.yaml" has fields this version does not know, which are ignored (first: line 8: Pod "shop/new-field": unknown field "spec.futureField")`,
				`1 namespaced object in "testdata/lenient.yaml" has no metadata.namespace and is read with an empty namespace, not the one a cluster would give (first: line 13: Pod "no-namespace")`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var warns []string
			snap, err := Read(tt.paths, func(s string) { warns = append(warns, s) })
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if diff := cmp.Diff(tt.want, summarize(snap)); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.warns, warns); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReadSameObjectsInEveryForm reads the same cluster written as a
// kubectl YAML list, a kubectl JSON list, and a directory of manifests, and
// expects identical snapshots.
func TestReadSameObjectsInEveryForm(t *testing.T) {
	t.Parallel()
	want := mustRead(t, "testdata/list.yaml")
	for _, path := range []string{"testdata/list.json", "testdata/manifests"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(want, mustRead(t, path)); diff != "" {
				t.Errorf("snapshot of %s differs from list.yaml (-list.yaml +%s):\n%s", path, path, diff)
			}
		})
	}
	// Typed lists leave kind and apiVersion out of their items; Read fills
	// them in, so the pods match those of the v1 List.
	for _, path := range []string{"testdata/podlist.yaml", "testdata/podlist.json"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(want.Pods, mustRead(t, path).Pods); diff != "" {
				t.Errorf("pods of %s differ from list.yaml (-list.yaml +%s):\n%s", path, path, diff)
			}
		})
	}
}

// TestReadMatchesPlainDecoding holds Read to a decoding of list.yaml that
// shares none of its code: sigs.k8s.io/yaml into a v1 List, then each item
// into its type. Objects must come out as written, with the API server's
// defaults for the fields discovery reads.
func TestReadMatchesPlainDecoding(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/list.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var list corev1.List
	if err := yaml.UnmarshalStrict(data, &list); err != nil {
		t.Fatal(err)
	}
	want := &discovery.Snapshot{}
	for _, item := range list.Items {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(item.Raw, &tm); err != nil {
			t.Fatal(err)
		}
		var obj any
		switch tm.Kind {
		case "Pod":
			obj = decodeInto(t, item.Raw, &want.Pods)
		case "Service":
			obj = decodeInto(t, item.Raw, &want.Services)
		case "Endpoints":
			obj = decodeInto(t, item.Raw, &want.Endpoints)
		case "EndpointSlice":
			obj = decodeInto(t, item.Raw, &want.EndpointSlices)
		case "Node":
			obj = decodeInto(t, item.Raw, &want.Nodes)
		case "Namespace":
			obj = decodeInto(t, item.Raw, &want.Namespaces)
		case "Ingress":
			obj = decodeInto(t, item.Raw, &want.Ingresses)
		case "ReplicaSet":
			obj = decodeInto(t, item.Raw, &want.ReplicaSets)
		case "Job":
			obj = decodeInto(t, item.Raw, &want.Jobs)
		}
		if obj == nil {
			t.Fatalf("list.yaml holds a %s, which this test does not know", tm.Kind)
		}
	}
	sortSnapshot(want)
	// The API server's defaults for what list.yaml leaves out.
	web := find(t, want.Pods, "shop", "web-7d4b9c8f6d-abcde")
	web.Spec.Containers[0].Ports[1].Protocol = corev1.ProtocolTCP
	web.Spec.SchedulerName = corev1.DefaultSchedulerName
	nightly := find(t, want.Pods, "default", "nightly-x7k2p")
	nightly.Spec.RestartPolicy = corev1.RestartPolicyAlways
	nightly.Spec.SchedulerName = corev1.DefaultSchedulerName
	find(t, want.Services, "shop", "web").Spec.Ports[1].Protocol = corev1.ProtocolTCP
	if diff := cmp.Diff(want, mustRead(t, "testdata/list.yaml")); diff != "" {
		t.Errorf("Read differs from plain decoding (-plain +Read):\n%s", diff)
	}
}

// decodeInto decodes raw into a new *T and appends it to objs.
func decodeInto[T any](t *testing.T, raw []byte, objs *[]*T) *T {
	t.Helper()
	obj := new(T)
	if err := yaml.UnmarshalStrict(raw, obj); err != nil {
		t.Fatal(err)
	}
	*objs = append(*objs, obj)
	return obj
}

// TestReadDefaults checks that the fields discovery reads get the value the
// API server would give them when a manifest leaves them out, and that
// nothing else is made up.
func TestReadDefaults(t *testing.T) {
	t.Parallel()
	snap := mustRead(t, "testdata/list.yaml")
	pod := find(t, snap.Pods, "shop", "web-7d4b9c8f6d-abcde")
	if got := pod.Spec.Containers[0].Ports[1].Protocol; got != corev1.ProtocolTCP {
		t.Errorf("protocol of port metrics = %q, want TCP, the API server's default", got)
	}
	batchPod := find(t, snap.Pods, "default", "nightly-x7k2p")
	if got := batchPod.Spec.RestartPolicy; got != corev1.RestartPolicyAlways {
		t.Errorf("restartPolicy = %q, want Always, the API server's default", got)
	}
	if got := batchPod.Spec.SchedulerName; got != corev1.DefaultSchedulerName {
		t.Errorf("schedulerName = %q, want %s, the API server's default", got, corev1.DefaultSchedulerName)
	}
	if got := batchPod.Spec.Containers[0].TerminationMessagePath; got != "" {
		t.Errorf("terminationMessagePath = %q, want it empty as written (discovery does not read it)", got)
	}
	svc := find(t, snap.Services, "shop", "web")
	if got := svc.Spec.Ports[1].Protocol; got != corev1.ProtocolTCP {
		t.Errorf("service port protocol = %q, want TCP, the API server's default", got)
	}
	if got := svc.Spec.SessionAffinity; got != "" {
		t.Errorf("sessionAffinity = %q, want it empty as written (discovery does not read it)", got)
	}
	for _, ep := range snap.Endpoints {
		for _, ss := range ep.Subsets {
			for _, p := range ss.Ports {
				if p.Protocol != corev1.ProtocolTCP && p.Protocol != corev1.ProtocolUDP && p.Protocol != corev1.ProtocolSCTP {
					t.Errorf("endpoints %s/%s port %q: protocol %q", ep.Namespace, ep.Name, p.Name, p.Protocol)
				}
			}
		}
	}
	for _, eps := range snap.EndpointSlices {
		for _, p := range eps.Ports {
			if p.Protocol == nil {
				t.Errorf("endpointslice %s/%s: port without protocol", eps.Namespace, eps.Name)
			}
		}
	}
}

// TestReadOrder checks each slice is sorted by namespace, then name,
// whatever the order in the files.
func TestReadOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var docs []string
	for _, ns := range []string{"b", "a", "c"} {
		for _, name := range []string{"web", "api", "db"} {
			docs = append(docs, fmt.Sprintf("{apiVersion: v1, kind: Pod, metadata: {namespace: %s, name: %s}}", ns, name))
		}
	}
	docs = append(docs, "{apiVersion: v1, kind: Node, metadata: {name: n2}}", "{apiVersion: v1, kind: Node, metadata: {name: n1}}")
	// Split over two files, so that order across files is tested too.
	writeFile(t, filepath.Join(dir, "1.yaml"), strings.Join(docs[6:], "\n---\n"))
	writeFile(t, filepath.Join(dir, "2.yaml"), strings.Join(docs[:6], "\n---\n"))
	snap, err := Read([]string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Pod a/api", "Pod a/db", "Pod a/web", "Pod b/api", "Pod b/db", "Pod b/web", "Pod c/api", "Pod c/db", "Pod c/web",
		"Node n1", "Node n2",
	}
	if diff := cmp.Diff(want, summarize(snap)); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

// summarize lists the objects of snap as "Kind namespace/name" ("Kind name"
// for cluster-wide kinds), kind by kind in the order of the Snapshot's
// fields, each kind in slice order. Kind comes from the object's own type
// metadata, so this also checks Read fills it in.
func summarize(snap *discovery.Snapshot) []string {
	var out []string
	for _, o := range snap.Objects() {
		kind := o.GetObjectKind().GroupVersionKind().Kind
		if kind == "Node" || kind == "Namespace" {
			out = append(out, fmt.Sprintf("%s %s", kind, o.GetName()))
		} else {
			out = append(out, fmt.Sprintf("%s %s/%s", kind, o.GetNamespace(), o.GetName()))
		}
	}
	return out
}

// mustRead reads paths, failing the test on errors.
func mustRead(t *testing.T, paths ...string) *discovery.Snapshot {
	t.Helper()
	snap, err := Read(paths, nil)
	if err != nil {
		t.Fatalf("Read(%q): %v", paths, err)
	}
	return snap
}

// find returns the object called namespace/name of objs.
func find[T metav1.Object](t *testing.T, objs []T, namespace, name string) T {
	t.Helper()
	for _, o := range objs {
		if o.GetNamespace() == namespace && o.GetName() == name {
			return o
		}
	}
	t.Fatalf("no object %s/%s", namespace, name)
	var zero T
	return zero
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
