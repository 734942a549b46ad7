package gencluster

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// maxSliceEndpoints is the EndpointSlice controller's default
// --max-endpoints-per-slice.
const maxSliceEndpoints = 100

// maxEndpointsAddresses is where the Endpoints controller truncates an
// Endpoints object, marking it over capacity.
const maxEndpointsAddresses = 1000

// realNodes adds n ready nodes in three zones, with cloud-style labels and
// addresses.
func (g *gen) realNodes(n int) {
	g.nodeIPs = map[string]string{}
	for i := 0; i < n; i++ {
		zone := zoneOf(i)
		name := fmt.Sprintf("ip-10-%d-%d-%d.eu-west-1.compute.internal", i/65536%256, i/256%256, i%256)
		ip := fmt.Sprintf("10.%d.%d.%d", i/65536%256, i/256%256, i%256)
		labels := map[string]string{
			"kubernetes.io/hostname":           name,
			"kubernetes.io/os":                 "linux",
			"kubernetes.io/arch":               pick(g, "amd64", "amd64", "arm64"),
			"node.kubernetes.io/instance-type": pick(g, "m6i.2xlarge", "m7g.4xlarge", "c6i.8xlarge", "r6i.4xlarge"),
			"topology.kubernetes.io/region":    "eu-west-1",
			"topology.kubernetes.io/zone":      zone,
			"eks.amazonaws.com/nodegroup":      pick(g, "general", "compute", "memory"),
			"eks.amazonaws.com/capacityType":   pick(g, "ON_DEMAND", "ON_DEMAND", "SPOT"),
		}
		node := &corev1.Node{
			ObjectMeta: g.objectMeta("", name, labels, map[string]string{
				"node.alpha.kubernetes.io/ttl":                           "0",
				"volumes.kubernetes.io/controller-managed-attach-detach": "true",
			}),
			Spec: corev1.NodeSpec{ProviderID: fmt.Sprintf("aws:///%s/i-%s", zone, g.hex(17))},
			Status: corev1.NodeStatus{
				Addresses: []corev1.NodeAddress{
					{Type: corev1.NodeInternalIP, Address: ip},
					{Type: corev1.NodeHostName, Address: name},
					{Type: corev1.NodeInternalDNS, Address: name},
				},
				Conditions:      []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
				DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: 10250}},
			},
		}
		g.snap.Nodes = append(g.snap.Nodes, node)
		g.nodes = append(g.nodes, name)
		g.nodeIPs[name] = ip
	}
}

// realNamespaces adds n namespaces (or one per 25 services, at least 3,
// when n is 0) besides those daemon sets run in, and returns the names
// workloads go in.
func (g *gen) realNamespaces(n, services int) []string {
	if n <= 0 {
		n = max(3, services/25)
	}
	var names []string
	for i := 0; i < n; i++ {
		names = append(names, fmt.Sprintf("%s-%d", nameWords()[i%len(nameWords())], i/len(nameWords())))
	}
	all := append([]string{"kube-system", "logging", "monitoring"}, names...)
	for _, name := range all {
		g.snap.Namespaces = append(g.snap.Namespaces, &corev1.Namespace{
			ObjectMeta: g.objectMeta("", name, map[string]string{"kubernetes.io/metadata.name": name}, nil),
			Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
		})
	}
	return names
}

// realService adds the i-th service, for w, with its Endpoints and
// EndpointSlices.
func (g *gen) realService(w *workload, i int) {
	labels := map[string]string{"app": w.name, "app.kubernetes.io/name": w.name, "app.kubernetes.io/managed-by": "Helm"}
	annotations := map[string]string{"meta.helm.sh/release-name": w.name, "meta.helm.sh/release-namespace": w.namespace}
	// The chart's common labels, which ServiceMonitors select on, and its
	// scrape annotations, which the service-endpoints job reads, as on
	// the workload's pods. Copied, not drawn: the pods after this service
	// stay the same for the same seed.
	for _, k := range []string{"app.kubernetes.io/part-of", "app.kubernetes.io/instance", "env", "team", "tier"} {
		if v, ok := w.labels[k]; ok {
			labels[k] = v
		}
	}
	for _, k := range []string{"prometheus.io/scrape", "prometheus.io/port", "prometheus.io/path"} {
		if v, ok := w.annotations[k]; ok {
			annotations[k] = v
		}
	}
	svc := &corev1.Service{ObjectMeta: g.objectMeta(w.namespace, w.name, labels, annotations)}
	spec := &svc.Spec
	spec.Selector = map[string]string{"app": w.name}
	spec.Type = corev1.ServiceTypeClusterIP
	spec.ClusterIP = fmt.Sprintf("172.20.%d.%d", i/250%256, i%250+1)
	switch {
	case g.chance(0.08) || w.kind == "StatefulSet":
		spec.ClusterIP = corev1.ClusterIPNone
	case g.chance(0.04):
		spec.Type = corev1.ServiceTypeNodePort
	case g.chance(0.03):
		spec.Type = corev1.ServiceTypeLoadBalancer
		svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{Hostname: w.name + ".elb.eu-west-1.amazonaws.com"}}
	}
	spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicySingleStack)
	spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol}
	for _, p := range w.ports {
		sp := corev1.ServicePort{Name: p.name, Port: p.port, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromString(p.name)}
		if spec.Type != corev1.ServiceTypeClusterIP {
			sp.NodePort = int32(30000 + g.intn(2768))
		}
		spec.Ports = append(spec.Ports, sp)
	}
	g.snap.Services = append(g.snap.Services, svc)
	g.realEndpoints(svc, w)
	g.realSlices(svc, w)
}

// realEndpoints adds svc's Endpoints object, truncated as the control plane
// truncates it.
func (g *gen) realEndpoints(svc *corev1.Service, w *workload) {
	sub := corev1.EndpointSubset{}
	for _, p := range svc.Spec.Ports {
		sub.Ports = append(sub.Ports, corev1.EndpointPort{Name: p.Name, Port: p.Port, Protocol: p.Protocol})
	}
	n := 0
	for _, p := range w.pods {
		if p.ip == "" || n == maxEndpointsAddresses {
			continue
		}
		n++
		addr := corev1.EndpointAddress{IP: p.ip, NodeName: ptr.To(p.node),
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: w.namespace, Name: p.name, UID: p.uid}}
		if p.ready {
			sub.Addresses = append(sub.Addresses, addr)
		} else {
			sub.NotReadyAddresses = append(sub.NotReadyAddresses, addr)
		}
	}
	eps := &corev1.Endpoints{ObjectMeta: g.objectMeta(w.namespace, svc.Name, svc.Labels, nil)}
	if n > 0 {
		eps.Subsets = []corev1.EndpointSubset{sub}
	}
	if n == maxEndpointsAddresses {
		eps.Annotations = map[string]string{corev1.EndpointsOverCapacity: "truncated"}
	}
	g.snap.Endpoints = append(g.snap.Endpoints, eps)
}

// realSlices adds svc's EndpointSlices, maxSliceEndpoints endpoints each
// and at least one, labeled as the EndpointSlice controller labels them.
func (g *gen) realSlices(svc *corev1.Service, w *workload) {
	var ports []discoveryv1.EndpointPort
	for _, p := range svc.Spec.Ports {
		ports = append(ports, discoveryv1.EndpointPort{Name: ptr.To(p.Name), Port: ptr.To(p.Port), Protocol: ptr.To(p.Protocol)})
	}
	labels := map[string]string{
		discoveryv1.LabelServiceName: svc.Name,
		discoveryv1.LabelManagedBy:   "endpointslice-controller.k8s.io",
	}
	for k, v := range svc.Labels {
		labels[k] = v
	}
	var endpoints []discoveryv1.Endpoint
	for _, p := range w.pods {
		if p.ip == "" {
			continue
		}
		endpoints = append(endpoints, discoveryv1.Endpoint{
			Addresses:  []string{p.ip},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(p.ready), Serving: ptr.To(p.ready), Terminating: ptr.To(false)},
			NodeName:   ptr.To(p.node),
			Zone:       ptr.To(p.zone),
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: w.namespace, Name: p.name, UID: p.uid},
		})
	}
	for first := true; first || len(endpoints) > 0; first = false {
		chunk := endpoints[:min(len(endpoints), maxSliceEndpoints)]
		endpoints = endpoints[len(chunk):]
		g.snap.EndpointSlices = append(g.snap.EndpointSlices, &discoveryv1.EndpointSlice{
			ObjectMeta:  g.objectMeta(w.namespace, g.unique("endpointslice", w.namespace, svc.Name+"-"+g.suffix(5)), labels, nil),
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints:   chunk,
			Ports:       ports,
		})
	}
}

// zoneOf returns the zone of the i-th node: nodes are spread over three.
func zoneOf(i int) string {
	return "eu-west-1" + string(rune('a'+i%3))
}

// realIngresses puts an ingress in front of about one service in ten.
func (g *gen) realIngresses(served []*workload) {
	for _, w := range served {
		if w.kind == "DaemonSet" || !g.chance(0.1) {
			continue
		}
		host := fmt.Sprintf("%s.%s.example.com", w.name, w.namespace)
		backend := networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
			Name: w.name, Port: networkingv1.ServiceBackendPort{Name: w.ports[0].name}}}
		ing := &networkingv1.Ingress{
			ObjectMeta: g.objectMeta(w.namespace, w.name, map[string]string{"app": w.name},
				map[string]string{"cert-manager.io/cluster-issuer": "letsencrypt"}),
			Spec: networkingv1.IngressSpec{
				IngressClassName: ptr.To("nginx"),
				TLS:              []networkingv1.IngressTLS{{Hosts: []string{host}, SecretName: w.name + "-tls"}},
				Rules: []networkingv1.IngressRule{{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{
					HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{
						{Path: "/", PathType: ptr.To(networkingv1.PathTypePrefix), Backend: backend},
					}},
				}}},
			},
		}
		g.snap.Ingresses = append(g.snap.Ingresses, ing)
	}
}
