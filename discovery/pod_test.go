package discovery_test

import (
	"testing"

	"github.com/prometheus/common/model"

	"github.com/sdinspect/sdinspect/discovery"
)

const podMultiContainer = `
apiVersion: v1
kind: Pod
metadata: {name: web-0, namespace: shop, uid: u-web-0}
spec:
  nodeName: n1
  initContainers:
  - name: setup
    image: busybox
    ports: [{name: dbg, containerPort: 6060, protocol: UDP}]
  containers:
  - name: app
    image: app:1
    ports:
    - {name: http, containerPort: 8080, protocol: TCP}
    - {containerPort: 9090}
  - name: sidecar
    image: side:1
status:
  podIP: fd00::1
  hostIP: fd00::100
  phase: Running
  initContainerStatuses: [{name: setup, containerID: "cri://init", image: busybox, imageID: "", ready: false, restartCount: 0}]
  containerStatuses:
  - {name: app, containerID: "cri://app", image: "app:1", imageID: "", ready: true, restartCount: 0}
`

func TestPodTargets(t *testing.T) {
	groups := run(t, "role: pod", discovery.Options{}, podMultiContainer)
	checkSources(t, groups, []string{"pod/shop/web-0"})
	checkTargets(t, groups, "pod/shop/web-0", []model.LabelSet{
		{
			"__address__":                                   "[fd00::1]:8080",
			"__meta_kubernetes_pod_container_name":          "app",
			"__meta_kubernetes_pod_container_id":            "cri://app",
			"__meta_kubernetes_pod_container_image":         "app:1",
			"__meta_kubernetes_pod_container_port_name":     "http",
			"__meta_kubernetes_pod_container_port_number":   "8080",
			"__meta_kubernetes_pod_container_port_protocol": "TCP",
			"__meta_kubernetes_pod_container_init":          "false",
		},
		{
			// Unnamed port without protocol: the labels are there, empty.
			"__address__":                                   "[fd00::1]:9090",
			"__meta_kubernetes_pod_container_name":          "app",
			"__meta_kubernetes_pod_container_id":            "cri://app",
			"__meta_kubernetes_pod_container_image":         "app:1",
			"__meta_kubernetes_pod_container_port_name":     "",
			"__meta_kubernetes_pod_container_port_number":   "9090",
			"__meta_kubernetes_pod_container_port_protocol": "",
			"__meta_kubernetes_pod_container_init":          "false",
		},
		{
			// No ports: the raw IPv6 address, no brackets, no port labels,
			// and an empty container ID for a container without status.
			"__address__":                           "fd00::1",
			"__meta_kubernetes_pod_container_name":  "sidecar",
			"__meta_kubernetes_pod_container_id":    "",
			"__meta_kubernetes_pod_container_image": "side:1",
			"__meta_kubernetes_pod_container_init":  "false",
		},
		{
			// Init containers come last; their ID is read from
			// initContainerStatuses.
			"__address__":                                   "[fd00::1]:6060",
			"__meta_kubernetes_pod_container_name":          "setup",
			"__meta_kubernetes_pod_container_id":            "cri://init",
			"__meta_kubernetes_pod_container_image":         "busybox",
			"__meta_kubernetes_pod_container_port_name":     "dbg",
			"__meta_kubernetes_pod_container_port_number":   "6060",
			"__meta_kubernetes_pod_container_port_protocol": "UDP",
			"__meta_kubernetes_pod_container_init":          "true",
		},
	})
	g := groupBySource(t, groups, "pod/shop/web-0")
	want := model.LabelSet{
		"__meta_kubernetes_namespace":     "shop",
		"__meta_kubernetes_pod_name":      "web-0",
		"__meta_kubernetes_pod_ip":        "fd00::1",
		"__meta_kubernetes_pod_ready":     "unknown",
		"__meta_kubernetes_pod_phase":     "Running",
		"__meta_kubernetes_pod_node_name": "n1",
		"__meta_kubernetes_pod_host_ip":   "fd00::100",
		"__meta_kubernetes_pod_uid":       "u-web-0",
	}
	if !g.Labels.Equal(want) {
		t.Errorf("group labels = %v, want %v", g.Labels, want)
	}
}

func TestPodRole(t *testing.T) {
	const (
		node1  = "apiVersion: v1\nkind: Node\nmetadata: {name: n1, labels: {zone: a}}\n"
		node2  = "apiVersion: v1\nkind: Node\nmetadata: {name: n2, labels: {zone: b}}\n"
		rsWeb  = "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: web-1, namespace: ns, ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: d, controller: true}]}\nspec: {selector: {}, template: {spec: {containers: []}}}\n"
		jobBak = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: bak-1, namespace: ns, ownerReferences: [{apiVersion: batch/v1, kind: CronJob, name: bak, uid: c, controller: true}]}\nspec: {template: {spec: {containers: []}}}\n"
	)
	pod := func(name, extraMeta, spec, status string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + ", namespace: ns" + extraMeta + "}\n" +
			"spec: {containers: [{name: c, image: i, ports: [{containerPort: 80}]}]" + spec + "}\n" +
			"status: {podIP: 10.0.0.1" + status + "}\n"
	}
	tests := []struct {
		name    string
		sd      string
		objects []string
		sources []string
		labels  []labelWant
	}{
		{
			name:    "pod without IP has no group",
			sd:      "role: pod",
			objects: []string{"apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\nspec: {containers: [{name: c, image: i}]}\nstatus: {phase: Pending}\n"},
			sources: []string{},
		},
		{
			name:    "phase does not filter",
			sd:      "role: pod",
			objects: []string{pod("done", "", "", ", phase: Succeeded")},
			sources: []string{"pod/ns/done"},
			labels:  []labelWant{{source: "pod/ns/done", target: -1, name: "__meta_kubernetes_pod_phase", value: "Succeeded"}},
		},
		{
			name:    "ready condition lower-cased",
			sd:      "role: pod",
			objects: []string{pod("p", "", "", ", conditions: [{type: Ready, status: \"False\"}]")},
			sources: []string{"pod/ns/p"},
			labels:  []labelWant{{source: "pod/ns/p", target: -1, name: "__meta_kubernetes_pod_ready", value: "false"}},
		},
		{
			name:    "dual-stack pod uses status.podIP only",
			sd:      "role: pod",
			objects: []string{pod("p", "", "", ", podIPs: [{ip: 10.0.0.1}, {ip: \"fd00::1\"}]")},
			sources: []string{"pod/ns/p"},
			labels: []labelWant{
				{source: "pod/ns/p", target: -1, name: "__meta_kubernetes_pod_ip", value: "10.0.0.1"},
				{source: "pod/ns/p", target: 0, name: "__address__", value: "10.0.0.1:80"},
			},
		},
		{
			name:    "attach node adds node metadata, not provider id",
			sd:      "{role: pod, attach_metadata: {node: true}}",
			objects: []string{node1, pod("p", "", ", nodeName: n1", "")},
			sources: []string{"pod/ns/p"},
			labels: []labelWant{
				{source: "pod/ns/p", target: -1, name: "__meta_kubernetes_node_name", value: "n1"},
				{source: "pod/ns/p", target: -1, name: "__meta_kubernetes_node_label_zone", value: "a"},
				{source: "pod/ns/p", target: -1, name: "__meta_kubernetes_node_labelpresent_zone", value: "true"},
				{source: "pod/ns/p", target: -1, name: "__meta_kubernetes_node_provider_id", absent: true},
			},
		},
		{
			name:    "attach node drops pods on unknown or unselected nodes",
			sd:      "{role: pod, attach_metadata: {node: true}, selectors: [{role: node, label: zone=a}]}",
			objects: []string{node1, node2, pod("on-n1", "", ", nodeName: n1", ""), pod("on-n2", "", ", nodeName: n2", ""), pod("on-n3", "", ", nodeName: n3", ""), pod("unscheduled", "", "", "")},
			sources: []string{"pod/ns/on-n1"},
		},
		{
			name:    "node selector without attach node changes nothing",
			sd:      "{role: pod, selectors: [{role: node, label: zone=a}]}",
			objects: []string{node1, node2, pod("on-n2", "", ", nodeName: n2", "")},
			sources: []string{"pod/ns/on-n2"},
			labels:  []labelWant{{source: "pod/ns/on-n2", target: -1, name: "__meta_kubernetes_node_name", absent: true}},
		},
		{
			name:    "deployment name through the replicaset",
			sd:      "{role: pod, attach_metadata: {deployment: true}}",
			objects: []string{rsWeb, pod("web-1-x", ", ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-1, uid: r, controller: true}]", "", "")},
			sources: []string{"pod/ns/web-1-x"},
			labels: []labelWant{
				{source: "pod/ns/web-1-x", target: -1, name: "__meta_kubernetes_pod_controller_kind", value: "ReplicaSet"},
				{source: "pod/ns/web-1-x", target: -1, name: "__meta_kubernetes_pod_controller_name", value: "web-1"},
				{source: "pod/ns/web-1-x", target: -1, name: "__meta_kubernetes_pod_deployment_name", value: "web"},
			},
		},
		{
			name:    "no deployment name without attach_metadata",
			sd:      "role: pod",
			objects: []string{rsWeb, pod("web-1-x", ", ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-1, uid: r, controller: true}]", "", "")},
			sources: []string{"pod/ns/web-1-x"},
			labels:  []labelWant{{source: "pod/ns/web-1-x", target: -1, name: "__meta_kubernetes_pod_deployment_name", absent: true}},
		},
		{
			name:    "job name without lookup, cronjob through the job",
			sd:      "{role: pod, attach_metadata: {job: true, cronjob: true}}",
			objects: []string{jobBak, pod("bak-1-x", ", ownerReferences: [{apiVersion: batch/v1, kind: Job, name: bak-1, uid: j, controller: true}]", "", ""), pod("adhoc-x", ", ownerReferences: [{apiVersion: batch/v1, kind: Job, name: adhoc, uid: k, controller: true}]", "", "")},
			sources: []string{"pod/ns/adhoc-x", "pod/ns/bak-1-x"},
			labels: []labelWant{
				{source: "pod/ns/bak-1-x", target: -1, name: "__meta_kubernetes_pod_job_name", value: "bak-1"},
				{source: "pod/ns/bak-1-x", target: -1, name: "__meta_kubernetes_pod_cronjob_name", value: "bak"},
				{source: "pod/ns/adhoc-x", target: -1, name: "__meta_kubernetes_pod_job_name", value: "adhoc"},
				{source: "pod/ns/adhoc-x", target: -1, name: "__meta_kubernetes_pod_cronjob_name", absent: true},
			},
		},
		{
			name:    "owner reference without controller flag",
			sd:      "role: pod",
			objects: []string{pod("p", ", ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: cm, uid: x}]", "", "")},
			sources: []string{"pod/ns/p"},
			labels: []labelWant{
				{source: "pod/ns/p", target: -1, name: "__meta_kubernetes_pod_controller_kind", absent: true},
				{source: "pod/ns/p", target: -1, name: "__meta_kubernetes_pod_controller_name", absent: true},
			},
		},
		{
			name:    "first controller reference wins",
			sd:      "role: pod",
			objects: []string{pod("p", ", ownerReferences: [{apiVersion: v1, kind: A, name: a, uid: x, controller: false}, {apiVersion: v1, kind: B, name: b, uid: \"y\", controller: true}, {apiVersion: v1, kind: C, name: c, uid: z, controller: true}]", "", "")},
			sources: []string{"pod/ns/p"},
			labels:  []labelWant{{source: "pod/ns/p", target: -1, name: "__meta_kubernetes_pod_controller_kind", value: "B"}},
		},
		{
			name:    "attach namespace adds namespace labels",
			sd:      "{role: pod, attach_metadata: {namespace: true}}",
			objects: []string{"apiVersion: v1\nkind: Namespace\nmetadata: {name: ns, labels: {team: x}, annotations: {owner: me}}\n", pod("p", "", "", "")},
			sources: []string{"pod/ns/p"},
			labels: []labelWant{
				{source: "pod/ns/p", target: -1, name: "__meta_kubernetes_namespace_label_team", value: "x"},
				{source: "pod/ns/p", target: -1, name: "__meta_kubernetes_namespace_annotation_owner", value: "me"},
				{source: "pod/ns/p", target: -1, name: "__meta_kubernetes_namespace_name", absent: true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			groups := run(t, tt.sd, discovery.Options{}, tt.objects...)
			checkSources(t, groups, tt.sources)
			checkLabels(t, groups, tt.labels)
		})
	}
}
