package cluster

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/prometheus/prometheus/discovery/kubernetes"

	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/internal/gencluster"
)

// writeRead writes snap and reads it back.
func writeRead(t *testing.T, snap *discovery.Snapshot) (*discovery.Snapshot, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, snap); err != nil {
		t.Fatalf("Write: %v", err)
	}
	path := filepath.Join(t.TempDir(), "snapshot.yaml")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var warnings []string
	got, err := Read([]string{path}, func(w string) { warnings = append(warnings, w) })
	if err != nil {
		t.Fatalf("Read of what Write wrote: %v", err)
	}
	if len(warnings) > 0 {
		t.Errorf("Read of what Write wrote warns: %q", warnings)
	}
	return got, buf.Bytes()
}

// stripped returns snap as Write should keep it and Read give it back:
// every object reduced to its kept fields, defaults set, apiVersion and kind
// set, sorted.
func stripped(t *testing.T, snap *discovery.Snapshot) *discovery.Snapshot {
	t.Helper()
	out := &discovery.Snapshot{}
	for _, name := range writeOrder() {
		k, _ := lookupKind(name)
		for _, o := range snapshotObjects(snap, name) {
			m, err := strip(o, k)
			if err != nil {
				t.Fatal(err)
			}
			into := k.newObject()
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, into); err != nil {
				t.Fatal(err)
			}
			setDefaults(into)
			k.add(out, into)
		}
	}
	sortSnapshot(out)
	return out
}

func TestWriteRoundTrip(t *testing.T) {
	t.Parallel()
	for _, seed := range []int64{1, 2, 3} {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			snap := gencluster.Generate(seed, gencluster.Size{Namespaces: 3, Nodes: 4, Apps: 5})
			got, _ := writeRead(t, snap)
			if diff := cmp.Diff(stripped(t, snap), got); diff != "" {
				t.Errorf("Read(Write(snap)) differs from the stripped snapshot (-want +got):\n%s", diff)
			}
		})
	}
}

// discoverVariants are kubernetes_sd_configs that read every field Write
// keeps: all roles, all attach_metadata options, and field selectors on
// every field the API server can select by.
func discoverVariants() map[string]string {
	return map[string]string{
		"pod":          `role: pod`,
		"pod-metadata": `{role: pod, attach_metadata: {node: true, namespace: true, deployment: true, job: true, cronjob: true}}`,
		"pod-phase":    `{role: pod, selectors: [{role: pod, field: "status.phase=Running,spec.hostNetwork=false"}]}`,
		"pod-restart":  `{role: pod, selectors: [{role: pod, field: "spec.restartPolicy=Always"}]}`,
		"pod-account":  `{role: pod, selectors: [{role: pod, field: "spec.serviceAccountName=default"}]}`,
		"pod-sched":    `{role: pod, selectors: [{role: pod, field: "spec.schedulerName=default-scheduler,status.nominatedNodeName="}]}`,
		"pod-node":     `{role: pod, selectors: [{role: pod, field: "status.podIP!=,spec.nodeName!="}], attach_metadata: {node: true}}`,
		"service":      `role: service`,
		"service-metadata": `{role: service, attach_metadata: {namespace: true},
			selectors: [{role: service, label: "!tier", field: "spec.type!=ExternalName,spec.clusterIP!=None"}]}`,
		"endpoints": `{role: endpoints, attach_metadata: {node: true, namespace: true, deployment: true, job: true, cronjob: true}}`,
		"endpoints-scoped": `{role: endpoints, namespaces: {names: [default, shop]}, attach_metadata: {node: true},
			selectors: [{role: endpoints, field: "metadata.name!=orphan"}, {role: service, label: app}, {role: pod, label: "app notin (db)"}]}`,
		"endpointslice": `{role: endpointslice, attach_metadata: {node: true, namespace: true, deployment: true, job: true, cronjob: true}}`,
		"endpointslice-scoped": `{role: endpointslice, attach_metadata: {namespace: true},
			selectors: [{role: endpointslice, label: kubernetes.io/service-name}, {role: service, field: "spec.type=ClusterIP"}, {role: pod, field: "status.phase=Running"}]}`,
		"node":        `role: node`,
		"node-fields": `{role: node, selectors: [{role: node, field: "spec.unschedulable=false,metadata.name!=x"}]}`,
		"ingress":     `{role: ingress, attach_metadata: {namespace: true}}`,
	}
}

// TestWriteKeepsWhatDiscoveryReads is the proof that stripping drops
// nothing discovery reads: every role finds the same groups in the written
// and read-back snapshot as in the original, once the original has the
// defaults the API server would give it (the generator leaves some out).
func TestWriteKeepsWhatDiscoveryReads(t *testing.T) {
	t.Parallel()
	variants := discoverVariants()
	for _, seed := range []int64{1, 2, 3, 4} {
		generated := gencluster.Generate(seed, gencluster.Size{Namespaces: 3, Nodes: 4, Apps: 6})
		back, _ := writeRead(t, generated)
		snap := *generated
		snap.Pods, snap.Services, snap.Endpoints, snap.EndpointSlices = defaulted(generated.Pods), defaulted(generated.Services), defaulted(generated.Endpoints), defaulted(generated.EndpointSlices)
		for name, text := range variants {
			sd := &kubernetes.SDConfig{}
			if err := yaml.UnmarshalStrict([]byte(text), sd); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			t.Run(fmt.Sprintf("seed=%d/%s", seed, name), func(t *testing.T) {
				t.Parallel()
				want, err := discovery.Discover(&snap, sd, discovery.Options{})
				if err != nil {
					t.Fatal(err)
				}
				if len(want) == 0 {
					t.Fatal("no groups from the original snapshot; the variant proves nothing")
				}
				got, err := discovery.Discover(back, sd, discovery.Options{})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("groups differ after Write and Read (-original +written):\n%s", diff)
				}
			})
		}
	}
}

// defaulted returns copies of objs with the API server's defaults set.
func defaulted[T interface {
	runtime.Object
	DeepCopy() T
}](objs []T) []T {
	out := make([]T, len(objs))
	for i, o := range objs {
		out[i] = o.DeepCopy()
		setDefaults(out[i])
	}
	return out
}

func TestWriteIsDeterministic(t *testing.T) {
	t.Parallel()
	snap := gencluster.Generate(7, gencluster.Size{Namespaces: 2, Nodes: 3, Apps: 4})
	var first bytes.Buffer
	if err := Write(&first, snap); err != nil {
		t.Fatal(err)
	}
	// The same objects in another order, read back once more.
	shuffled := *snap
	r := rand.New(rand.NewPCG(1, 2))
	shuffled.Pods = append([]*corev1.Pod(nil), snap.Pods...)
	r.Shuffle(len(shuffled.Pods), func(i, j int) { shuffled.Pods[i], shuffled.Pods[j] = shuffled.Pods[j], shuffled.Pods[i] })
	shuffled.Nodes = append([]*corev1.Node(nil), snap.Nodes...)
	r.Shuffle(len(shuffled.Nodes), func(i, j int) { shuffled.Nodes[i], shuffled.Nodes[j] = shuffled.Nodes[j], shuffled.Nodes[i] })
	podsBefore := append([]*corev1.Pod(nil), shuffled.Pods...)

	for name, s := range map[string]*discovery.Snapshot{"again": snap, "shuffled": &shuffled} {
		var again bytes.Buffer
		if err := Write(&again, s); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.Bytes(), again.Bytes()) {
			t.Errorf("%s: Write gave different bytes for the same objects", name)
		}
	}
	back, _ := writeRead(t, snap)
	var third bytes.Buffer
	if err := Write(&third, back); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), third.Bytes()) {
		t.Errorf("writing what was read back gave different bytes:\n%s", cmp.Diff(first.String(), third.String()))
	}
	if diff := cmp.Diff(podsBefore, shuffled.Pods); diff != "" {
		t.Errorf("Write reordered the caller's snapshot:\n%s", diff)
	}
}

func TestWriteStrips(t *testing.T) {
	t.Parallel()
	yes := true
	pod := &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name: "web-0", Namespace: "shop", UID: "u1", ResourceVersion: "42", Generation: 3,
			CreationTimestamp: metav1.Unix(1700000000, 0),
			Labels:            map[string]string{"app": "web"},
			Annotations:       map[string]string{"note": "line one\n\n  indented\nlast: yes"},
			ManagedFields:     []metav1.ManagedFieldsEntry{{Manager: "kubectl"}},
			OwnerReferences:   []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-1", UID: "u2", Controller: &yes, BlockOwnerDeletion: &yes}},
		},
		Spec: corev1.PodSpec{
			NodeName: "node-a", RestartPolicy: corev1.RestartPolicyAlways,
			Containers: []corev1.Container{{
				Name: "app", Image: "web:1", Args: []string{"--serve"},
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP, HostPort: 80}},
			}},
			Volumes: []corev1.Volume{{Name: "data"}},
		},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning, PodIP: "10.0.0.5", PodIPs: []corev1.PodIP{{IP: "10.0.0.5"}}, HostIP: "192.168.0.1",
			Conditions: []corev1.PodCondition{
				{Type: corev1.PodScheduled, Status: corev1.ConditionTrue},
				{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Unix(1700000001, 0)},
			},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "app", ContainerID: "containerd://abc", Ready: true, RestartCount: 2, Image: "web:1"}},
		},
	}
	snap := &discovery.Snapshot{Pods: []*corev1.Pod{pod}}
	got, out := writeRead(t, snap)
	want := `---
apiVersion: v1
kind: Pod
metadata:
  annotations:
    note: |-
      line one

        indented
      last: yes
  labels:
    app: web
  name: web-0
  namespace: shop
  ownerReferences:
  - controller: true
    kind: ReplicaSet
    name: web-1
  uid: u1
spec:
  containers:
  - image: web:1
    name: app
    ports:
    - containerPort: 8080
      name: http
  nodeName: node-a
status:
  conditions:
  - status: "True"
    type: Ready
  containerStatuses:
  - containerID: containerd://abc
    name: app
  hostIP: 192.168.0.1
  phase: Running
  podIP: 10.0.0.5
`
	if diff := cmp.Diff(want, string(out)); diff != "" {
		t.Errorf("Write output (-want +got):\n%s", diff)
	}
	if got.Pods[0].Annotations["note"] != pod.Annotations["note"] {
		t.Errorf("annotation read back as %q, want %q", got.Pods[0].Annotations["note"], pod.Annotations["note"])
	}
}

// TestWriteTrickyStrings holds the indentation of list items to YAML's
// rules for multi-line and oddly quoted values.
func TestWriteTrickyStrings(t *testing.T) {
	t.Parallel()
	values := []string{
		"plain", "", " leading space", "trailing space ", "yes", "no", "on", "null", "~", "1e3", "0x10",
		"a: b", "- item", "#comment", "multi\nline", "blank\n\nlines\n", "\n\nleading newlines",
		"tab\there", "quote \" and ' both", "unicode é ✓", strings.Repeat("long words ", 30),
		"indented\n    block\n  text", "ends with newline\n", "trailing spaces  \nnext",
	}
	ann := map[string]string{}
	for i, v := range values {
		ann[fmt.Sprintf("k%02d", i)] = v
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "odd", Annotations: ann, Labels: map[string]string{"a": "true"}}}
	got, _ := writeRead(t, &discovery.Snapshot{Namespaces: []*corev1.Namespace{ns}})
	if len(got.Namespaces) != 1 {
		t.Fatalf("read back %d namespaces, want 1", len(got.Namespaces))
	}
	if diff := cmp.Diff(ann, got.Namespaces[0].Annotations); diff != "" {
		t.Errorf("annotations after Write and Read (-want +got):\n%s", diff)
	}
}

func TestWriteEmpty(t *testing.T) {
	t.Parallel()
	for name, snap := range map[string]*discovery.Snapshot{"nil": nil, "empty": {}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, out := writeRead(t, snap)
			if diff := cmp.Diff(&discovery.Snapshot{}, got); diff != "" {
				t.Errorf("read back (-want +got):\n%s", diff)
			}
			if want := "apiVersion: v1\nitems:\n  []\nkind: List\n"; string(out) != want {
				t.Errorf("Write wrote %q, want %q", out, want)
			}
		})
	}
}

func TestWriteFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "cluster.yaml")
	if err := os.WriteFile(path, []byte("old contents"), 0o600); err != nil {
		t.Fatal(err)
	}
	snap := gencluster.Generate(3, gencluster.Size{Namespaces: 1, Nodes: 1, Apps: 2})
	if err := WriteFile(path, snap); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	var want bytes.Buffer
	if err := Write(&want, snap); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want.Bytes(), got) {
		t.Errorf("WriteFile wrote something else than Write")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after WriteFile, want only the snapshot", len(entries))
	}

	missing := filepath.Join(dir, "no-such-dir", "cluster.yaml")
	err = WriteFile(missing, snap)
	if err == nil || !strings.Contains(err.Error(), `writing snapshot "`+missing+`"`) {
		t.Errorf("WriteFile into a missing directory: got %v, want an error naming the path", err)
	}
}
