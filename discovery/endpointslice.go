package discovery

import (
	"net"
	"slices"
	"strconv"

	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// EndpointSlice labels, as discovery/kubernetes/endpointslice.go names them.
const (
	endpointSliceAddressTypeLabel                   = metaLabelPrefix + "endpointslice_address_type"
	endpointSlicePortNameLabel                      = metaLabelPrefix + "endpointslice_port_name"
	endpointSlicePortProtocolLabel                  = metaLabelPrefix + "endpointslice_port_protocol"
	endpointSlicePortLabel                          = metaLabelPrefix + "endpointslice_port"
	endpointSlicePortAppProtocol                    = metaLabelPrefix + "endpointslice_port_app_protocol"
	endpointSliceEndpointConditionsReadyLabel       = metaLabelPrefix + "endpointslice_endpoint_conditions_ready"
	endpointSliceEndpointConditionsServingLabel     = metaLabelPrefix + "endpointslice_endpoint_conditions_serving"
	endpointSliceEndpointConditionsTerminatingLabel = metaLabelPrefix + "endpointslice_endpoint_conditions_terminating"
	endpointSliceEndpointZoneLabel                  = metaLabelPrefix + "endpointslice_endpoint_zone"
	endpointSliceEndpointHostnameLabel              = metaLabelPrefix + "endpointslice_endpoint_hostname"
	endpointSliceEndpointNodenameLabel              = metaLabelPrefix + "endpointslice_endpoint_node_name"
	endpointSliceAddressTargetKindLabel             = metaLabelPrefix + "endpointslice_address_target_kind"
	endpointSliceAddressTargetNameLabel             = metaLabelPrefix + "endpointslice_address_target_name"
	endpointSliceEndpointTopologyLabelPrefix        = metaLabelPrefix + "endpointslice_endpoint_topology_"
	endpointSliceEndpointTopologyLabelPresentPrefix = metaLabelPrefix + "endpointslice_endpoint_topology_present_"
)

func endpointSliceSource(eps *discoveryv1.EndpointSlice) string {
	return "endpointslice/" + eps.Namespace + "/" + eps.Name
}

// buildEndpointSlice mirrors (*EndpointSlice).buildEndpointSlice: per
// endpoint, per port, a target for each address, then the uncovered
// container ports of referenced pods. Conditions never filter; every
// optional field gives a label only when set.
func (b *builder) buildEndpointSlice(eps *discoveryv1.EndpointSlice) *Group {
	tg := &Group{Source: endpointSliceSource(eps)}
	ls := b.set()
	ls.set(namespaceLabel, model.LabelValue(eps.Namespace))
	ls.set(endpointSliceAddressTypeLabel, model.LabelValue(eps.AddressType))
	b.lab.addObjectMetaLabels(ls, &eps.ObjectMeta, resourceEndpointSlice)

	var svc *corev1.Service
	if name, ok := eps.Labels[discoveryv1.LabelServiceName]; ok {
		svc = b.st.services[eps.Namespace+"/"+name]
		if svc != nil {
			b.addServiceLabels(ls, svc)
		}
	}
	if b.attach.Namespace {
		b.addNamespaceLabels(ls, eps.Namespace)
	}
	tg.Labels = ls.done()
	if nonPrimaryIPFamilySlice(svc, eps) {
		return tg
	}

	seen := newSeenPods()
	add := func(addr string, ep *discoveryv1.Endpoint, port *discoveryv1.EndpointPort) {
		a := addr
		if port.Port != nil {
			a = net.JoinHostPort(addr, strconv.FormatUint(uint64(*port.Port), 10))
		}
		pod := b.resolvePodRef(eps.Namespace, ep.TargetRef)
		target := b.set()
		target.set(model.AddressLabel, model.LabelValue(a))
		b.addEndpointSliceLabels(target, ep, port)
		if pod == nil {
			tg.Targets = append(tg.Targets, target.done())
			return
		}
		seen.add(pod, port.Port)
		target.merge(b.podLabels(pod))
		if port.Port != nil {
			// The container port's own protocol, unlike the endpoints role.
			addContainerPortLabels(target, pod, *port.Port, nil)
		}
		tg.Targets = append(tg.Targets, target.done())
	}

	for i := range eps.Endpoints {
		ep := &eps.Endpoints[i]
		for j := range eps.Ports {
			for _, addr := range ep.Addresses {
				add(addr, ep, &eps.Ports[j])
			}
		}
	}
	tg.Targets = b.appendUncoveredPodPorts(tg.Targets, seen)
	return tg
}

// addEndpointSliceLabels adds the port and endpoint labels of one
// endpointslice target, and node metadata when attach_metadata.node is set.
func (b *builder) addEndpointSliceLabels(target labelSet, ep *discoveryv1.Endpoint, port *discoveryv1.EndpointPort) {
	setIf := func(name model.LabelName, v *string) {
		if v != nil {
			target.set(name, model.LabelValue(*v))
		}
	}
	setBool := func(name model.LabelName, v *bool) {
		if v != nil {
			target.set(name, model.LabelValue(strconv.FormatBool(*v)))
		}
	}
	// In the order of the names where it costs nothing, for target.done.
	if ep.TargetRef != nil {
		target.set(endpointSliceAddressTargetKindLabel, model.LabelValue(ep.TargetRef.Kind))
		target.set(endpointSliceAddressTargetNameLabel, model.LabelValue(ep.TargetRef.Name))
	}
	setBool(endpointSliceEndpointConditionsReadyLabel, ep.Conditions.Ready)
	setBool(endpointSliceEndpointConditionsServingLabel, ep.Conditions.Serving)
	setBool(endpointSliceEndpointConditionsTerminatingLabel, ep.Conditions.Terminating)
	setIf(endpointSliceEndpointHostnameLabel, ep.Hostname)
	setIf(endpointSliceEndpointNodenameLabel, ep.NodeName)
	setIf(endpointSliceEndpointZoneLabel, ep.Zone)
	if port.Port != nil {
		target.set(endpointSlicePortLabel, model.LabelValue(strconv.FormatUint(uint64(*port.Port), 10)))
	}
	setIf(endpointSlicePortAppProtocol, port.AppProtocol)
	setIf(endpointSlicePortNameLabel, port.Name)
	if port.Protocol != nil {
		target.set(endpointSlicePortProtocolLabel, model.LabelValue(*port.Protocol))
	}

	// Keys that sanitize alike, or a key "present_x" next to "x", overwrite
	// each other in Go map order in Prometheus; sorted keys make ours stable.
	keys := make([]string, 0, len(ep.DeprecatedTopology))
	for k := range ep.DeprecatedTopology {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		ln := b.lab.sanitize(k)
		target.set(model.LabelName(endpointSliceEndpointTopologyLabelPrefix+ln), model.LabelValue(ep.DeprecatedTopology[k]))
		target.set(model.LabelName(endpointSliceEndpointTopologyLabelPresentPrefix+ln), presentValue)
	}

	if b.attach.Node {
		if ep.TargetRef != nil && ep.TargetRef.Kind == "Node" {
			b.addNodeLabels(target, &ep.TargetRef.Name)
		} else {
			b.addNodeLabels(target, ep.NodeName)
		}
	}
}

// nonPrimaryIPFamilySlice reports whether eps is the secondary-family slice
// of a dual-stack service (PreferDualStack or RequireDualStack): its
// targets would duplicate the primary family's, so Prometheus emits the
// group without targets.
func nonPrimaryIPFamilySlice(svc *corev1.Service, eps *discoveryv1.EndpointSlice) bool {
	if svc == nil || svc.Spec.IPFamilyPolicy == nil {
		return false
	}
	switch *svc.Spec.IPFamilyPolicy {
	case corev1.IPFamilyPolicyPreferDualStack, corev1.IPFamilyPolicyRequireDualStack:
	default:
		return false
	}
	if len(svc.Spec.IPFamilies) == 0 {
		return false
	}
	return string(eps.AddressType) != string(svc.Spec.IPFamilies[0])
}
