package gencluster

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/utils/ptr"
)

// genSlices writes svc's EndpointSlices: one per address family its pods
// use (two for a dual-stack app), with the optional fields of endpoints and
// ports each sometimes nil.
func (g *gen) genSlices(svc *corev1.Service, a *app) {
	families := []discoveryv1.AddressType{discoveryv1.AddressTypeIPv4}
	if a.dualStack {
		families = append(families, discoveryv1.AddressTypeIPv6)
	} else if len(a.pods) > 0 && strings.Contains(a.pods[0].Status.PodIP, ":") {
		families = []discoveryv1.AddressType{discoveryv1.AddressTypeIPv6}
	}
	for _, family := range families {
		labels := map[string]string{"endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}
		if g.chance(0.95) {
			labels[discoveryv1.LabelServiceName] = svc.Name
		}
		s := &discoveryv1.EndpointSlice{
			ObjectMeta:  g.objectMeta(a.namespace, g.unique("endpointslice", a.namespace, svc.Name+"-"+g.suffix(5)), g.labels(labels), g.annotations()),
			AddressType: family,
		}
		for _, p := range svc.Spec.Ports {
			s.Ports = append(s.Ports, g.slicePort(p, a))
		}
		for _, p := range a.pods {
			ip := podIP(p, family)
			if ip == "" {
				continue
			}
			addrs := []string{ip}
			if g.chance(0.05) {
				// More than one address: each is a target.
				extra := g.ipv4()
				if family == discoveryv1.AddressTypeIPv6 {
					extra = g.ipv6()
				}
				addrs = append(addrs, extra)
			}
			s.Endpoints = append(s.Endpoints, g.sliceEndpoint(addrs, p))
		}
		g.snap.EndpointSlices = append(g.snap.EndpointSlices, s)
	}
}

// podIP returns p's address in family, or "".
func podIP(p *corev1.Pod, family discoveryv1.AddressType) string {
	ips := []string{p.Status.PodIP}
	for _, ip := range p.Status.PodIPs {
		ips = append(ips, ip.IP)
	}
	for _, ip := range ips {
		if ip != "" && strings.Contains(ip, ":") == (family == discoveryv1.AddressTypeIPv6) {
			return ip
		}
	}
	return ""
}

func (g *gen) slicePort(p corev1.ServicePort, a *app) discoveryv1.EndpointPort {
	var ep discoveryv1.EndpointPort
	if g.chance(0.9) {
		ep.Name = ptr.To(p.Name)
	}
	if g.chance(0.9) {
		ep.Port = ptr.To(targetPort(p, a))
	}
	if g.chance(0.85) {
		ep.Protocol = ptr.To(p.Protocol)
	}
	if g.chance(0.2) {
		ep.AppProtocol = ptr.To(pick(g, "http", "kubernetes.io/ws"))
	}
	return ep
}

// sliceEndpoint builds an endpoint for addresses, backed by pod p if not nil.
func (g *gen) sliceEndpoint(addresses []string, p *corev1.Pod) discoveryv1.Endpoint {
	e := discoveryv1.Endpoint{Addresses: addresses}
	maybeBool := func(v bool) *bool {
		if g.chance(0.15) {
			return nil
		}
		return ptr.To(v)
	}
	isReady := p != nil && ready(p)
	e.Conditions = discoveryv1.EndpointConditions{Ready: maybeBool(isReady), Serving: maybeBool(isReady), Terminating: maybeBool(g.chance(0.1))}
	if g.chance(0.2) {
		e.Hostname = ptr.To(pick(g, "host-0", ""))
	}
	if g.chance(0.3) {
		e.Zone = ptr.To(pick(g, "zone-a", "zone-b"))
	}
	if p == nil {
		return e
	}
	if p.Spec.NodeName != "" && g.chance(0.85) {
		e.NodeName = ptr.To(p.Spec.NodeName)
	}
	if g.chance(0.92) {
		e.TargetRef = &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID}
	}
	if g.chance(0.2) {
		// No key starts with "present_": Prometheus writes both
		// topology_<k> and topology_present_<k>, which would collide.
		e.DeprecatedTopology = map[string]string{"kubernetes.io/hostname": p.Spec.NodeName}
		if g.chance(0.5) {
			e.DeprecatedTopology["topology.kubernetes.io/zone"] = pick(g, "zone-a", "zone-b")
		}
	}
	return e
}

// genOddEndpoints adds, per namespace, endpoints that no controller writes
// from a selector: a selectorless service pointing outside the cluster
// (with an FQDN slice), node-backed endpoints like the kubelet's, and
// endpoints without any service.
func (g *gen) genOddEndpoints(namespace string) {
	ext := &corev1.Service{
		ObjectMeta: g.objectMeta(namespace, "external-db", g.labels(nil), nil),
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: "10.96.200.1",
			Ports: []corev1.ServicePort{{Name: "pg", Port: 5432, Protocol: corev1.ProtocolTCP}}},
	}
	g.snap.Services = append(g.snap.Services, ext)
	g.snap.Endpoints = append(g.snap.Endpoints, &corev1.Endpoints{
		ObjectMeta: g.objectMeta(namespace, "external-db", nil, nil),
		Subsets: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{{IP: "192.0.2.10"}, {IP: "2001:db8::10"}},
			Ports:     []corev1.EndpointPort{{Name: "pg", Port: 5432, Protocol: corev1.ProtocolTCP}},
		}},
	})
	fqdn := &discoveryv1.EndpointSlice{
		ObjectMeta:  g.objectMeta(namespace, "external-db-fqdn", map[string]string{discoveryv1.LabelServiceName: "external-db"}, nil),
		AddressType: discoveryv1.AddressTypeFQDN,
		Endpoints:   []discoveryv1.Endpoint{g.sliceEndpoint([]string{"db.example.com"}, nil)},
		Ports:       []discoveryv1.EndpointPort{{Port: pick(g, ptr.To(int32(5432)), nil), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}
	g.snap.EndpointSlices = append(g.snap.EndpointSlices, fqdn)

	if g.chance(0.6) && len(g.snap.Nodes) > 0 {
		// Kubelet-style endpoints: addresses are nodes, not pods.
		var addrs []corev1.EndpointAddress
		var eps []discoveryv1.Endpoint
		for _, n := range g.nodes {
			ip := g.nodeIPs[n]
			addrs = append(addrs, corev1.EndpointAddress{IP: ip, TargetRef: &corev1.ObjectReference{Kind: "Node", Name: n}})
			e := g.sliceEndpoint([]string{ip}, nil)
			e.TargetRef = &corev1.ObjectReference{Kind: "Node", Name: n}
			if g.chance(0.5) {
				e.NodeName = ptr.To(g.nodes[0])
			}
			eps = append(eps, e)
		}
		ports := []corev1.EndpointPort{{Name: "https-metrics", Port: 10250, Protocol: corev1.ProtocolTCP}}
		g.snap.Endpoints = append(g.snap.Endpoints, &corev1.Endpoints{
			ObjectMeta: g.objectMeta(namespace, "kubelet", map[string]string{"k8s-app": "kubelet"}, nil),
			Subsets:    []corev1.EndpointSubset{{Addresses: addrs, Ports: ports}},
		})
		g.snap.EndpointSlices = append(g.snap.EndpointSlices, &discoveryv1.EndpointSlice{
			ObjectMeta:  g.objectMeta(namespace, g.unique("endpointslice", namespace, "kubelet-"+g.suffix(5)), map[string]string{discoveryv1.LabelServiceName: "kubelet"}, nil),
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints:   eps,
			Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("https-metrics"), Port: ptr.To(int32(10250)), Protocol: ptr.To(corev1.ProtocolTCP)}},
		})
	}

	// Without a service, and without ports or endpoints: empty groups.
	g.snap.Endpoints = append(g.snap.Endpoints, &corev1.Endpoints{
		ObjectMeta: g.objectMeta(namespace, "orphan", g.labels(nil), nil),
		Subsets:    []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: g.ipv4()}}}},
	})
	g.snap.EndpointSlices = append(g.snap.EndpointSlices, &discoveryv1.EndpointSlice{
		ObjectMeta:  g.objectMeta(namespace, g.unique("endpointslice", namespace, "orphan-"+g.suffix(5)), map[string]string{discoveryv1.LabelServiceName: "gone"}, nil),
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{g.sliceEndpoint([]string{g.ipv4()}, nil)},
		Ports:       []discoveryv1.EndpointPort{{Port: ptr.To(int32(8080))}},
	})
}
