package differential

import (
	"fmt"
	"net"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/sdinspect/sdinspect/discovery"
)

// fixes counts the changes conform made, by what was changed.
type fixes map[string]int

// String lists the counts, sorted.
func (f fixes) String() string {
	var parts []string
	for what, n := range f {
		parts = append(parts, fmt.Sprintf("%s: %d", what, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// conform changes snap in place so that the API server stores every object:
// gencluster writes some objects no API server accepts, on purpose, for
// discovery's tests without a server (which read manifests as they are),
// such as non-ASCII annotation keys, pods without containers, unnamed
// ports next to named ones, and replica sets without a pod template. Each
// object is changed as little as validation requires, so that its odd
// cases the server does accept survive; what was changed is counted.
func conform(snap *discovery.Snapshot) fixes {
	f := fixes{}
	forEachObject(snap, func(o metav1.Object) { f.metadata(o) })
	for _, p := range snap.Pods {
		f.pod(p)
	}
	ips := &allocator{used: map[string]bool{"10.96.0.1": true}, usedPorts: map[int32]bool{}}
	for _, s := range snap.Services {
		f.service(s, ips)
	}
	for _, e := range snap.Endpoints {
		f.endpoints(e)
	}
	for _, s := range snap.EndpointSlices {
		f.endpointSlice(s)
	}
	for _, rs := range snap.ReplicaSets {
		f.replicaSet(rs)
	}
	for _, j := range snap.Jobs {
		f.job(j)
	}
	for _, ing := range snap.Ingresses {
		f.ingress(ing)
	}
	return f
}

// metadata drops label and annotation keys that are not qualified names,
// and labels whose values are not label values.
func (f fixes) metadata(o metav1.Object) {
	labels := o.GetLabels()
	for k, v := range labels {
		if len(validation.IsQualifiedName(k)) > 0 || len(validation.IsValidLabelValue(v)) > 0 {
			delete(labels, k)
			f["label dropped"]++
		}
	}
	annotations := o.GetAnnotations()
	for k := range annotations {
		if len(validation.IsQualifiedName(k)) > 0 {
			delete(annotations, k)
			f["annotation dropped"]++
		}
	}
}

// pod gives a pod without containers one, unnames a container's ports
// that repeat a name, and drops ports that would take a host port twice.
func (f fixes) pod(p *corev1.Pod) {
	if len(p.Spec.Containers) == 0 {
		p.Spec.Containers = []corev1.Container{{Name: "app", Image: "busybox"}}
		f["pod container added"]++
	}
	for _, cs := range [][]corev1.Container{p.Spec.Containers, p.Spec.InitContainers} {
		for i := range cs {
			names := map[string]bool{}
			for j := range cs[i].Ports {
				port := &cs[i].Ports[j]
				if port.Name != "" && names[port.Name] {
					port.Name = ""
					f["pod port unnamed"]++
				}
				names[port.Name] = true
			}
		}
	}
	if !p.Spec.HostNetwork {
		return
	}
	// On the host network every port is a host port: no two containers
	// may take one, nor may one init container take one twice.
	hostPorts := map[string]bool{}
	for i := range p.Spec.Containers {
		p.Spec.Containers[i].Ports = f.uniqueHostPorts(p.Spec.Containers[i].Ports, hostPorts)
	}
	for i := range p.Spec.InitContainers {
		p.Spec.InitContainers[i].Ports = f.uniqueHostPorts(p.Spec.InitContainers[i].Ports, map[string]bool{})
	}
}

func (f fixes) uniqueHostPorts(ports []corev1.ContainerPort, used map[string]bool) []corev1.ContainerPort {
	var out []corev1.ContainerPort
	for _, p := range ports {
		key := fmt.Sprintf("%s/%d", protocolOf(p.Protocol), p.ContainerPort)
		if used[key] {
			f["pod host port dropped"]++
			continue
		}
		used[key] = true
		out = append(out, p)
	}
	return out
}

// protocolOf is a port's protocol as the server defaults it.
func protocolOf(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

// An allocator hands out cluster IPs and node ports not taken yet.
type allocator struct {
	used      map[string]bool
	usedPorts map[int32]bool
	next      int
}

func (a *allocator) clusterIP(ip string) string {
	for a.used[ip] {
		a.next++
		ip = fmt.Sprintf("10.100.%d.%d", a.next/250, a.next%250+1)
	}
	a.used[ip] = true
	return ip
}

func (a *allocator) nodePort(port int32) int32 {
	for a.usedPorts[port] {
		port = 30000 + (port-30000+1)%2768
	}
	a.usedPorts[port] = true
	return port
}

// service makes a service's IP families agree with its cluster IP, gives
// every service but headless and ExternalName ones a port, names and
// dedupes the ports of a service with several, moves cluster IPs and
// node ports another service has, and sets node ports the server would
// choose.
func (f fixes) service(s *corev1.Service, ips *allocator) {
	spec := &s.Spec
	if spec.Type == corev1.ServiceTypeExternalName {
		if spec.IPFamilyPolicy != nil || spec.IPFamilies != nil {
			spec.IPFamilyPolicy, spec.IPFamilies = nil, nil
			f["service IP families cleared"]++
		}
	} else if ip := net.ParseIP(spec.ClusterIP); ip != nil {
		if moved := ips.clusterIP(spec.ClusterIP); moved != spec.ClusterIP {
			spec.ClusterIP = moved
			f["service cluster IP moved"]++
		}
		family := corev1.IPv6Protocol
		if ip.To4() != nil {
			family = corev1.IPv4Protocol
		}
		if len(spec.IPFamilies) > 0 && spec.IPFamilies[0] != family {
			for i, j := 0, len(spec.IPFamilies)-1; i < j; i, j = i+1, j-1 {
				spec.IPFamilies[i], spec.IPFamilies[j] = spec.IPFamilies[j], spec.IPFamilies[i]
			}
			f["service IP families reordered"]++
		}
	}
	headless := spec.ClusterIP == corev1.ClusterIPNone
	if len(spec.Ports) == 0 && !headless && spec.Type != corev1.ServiceTypeExternalName {
		spec.Ports = []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}}
		f["service port added"]++
	}
	seen := map[string]bool{}
	var ports []corev1.ServicePort
	for _, p := range spec.Ports {
		key := fmt.Sprintf("%s/%d", protocolOf(p.Protocol), p.Port)
		if seen[key] {
			f["service port dropped"]++
			continue
		}
		seen[key] = true
		switch {
		case p.NodePort != 0:
			if moved := ips.nodePort(p.NodePort); moved != p.NodePort {
				p.NodePort = moved
				f["service node port moved"]++
			}
		case spec.Type == corev1.ServiceTypeNodePort || spec.Type == corev1.ServiceTypeLoadBalancer:
			// The server would pick one at random, which another
			// service may name while objects load concurrently.
			p.NodePort = ips.nodePort(30000)
			f["service node port set"]++
		}
		ports = append(ports, p)
	}
	spec.Ports = ports
	names := portNames(len(ports), func(i int) string { return ports[i].Name })
	for i := range ports {
		if ports[i].Name != names[i] {
			ports[i].Name = names[i]
			f["service port renamed"]++
		}
	}
}

// portNames returns names for n ports, one of which is named name(i): each
// kept if unique and the port is alone or named, else port-<i>.
func portNames(n int, name func(int) string) []string {
	out := make([]string, n)
	seen := map[string]bool{}
	for i := range out {
		out[i] = name(i)
		if (n > 1 && out[i] == "") || seen[out[i]] {
			out[i] = fmt.Sprintf("port-%d", i)
		}
		seen[out[i]] = true
	}
	return out
}

// endpoints drops subsets without addresses (which give no target) and
// names the ports of the others as service names them.
func (f fixes) endpoints(e *corev1.Endpoints) {
	var subsets []corev1.EndpointSubset
	for _, sub := range e.Subsets {
		if len(sub.Addresses)+len(sub.NotReadyAddresses) == 0 {
			f["endpoints subset without addresses dropped"]++
			continue
		}
		ports := sub.Ports
		names := portNames(len(ports), func(i int) string { return ports[i].Name })
		for i := range ports {
			if ports[i].Name != names[i] {
				ports[i].Name = names[i]
				f["endpoints port renamed"]++
			}
		}
		subsets = append(subsets, sub)
	}
	e.Subsets = subsets
}

// endpointSlice names ports that repeat a name, unsets empty protocols and
// hostnames, and drops addresses of another family than the slice's.
func (f fixes) endpointSlice(s *discoveryv1.EndpointSlice) {
	seen := map[string]bool{}
	for i := range s.Ports {
		p := &s.Ports[i]
		name := ""
		if p.Name != nil {
			name = *p.Name
		}
		if seen[name] {
			name = fmt.Sprintf("port-%d", i)
			p.Name = &name
			f["endpointslice port renamed"]++
		}
		seen[name] = true
		if p.Protocol != nil && *p.Protocol == "" {
			p.Protocol = nil
			f["endpointslice protocol unset"]++
		}
	}
	var endpoints []discoveryv1.Endpoint
	for _, e := range s.Endpoints {
		if e.Hostname != nil && *e.Hostname == "" {
			e.Hostname = nil
			f["endpointslice hostname unset"]++
		}
		var addrs []string
		for _, a := range e.Addresses {
			if ip := net.ParseIP(a); ip != nil && (ip.To4() != nil) != (s.AddressType == discoveryv1.AddressTypeIPv4) {
				f["endpointslice address dropped"]++
				continue
			}
			addrs = append(addrs, a)
		}
		if len(addrs) == 0 {
			f["endpointslice endpoint dropped"]++
			continue
		}
		e.Addresses = addrs
		endpoints = append(endpoints, e)
	}
	s.Endpoints = endpoints
}

// podTemplate is the smallest pod template a controller is valid with.
func podTemplate(labels map[string]string, restart corev1.RestartPolicy) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec: corev1.PodSpec{
			Containers:    []corev1.Container{{Name: "app", Image: "busybox"}},
			RestartPolicy: restart,
		},
	}
}

// replicaSet gives a replica set without a pod template a selector and a
// template, which discovery never reads.
func (f fixes) replicaSet(rs *appsv1.ReplicaSet) {
	if len(rs.Spec.Template.Spec.Containers) > 0 {
		return
	}
	labels := map[string]string{"app": rs.Name}
	rs.Spec.Selector = &metav1.LabelSelector{MatchLabels: labels}
	rs.Spec.Template = podTemplate(labels, corev1.RestartPolicyAlways)
	f["replicaset template added"]++
}

// job gives a job without a pod template one.
func (f fixes) job(j *batchv1.Job) {
	if len(j.Spec.Template.Spec.Containers) > 0 {
		return
	}
	j.Spec.Template = podTemplate(nil, corev1.RestartPolicyNever)
	f["job template added"]++
}

// ingress drops rules with an HTTP section without paths (which give no
// target), gives an ingress left without rules a default backend, makes
// empty paths implementation specific (the only path type they are valid
// with), and drops TLS hosts that are not (wildcard) DNS names.
func (f fixes) ingress(ing *networkingv1.Ingress) {
	spec := &ing.Spec
	var rules []networkingv1.IngressRule
	for _, r := range spec.Rules {
		if r.HTTP != nil && len(r.HTTP.Paths) == 0 {
			f["ingress rule without paths dropped"]++
			continue
		}
		rules = append(rules, r)
	}
	spec.Rules = rules
	if len(spec.Rules) == 0 && spec.DefaultBackend == nil {
		spec.DefaultBackend = &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
			Name: "default-backend", Port: networkingv1.ServiceBackendPort{Number: 80},
		}}
		f["ingress default backend added"]++
	}
	for i := range spec.Rules {
		if spec.Rules[i].HTTP == nil {
			continue
		}
		for j := range spec.Rules[i].HTTP.Paths {
			p := &spec.Rules[i].HTTP.Paths[j]
			if p.Path == "" && (p.PathType == nil || *p.PathType != networkingv1.PathTypeImplementationSpecific) {
				t := networkingv1.PathTypeImplementationSpecific
				p.PathType = &t
				f["ingress path type changed"]++
			}
		}
	}
	for i := range spec.TLS {
		var hosts []string
		for _, h := range spec.TLS[i].Hosts {
			if len(validation.IsDNS1123Subdomain(h)) > 0 && len(validation.IsWildcardDNS1123Subdomain(h)) > 0 {
				f["ingress TLS host dropped"]++
				continue
			}
			hosts = append(hosts, h)
		}
		spec.TLS[i].Hosts = hosts
	}
}
