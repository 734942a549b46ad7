package discovery_test

import (
	"testing"

	"github.com/prometheus/common/model"

	"github.com/sdinspect/sdinspect/discovery"
)

// corednsPod declares 53 twice (UDP first) and 9153.
const corednsPod = `
apiVersion: v1
kind: Pod
metadata: {name: coredns-0, namespace: kube-system, uid: u1}
spec:
  nodeName: cp1
  containers:
  - name: coredns
    image: coredns:1.11
    ports:
    - {name: dns, containerPort: 53, protocol: UDP}
    - {name: dns-tcp, containerPort: 53, protocol: TCP}
    - {name: metrics, containerPort: 9153, protocol: TCP}
status:
  podIP: 10.244.0.2
  containerStatuses: [{name: coredns, containerID: "cri://dns", image: "coredns:1.11", imageID: "", ready: true, restartCount: 0}]
`

const kubeDNSEndpoints = `
apiVersion: v1
kind: Endpoints
metadata: {name: kube-dns, namespace: kube-system}
subsets:
- addresses: [{ip: 10.244.0.2, nodeName: cp1, targetRef: {kind: Pod, name: coredns-0, namespace: kube-system}}]
  ports:
  - {name: dns, port: 53, protocol: UDP}
  - {name: dns-tcp, port: 53, protocol: TCP}
  - {name: metrics, port: 9153, protocol: TCP}
`

func TestEndpointsKubeDNS(t *testing.T) {
	groups := run(t, "role: endpoints", discovery.Options{}, corednsPod, kubeDNSEndpoints)
	const src = "endpoints/kube-system/kube-dns"
	checkLabels(t, groups, []labelWant{
		{source: src, target: 0, name: "__meta_kubernetes_endpoint_port_name", value: "dns"},
		{source: src, target: 0, name: "__meta_kubernetes_pod_container_port_name", value: "dns"},
		{source: src, target: 0, name: "__meta_kubernetes_pod_container_port_protocol", value: "UDP"},
		// The dns-tcp endpoint port matches the first 53 entry by number
		// (name "dns"), but its protocol label is the endpoint port's.
		{source: src, target: 1, name: "__meta_kubernetes_endpoint_port_name", value: "dns-tcp"},
		{source: src, target: 1, name: "__meta_kubernetes_pod_container_port_name", value: "dns"},
		{source: src, target: 1, name: "__meta_kubernetes_pod_container_port_protocol", value: "TCP"},
		{source: src, target: 1, name: "__meta_kubernetes_pod_container_id", absent: true},
		{source: src, target: 2, name: "__meta_kubernetes_pod_container_port_name", value: "metrics"},
	})
	if n := len(groupBySource(t, groups, src).Targets); n != 3 {
		t.Errorf("got %d targets, want 3 (every container port is covered)", n)
	}
}

func TestEndpointsExtraPodPorts(t *testing.T) {
	pod := func(name, ip string) string {
		return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + ", namespace: ns}\n" +
			"spec:\n  initContainers: [{name: init, image: ii, ports: [{name: dbg, containerPort: 6060, protocol: TCP}]}]\n" +
			"  containers: [{name: app, image: ai, ports: [{name: http, containerPort: 80, protocol: TCP}, {name: metrics, containerPort: 9090, protocol: UDP}]}]\n" +
			"status: {podIP: \"" + ip + "\", containerStatuses: [{name: app, containerID: cri://x, image: ai, imageID: \"\", ready: true, restartCount: 0}]}\n"
	}
	eps := `
apiVersion: v1
kind: Endpoints
metadata: {name: svc, namespace: ns}
subsets:
- addresses:
  - {ip: 10.0.0.2, nodeName: n1, targetRef: {kind: Pod, name: b, namespace: ns}}
  - {ip: 10.0.0.1, nodeName: n1, targetRef: {kind: Pod, name: a, namespace: ns}}
  - {ip: 10.0.0.3, targetRef: {kind: Pod, name: c, namespace: ns}}
  ports: [{name: http, port: 80, protocol: TCP}]
`
	groups := run(t, "{role: endpoints, attach_metadata: {node: true}}", discovery.Options{},
		"apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n", eps, pod("a", "10.0.0.1"), pod("b", "10.0.0.2"), pod("c", ""))
	g := groupBySource(t, groups, "endpoints/ns/svc")
	var got []string
	for _, tgt := range g.Targets {
		got = append(got, string(tgt[model.AddressLabel])+" "+string(tgt["__meta_kubernetes_pod_name"]))
	}
	// Three endpoint targets in address order, then the uncovered ports of
	// a and b (c has no IP) by pod name, container order, init last.
	want := []string{
		"10.0.0.2:80 b", "10.0.0.1:80 a", "10.0.0.3:80 c",
		"10.0.0.1:9090 a", "10.0.0.1:6060 a",
		"10.0.0.2:9090 b", "10.0.0.2:6060 b",
	}
	if len(got) != len(want) {
		t.Fatalf("targets = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("target %d = %q, want %q", i, got[i], want[i])
		}
	}
	if g.Targets[0]["__meta_kubernetes_node_name"] != "n1" {
		t.Errorf("endpoint target lacks node metadata: %v", g.Targets[0])
	}
	extra := g.Targets[3]
	wantExtra := model.LabelSet{
		"__address__":                                   "10.0.0.1:9090",
		"__meta_kubernetes_pod_container_name":          "app",
		"__meta_kubernetes_pod_container_image":         "ai",
		"__meta_kubernetes_pod_container_port_name":     "metrics",
		"__meta_kubernetes_pod_container_port_number":   "9090",
		"__meta_kubernetes_pod_container_port_protocol": "UDP",
		"__meta_kubernetes_pod_container_init":          "false",
		"__meta_kubernetes_pod_name":                    "a",
		"__meta_kubernetes_pod_ip":                      "10.0.0.1",
		"__meta_kubernetes_pod_ready":                   "unknown",
		"__meta_kubernetes_pod_phase":                   "",
		"__meta_kubernetes_pod_node_name":               "",
		"__meta_kubernetes_pod_host_ip":                 "",
		"__meta_kubernetes_pod_uid":                     "",
	}
	if !extra.Equal(wantExtra) {
		t.Errorf("extra target = %v\nwant %v", extra, wantExtra)
	}
	if g.Targets[6]["__meta_kubernetes_pod_container_init"] != "true" {
		t.Errorf("init container port target: %v", g.Targets[6])
	}
}

func TestEndpointsRole(t *testing.T) {
	const twoContainers = `
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: ns}
spec:
  containers:
  - {name: first, image: f, ports: [{name: a, containerPort: 8080, protocol: TCP}]}
  - {name: second, image: s, ports: [{name: b1, containerPort: 8080, protocol: TCP}, {name: b2, containerPort: 8080, protocol: TCP}]}
status: {podIP: 10.0.0.9}
`
	crossNS := `
apiVersion: v1
kind: Endpoints
metadata: {name: e, namespace: mon}
subsets:
- addresses: [{ip: 10.0.0.9, targetRef: {kind: Pod, name: p, namespace: ns}}]
  ports: [{name: http, port: 8080, protocol: TCP}]
`
	tests := []struct {
		name    string
		sd      string
		objects []string
		sources []string
		labels  []labelWant
	}{
		{
			name: "last matching container wins, first port within it",
			sd:   "role: endpoints",
			objects: []string{twoContainers, `
apiVersion: v1
kind: Endpoints
metadata: {name: e, namespace: ns}
subsets:
- addresses: [{ip: 10.0.0.9, targetRef: {kind: Pod, name: p, namespace: ns}}]
  ports: [{name: http, port: 8080, protocol: TCP}]
`},
			sources: []string{"endpoints/ns/e"},
			labels: []labelWant{
				{source: "endpoints/ns/e", target: 0, name: "__meta_kubernetes_pod_container_name", value: "second"},
				{source: "endpoints/ns/e", target: 0, name: "__meta_kubernetes_pod_container_port_name", value: "b1"},
				{source: "endpoints/ns/e", target: 0, name: "__meta_kubernetes_pod_container_image", value: "s"},
			},
		},
		{
			name:    "cross-namespace pod resolves with all namespaces",
			sd:      "role: endpoints",
			objects: []string{twoContainers, crossNS},
			sources: []string{"endpoints/mon/e"},
			labels: []labelWant{
				{source: "endpoints/mon/e", target: -1, name: "__meta_kubernetes_namespace", value: "mon"},
				{source: "endpoints/mon/e", target: 0, name: "__meta_kubernetes_pod_name", value: "p"},
			},
		},
		{
			name:    "cross-namespace pod does not resolve with namespaces.names",
			sd:      "{role: endpoints, namespaces: {names: [mon, ns]}}",
			objects: []string{twoContainers, crossNS},
			sources: []string{"endpoints/mon/e"},
			labels: []labelWant{
				{source: "endpoints/mon/e", target: 0, name: "__meta_kubernetes_endpoint_address_target_name", value: "p"},
				{source: "endpoints/mon/e", target: 0, name: "__meta_kubernetes_pod_name", absent: true},
				{source: "endpoints/mon/e", target: 0, name: "__meta_kubernetes_pod_container_name", absent: true},
			},
		},
		{
			name: "ready then not-ready addresses, port-major",
			sd:   "role: endpoints",
			objects: []string{`
apiVersion: v1
kind: Endpoints
metadata: {name: e, namespace: ns}
subsets:
- addresses: [{ip: 10.0.0.1, hostname: h1}]
  notReadyAddresses: [{ip: "fd00::2"}]
  ports: [{name: a, port: 1, protocol: TCP}, {name: b, port: 2, protocol: UDP}]
`},
			sources: []string{"endpoints/ns/e"},
			labels: []labelWant{
				{source: "endpoints/ns/e", target: 0, name: "__address__", value: "10.0.0.1:1"},
				{source: "endpoints/ns/e", target: 0, name: "__meta_kubernetes_endpoint_hostname", value: "h1"},
				{source: "endpoints/ns/e", target: 1, name: "__address__", value: "[fd00::2]:1"},
				{source: "endpoints/ns/e", target: 1, name: "__meta_kubernetes_endpoint_ready", value: "false"},
				{source: "endpoints/ns/e", target: 1, name: "__meta_kubernetes_endpoint_hostname", absent: true},
				{source: "endpoints/ns/e", target: 1, name: "__meta_kubernetes_endpoint_node_name", absent: true},
				{source: "endpoints/ns/e", target: 2, name: "__address__", value: "10.0.0.1:2"},
				{source: "endpoints/ns/e", target: 2, name: "__meta_kubernetes_endpoint_port_protocol", value: "UDP"},
				{source: "endpoints/ns/e", target: 3, name: "__address__", value: "[fd00::2]:2"},
			},
		},
		{
			name: "node metadata from nodeName before a Node targetRef",
			sd:   "{role: endpoints, attach_metadata: {node: true}}",
			objects: []string{
				"apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n",
				"apiVersion: v1\nkind: Node\nmetadata: {name: n2}\n", `
apiVersion: v1
kind: Endpoints
metadata: {name: kubelet, namespace: kube-system}
subsets:
- addresses:
  - {ip: 10.0.0.1, nodeName: n1, targetRef: {kind: Node, name: n2}}
  - {ip: 10.0.0.2, targetRef: {kind: Node, name: n2}}
  ports: [{name: m, port: 10250, protocol: TCP}]
`},
			sources: []string{"endpoints/kube-system/kubelet"},
			labels: []labelWant{
				{source: "endpoints/kube-system/kubelet", target: 0, name: "__meta_kubernetes_node_name", value: "n1"},
				{source: "endpoints/kube-system/kubelet", target: 1, name: "__meta_kubernetes_node_name", value: "n2"},
			},
		},
		{
			name: "service selector removes service labels only",
			sd:   "{role: endpoints, selectors: [{role: service, label: scrape=yes}]}",
			objects: []string{
				"apiVersion: v1\nkind: Service\nmetadata: {name: e, namespace: ns, labels: {scrape: \"no\"}}\nspec: {ports: [{port: 1}]}\n",
				"apiVersion: v1\nkind: Endpoints\nmetadata: {name: e, namespace: ns}\nsubsets: [{addresses: [{ip: 10.0.0.1}], ports: [{port: 1}]}]\n",
			},
			sources: []string{"endpoints/ns/e"},
			labels: []labelWant{
				{source: "endpoints/ns/e", target: -1, name: "__meta_kubernetes_service_name", absent: true},
				{source: "endpoints/ns/e", target: -1, name: "__meta_kubernetes_endpoints_name", value: "e"},
			},
		},
		{
			name: "service labels without type, cluster ip or ports",
			sd:   "role: endpoints",
			objects: []string{
				"apiVersion: v1\nkind: Service\nmetadata: {name: e, namespace: ns, labels: {app: x}}\nspec: {type: ClusterIP, clusterIP: 10.96.0.1, ports: [{port: 1}]}\n",
				"apiVersion: v1\nkind: Endpoints\nmetadata: {name: e, namespace: ns}\nsubsets: [{addresses: [{ip: 10.0.0.1}], ports: [{port: 1}]}]\n",
			},
			sources: []string{"endpoints/ns/e"},
			labels: []labelWant{
				{source: "endpoints/ns/e", target: -1, name: "__meta_kubernetes_service_name", value: "e"},
				{source: "endpoints/ns/e", target: -1, name: "__meta_kubernetes_service_label_app", value: "x"},
				{source: "endpoints/ns/e", target: -1, name: "__meta_kubernetes_service_type", absent: true},
				{source: "endpoints/ns/e", target: -1, name: "__meta_kubernetes_service_cluster_ip", absent: true},
			},
		},
		{
			name: "no subsets or no ports gives no group",
			sd:   "role: endpoints",
			objects: []string{
				"apiVersion: v1\nkind: Endpoints\nmetadata: {name: empty, namespace: ns}\n",
				"apiVersion: v1\nkind: Endpoints\nmetadata: {name: portless, namespace: ns}\nsubsets: [{addresses: [{ip: 10.0.0.1}]}]\n",
			},
			sources: []string{},
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
