package discovery_test

import (
	"testing"

	"github.com/prometheus/common/model"

	"github.com/sdinspect/sdinspect/discovery"
)

func TestNodeTarget(t *testing.T) {
	node := `
apiVersion: v1
kind: Node
metadata: {name: edge-1, labels: {kubernetes.io/hostname: edge-1}, annotations: {note: x}}
spec: {providerID: "aws:///eu-west-1a/i-1"}
status:
  conditions:
  - {type: Ready, status: "True"}
  - {type: example.com/Disk-Health, status: Unknown}
  addresses:
  - {type: Hostname, address: edge-1}
  - {type: ExternalIP, address: 203.0.113.1}
  - {type: InternalDNS, address: edge-1.internal}
  - {type: InternalDNS, address: edge-1.other}
  daemonEndpoints: {kubeletEndpoint: {Port: 10250}}
`
	groups := run(t, "role: node", discovery.Options{}, node)
	checkTargets(t, groups, "node/edge-1", []model.LabelSet{{
		// InternalDNS ranks above ExternalIP and Hostname; the first
		// address of each type is exposed with the type's own spelling.
		"__address__": "edge-1.internal:10250",
		"instance":    "edge-1",
		"__meta_kubernetes_node_address_Hostname":    "edge-1",
		"__meta_kubernetes_node_address_ExternalIP":  "203.0.113.1",
		"__meta_kubernetes_node_address_InternalDNS": "edge-1.internal",
	}})
	g := groupBySource(t, groups, "node/edge-1")
	want := model.LabelSet{
		"__meta_kubernetes_node_name":                                "edge-1",
		"__meta_kubernetes_node_provider_id":                         "aws:///eu-west-1a/i-1",
		"__meta_kubernetes_node_condition_ready":                     "true",
		"__meta_kubernetes_node_condition_example_com_disk_health":   "unknown",
		"__meta_kubernetes_node_label_kubernetes_io_hostname":        "edge-1",
		"__meta_kubernetes_node_labelpresent_kubernetes_io_hostname": "true",
		"__meta_kubernetes_node_annotation_note":                     "x",
		"__meta_kubernetes_node_annotationpresent_note":              "true",
	}
	if !g.Labels.Equal(want) {
		t.Errorf("group labels = %v\nwant %v", g.Labels, want)
	}
	if _, ok := g.Labels[model.LabelName("__meta_kubernetes_namespace")]; ok {
		t.Error("node groups must not carry a namespace label")
	}
}

func TestNodeRole(t *testing.T) {
	node := func(name, addresses, port string) string {
		return "apiVersion: v1\nkind: Node\nmetadata: {name: " + name + "}\n" +
			"status: {addresses: [" + addresses + "]" + port + "}\n"
	}
	tests := []struct {
		name    string
		sd      string
		objects []string
		sources []string
		labels  []labelWant
	}{
		{
			name:    "internal IP first of two, IPv6 bracketed, unset port is 0",
			sd:      "role: node",
			objects: []string{node("a", `{type: InternalIP, address: "fd00::1"}, {type: InternalIP, address: "fd00::2"}`, "")},
			sources: []string{"node/a"},
			labels: []labelWant{
				{source: "node/a", target: 0, name: "__address__", value: "[fd00::1]:0"},
				{source: "node/a", target: 0, name: "__meta_kubernetes_node_address_InternalIP", value: "fd00::1"},
				{source: "node/a", target: -1, name: "__meta_kubernetes_node_provider_id", value: ""},
			},
		},
		{
			name:    "precedence ExternalIP over ExternalDNS, LegacyHostIP and Hostname",
			sd:      "role: node",
			objects: []string{node("b", `{type: Hostname, address: b}, {type: LegacyHostIP, address: 10.9.9.9}, {type: ExternalDNS, address: b.example.com}, {type: ExternalIP, address: 203.0.113.9}`, ", daemonEndpoints: {kubeletEndpoint: {Port: 10250}}")},
			sources: []string{"node/b"},
			labels:  []labelWant{{source: "node/b", target: 0, name: "__address__", value: "203.0.113.9:10250"}},
		},
		{
			name:    "LegacyHostIP over Hostname",
			sd:      "role: node",
			objects: []string{node("c", `{type: Hostname, address: c}, {type: LegacyHostIP, address: 10.9.9.8}`, "")},
			sources: []string{"node/c"},
			labels:  []labelWant{{source: "node/c", target: 0, name: "__meta_kubernetes_node_address_LegacyHostIP", value: "10.9.9.8"}},
		},
		{
			name:    "unknown address types are not picked but labeled",
			sd:      "role: node",
			objects: []string{node("d", `{type: Custom-Type, address: x}`, ""), node("e", `{type: Custom-Type, address: "y"}, {type: Hostname, address: e}`, "")},
			sources: []string{"node/e"},
			labels: []labelWant{
				{source: "node/e", target: 0, name: "__address__", value: "e:0"},
				{source: "node/e", target: 0, name: "__meta_kubernetes_node_address_Custom_Type", value: "y"},
			},
		},
		{
			name:    "node without addresses gives no group",
			sd:      "role: node",
			objects: []string{node("f", "", "")},
			sources: []string{},
		},
		{
			name:    "namespaces do not apply to nodes",
			sd:      "{role: node, namespaces: {names: [shop]}}",
			objects: []string{node("g", `{type: InternalIP, address: 10.0.0.7}`, "")},
			sources: []string{"node/g"},
		},
		{
			name: "field selector on spec.unschedulable",
			sd:   "{role: node, selectors: [{role: node, field: spec.unschedulable=true}]}",
			objects: []string{
				node("up", `{type: InternalIP, address: 10.0.0.1}`, ""),
				"apiVersion: v1\nkind: Node\nmetadata: {name: cordoned}\nspec: {unschedulable: true}\nstatus: {addresses: [{type: InternalIP, address: 10.0.0.2}]}\n",
			},
			sources: []string{"node/cordoned"},
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
