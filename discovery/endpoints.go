package discovery

import (
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"

	"github.com/prometheus/prometheus/model/labels"
)

// Endpoints labels, as discovery/kubernetes/endpoints.go names them. The
// object labels use the plural role name (__meta_kubernetes_endpoints_name),
// the per-address labels the singular one.
const (
	endpointNodeName               = metaLabelPrefix + "endpoint_node_name"
	endpointHostname               = metaLabelPrefix + "endpoint_hostname"
	endpointReadyLabel             = metaLabelPrefix + "endpoint_ready"
	endpointPortNameLabel          = metaLabelPrefix + "endpoint_port_name"
	endpointPortProtocolLabel      = metaLabelPrefix + "endpoint_port_protocol"
	endpointAddressTargetKindLabel = metaLabelPrefix + "endpoint_address_target_kind"
	endpointAddressTargetNameLabel = metaLabelPrefix + "endpoint_address_target_name"
)

func endpointsSource(eps *corev1.Endpoints) string {
	return "endpoints/" + eps.Namespace + "/" + eps.Name
}

// buildEndpoints mirrors (*Endpoints).buildEndpoints: per subset, port-major,
// a target for every ready then every not-ready address, followed by one
// target for each container port of a referenced pod that no endpoint port
// covered.
func (b *builder) buildEndpoints(eps *corev1.Endpoints) *Group {
	tg := &Group{Source: endpointsSource(eps)}
	ls := b.set()
	ls.set(namespaceLabel, model.LabelValue(eps.Namespace))
	if svc, ok := b.st.services[eps.Namespace+"/"+eps.Name]; ok {
		b.addServiceLabels(ls, svc)
	}
	b.lab.addObjectMetaLabels(ls, &eps.ObjectMeta, resourceEndpoints)
	if b.attach.Namespace {
		b.addNamespaceLabels(ls, eps.Namespace)
	}
	tg.Labels = ls.done()

	seen := newSeenPods()
	add := func(addr *corev1.EndpointAddress, port *corev1.EndpointPort, ready model.LabelValue) {
		pod := b.resolvePodRef(eps.Namespace, addr.TargetRef)
		target := b.set()
		// In the order of the names, for target.done.
		target.set(model.AddressLabel, model.LabelValue(net.JoinHostPort(addr.IP, strconv.FormatUint(uint64(port.Port), 10))))
		if addr.TargetRef != nil {
			target.set(endpointAddressTargetKindLabel, model.LabelValue(addr.TargetRef.Kind))
			target.set(endpointAddressTargetNameLabel, model.LabelValue(addr.TargetRef.Name))
		}
		if addr.Hostname != "" {
			target.set(endpointHostname, model.LabelValue(addr.Hostname))
		}
		if addr.NodeName != nil {
			target.set(endpointNodeName, model.LabelValue(*addr.NodeName))
		}
		target.set(endpointPortNameLabel, model.LabelValue(port.Name))
		target.set(endpointPortProtocolLabel, model.LabelValue(port.Protocol))
		target.set(endpointReadyLabel, ready)
		if b.attach.Node {
			if addr.NodeName != nil {
				b.addNodeLabels(target, addr.NodeName)
			} else if addr.TargetRef != nil && addr.TargetRef.Kind == "Node" {
				b.addNodeLabels(target, &addr.TargetRef.Name)
			}
		}

		if pod == nil {
			tg.Targets = append(tg.Targets, target.done())
			return
		}
		seen.add(pod, &port.Port)
		target.merge(b.podLabels(pod))
		// Endpoints carry the endpoint port's protocol into the container
		// port protocol label, unlike EndpointSlices.
		addContainerPortLabels(target, pod, port.Port, &port.Protocol)
		tg.Targets = append(tg.Targets, target.done())
	}

	for i := range eps.Subsets {
		ss := &eps.Subsets[i]
		for j := range ss.Ports {
			port := &ss.Ports[j]
			for k := range ss.Addresses {
				add(&ss.Addresses[k], port, "true")
			}
			for k := range ss.NotReadyAddresses {
				add(&ss.NotReadyAddresses[k], port, "false")
			}
		}
	}
	tg.Targets = b.appendUncoveredPodPorts(tg.Targets, seen)
	return tg
}

// resolvePodRef returns the pod a target reference of kind Pod points at, if
// the pod store of the discoverer handling namespace from holds it.
func (b *builder) resolvePodRef(from string, ref *corev1.ObjectReference) *corev1.Pod {
	if ref == nil || ref.Kind != "Pod" || !b.st.scope.sees(from, ref.Namespace) {
		return nil
	}
	return b.st.pods[ref.Namespace+"/"+ref.Name]
}

// addContainerPortLabels sets the container labels of the container port
// matching port by number, protocol ignored. Within a container the first
// matching port wins; across containers (init containers last) the last
// matching container overwrites the earlier ones, because Prometheus only
// breaks out of the inner loop. protocol, when non-nil, replaces the
// container port's protocol.
func addContainerPortLabels(target labelSet, pod *corev1.Pod, port int32, protocol *corev1.Protocol) {
	for i, c := range podContainers(pod) {
		for _, cport := range c.Ports {
			if cport.ContainerPort != port {
				continue
			}
			proto := cport.Protocol
			if protocol != nil {
				proto = *protocol
			}
			target.set(podContainerImageLabel, model.LabelValue(c.Image))
			target.set(podContainerIsInit, model.LabelValue(strconv.FormatBool(i >= len(pod.Spec.Containers))))
			target.set(podContainerNameLabel, model.LabelValue(c.Name))
			target.set(podContainerPortNameLabel, model.LabelValue(cport.Name))
			target.set(podContainerPortNumberLabel, model.LabelValue(strconv.FormatUint(uint64(port), 10)))
			target.set(podContainerPortProtocolLabel, model.LabelValue(proto))
			break
		}
	}
}

// seenPods records the pods endpoint targets resolved to and the port
// numbers those targets covered.
type seenPods struct {
	byKey map[string]*seenPod
}

type seenPod struct {
	key     string
	pod     *corev1.Pod
	covered []int32
}

func newSeenPods() *seenPods {
	return &seenPods{byKey: make(map[string]*seenPod)}
}

// add records pod, and port as covered unless it is nil (an EndpointSlice
// port without number covers nothing).
func (s *seenPods) add(pod *corev1.Pod, port *int32) {
	key := pod.Namespace + "/" + pod.Name
	sp, ok := s.byKey[key]
	if !ok {
		sp = &seenPod{key: key, pod: pod}
		s.byKey[key] = sp
	}
	if port != nil {
		sp.covered = append(sp.covered, *port)
	}
}

// appendUncoveredPodPorts appends a target for every container port of a
// seen pod with an IP that no endpoint port covered. These targets carry
// the pod and container labels only: no endpoint, node or container ID
// labels, and the container port's own protocol.
//
// Prometheus walks the seen pods in Go map order; we walk them by
// namespace/name so the output is stable. Within a pod the order is
// container then port order, as in Prometheus.
func (b *builder) appendUncoveredPodPorts(targets [][]labels.Label, s *seenPods) [][]labels.Label {
	pods := make([]*seenPod, 0, len(s.byKey))
	for _, sp := range s.byKey {
		pods = append(pods, sp)
	}
	slices.SortFunc(pods, func(a, c *seenPod) int { return strings.Compare(a.key, c.key) })

	for _, sp := range pods {
		pod := sp.pod
		if pod.Status.PodIP == "" {
			continue
		}
		for i, c := range podContainers(pod) {
			for _, cport := range c.Ports {
				if slices.Contains(sp.covered, cport.ContainerPort) {
					continue
				}
				number := strconv.FormatUint(uint64(cport.ContainerPort), 10)
				target := b.set()
				target.set(model.AddressLabel, model.LabelValue(net.JoinHostPort(pod.Status.PodIP, number)))
				target.set(podContainerImageLabel, model.LabelValue(c.Image))
				target.set(podContainerIsInit, model.LabelValue(strconv.FormatBool(i >= len(pod.Spec.Containers))))
				target.set(podContainerNameLabel, model.LabelValue(c.Name))
				target.set(podContainerPortNameLabel, model.LabelValue(cport.Name))
				target.set(podContainerPortNumberLabel, model.LabelValue(number))
				target.set(podContainerPortProtocolLabel, model.LabelValue(cport.Protocol))
				target.merge(b.podLabels(pod))
				targets = append(targets, target.done())
			}
		}
	}
	return targets
}
