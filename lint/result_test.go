package lint_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sdinspect/sdinspect/lint"
	"github.com/sdinspect/sdinspect/promconfig"
	"github.com/sdinspect/sdinspect/report"
)

// resultObjects is a small cluster: five pods in three namespaces, of which
// the web pods ask to be scraped and declare a sidecar without ports, two
// nodes and an ingress.
const resultObjects = `
apiVersion: v1
kind: Pod
metadata: {name: web-0, namespace: shop, labels: {app: web}, annotations: {prometheus.io/scrape: "true"}}
spec:
  nodeName: n1
  containers:
  - {name: app, image: i, ports: [{name: metrics, containerPort: 8080}]}
  - {name: sidecar, image: i}
status: {phase: Running, podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web}, annotations: {prometheus.io/scrape: "true"}}
spec:
  nodeName: n2
  containers:
  - {name: app, image: i, ports: [{name: metrics, containerPort: 8080}]}
  - {name: sidecar, image: i}
status: {phase: Running, podIP: 10.0.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: db-0, namespace: shop, labels: {app: db}}
spec:
  containers:
  - {name: db, image: i, ports: [{name: pg, containerPort: 5432}]}
status: {phase: Running, podIP: 10.0.0.3}
---
apiVersion: v1
kind: Pod
metadata: {name: prom-0, namespace: monitoring, labels: {app: prometheus}}
spec:
  containers:
  - {name: prometheus, image: i, ports: [{name: web, containerPort: 9090}]}
status: {phase: Running, podIP: 10.0.1.1}
---
apiVersion: v1
kind: Pod
metadata: {name: coredns-0, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  containers:
  - {name: coredns, image: i, ports: [{name: dns, containerPort: 53, protocol: UDP}, {name: metrics, containerPort: 9153}]}
status: {phase: Running, podIP: 10.0.2.1}
---
apiVersion: v1
kind: Node
metadata: {name: n1}
status: {addresses: [{type: InternalIP, address: 192.168.0.1}]}
---
apiVersion: v1
kind: Node
metadata: {name: n2}
status: {addresses: [{type: InternalIP, address: 192.168.0.2}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec: {rules: [{host: web.example.com}]}
`

// resultConfig has one job per finding, and jobs that must give none. The
// comments mark the lines findings point at.
const resultConfig = `
scrape_configs:
- job_name: clean # job:clean
  kubernetes_sd_configs: [{role: pod}]
  relabel_configs:
  - source_labels: [__meta_kubernetes_pod_label_app]
    action: keep
    regex: web
  - source_labels: [__meta_kubernetes_pod_container_port_name]
    action: keep
    regex: metrics
  - source_labels: [__meta_kubernetes_pod_name]
    target_label: pod

- job_name: regex # job:regex
  kubernetes_sd_configs: [{role: pod}]
  relabel_configs:
  - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
    action: keep
    regex: "true"
  - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scheme] # rule:regex/1
    regex: (https?)
    target_label: __scheme__
  - source_labels: [__meta_kubernetes_pod_phase, __meta_kubernetes_pod_ready] # rule:regex/2
    action: drop
    regex: Failed;.*
  - source_labels: [__meta_kubernetes_pod_container_port_name]
    action: keep
    regex: metrics

- job_name: keep-nothing # job:keep-nothing
  kubernetes_sd_configs: [{role: pod}]
  relabel_configs:
  - source_labels: [__meta_kubernetes_pod_label_team] # rule:keep-nothing/0
    action: keep
    regex: payments
  - source_labels: [__meta_kubernetes_pod_annotation_never_set]
    regex: (.+)
    target_label: never

- job_name: drop-all # job:drop-all
  kubernetes_sd_configs: [{role: node}]
  relabel_configs:
  - source_labels: [__meta_kubernetes_node_name] # rule:drop-all/0
    action: drop
    regex: .+

- job_name: keepequal # job:keepequal
  kubernetes_sd_configs: [{role: pod, namespaces: {names: [shop]}}]
  relabel_configs:
  - source_labels: [__meta_kubernetes_pod_container_port_number] # rule:keepequal/0
    action: keepequal
    target_label: __meta_kubernetes_pod_name

- job_name: nowhere # job:nowhere
  kubernetes_sd_configs: [{role: pod, namespaces: {names: [nowhere]}, selectors: [{role: pod, label: app=web}]}]

- job_name: static-empty # job:static-empty
  static_configs: [{targets: []}]

- job_name: consul-only
  consul_sd_configs: [{server: localhost:8500}]

- job_name: duplicates # job:duplicates
  kubernetes_sd_configs: [{role: pod, namespaces: {names: [shop]}}]
  relabel_configs:
  - source_labels: [__meta_kubernetes_pod_label_app]
    action: keep
    regex: web
  - target_label: __address__
    replacement: web.shop.svc:8080

- job_name: no-port # job:no-port
  kubernetes_sd_configs: [{role: pod, namespaces: {names: [shop]}}]
  relabel_configs:
  - source_labels: [__meta_kubernetes_pod_label_app]
    action: keep
    regex: web

- job_name: port-removed
  kubernetes_sd_configs: [{role: pod, namespaces: {names: [monitoring]}}]
  relabel_configs:
  - target_label: __address__
    replacement: prometheus.monitoring

- job_name: ingress
  kubernetes_sd_configs: [{role: ingress}]
`

func TestResultFindings(t *testing.T) {
	ev := evaluate(t, resultConfig, resultObjects)
	tests := []struct {
		job  string
		want []want
	}{
		{job: "clean"},
		{job: "regex", want: []want{
			{id: lint.RegexNeverMatches, mark: "rule:regex/1", rule: 1, severity: report.Info,
				message:    `rule 1 (replace): regex "(https?)" matched none of the 4 targets that reached it, so it changes nothing`,
				suggestion: "none of these targets has __meta_kubernetes_pod_annotation_prometheus_io_scheme: check the name",
				detail:     "__meta_kubernetes_pod_annotation_prometheus_io_scheme values:\npod/shop/web-0 #0: \"\"\npod/shop/web-0 #1: \"\"\npod/shop/web-1 #0: \"\"\n... and 1 more"},
			{id: lint.RegexNeverMatches, mark: "rule:regex/2", rule: 2, severity: report.Info,
				message: `rule 2 (drop): regex "Failed;.*" matched none of the 4 targets that reached it, so it drops nothing`,
				detail:  "[__meta_kubernetes_pod_phase, __meta_kubernetes_pod_ready] (joined with \";\") values:\npod/shop/web-0 #0: \"Running;unknown\""},
		}},
		{job: "keep-nothing", want: []want{
			{id: lint.JobKeepsNothing, mark: "job:keep-nothing", rule: -1, severity: report.Error,
				message: "job discovers 8 targets and keeps none: 8 dropped, 0 invalid",
				detail:  "rule 0 (keep) at " + ev.path + ":" + fmt.Sprint(ev.line(t, "rule:keep-nothing/0")) + " dropped 8"},
			{id: lint.KeepsNothing, mark: "rule:keep-nothing/0", rule: 0, severity: report.Error,
				message:    `rule 0 (keep) dropped all 8 targets that reached it: regex "payments" matched none of them`,
				suggestion: "none of these targets has __meta_kubernetes_pod_label_team",
				detail:     "pod/kube-system/coredns-0 #0: \"\""},
		}},
		{job: "drop-all", want: []want{
			{id: lint.JobKeepsNothing, mark: "job:drop-all", rule: -1, severity: report.Error,
				message: "job discovers 2 targets and keeps none: 2 dropped, 0 invalid"},
			{id: lint.KeepsNothing, mark: "rule:drop-all/0", rule: 0, severity: report.Error,
				message: `rule 0 (drop) dropped all 2 targets that reached it: regex ".+" matched all of them`,
				detail:  "node/n1 #0: \"n1\"\nnode/n2 #0: \"n2\""},
		}},
		{job: "keepequal", want: []want{
			{id: lint.JobKeepsNothing, mark: "job:keepequal", rule: -1, severity: report.Error,
				message: "job discovers 5 targets and keeps none: 5 dropped, 0 invalid"},
			{id: lint.KeepsNothing, mark: "rule:keepequal/0", rule: 0, severity: report.Error,
				message: "rule 0 (keepequal) dropped all 5 targets that reached it: in none of them did __meta_kubernetes_pod_container_port_number equal __meta_kubernetes_pod_name",
				detail:  "pod/shop/db-0 #0: \"5432\", __meta_kubernetes_pod_name \"db-0\""},
		}},
		{job: "nowhere", want: []want{
			{id: lint.NoTargets, mark: "job:nowhere", rule: -1, severity: report.Warning,
				message:    `job discovers no targets from kubernetes_sd_configs (role pod in namespaces nowhere, pod selector label "app=web"); it lists 0 pods`,
				suggestion: "check the namespaces, the selectors and the role"},
		}},
		{job: "static-empty", want: []want{
			{id: lint.NoTargets, mark: "job:static-empty", rule: -1, severity: report.Warning,
				message: "job discovers no targets: it has no kubernetes_sd_configs, and its static and file SD configs give no target"},
		}},
		// Consul is not run offline: no targets says nothing.
		{job: "consul-only"},
		{job: "duplicates", want: []want{
			{id: lint.DuplicateTargets, mark: "job:duplicates", rule: -1, severity: report.Warning,
				message:    "3 kept targets have the same labels as an earlier kept target: Prometheus scrapes each such label set once",
				suggestion: "pod/shop/web-0 #0 and pod/shop/web-0 #1 differ in __meta_kubernetes_pod_container_name, __meta_kubernetes_pod_container_port_name, __meta_kubernetes_pod_container_port_number, ...: copy",
				detail:     "pod/shop/web-0 #1: same as pod/shop/web-0 #0 {__address__=\"web.shop.svc:8080\""},
		}},
		{job: "no-port", want: []want{
			{id: lint.AddressNoPort, mark: "job:no-port", rule: -1, severity: report.Warning,
				message:    "2 kept targets have an __address__ without a port, so they are scraped on port 80 (http)",
				suggestion: "keep on __meta_kubernetes_pod_container_port_number (.+)",
				detail:     "pod/shop/web-0 #1: __address__=\"10.0.0.1\"\npod/shop/web-1 #1: __address__=\"10.0.0.2\""},
		}},
		// A rule chose a host without a port; discovery gave one.
		{job: "port-removed"},
		// An ingress target's address is a host by design.
		{job: "ingress"},
	}
	for _, tt := range tests {
		t.Run(tt.job, func(t *testing.T) {
			checkFindings(t, ev, ev.resultFindings(tt.job), tt.want)
		})
	}
}

// TestResultFindingsFromReports checks findings over report.Job values
// built by hand, for what the cluster above cannot show.
func TestResultFindingsFromReports(t *testing.T) {
	rules, pos := loadRules(t, "- source_labels: [__meta_kubernetes_pod_name]\n  action: drop\n  regex: gone\n")
	job, err := promconfig.ImpliedJob("hand", "pod", rules, pos)
	if err != nil {
		t.Fatal(err)
	}
	kept := func(src, discovered, final, scheme string, extra ...string) report.Target {
		d := map[string]string{"__address__": discovered, "__meta_kubernetes_pod_name": "x"}
		for i := 0; i+1 < len(extra); i += 2 {
			d[extra[i]] = extra[i+1]
		}
		return report.Target{Source: src, State: "kept", DiscoveredLabels: d,
			Labels: map[string]string{"__address__": final, "__scheme__": scheme}}
	}
	tests := []struct {
		name    string
		targets []report.Target
		partial bool
		want    []string // ID: message
		detail  string   // contained in the first finding's Detail
	}{
		{name: "addresses without port over two schemes",
			targets: []report.Target{
				kept("pod/a/1", "[fd00::1]", "[fd00::1]", "https"),
				kept("pod/a/2", "10.0.0.2", "10.0.0.2", "http"),
				kept("pod/a/3", "fd00::3", "fd00::3", "http"),
			},
			want:   []string{"SD106: 3 kept targets have an __address__ without a port, so they are scraped on port 80 (http) or 443 (https)"},
			detail: "pod/a/1 #0: __address__=\"[fd00::1]\"\npod/a/2 #0: __address__=\"10.0.0.2\"\npod/a/3 #0: __address__=\"fd00::3\""},
		{name: "one address without port",
			targets: []report.Target{kept("pod/a/1", "h", "h", "https"), kept("pod/a/2", "[fd00::2]:80", "[fd00::2]:80", "http")},
			want:    []string{"SD106: 1 kept target has an __address__ without a port, so it is scraped on port 443 (https)"}},
		{name: "ports everywhere, or set by a rule, or an ingress host",
			targets: []report.Target{
				kept("pod/a/1", "[fd00::1]:9090", "[fd00::1]:9090", "http"),
				kept("pod/a/2", "10.0.0.2", "10.0.0.2:8080", "http"),
				kept("ingress/a/web", "web.example.com", "web.example.com", "https", "__meta_kubernetes_ingress_name", "web"),
			}},
		{name: "no traces: no rule findings",
			targets: []report.Target{{Source: "pod/a/1", State: "dropped", DroppedBy: &report.Rule{Index: 0}, DiscoveredLabels: map[string]string{}}},
			want:    []string{"SD103: job discovers 1 target and keeps none: 1 dropped, 0 invalid"},
			detail:  "rule 0 (drop) at rules.yml:1 dropped 1"},
		{name: "invalid targets and a partial list",
			targets: []report.Target{
				{Source: "pod/a/1", State: "invalid", Error: "no address"},
				{Source: "pod/a/2", State: "invalid", Error: "no address"},
				{Source: "pod/a/3", State: "dropped", DroppedBy: &report.Rule{Index: 0}},
			},
			partial: true,
			want:    []string{"SD103: job discovers 3 targets and keeps none: 1 dropped, 2 invalid (objects it needs could not all be listed)"},
			detail:  "rule 0 (drop) at rules.yml:1 dropped 1\ninvalid (no address): 2"},
		{name: "partial and empty", partial: true,
			want: []string{"SD104: job discovers no targets from kubernetes_sd_configs (role pod) (objects it needs could not all be listed)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := &report.Job{Job: "hand", Partial: tt.partial, Targets: tt.targets}
			for _, tg := range tt.targets {
				res.Summary.Discovered++
				switch tg.State {
				case "kept":
					res.Summary.Kept++
				case "dropped":
					res.Summary.Dropped++
				case "invalid":
					res.Summary.Invalid++
				}
			}
			var got []string
			var first *report.Finding
			for _, f := range lint.Check([]lint.Job{{Config: job, Result: res}}) {
				if strings.HasPrefix(f.ID, "SD1") {
					got = append(got, f.ID+": "+f.Message)
					if first == nil {
						first = &f
					}
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if first != nil && !strings.Contains(first.Detail, tt.detail) {
				t.Errorf("detail %q does not contain %q", first.Detail, tt.detail)
			}
		})
	}
}

// TestExamples runs the result checks over the example config and cluster
// of the README. Every job keeps targets, none collides, every address has
// a port; what is left are rules written for objects the example cluster
// does not hold (a scheme annotation, IPv6 pods, endpoints on nodes, failed
// pods), whose regexes therefore match nothing here, and the pods job,
// which keeps 2 of 23 targets.
func TestExamples(t *testing.T) {
	ev := evaluateFiles(t, filepath.Join("..", "testdata", "examples", "prometheus.yml"), filepath.Join("..", "testdata", "examples", "cluster.yaml"))
	var got []string
	for _, f := range ev.resultFindings("") {
		got = append(got, fmt.Sprintf("%s %s:%d %s", f.ID, f.Job, f.Line, f.Message))
	}
	want := []string{
		"SD107 kubernetes-pods:50 job lists 10 pods, discovers 23 targets and keeps 2: 91% of what it discovers is dropped or invalid",
		`SD101 kubernetes-pods:58 rule 1 (drop): regex "true" matched none of the 12 targets that reached it, so it drops nothing`,
		`SD101 kubernetes-pods:69 rule 4 (replace): regex "(https?)" matched none of the 2 targets that reached it, so it changes nothing`,
		`SD101 kubernetes-pods:77 rule 6 (replace): regex "(\\d+);(([A-Fa-f0-9]{1,4}::?){1,7}[A-Fa-f0-9]{1,4})" matched none of the 2 targets that reached it, so it changes nothing`,
		`SD101 serviceMonitor/monitoring/node-exporter/0:137 rule 5 (replace): regex "Node;(.*)" matched none of the 2 targets that reached it, so it changes nothing`,
		`SD101 serviceMonitor/monitoring/node-exporter/0:155 rule 11 (drop): regex "(Failed|Succeeded)" matched none of the 2 targets that reached it, so it drops nothing`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// A rule that drops everything whatever the labels is reported once, from
// the config, not again from the targets it dropped.
func TestKeepsNothingOnce(t *testing.T) {
	ev := evaluate(t, `scrape_configs:
  - job_name: j
    kubernetes_sd_configs: [{role: pod}]
    relabel_configs:
      - action: drop
`, `apiVersion: v1
kind: Pod
metadata: {name: web-0, namespace: shop, uid: 00000000-0000-0000-0000-000000000001}
spec:
  containers: [{name: web, image: web:1}]
status: {phase: Running, podIP: 10.244.1.5}
`)
	var got []string
	for _, f := range lint.Check(ev.jobs) {
		got = append(got, f.ID+" "+f.Message)
	}
	want := []string{
		"SD103 job discovers 1 target and keeps none: 1 dropped, 0 invalid",
		"SD102 rule 0 (drop) drops every target whatever its labels: the job keeps nothing",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}
