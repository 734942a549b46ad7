package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sdinspect/sdinspect/report"
)

// runDiff runs sdinspect diff -o json with args and decodes its report.
func runDiff(t *testing.T, args ...string) *report.DiffReport {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args = append([]string{"diff", "-o", "json"}, args...)
	if code := run(context.Background(), args, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var r report.DiffReport
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("decoding the report: %v", err)
	}
	return &r
}

// targetList renders every difference of r as one line.
func targetList(r *report.DiffReport) []string {
	var out []string
	for _, j := range r.Jobs {
		for _, d := range j.Added {
			out = append(out, fmt.Sprintf("%s: added %s (base %s)", j.Job, d.Name(), d.Base.Why()))
		}
		for _, d := range j.Removed {
			out = append(out, fmt.Sprintf("%s: removed %s (head %s)", j.Job, d.Name(), d.Head.Why()))
		}
		for _, d := range j.Relabelled {
			var cs []string
			for _, c := range d.Changes {
				cs = append(cs, fmt.Sprintf("%s %q->%q", c.Label, c.Before, c.After))
			}
			out = append(out, fmt.Sprintf("%s: relabelled %s: %s", j.Job, d.Name(), strings.Join(cs, ", ")))
		}
	}
	return out
}

// lineOf returns the 1-based line of path that contains s.
func lineOf(t *testing.T, path, s string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.Contains(sc.Text(), s) {
			return n
		}
	}
	t.Fatalf("%s has no line with %q", path, s)
	return 0
}

// TestDiffMigration holds the migration example to what its objects and
// rules make of it, worked out by hand (see the comments in
// testdata/examples/migration): of the four targets base scrapes and the
// db target both drop,
//   - web-0 and api-0:8080 are scraped alike;
//   - web-1 is not ready: base scrapes it, head's new rule 1 drops it as
//     not serving;
//   - web-2 is terminating: only its EndpointSlice lists it, and it still
//     serves, so head adds it;
//   - api-0:9090 is the pod port no endpoint covers: no endpoint node name,
//     so only head, which takes node from the pod, labels it.
func TestDiffMigration(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "examples", "migration")
	base, head := filepath.Join(dir, "base.yml"), filepath.Join(dir, "head.yml")
	r := runDiff(t, "--base", base, "--head", head, "--from", filepath.Join(dir, "cluster.yaml"))

	dropLine := lineOf(t, head, "__meta_kubernetes_endpointslice_endpoint_conditions_serving")
	want := []string{
		"kubernetes-service-endpoints: added 10.244.1.12:8080 pod/shop/web-2 (base not discovered)",
		fmt.Sprintf("kubernetes-service-endpoints: removed 10.244.2.11:8080 pod/shop/web-1 (head dropped by rule 1 (drop, %s:%d))", head, dropLine),
		`kubernetes-service-endpoints: relabelled 10.244.2.20:9090 pod/shop/api-0: node ""->"worker-2"`,
	}
	if d := cmp.Diff(want, targetList(r)); d != "" {
		t.Errorf("differences (-want +got):\n%s", d)
	}
	wantSummary := report.DiffSummary{JobsChanged: 1, TargetsAdded: 1, TargetsRemoved: 1, TargetsRelabelled: 1, Unchanged: 2}
	if d := cmp.Diff(wantSummary, r.Summary); d != "" {
		t.Errorf("summary (-want +got):\n%s", d)
	}
	if len(r.Jobs) != 1 {
		t.Fatalf("%d jobs, want 1", len(r.Jobs))
	}
	j := r.Jobs[0]
	if got := [2][]string{j.Base.Roles, j.Head.Roles}; !cmp.Equal(got, [2][]string{{"endpoints"}, {"endpointslice"}}) {
		t.Errorf("roles = %v, want endpoints in base, endpointslice in head", got)
	}
	// The added and the removed target are scraped with every label the
	// rules give a pod-backed endpoint.
	for _, tt := range []struct {
		name string
		got  map[string]string
		pod  string
		node string
		addr string
	}{
		{"added", j.Added[0].Head.Labels, "web-2", "worker-1", "10.244.1.12:8080"},
		{"removed", j.Removed[0].Base.Labels, "web-1", "worker-2", "10.244.2.11:8080"},
	} {
		want := map[string]string{
			"__address__": tt.addr, "__scheme__": "http", "__metrics_path__": "/metrics",
			"__scrape_interval__": "30s", "__scrape_timeout__": "10s",
			"__scrape_native_histograms__": "false", "__always_scrape_classic_histograms__": "false",
			"__convert_classic_histograms_to_nhcb__": "false",
			"instance":                               tt.addr, "job": "kubernetes-service-endpoints", "app_kubernetes_io_name": "web",
			"namespace": "shop", "service": "web", "pod": tt.pod, "container": "web", "endpoint": "metrics", "node": tt.node,
		}
		if d := cmp.Diff(want, tt.got); d != "" {
			t.Errorf("%s target's labels (-want +got):\n%s", tt.name, d)
		}
	}
}

// sameRules reads, for either role, the same things under either name, so
// that a target scraped by both roles gets the same labels: the endpoint's
// port name comes from whichever of the two labels is set.
const sameRules = `
    relabel_configs:
      - {source_labels: [__meta_kubernetes_namespace], target_label: namespace}
      - {source_labels: [__meta_kubernetes_service_name], target_label: service}
      - {source_labels: [__meta_kubernetes_pod_name], target_label: pod}
      - {source_labels: [__meta_kubernetes_pod_container_name], target_label: container}
      - {source_labels: [__meta_kubernetes_pod_container_port_number], target_label: container_port}
      - source_labels: [__meta_kubernetes_endpoint_port_name, __meta_kubernetes_endpointslice_port_name]
        separator: ""
        target_label: port
      - {source_labels: [__meta_kubernetes_pod_container_port_protocol], target_label: container_protocol}
`

// kubeDNS returns the objects of a CoreDNS service with two pods: one address
// serves 53/UDP, 53/TCP and 9153, and the Endpoints list the targets
// port by port while the slice lists them endpoint by endpoint.
func kubeDNS() string {
	return `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: kube-dns, namespace: kube-system}
  spec:
    clusterIP: 10.96.0.10
    selector: {k8s-app: kube-dns}
    ports:
    - {name: dns, port: 53, protocol: UDP, targetPort: 53}
    - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
    - {name: metrics, port: 9153, protocol: TCP, targetPort: 9153}
` + coreDNSPod("a", "10.244.0.2") + coreDNSPod("b", "10.244.0.3") + `- apiVersion: v1
  kind: Endpoints
  metadata: {name: kube-dns, namespace: kube-system}
  subsets:
  - addresses:
    - {ip: 10.244.0.2, nodeName: cp-1, targetRef: {kind: Pod, namespace: kube-system, name: coredns-a}}
    - {ip: 10.244.0.3, nodeName: cp-1, targetRef: {kind: Pod, namespace: kube-system, name: coredns-b}}
    ports:
    - {name: dns, port: 53, protocol: UDP}
    - {name: dns-tcp, port: 53, protocol: TCP}
    - {name: metrics, port: 9153, protocol: TCP}
- apiVersion: discovery.k8s.io/v1
  kind: EndpointSlice
  metadata: {name: kube-dns-5xq7c, namespace: kube-system, labels: {kubernetes.io/service-name: kube-dns}}
  addressType: IPv4
  endpoints:
  - {addresses: [10.244.0.2], conditions: {ready: true, serving: true, terminating: false}, nodeName: cp-1, targetRef: {kind: Pod, namespace: kube-system, name: coredns-a}}
  - {addresses: [10.244.0.3], conditions: {ready: true, serving: true, terminating: false}, nodeName: cp-1, targetRef: {kind: Pod, namespace: kube-system, name: coredns-b}}
  ports:
  - {name: dns, port: 53, protocol: UDP}
  - {name: dns-tcp, port: 53, protocol: TCP}
  - {name: metrics, port: 9153, protocol: TCP}
`
}

func coreDNSPod(suffix, ip string) string {
	return `- apiVersion: v1
  kind: Pod
  metadata: {name: coredns-` + suffix + `, namespace: kube-system, labels: {k8s-app: kube-dns}}
  spec:
    nodeName: cp-1
    containers:
    - name: coredns
      image: registry.k8s.io/coredns/coredns:v1.12.4
      ports:
      - {name: dns, containerPort: 53, protocol: UDP}
      - {name: dns-tcp, containerPort: 53, protocol: TCP}
      - {name: metrics, containerPort: 9153, protocol: TCP}
  status:
    phase: Running
    podIP: ` + ip + `
    conditions: [{type: Ready, status: "True"}]
`
}

// TestDiffRolesPair checks that the endpoints and endpointslice roles of
// the same Services over the same objects pair every target 1:1: with rules
// that read the same things under either role's names, what differs is
// only what the roles themselves do differently.
func TestDiffRolesPair(t *testing.T) {
	migration, err := os.ReadFile(filepath.Join("..", "..", "testdata", "examples", "migration", "cluster.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		objects string
		want    []string
		// unchanged counts the targets scraped alike.
		unchanged int
	}{
		{
			// web-0, web-1 (not ready: listed by both), api-0:8080,
			// api-0:9090 (no endpoint covers it: both add it), db-0.
			name:      "migration example",
			objects:   string(migration),
			want:      []string{"pods: added 10.244.1.12:8080 pod/shop/web-2 (base not discovered)"},
			unchanged: 5,
		},
		{
			// For the container port matching an endpoint port, the
			// endpoints role takes the protocol from the endpoint port
			// (TCP), the endpointslice role from the first container port
			// of that number (53/UDP).
			name:    "kube-dns",
			objects: kubeDNS(),
			want: []string{
				`pods: relabelled 10.244.0.2:53 pod/kube-system/coredns-a: container_protocol "TCP"->"UDP"`,
				`pods: relabelled 10.244.0.3:53 pod/kube-system/coredns-b: container_protocol "TCP"->"UDP"`,
			},
			unchanged: 4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{
				"objects.yaml": tt.objects,
				"base.yml":     "scrape_configs:\n  - job_name: pods\n    kubernetes_sd_configs: [{role: endpoints}]" + sameRules,
				"head.yml":     "scrape_configs:\n  - job_name: pods\n    kubernetes_sd_configs: [{role: endpointslice}]" + sameRules,
			}
			for name, data := range files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r := runDiff(t, "--base", filepath.Join(dir, "base.yml"), "--head", filepath.Join(dir, "head.yml"), "--from", filepath.Join(dir, "objects.yaml"))
			if d := cmp.Diff(tt.want, targetList(r)); d != "" {
				t.Errorf("differences (-want +got):\n%s", d)
			}
			if r.Summary.Unchanged != tt.unchanged {
				t.Errorf("%d targets unchanged, want %d", r.Summary.Unchanged, tt.unchanged)
			}
		})
	}
}

func TestDiffExitCodes(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "examples", "migration")
	base, head, objs := filepath.Join(dir, "base.yml"), filepath.Join(dir, "head.yml"), filepath.Join(dir, "cluster.yaml")
	tests := []struct {
		name string
		args []string
		code int
		// stderr is the error line, without "sdinspect: ".
		stderr string
	}{
		{name: "no differences with --exit-code", args: []string{"--base", head, "--head", head, "--from", objs, "--exit-code"}, code: exitOK},
		{name: "differences without --exit-code", args: []string{"--base", base, "--head", head, "--from", objs}, code: exitOK},
		{name: "differences with --exit-code", args: []string{"--base", base, "--head", head, "--from", objs, "--exit-code"}, code: exitFindings,
			stderr: fmt.Sprintf("%s and %s differ: 1 target added, 1 target removed, 1 target relabelled", base, head)},
		{name: "no --head", args: []string{"--base", base, "--from", objs}, code: exitUsage, stderr: "--base and --head are required"},
		{name: "no --config flag", args: []string{"--config", base, "--head", head}, code: exitUsage, stderr: "unknown flag: --config"},
		{name: "files and a server", args: []string{"--base", base, "--head", head, "--from", objs, "--server", "https://127.0.0.1:1"}, code: exitUsage,
			stderr: "--from and connection flags (--server, --kubeconfig, ...) cannot be used together: read files or a live API server"},
		{name: "two renames to one job", args: []string{"--base", base, "--head", head, "--rename", "a=c", "--rename", "b=c"}, code: exitUsage,
			stderr: `--rename "b=c": two jobs are renamed to "c"`},
		{name: "unknown job", args: []string{"--base", base, "--head", head, "--from", objs, "--job", "nope"}, code: exitFailed,
			stderr: fmt.Sprintf(`job "nope" not found in %s or %s`, base, head)},
		{name: "rename of a job base lacks", args: []string{"--base", base, "--head", head, "--from", objs, "--rename", "nope=kubernetes-service-endpoints"}, code: exitFailed,
			stderr: fmt.Sprintf(`--rename nope=kubernetes-service-endpoints: job "nope" not found in %s; its jobs are "kubernetes-service-endpoints"`, base)},
		{name: "a missing config", args: []string{"--base", filepath.Join(dir, "missing.yml"), "--head", head, "--from", objs}, code: exitFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"diff"}, tt.args...), &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr.String())
			}
			if tt.stderr != "" && stderr.String() != "sdinspect: "+tt.stderr+"\n" {
				t.Errorf("stderr = %q, want %q", stderr.String(), "sdinspect: "+tt.stderr+"\n")
			}
			if printed := stdout.Len() > 0; printed != (code == exitOK || code == exitFindings) {
				t.Errorf("exit %d with %d bytes on stdout", code, stdout.Len())
			}
		})
	}
}

// TestDiffRenameChain checks that --job picks the partners of partners:
// with base a renamed to head b and base c to head a, --job b compares
// head b with base a, and so head a with base c. Map order once decided
// whether c was picked, so the run is repeated.
func TestDiffRenameChain(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"base.yml": "scrape_configs:\n  - {job_name: a, static_configs: [{targets: [\"a:1\"]}]}\n  - {job_name: c, static_configs: [{targets: [\"c:1\"]}]}\n",
		"head.yml": "scrape_configs:\n  - {job_name: a, static_configs: [{targets: [\"c:1\"]}]}\n  - {job_name: b, static_configs: [{targets: [\"a:1\"]}]}\n",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{`a: relabelled c:1: job "c"->"a"`, `b: relabelled a:1: job "a"->"b"`}
	for range 50 {
		r := runDiff(t, "--base", filepath.Join(dir, "base.yml"), "--head", filepath.Join(dir, "head.yml"),
			"--rename", "a=b", "--rename", "c=a", "--job", "b")
		if d := cmp.Diff(want, targetList(r)); d != "" {
			t.Fatalf("differences (-want +got):\n%s", d)
		}
	}
}
