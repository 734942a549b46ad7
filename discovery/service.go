package discovery

import (
	"net"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
)

// Service labels, as discovery/kubernetes/service.go names them.
const (
	servicePortNameLabel     = metaLabelPrefix + "service_port_name"
	servicePortNumberLabel   = metaLabelPrefix + "service_port_number"
	servicePortProtocolLabel = metaLabelPrefix + "service_port_protocol"
	serviceClusterIPLabel    = metaLabelPrefix + "service_cluster_ip"
	serviceLoadBalancerIP    = metaLabelPrefix + "service_loadbalancer_ip"
	serviceExternalNameLabel = metaLabelPrefix + "service_external_name"
	serviceType              = metaLabelPrefix + "service_type"
)

func serviceSource(svc *corev1.Service) string {
	return "svc/" + svc.Namespace + "/" + svc.Name
}

// addServiceLabels adds serviceLabels: the namespace, the service name and
// its labels and annotations. The endpoints and endpointslice roles attach
// only these, never the type, cluster IP or port labels.
func (b *builder) addServiceLabels(ls labelSet, svc *corev1.Service) {
	ls.set(namespaceLabel, model.LabelValue(svc.Namespace))
	b.lab.addObjectMetaLabels(ls, &svc.ObjectMeta, resourceService)
}

// buildService mirrors (*Service).buildService: one target per spec port,
// addressed <name>.<namespace>.svc:<port>.
func (b *builder) buildService(svc *corev1.Service) *Group {
	tg := &Group{Source: serviceSource(svc)}
	ls := b.set()
	b.addServiceLabels(ls, svc)
	if b.attach.Namespace {
		b.addNamespaceLabels(ls, svc.Namespace)
	}
	tg.Labels = ls.done()

	for _, port := range svc.Spec.Ports {
		number := strconv.FormatInt(int64(port.Port), 10)
		target := b.set()
		target.set(model.AddressLabel, model.LabelValue(net.JoinHostPort(svc.Name+"."+svc.Namespace+".svc", number)))
		if svc.Spec.Type == corev1.ServiceTypeExternalName {
			target.set(serviceExternalNameLabel, model.LabelValue(svc.Spec.ExternalName))
		} else {
			target.set(serviceClusterIPLabel, model.LabelValue(svc.Spec.ClusterIP))
		}
		if svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
			target.set(serviceLoadBalancerIP, model.LabelValue(loadBalancerIPs(svc)))
		}
		target.set(servicePortNameLabel, model.LabelValue(port.Name))
		target.set(servicePortNumberLabel, model.LabelValue(number))
		target.set(servicePortProtocolLabel, model.LabelValue(port.Protocol))
		target.set(serviceType, model.LabelValue(svc.Spec.Type))
		tg.Targets = append(tg.Targets, target.done())
	}
	return tg
}

// loadBalancerIPs joins the non-empty status.loadBalancer.ingress[].ip
// with commas, falling back to the deprecated spec.loadBalancerIP.
// Hostnames in the status are ignored.
func loadBalancerIPs(svc *corev1.Service) string {
	var ips []string
	for _, ing := range svc.Status.LoadBalancer.Ingress {
		if ing.IP != "" {
			ips = append(ips, ing.IP)
		}
	}
	if len(ips) > 0 {
		return strings.Join(ips, ",")
	}
	return svc.Spec.LoadBalancerIP
}
