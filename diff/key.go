package diff

import (
	"maps"
	"strings"

	"github.com/sdinspect/sdinspect/report"
)

// Discovered label names the identity of a target is read from. Several
// stand for the same thing in different roles; key takes the first present.
const (
	labelAddress   = "__address__"
	labelNamespace = "__meta_kubernetes_namespace"
	labelService   = "__meta_kubernetes_service_name"
	// Without a Service object, the Endpoints' name and the slice's
	// kubernetes.io/service-name label name the service all the same.
	labelEndpointsName    = "__meta_kubernetes_endpoints_name"
	labelSliceServiceName = "__meta_kubernetes_endpointslice_label_kubernetes_io_service_name"
	labelPod              = "__meta_kubernetes_pod_name"
	labelContainer        = "__meta_kubernetes_pod_container_name"
	labelNode             = "__meta_kubernetes_node_name"
	labelEndpointPort     = "__meta_kubernetes_endpoint_port_name"
	labelSlicePort        = "__meta_kubernetes_endpointslice_port_name"
	labelServicePort      = "__meta_kubernetes_service_port_name"
	labelContainerPort    = "__meta_kubernetes_pod_container_port_name"
	labelEndpointProto    = "__meta_kubernetes_endpoint_port_protocol"
	labelSliceProto       = "__meta_kubernetes_endpointslice_port_protocol"
	labelServiceProto     = "__meta_kubernetes_service_port_protocol"
	labelContainerProto   = "__meta_kubernetes_pod_container_port_protocol"
	labelIngress          = "__meta_kubernetes_ingress_name"
	labelIngressPath      = "__meta_kubernetes_ingress_path"
	labelIngressScheme    = "__meta_kubernetes_ingress_scheme"
)

// key identifies a discovered target by what it stands for, not by how a
// role names it, so that the endpoints and endpointslice roles over the
// same objects give each endpoint the same key.
type key struct {
	address, namespace, service, pod, container, node string
	ingress, path, scheme                             string
}

// port tells apart targets of one key, such as 53/UDP and 53/TCP of one
// pod. It only orders the pairing, never prevents it: Endpoints and
// EndpointSlices written by hand often leave the protocol out of one of
// them.
type port struct{ name, protocol string }

func keyOf(l map[string]string) key {
	k := key{
		address:   l[labelAddress],
		namespace: l[labelNamespace],
		service:   first(l, labelService, labelEndpointsName, labelSliceServiceName),
		pod:       l[labelPod],
		container: l[labelContainer],
		ingress:   l[labelIngress],
		path:      l[labelIngressPath],
		scheme:    l[labelIngressScheme],
	}
	// The node identifies a target of the node role only: an endpoint's
	// nodeName is set by some controllers in one object kind and not the
	// other (kubelet endpoints of older Prometheus Operators), and
	// attach_metadata.node may add the node's name on one side only.
	if k.namespace == "" {
		k.node = l[labelNode]
	}
	return k
}

func portOf(l map[string]string) port {
	// An endpoint's own port comes first: the endpoints role gives the
	// container port it matches the endpoint's protocol, the endpointslice
	// role the container's.
	return port{
		name:     first(l, labelEndpointPort, labelSlicePort, labelServicePort, labelContainerPort),
		protocol: first(l, labelEndpointProto, labelSliceProto, labelServiceProto, labelContainerProto),
	}
}

func first(l map[string]string, names ...string) string {
	for _, n := range names {
		if v := l[n]; v != "" {
			return v
		}
	}
	return ""
}

// object names the Kubernetes object a target stands for, as Prometheus
// names a target group's source: pod/NS/NAME, service/NS/NAME,
// ingress/NS/NAME or node/NAME; "" for a target of no object.
func (k key) object() string {
	switch {
	case k.pod != "":
		return "pod/" + k.namespace + "/" + k.pod
	case k.ingress != "":
		return "ingress/" + k.namespace + "/" + k.ingress
	case k.service != "":
		return "service/" + k.namespace + "/" + k.service
	case k.node != "":
		return "node/" + k.node
	}
	return ""
}

// scrape is what Prometheus scrapes for t: its final labels without those
// that affect nothing after relabeling (__meta_*, __tmp*), or nil when t is
// not scraped on its own (dropped, invalid, or merged into an identical
// earlier target).
func scrape(t *report.Target) map[string]string {
	if t.State != "kept" || t.DuplicateOf != nil {
		return nil
	}
	out := maps.Clone(t.Labels)
	maps.DeleteFunc(out, func(name, _ string) bool {
		return strings.HasPrefix(name, "__meta_") || strings.HasPrefix(name, "__tmp")
	})
	return out
}
