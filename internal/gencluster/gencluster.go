// Package gencluster generates random but reproducible Kubernetes clusters
// as discovery snapshots: realistic objects (deployments' pods behind
// services, endpoints and endpoint slices, nodes, namespaces, ingresses)
// salted with the odd cases service discovery must get right, such as pods
// without IPs, IPv6 and dual-stack addresses, nil pointers in endpoint
// slices, owner chains whose middle link is missing, references to objects
// that do not exist, wildcard TLS hosts and label keys that need sanitizing.
//
// The same seed and size always give the same snapshot. Label and
// annotation keys never collide after Prometheus's sanitizing on one
// object, since which value wins is then random in Prometheus itself.
package gencluster

import (
	"fmt"
	"math/rand/v2"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sdinspect/sdinspect/discovery"
)

// Size says how big a cluster to generate.
type Size struct {
	// Namespaces is the number of namespaces holding workloads. The last
	// one has no Namespace object when there are two or more.
	Namespaces int
	// Nodes is the number of Node objects. Some pods are also placed on a
	// node that does not exist.
	Nodes int
	// Apps is the number of applications per namespace; each brings pods,
	// usually a controller and a service with its endpoints and slices.
	Apps int
}

// Generate returns the cluster for seed and size.
func Generate(seed int64, size Size) *discovery.Snapshot {
	g := &gen{
		r:    rand.New(rand.NewPCG(uint64(seed), 0x6b387364)),
		snap: &discovery.Snapshot{},
		seed: seed,
		used: map[string]bool{},
	}
	g.genNodes(size.Nodes)
	namespaces := g.genNamespaces(size.Namespaces)
	var apps []*app
	for _, ns := range namespaces {
		for i := 0; i < size.Apps; i++ {
			apps = append(apps, g.genApp(ns, i))
		}
	}
	for _, a := range apps {
		g.genService(a, apps)
	}
	for _, ns := range namespaces {
		g.genOddEndpoints(ns)
		g.genIngresses(ns, apps)
	}
	return g.snap
}

// gen holds the state of one generation run.
type gen struct {
	r    *rand.Rand
	snap *discovery.Snapshot
	seed int64

	nodes   []string // node names pods may run on, including a missing one
	nodeIPs map[string]string
	seq     int             // makes UIDs and IPs unique
	used    map[string]bool // kind/namespace/name of objects named so far
}

// An app is a set of pods with one app label, and what serves them.
type app struct {
	namespace, name string
	pods            []*corev1.Pod
	// ports are the container ports its pods declare, for service target
	// ports and endpoint ports.
	ports []corev1.ContainerPort
	// dualStack apps have pods with an IPv4 and an IPv6 address.
	dualStack bool
}

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func (g *gen) intn(n int) int {
	if n <= 0 {
		return 0
	}
	return g.r.IntN(n)
}

func pick[T any](g *gen, xs ...T) T { return xs[g.r.IntN(len(xs))] }

func (g *gen) next() int {
	g.seq++
	return g.seq
}

func (g *gen) uid() types.UID {
	return types.UID(fmt.Sprintf("%08x-0000-4000-8000-%012x", uint32(g.seed), g.next()))
}

// suffix is a short random name suffix, like the ones controllers add.
func (g *gen) suffix(n int) string {
	const chars = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[g.r.IntN(len(chars))]
	}
	return string(b)
}

// unique returns name, or name with a random suffix if an object of kind
// in namespace already has it: the API server holds one object per name,
// and two would make an informer's result depend on list order.
func (g *gen) unique(kind, namespace, name string) string {
	for candidate := name; ; candidate = name + "-" + g.suffix(3) {
		key := kind + "/" + namespace + "/" + candidate
		if !g.used[key] {
			g.used[key] = true
			return candidate
		}
	}
}

func (g *gen) ipv4() string {
	n := g.next()
	return fmt.Sprintf("10.%d.%d.%d", 244+n/62500%10, n/250%250, n%250+1)
}

func (g *gen) ipv6() string {
	return fmt.Sprintf("fd00:10:244::%x", g.next())
}

func (g *gen) objectMeta(namespace, name string, labels, annotations map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Namespace: namespace, Name: name, UID: g.uid(), ResourceVersion: "1",
		Labels: labels, Annotations: annotations,
	}
}

func ownerRef(apiVersion, kind, name string, uid types.UID, controller bool) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: uid, Controller: &controller}
}
