package discovery_test

import (
	"testing"

	"github.com/prometheus/common/model"

	"github.com/sdinspect/sdinspect/discovery"
)

func TestEndpointSliceKubeDNS(t *testing.T) {
	slice := `
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: kube-dns-1, namespace: kube-system, labels: {kubernetes.io/service-name: kube-dns}}
addressType: IPv4
endpoints:
- addresses: [10.244.0.2]
  targetRef: {kind: Pod, name: coredns-0, namespace: kube-system}
ports:
- {name: dns, port: 53, protocol: UDP}
- {name: dns-tcp, port: 53, protocol: TCP}
- {name: metrics, port: 9153, protocol: TCP}
`
	groups := run(t, "role: endpointslice", discovery.Options{}, corednsPod, slice)
	const src = "endpointslice/kube-system/kube-dns-1"
	checkLabels(t, groups, []labelWant{
		{source: src, target: 1, name: "__meta_kubernetes_endpointslice_port_name", value: "dns-tcp"},
		{source: src, target: 1, name: "__meta_kubernetes_endpointslice_port_protocol", value: "TCP"},
		{source: src, target: 1, name: "__meta_kubernetes_pod_container_port_name", value: "dns"},
		// Unlike the endpoints role: the matched container port's protocol.
		{source: src, target: 1, name: "__meta_kubernetes_pod_container_port_protocol", value: "UDP"},
		{source: src, target: 1, name: "__meta_kubernetes_pod_container_id", absent: true},
		// No service in the store: no service labels, no dual-stack skip.
		{source: src, target: -1, name: "__meta_kubernetes_service_name", absent: true},
	})
}

func TestEndpointSliceNilPort(t *testing.T) {
	objects := []string{`
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: s, namespace: ns}
addressType: IPv6
endpoints:
- addresses: ["fd00::5"]
  targetRef: {kind: Pod, name: p, namespace: ns}
ports:
- {name: all, protocol: TCP}
`, `
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: ns}
spec: {containers: [{name: c, image: i, ports: [{name: http, containerPort: 8080, protocol: TCP}]}]}
status: {podIP: "fd00::5"}
`}
	groups := run(t, "role: endpointslice", discovery.Options{}, objects...)
	g := groupBySource(t, groups, "endpointslice/ns/s")
	if len(g.Targets) != 2 {
		t.Fatalf("got %d targets, want the endpoint target and one extra port target: %v", len(g.Targets), g.Targets)
	}
	checkLabels(t, groups, []labelWant{
		{source: "endpointslice/ns/s", target: 0, name: "__address__", value: "fd00::5"},
		{source: "endpointslice/ns/s", target: 0, name: "__meta_kubernetes_endpointslice_port", absent: true},
		{source: "endpointslice/ns/s", target: 0, name: "__meta_kubernetes_endpointslice_port_name", value: "all"},
		{source: "endpointslice/ns/s", target: 0, name: "__meta_kubernetes_pod_container_name", absent: true},
		{source: "endpointslice/ns/s", target: 0, name: "__meta_kubernetes_pod_name", value: "p"},
		// A nil port covers nothing, so 8080 comes back as an extra target.
		{source: "endpointslice/ns/s", target: 1, name: "__address__", value: "[fd00::5]:8080"},
		{source: "endpointslice/ns/s", target: 1, name: "__meta_kubernetes_endpointslice_port_name", absent: true},
	})
}

func TestEndpointSliceTargetLabels(t *testing.T) {
	slice := `
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: s, namespace: ns}
addressType: IPv4
endpoints:
- addresses: [10.0.0.1, 10.0.0.2]
  conditions: {ready: false, serving: true, terminating: true}
  hostname: h
  nodeName: n1
  zone: z1
  targetRef: {kind: Node, name: n2}
  deprecatedTopology: {topology.kubernetes.io/zone: z1}
- addresses: [10.0.0.3]
ports:
- {name: http, port: 80, protocol: TCP, appProtocol: kubernetes.io/h2c}
`
	groups := run(t, "{role: endpointslice, attach_metadata: {node: true}}", discovery.Options{},
		"apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n",
		"apiVersion: v1\nkind: Node\nmetadata: {name: n2, labels: {pool: gpu}}\n", slice)
	checkTargets(t, groups, "endpointslice/ns/s", []model.LabelSet{
		{
			"__address__":                                                                           "10.0.0.1:80",
			"__meta_kubernetes_endpointslice_port":                                                  "80",
			"__meta_kubernetes_endpointslice_port_name":                                             "http",
			"__meta_kubernetes_endpointslice_port_protocol":                                         "TCP",
			"__meta_kubernetes_endpointslice_port_app_protocol":                                     "kubernetes.io/h2c",
			"__meta_kubernetes_endpointslice_endpoint_conditions_ready":                             "false",
			"__meta_kubernetes_endpointslice_endpoint_conditions_serving":                           "true",
			"__meta_kubernetes_endpointslice_endpoint_conditions_terminating":                       "true",
			"__meta_kubernetes_endpointslice_endpoint_hostname":                                     "h",
			"__meta_kubernetes_endpointslice_endpoint_node_name":                                    "n1",
			"__meta_kubernetes_endpointslice_endpoint_zone":                                         "z1",
			"__meta_kubernetes_endpointslice_address_target_kind":                                   "Node",
			"__meta_kubernetes_endpointslice_address_target_name":                                   "n2",
			"__meta_kubernetes_endpointslice_endpoint_topology_topology_kubernetes_io_zone":         "z1",
			"__meta_kubernetes_endpointslice_endpoint_topology_present_topology_kubernetes_io_zone": "true",
			// A Node targetRef beats nodeName for node metadata here.
			"__meta_kubernetes_node_name":              "n2",
			"__meta_kubernetes_node_label_pool":        "gpu",
			"__meta_kubernetes_node_labelpresent_pool": "true",
		},
		{
			"__address__":                                                                           "10.0.0.2:80",
			"__meta_kubernetes_endpointslice_port":                                                  "80",
			"__meta_kubernetes_endpointslice_port_name":                                             "http",
			"__meta_kubernetes_endpointslice_port_protocol":                                         "TCP",
			"__meta_kubernetes_endpointslice_port_app_protocol":                                     "kubernetes.io/h2c",
			"__meta_kubernetes_endpointslice_endpoint_conditions_ready":                             "false",
			"__meta_kubernetes_endpointslice_endpoint_conditions_serving":                           "true",
			"__meta_kubernetes_endpointslice_endpoint_conditions_terminating":                       "true",
			"__meta_kubernetes_endpointslice_endpoint_hostname":                                     "h",
			"__meta_kubernetes_endpointslice_endpoint_node_name":                                    "n1",
			"__meta_kubernetes_endpointslice_endpoint_zone":                                         "z1",
			"__meta_kubernetes_endpointslice_address_target_kind":                                   "Node",
			"__meta_kubernetes_endpointslice_address_target_name":                                   "n2",
			"__meta_kubernetes_endpointslice_endpoint_topology_topology_kubernetes_io_zone":         "z1",
			"__meta_kubernetes_endpointslice_endpoint_topology_present_topology_kubernetes_io_zone": "true",
			"__meta_kubernetes_node_name":                                                           "n2",
			"__meta_kubernetes_node_label_pool":                                                     "gpu",
			"__meta_kubernetes_node_labelpresent_pool":                                              "true",
		},
		{
			// Nil conditions and fields give no labels at all.
			"__address__":                                       "10.0.0.3:80",
			"__meta_kubernetes_endpointslice_port":              "80",
			"__meta_kubernetes_endpointslice_port_name":         "http",
			"__meta_kubernetes_endpointslice_port_protocol":     "TCP",
			"__meta_kubernetes_endpointslice_port_app_protocol": "kubernetes.io/h2c",
		},
	})
	checkLabels(t, groups, []labelWant{
		{source: "endpointslice/ns/s", target: -1, name: "__meta_kubernetes_endpointslice_address_type", value: "IPv4"},
		{source: "endpointslice/ns/s", target: -1, name: "__meta_kubernetes_endpointslice_name", value: "s"},
	})
}

func TestEndpointSliceDualStack(t *testing.T) {
	service := func(name, policy, families string) string {
		return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + ", namespace: ns}\n" +
			"spec: {ports: [{port: 80}]" + policy + families + "}\n"
	}
	slice := func(name, svc, family, addr string) string {
		labels := ""
		if svc != "" {
			labels = ", labels: {kubernetes.io/service-name: " + svc + "}"
		}
		return "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: " + name + ", namespace: ns" + labels + "}\n" +
			"addressType: " + family + "\nendpoints: [{addresses: [\"" + addr + "\"]}]\nports: [{port: 80}]\n"
	}
	groups := run(t, "role: endpointslice", discovery.Options{},
		service("prefer", ", ipFamilyPolicy: PreferDualStack", ", ipFamilies: [IPv6, IPv4]"),
		slice("prefer-v4", "prefer", "IPv4", "10.0.0.1"),
		slice("prefer-v6", "prefer", "IPv6", "fd00::1"),
		service("require", ", ipFamilyPolicy: RequireDualStack", ", ipFamilies: [IPv4, IPv6]"),
		slice("require-v4", "require", "IPv4", "10.0.0.2"),
		slice("require-v6", "require", "IPv6", "fd00::2"),
		service("single", ", ipFamilyPolicy: SingleStack", ", ipFamilies: [IPv6]"),
		slice("single-v4", "single", "IPv4", "10.0.0.3"),
		slice("single-v6", "single", "IPv6", "fd00::3"),
		service("nopolicy", "", ", ipFamilies: [IPv6]"),
		slice("nopolicy-v4", "nopolicy", "IPv4", "10.0.0.4"),
		slice("orphan-v4", "", "IPv4", "10.0.0.5"),
		slice("missing-svc-v4", "gone", "IPv4", "10.0.0.6"),
	)
	checkSources(t, groups, []string{
		"endpointslice/ns/missing-svc-v4",
		"endpointslice/ns/nopolicy-v4",
		"endpointslice/ns/orphan-v4",
		"endpointslice/ns/prefer-v6",
		"endpointslice/ns/require-v4",
		"endpointslice/ns/single-v4",
		"endpointslice/ns/single-v6",
	})
	checkLabels(t, groups, []labelWant{
		{source: "endpointslice/ns/prefer-v6", target: 0, name: "__address__", value: "[fd00::1]:80"},
		{source: "endpointslice/ns/prefer-v6", target: -1, name: "__meta_kubernetes_service_name", value: "prefer"},
		{source: "endpointslice/ns/orphan-v4", target: -1, name: "__meta_kubernetes_service_name", absent: true},
	})
}
