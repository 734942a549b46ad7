package gencluster

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// missingNode is a node name pods are scheduled to without a Node object,
// as after a node was deleted.
const missingNode = "node-gone"

// genNodes adds n nodes with varied address sets (sometimes none, so that
// Prometheus emits nothing for them), kubelet ports and conditions.
func (g *gen) genNodes(n int) {
	g.nodeIPs = map[string]string{}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("node-%d", i)
		ip := g.ipv4()
		if g.chance(0.2) {
			ip = g.ipv6()
		}
		node := &corev1.Node{
			ObjectMeta: g.objectMeta("", name, g.labels(map[string]string{
				"kubernetes.io/hostname":      name,
				"kubernetes.io/os":            "linux",
				"topology.kubernetes.io/zone": pick(g, "zone-a", "zone-b"),
			}), g.annotations()),
			Spec: corev1.NodeSpec{Unschedulable: g.chance(0.2)},
			Status: corev1.NodeStatus{
				Addresses:       g.nodeAddresses(name, ip),
				Conditions:      g.nodeConditions(),
				DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: pick(g, int32(10250), 10250, 0)}},
			},
		}
		if i == 0 && n > 1 {
			// A control-plane node: a label with an empty value.
			node.Labels["node-role.kubernetes.io/control-plane"] = ""
		}
		if g.chance(0.6) {
			node.Spec.ProviderID = fmt.Sprintf("aws:///%s/i-%s", pick(g, "eu-west-1a", "us-east-1b"), g.suffix(10))
		}
		g.snap.Nodes = append(g.snap.Nodes, node)
		g.nodes = append(g.nodes, name)
		g.nodeIPs[name] = ip
	}
	g.nodes = append(g.nodes, missingNode)
	g.nodeIPs[missingNode] = g.ipv4()
}

func (g *gen) nodeAddresses(name, ip string) []corev1.NodeAddress {
	var out []corev1.NodeAddress
	add := func(t corev1.NodeAddressType, a string) {
		out = append(out, corev1.NodeAddress{Type: t, Address: a})
	}
	switch g.intn(6) {
	case 0: // the common cloud shape
		add(corev1.NodeInternalIP, ip)
		add(corev1.NodeExternalIP, g.ipv4())
		add(corev1.NodeInternalDNS, name+".ec2.internal")
		add(corev1.NodeHostName, name)
	case 1: // bare metal, dual-stack: two internal IPs, the first wins
		add(corev1.NodeHostName, name)
		add(corev1.NodeInternalIP, ip)
		add(corev1.NodeInternalIP, g.ipv6())
	case 2: // no InternalIP: InternalDNS comes before ExternalIP
		add(corev1.NodeHostName, name)
		add(corev1.NodeExternalIP, ip)
		add(corev1.NodeInternalDNS, name+".internal")
	case 3: // only a hostname and an external name
		add(corev1.NodeExternalDNS, name+".example.com")
		add(corev1.NodeHostName, name)
	case 4: // no address at all
	default:
		add(corev1.NodeInternalIP, ip)
		if g.chance(0.3) {
			// A type Prometheus does not rank, still exposed as a label.
			add("VPN-IP", g.ipv4())
		}
	}
	return out
}

func (g *gen) nodeConditions() []corev1.NodeCondition {
	statuses := []corev1.ConditionStatus{corev1.ConditionTrue, corev1.ConditionFalse, corev1.ConditionUnknown}
	var out []corev1.NodeCondition
	for _, t := range []corev1.NodeConditionType{corev1.NodeReady, corev1.NodeMemoryPressure, corev1.NodeDiskPressure, "example.com/KernelDeadlock", "NetworkUnavailable"} {
		if g.chance(0.7) {
			out = append(out, corev1.NodeCondition{Type: t, Status: pick(g, statuses...)})
		}
	}
	if g.chance(0.1) {
		// A repeated condition type: the later one wins.
		out = append(out, corev1.NodeCondition{Type: corev1.NodeReady, Status: pick(g, statuses...)})
	}
	return out
}

// genNamespaces adds n namespaces and returns their names. The last one has
// no Namespace object when n > 1, so namespace metadata is not found for it.
func (g *gen) genNamespaces(n int) []string {
	base := []string{"default", "shop", "kube-system", "monitoring", "payments", "edge"}
	var names []string
	for i := 0; i < n; i++ {
		name := base[i%len(base)]
		if i >= len(base) {
			name = fmt.Sprintf("%s%d", name, i/len(base)+1)
		}
		names = append(names, name)
		if n > 1 && i == n-1 {
			continue
		}
		ns := &corev1.Namespace{
			ObjectMeta: g.objectMeta("", name, g.labels(map[string]string{"kubernetes.io/metadata.name": name}), g.annotations()),
			Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
		}
		g.snap.Namespaces = append(g.snap.Namespaces, ns)
	}
	return names
}
