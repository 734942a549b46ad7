package discovery

import (
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/util/strutil"
)

// Node labels, as discovery/kubernetes/node.go names them.
const (
	nodeProviderIDLabel = metaLabelPrefix + "node_provider_id"
	nodeConditionPrefix = metaLabelPrefix + "node_condition_"
	nodeAddressPrefix   = metaLabelPrefix + "node_address_"
)

// nodeLegacyHostIP is the address type Kubernetes no longer defines but
// Prometheus still ranks.
const nodeLegacyHostIP corev1.NodeAddressType = "LegacyHostIP"

func nodeSource(node *corev1.Node) string {
	return "node/" + node.Name
}

// nodeLabels returns the provider ID, one label per condition (type and
// status lower-cased, type sanitized) and the node's metadata labels.
func (b *builder) nodeLabels(node *corev1.Node) []labels.Label {
	ls := b.set()
	ls.set(nodeProviderIDLabel, model.LabelValue(node.Spec.ProviderID))
	for _, c := range node.Status.Conditions {
		name := nodeConditionPrefix + strutil.SanitizeLabelName(strings.ToLower(string(c.Type)))
		ls.set(model.LabelName(name), model.LabelValue(strings.ToLower(string(c.Status))))
	}
	b.lab.addObjectMetaLabels(ls, &node.ObjectMeta, resourceNode)
	return ls.done()
}

// nodeAddresses groups the node's addresses by type, in status order.
func nodeAddresses(node *corev1.Node) map[corev1.NodeAddressType][]string {
	m := make(map[corev1.NodeAddressType][]string, len(node.Status.Addresses))
	for _, a := range node.Status.Addresses {
		m[a.Type] = append(m[a.Type], a.Address)
	}
	return m
}

// nodeAddress picks the target address: the first address of the first
// type present in the order InternalIP, InternalDNS, ExternalIP,
// ExternalDNS, LegacyHostIP, Hostname (the code's order, not the docs').
func nodeAddress(byType map[corev1.NodeAddressType][]string) (string, bool) {
	precedence := [...]corev1.NodeAddressType{
		corev1.NodeInternalIP,
		corev1.NodeInternalDNS,
		corev1.NodeExternalIP,
		corev1.NodeExternalDNS,
		nodeLegacyHostIP,
		corev1.NodeHostName,
	}
	for _, t := range precedence {
		if a, ok := byType[t]; ok {
			return a[0], true
		}
	}
	return "", false
}

// buildNode mirrors (*Node).buildNode: a single target at the chosen address
// and the kubelet port, instance set to the node name, plus the first
// address of every type. A node without a usable address yields nil:
// Prometheus sends nothing for it.
func (b *builder) buildNode(node *corev1.Node) *Group {
	byType := nodeAddresses(node)
	addr, ok := nodeAddress(byType)
	if !ok {
		return nil
	}
	port := strconv.FormatInt(int64(node.Status.DaemonEndpoints.KubeletEndpoint.Port), 10)
	target := b.set()
	target.set(model.AddressLabel, model.LabelValue(net.JoinHostPort(addr, port)))
	target.set(model.InstanceLabel, model.LabelValue(node.Name))
	// Types that sanitize alike (Internal-IP, Internal_IP) overwrite each
	// other in Go map order in Prometheus; sorted types make ours stable.
	types := make([]corev1.NodeAddressType, 0, len(byType))
	for t := range byType {
		types = append(types, t)
	}
	slices.Sort(types)
	for _, t := range types {
		name := strutil.SanitizeLabelName(nodeAddressPrefix + string(t))
		target.set(model.LabelName(name), model.LabelValue(byType[t][0]))
	}
	targets := [][]labels.Label{target.done()}
	return &Group{Source: nodeSource(node), Labels: b.nodeLabels(node), Targets: targets}
}
