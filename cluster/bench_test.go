package cluster

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/internal/gencluster"
)

// BenchmarkRead reads a v1 List of 10,000 pods as kubectl prints it, in
// YAML and in JSON.
func BenchmarkRead(b *testing.B) {
	const pods = 10000
	dir := b.TempDir()
	list := podList(pods)
	yamlFile := filepath.Join(dir, "pods.yaml")
	if err := os.WriteFile(yamlFile, []byte(list), 0o644); err != nil {
		b.Fatal(err)
	}
	jsonList, err := yaml.YAMLToJSON([]byte(list))
	if err != nil {
		b.Fatal(err)
	}
	var indented strings.Builder
	enc := json.NewEncoder(&indented)
	enc.SetIndent("", "    ")
	var v any
	if err := json.Unmarshal(jsonList, &v); err != nil {
		b.Fatal(err)
	}
	if err := enc.Encode(v); err != nil {
		b.Fatal(err)
	}
	jsonFile := filepath.Join(dir, "pods.json")
	if err := os.WriteFile(jsonFile, []byte(indented.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, file := range []string{yamlFile, jsonFile} {
		b.Run(filepath.Ext(file)[1:], func(b *testing.B) {
			benchRead(b, file, func(got *discovery.Snapshot) error {
				if len(got.Pods) != pods {
					return fmt.Errorf("read %d pods, want %d", len(got.Pods), pods)
				}
				return nil
			})
		})
	}
}

// benchRead times reading file, which check holds to what was written.
func benchRead(b *testing.B, file string, check func(*discovery.Snapshot) error) {
	info, err := os.Stat(file)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(info.Size())
	b.ReportAllocs()
	for b.Loop() {
		got, err := Read([]string{file}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := check(got); err != nil {
			b.Fatal(err)
		}
	}
}

// podList returns a v1 List of n pods in the layout of kubectl get -o yaml.
func podList(n int) string {
	var sb strings.Builder
	sb.WriteString("apiVersion: v1\nitems:\n")
	for i := range n {
		fmt.Fprintf(&sb, `- apiVersion: v1
  kind: Pod
  metadata:
    annotations:
      prometheus.io/port: "8080"
      prometheus.io/scrape: "true"
    creationTimestamp: "2024-05-01T10:00:00Z"
    generateName: web-7d4b9c8f6d-
    labels:
      app: web
      pod-template-hash: 7d4b9c8f6d
    name: web-7d4b9c8f6d-%[1]d
    namespace: ns-%[2]d
    ownerReferences:
    - apiVersion: apps/v1
      blockOwnerDeletion: true
      controller: true
      kind: ReplicaSet
      name: web-7d4b9c8f6d
      uid: 6f1e2d3c-0000-4000-8000-%012[1]d
    resourceVersion: "%[1]d"
    uid: 7f1e2d3c-0000-4000-8000-%012[1]d
  spec:
    containers:
    - image: nginx:1.25
      imagePullPolicy: IfNotPresent
      name: web
      ports:
      - containerPort: 8080
        name: http
        protocol: TCP
      - containerPort: 9090
        name: metrics
        protocol: TCP
      resources:
        limits:
          memory: 128Mi
        requests:
          cpu: 100m
          memory: 64Mi
      terminationMessagePath: /dev/termination-log
      terminationMessagePolicy: File
    dnsPolicy: ClusterFirst
    nodeName: node-%[3]d
    restartPolicy: Always
    schedulerName: default-scheduler
    serviceAccountName: default
  status:
    conditions:
    - lastProbeTime: null
      lastTransitionTime: "2024-05-01T10:00:05Z"
      status: "True"
      type: Ready
    hostIP: 10.0.%[3]d.11
    phase: Running
    podIP: 10.244.%[4]d.%[5]d
    podIPs:
    - ip: 10.244.%[4]d.%[5]d
`, i, i%50, i%20, i/250, i%250)
	}
	sb.WriteString("kind: List\nmetadata:\n  resourceVersion: \"\"\n")
	return sb.String()
}

// BenchmarkReadSnapshot reads what `sdinspect snapshot` writes for a
// generated cluster with every kind of object (the one the relabel
// benchmarks discover), as YAML and as the same List in JSON.
func BenchmarkReadSnapshot(b *testing.B) {
	snap := gencluster.Generate(1, gencluster.Size{Namespaces: 10, Nodes: 100, Apps: 40})
	dir := b.TempDir()
	yamlFile := filepath.Join(dir, "cluster.yaml")
	if err := WriteFile(yamlFile, snap); err != nil {
		b.Fatal(err)
	}
	yamlBytes, err := os.ReadFile(yamlFile)
	if err != nil {
		b.Fatal(err)
	}
	jsonBytes, err := yaml.YAMLToJSON(yamlBytes)
	if err != nil {
		b.Fatal(err)
	}
	jsonFile := filepath.Join(dir, "cluster.json")
	if err := os.WriteFile(jsonFile, jsonBytes, 0o644); err != nil {
		b.Fatal(err)
	}
	for _, file := range []string{yamlFile, jsonFile} {
		b.Run("format="+filepath.Ext(file)[1:]+"/impl=sdinspect", func(b *testing.B) {
			benchRead(b, file, func(got *discovery.Snapshot) error {
				if len(got.Pods) != len(snap.Pods) || len(got.EndpointSlices) != len(snap.EndpointSlices) {
					return fmt.Errorf("read %d pods and %d slices, want %d and %d", len(got.Pods), len(got.EndpointSlices), len(snap.Pods), len(snap.EndpointSlices))
				}
				return nil
			})
			b.ReportMetric(float64(len(snap.Pods)), "pods")
		})
	}
}
