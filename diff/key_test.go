package diff

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestKeyOf(t *testing.T) {
	tests := []struct {
		name string
		a, b map[string]string
		// same says whether a and b stand for the same target, samePort
		// whether they are of the same port as far as pairing knows.
		same, samePort bool
		object         string
	}{
		{
			name: "endpoints and endpointslice of a service without Service object",
			a: map[string]string{"__address__": "10.0.0.1:80", "__meta_kubernetes_namespace": "shop",
				"__meta_kubernetes_endpoints_name": "legacy", "__meta_kubernetes_endpoint_port_name": "http"},
			b: map[string]string{"__address__": "10.0.0.1:80", "__meta_kubernetes_namespace": "shop",
				"__meta_kubernetes_endpointslice_name": "legacy-abcde", "__meta_kubernetes_endpointslice_label_kubernetes_io_service_name": "legacy",
				"__meta_kubernetes_endpointslice_port_name": "http"},
			same: true, samePort: true,
			object: "service/shop/legacy",
		},
		{
			// kube-dns: one address, 53/UDP and 53/TCP.
			name: "same address, other port",
			a: map[string]string{"__address__": "10.0.0.2:53", "__meta_kubernetes_namespace": "kube-system", "__meta_kubernetes_pod_name": "coredns-0",
				"__meta_kubernetes_endpoint_port_name": "dns", "__meta_kubernetes_endpoint_port_protocol": "UDP"},
			b: map[string]string{"__address__": "10.0.0.2:53", "__meta_kubernetes_namespace": "kube-system", "__meta_kubernetes_pod_name": "coredns-0",
				"__meta_kubernetes_endpointslice_port_name": "dns-tcp", "__meta_kubernetes_endpointslice_port_protocol": "TCP"},
			same: true, samePort: false,
			object: "pod/kube-system/coredns-0",
		},
		{
			// The endpoints role gives the matched container port the
			// endpoint's protocol, the endpointslice role the container's.
			name: "endpoint protocol wins over the container's",
			a: map[string]string{"__address__": "10.0.0.2:53", "__meta_kubernetes_pod_name": "coredns-0",
				"__meta_kubernetes_endpoint_port_protocol": "TCP", "__meta_kubernetes_pod_container_port_protocol": "TCP"},
			b: map[string]string{"__address__": "10.0.0.2:53", "__meta_kubernetes_pod_name": "coredns-0",
				"__meta_kubernetes_endpointslice_port_protocol": "TCP", "__meta_kubernetes_pod_container_port_protocol": "UDP"},
			same: true, samePort: true,
			object: "pod//coredns-0",
		},
		{
			name: "attach_metadata.node on one side only",
			a: map[string]string{"__address__": "10.0.0.3:80", "__meta_kubernetes_namespace": "shop", "__meta_kubernetes_pod_name": "web-0",
				"__meta_kubernetes_endpoint_node_name": "n1", "__meta_kubernetes_node_name": "n1"},
			b: map[string]string{"__address__": "10.0.0.3:80", "__meta_kubernetes_namespace": "shop", "__meta_kubernetes_pod_name": "web-0",
				"__meta_kubernetes_endpointslice_endpoint_node_name": "n1"},
			same: true, samePort: true,
			object: "pod/shop/web-0",
		},
		{
			name: "an endpoint's node name in one object kind only",
			a: map[string]string{"__address__": "192.168.1.5:10250", "__meta_kubernetes_namespace": "kube-system", "__meta_kubernetes_service_name": "kubelet",
				"__meta_kubernetes_endpoint_address_target_kind": "Node", "__meta_kubernetes_endpoint_address_target_name": "n1"},
			b: map[string]string{"__address__": "192.168.1.5:10250", "__meta_kubernetes_namespace": "kube-system", "__meta_kubernetes_service_name": "kubelet",
				"__meta_kubernetes_endpointslice_address_target_kind": "Node", "__meta_kubernetes_endpointslice_address_target_name": "n1",
				"__meta_kubernetes_endpointslice_endpoint_node_name": "n1"},
			same: true, samePort: true,
			object: "service/kube-system/kubelet",
		},
		{
			name: "two nodes",
			a:    map[string]string{"__address__": "10.0.0.4:10250", "__meta_kubernetes_node_name": "n1"},
			b:    map[string]string{"__address__": "10.0.0.4:10250", "__meta_kubernetes_node_name": "n2"},
			same: false, samePort: true,
			object: "node/n1",
		},
		{
			name: "ingress paths",
			a:    map[string]string{"__address__": "shop.example.com", "__meta_kubernetes_namespace": "shop", "__meta_kubernetes_ingress_name": "web", "__meta_kubernetes_ingress_path": "/"},
			b:    map[string]string{"__address__": "shop.example.com", "__meta_kubernetes_namespace": "shop", "__meta_kubernetes_ingress_name": "web", "__meta_kubernetes_ingress_path": "/api"},
			same: false, samePort: true,
			object: "ingress/shop/web",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := keyOf(tt.a), keyOf(tt.b)
			if got := a == b; got != tt.same {
				t.Errorf("keys equal = %v, want %v:\n%s", got, tt.same, cmp.Diff(a, b, cmp.AllowUnexported(key{})))
			}
			if got := portOf(tt.a) == portOf(tt.b); got != tt.samePort {
				t.Errorf("ports equal = %v, want %v: %+v, %+v", got, tt.samePort, portOf(tt.a), portOf(tt.b))
			}
			if got := a.object(); got != tt.object {
				t.Errorf("object = %q, want %q", got, tt.object)
			}
		})
	}
}
