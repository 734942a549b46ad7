package discovery

import (
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"

	"github.com/prometheus/prometheus/discovery/targetgroup"
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
func (b *builder) buildEndpoints(eps *corev1.Endpoints) *targetgroup.Group {
	tg := &targetgroup.Group{Source: endpointsSource(eps), Labels: newLabelSet(groupSize)}
	tg.Labels[namespaceLabel] = model.LabelValue(eps.Namespace)
	if svc, ok := b.st.services[eps.Namespace+"/"+eps.Name]; ok {
		b.addServiceLabels(tg.Labels, svc)
	}
	b.lab.addObjectMetaLabels(tg.Labels, &eps.ObjectMeta, resourceEndpoints)
	if b.attach.Namespace {
		b.addNamespaceLabels(tg.Labels, eps.Namespace)
	}

	seen := newSeenPods()
	add := func(addr *corev1.EndpointAddress, port *corev1.EndpointPort, ready model.LabelValue) {
		pod := b.resolvePodRef(eps.Namespace, addr.TargetRef)
		target := newLabelSet(b.targetSize(pod))
		target[model.AddressLabel] = model.LabelValue(net.JoinHostPort(addr.IP, strconv.FormatUint(uint64(port.Port), 10)))
		target[endpointPortNameLabel] = model.LabelValue(port.Name)
		target[endpointPortProtocolLabel] = model.LabelValue(port.Protocol)
		target[endpointReadyLabel] = ready
		if addr.TargetRef != nil {
			target[endpointAddressTargetKindLabel] = model.LabelValue(addr.TargetRef.Kind)
			target[endpointAddressTargetNameLabel] = model.LabelValue(addr.TargetRef.Name)
		}
		if addr.NodeName != nil {
			target[endpointNodeName] = model.LabelValue(*addr.NodeName)
		}
		if addr.Hostname != "" {
			target[endpointHostname] = model.LabelValue(addr.Hostname)
		}
		if b.attach.Node {
			if addr.NodeName != nil {
				b.addNodeLabels(target, addr.NodeName)
			} else if addr.TargetRef != nil && addr.TargetRef.Kind == "Node" {
				b.addNodeLabels(target, &addr.TargetRef.Name)
			}
		}

		if pod == nil {
			tg.Targets = append(tg.Targets, target)
			return
		}
		seen.add(pod, &port.Port)
		mergeInto(target, b.podLabels(pod))
		// Endpoints carry the endpoint port's protocol into the container
		// port protocol label, unlike EndpointSlices.
		addContainerPortLabels(target, pod, port.Port, &port.Protocol)
		tg.Targets = append(tg.Targets, target)
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

// targetSize is a generous size for an endpoint target map: its own
// labels, node metadata and, when resolved, the pod's labels.
func (b *builder) targetSize(pod *corev1.Pod) int {
	n := 32
	if pod != nil {
		n += podLabelsSize(pod)
	}
	return n
}

// addContainerPortLabels sets the container labels of the container port
// matching port by number, protocol ignored. Within a container the first
// matching port wins; across containers (init containers last) the last
// matching container overwrites the earlier ones, because Prometheus only
// breaks out of the inner loop. protocol, when non-nil, replaces the
// container port's protocol.
func addContainerPortLabels(target model.LabelSet, pod *corev1.Pod, port int32, protocol *corev1.Protocol) {
	for i, c := range podContainers(pod) {
		for _, cport := range c.Ports {
			if cport.ContainerPort != port {
				continue
			}
			proto := cport.Protocol
			if protocol != nil {
				proto = *protocol
			}
			target[podContainerNameLabel] = model.LabelValue(c.Name)
			target[podContainerImageLabel] = model.LabelValue(c.Image)
			target[podContainerPortNameLabel] = model.LabelValue(cport.Name)
			target[podContainerPortNumberLabel] = model.LabelValue(strconv.FormatUint(uint64(port), 10))
			target[podContainerPortProtocolLabel] = model.LabelValue(proto)
			target[podContainerIsInit] = model.LabelValue(strconv.FormatBool(i >= len(pod.Spec.Containers)))
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
func (b *builder) appendUncoveredPodPorts(targets []model.LabelSet, s *seenPods) []model.LabelSet {
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
				target := newLabelSet(8 + podLabelsSize(pod))
				target[model.AddressLabel] = model.LabelValue(net.JoinHostPort(pod.Status.PodIP, number))
				target[podContainerNameLabel] = model.LabelValue(c.Name)
				target[podContainerImageLabel] = model.LabelValue(c.Image)
				target[podContainerPortNameLabel] = model.LabelValue(cport.Name)
				target[podContainerPortNumberLabel] = model.LabelValue(number)
				target[podContainerPortProtocolLabel] = model.LabelValue(cport.Protocol)
				target[podContainerIsInit] = model.LabelValue(strconv.FormatBool(i >= len(pod.Spec.Containers)))
				mergeInto(target, b.podLabels(pod))
				targets = append(targets, target)
			}
		}
	}
	return targets
}
