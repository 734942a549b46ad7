package gencluster

import (
	"fmt"
	"net"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// genService usually gives an app a service of some type, and for services
// with a selector the Endpoints and EndpointSlices a control plane would
// write, with some parts missing or odd.
func (g *gen) genService(a *app, apps []*app) {
	if g.chance(0.15) {
		return
	}
	svc := &corev1.Service{
		ObjectMeta: g.objectMeta(a.namespace, a.name, g.labels(map[string]string{"app": a.name}), g.annotations()),
	}
	spec := &svc.Spec
	spec.Type = pick(g, corev1.ServiceTypeClusterIP, corev1.ServiceTypeClusterIP, corev1.ServiceTypeClusterIP,
		corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeExternalName, "")
	headless := spec.Type == corev1.ServiceTypeClusterIP && g.chance(0.3)
	switch {
	case spec.Type == corev1.ServiceTypeExternalName:
		spec.ExternalName = pick(g, "db.example.com", "api.partner.example")
	case headless:
		spec.ClusterIP = corev1.ClusterIPNone
		spec.Selector = map[string]string{"app": a.name}
	default:
		spec.ClusterIP = fmt.Sprintf("10.96.%d.%d", g.next()%250, g.next()%250+1)
		spec.Selector = map[string]string{"app": a.name}
	}
	if a.dualStack {
		spec.IPFamilyPolicy = ptr.To(pick(g, corev1.IPFamilyPolicyPreferDualStack, corev1.IPFamilyPolicyRequireDualStack))
		spec.IPFamilies = pick(g, []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}, []corev1.IPFamily{corev1.IPv6Protocol, corev1.IPv4Protocol})
	} else if g.chance(0.5) {
		spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicySingleStack)
		spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol}
	}
	if spec.Type == corev1.ServiceTypeLoadBalancer {
		for i := g.intn(4); i > 0; i-- {
			switch g.intn(3) {
			case 0:
				svc.Status.LoadBalancer.Ingress = append(svc.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{Hostname: "lb.example.com"})
			case 1:
				svc.Status.LoadBalancer.Ingress = append(svc.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: g.ipv6()})
			default:
				svc.Status.LoadBalancer.Ingress = append(svc.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: g.ipv4()})
			}
		}
		if g.chance(0.3) {
			spec.LoadBalancerIP = "203.0.113.7"
		}
	}
	n := g.intn(4)
	if n == 0 && g.chance(0.6) {
		n = 1
	}
	for i := 0; i < n; i++ {
		p := corev1.ServicePort{Name: pick(g, "", "http", "metrics", "grpc"), Port: pick(g, int32(80), 443, 9090, 53), Protocol: pick(g, corev1.ProtocolTCP, corev1.ProtocolTCP, corev1.ProtocolUDP, "")}
		p.TargetPort = intstr.FromInt32(p.Port)
		if len(a.ports) > 0 && g.chance(0.8) {
			cp := a.ports[g.intn(len(a.ports))]
			p.TargetPort = intstr.FromInt32(cp.ContainerPort)
			if cp.Name != "" && g.chance(0.3) {
				p.TargetPort = intstr.FromString(cp.Name)
			}
		}
		if spec.Type == corev1.ServiceTypeNodePort || spec.Type == corev1.ServiceTypeLoadBalancer {
			p.NodePort = int32(30000 + g.intn(2768))
		}
		spec.Ports = append(spec.Ports, p)
	}
	for _, cp := range a.ports {
		if cp.Name == "dns" {
			// kube-dns: one port number over UDP and TCP.
			spec.Ports = append(spec.Ports,
				corev1.ServicePort{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(53)},
				corev1.ServicePort{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(53)})
			break
		}
	}
	g.snap.Services = append(g.snap.Services, svc)
	if spec.Selector == nil {
		return
	}
	if g.chance(0.9) {
		g.genEndpoints(svc, a, apps)
	}
	if g.chance(0.9) {
		g.genSlices(svc, a)
	}
}

// targetPort resolves a service port to the number endpoints carry.
func targetPort(p corev1.ServicePort, a *app) int32 {
	if p.TargetPort.Type == intstr.Int {
		return p.TargetPort.IntVal
	}
	for _, cp := range a.ports {
		if cp.Name == p.TargetPort.StrVal {
			return cp.ContainerPort
		}
	}
	return p.Port
}

// genEndpoints writes the Endpoints object for svc: ready pods as
// addresses, others as not-ready addresses, with node names, hostnames and
// target references mostly present.
func (g *gen) genEndpoints(svc *corev1.Service, a *app, apps []*app) {
	var ports []corev1.EndpointPort
	for _, p := range svc.Spec.Ports {
		ep := corev1.EndpointPort{Name: p.Name, Port: targetPort(p, a), Protocol: p.Protocol}
		if g.chance(0.2) {
			ep.AppProtocol = ptr.To(pick(g, "http", "kubernetes.io/h2c"))
		}
		ports = append(ports, ep)
	}
	sub := corev1.EndpointSubset{Ports: ports}
	for _, p := range a.pods {
		if p.Status.PodIP == "" {
			continue
		}
		addr := g.endpointAddress(p, svc.Spec.ClusterIP == corev1.ClusterIPNone)
		if ready(p) {
			sub.Addresses = append(sub.Addresses, addr)
		} else {
			sub.NotReadyAddresses = append(sub.NotReadyAddresses, addr)
		}
	}
	if other := pickPod(g, apps, a.namespace); other != nil && g.chance(0.15) {
		// A pod in another namespace behind this service.
		sub.Addresses = append(sub.Addresses, g.endpointAddress(other, false))
	}
	if g.chance(0.1) {
		// A reference to a pod that no longer exists.
		sub.Addresses = append(sub.Addresses, corev1.EndpointAddress{IP: g.ipv4(),
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: a.namespace, Name: a.name + "-deleted"}})
	}
	eps := &corev1.Endpoints{ObjectMeta: g.objectMeta(a.namespace, svc.Name, g.labels(map[string]string{"app": a.name}), g.annotations())}
	if len(sub.Addresses)+len(sub.NotReadyAddresses) > 0 || g.chance(0.5) {
		eps.Subsets = append(eps.Subsets, sub)
	}
	if len(ports) > 1 && len(sub.Addresses) > 0 && g.chance(0.2) {
		// A second subset with a subset of the ports.
		eps.Subsets = append(eps.Subsets, corev1.EndpointSubset{Addresses: sub.Addresses[:1], Ports: ports[:1]})
	}
	g.snap.Endpoints = append(g.snap.Endpoints, eps)
}

func (g *gen) endpointAddress(p *corev1.Pod, headless bool) corev1.EndpointAddress {
	addr := corev1.EndpointAddress{IP: p.Status.PodIP}
	if p.Spec.NodeName != "" && g.chance(0.85) {
		addr.NodeName = ptr.To(p.Spec.NodeName)
	}
	if headless && g.chance(0.5) {
		addr.Hostname = p.Name
	}
	if g.chance(0.92) {
		addr.TargetRef = &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID}
	}
	return addr
}

// pickPod returns a pod with an IP from an app outside namespace, if any.
func pickPod(g *gen, apps []*app, namespace string) *corev1.Pod {
	var pods []*corev1.Pod
	for _, a := range apps {
		if a.namespace == namespace {
			continue
		}
		for _, p := range a.pods {
			if p.Status.PodIP != "" && net.ParseIP(p.Status.PodIP) != nil {
				pods = append(pods, p)
			}
		}
	}
	if len(pods) == 0 {
		return nil
	}
	return pods[g.intn(len(pods))]
}
