package gencluster

import (
	"math"
	"math/rand/v2"

	"k8s.io/apimachinery/pkg/types"

	"github.com/sdinspect/sdinspect/discovery"
)

// Scale says how big a realistic cluster to generate, in the objects
// service discovery is sized by.
type Scale struct {
	// Pods is the exact number of pods.
	Pods int
	// Nodes is the exact number of Node objects.
	Nodes int
	// Services is the exact number of services; each has an Endpoints
	// object and one EndpointSlice per 100 endpoints (at least one).
	Services int
	// Namespaces is the number of namespaces holding workloads; zero means
	// one per 25 services, at least 3.
	Namespaces int
}

// Realistic returns a cluster shaped like a production one at scale s,
// the same for the same seed and scale: daemon sets on every node,
// deployments, stateful sets and cron jobs of skewed sizes, pods with 1–4
// containers, 5–15 labels and a few annotations, services selecting them
// with Endpoints and EndpointSlices of up to 100 endpoints as the control
// plane writes them, and ingresses in front of some services.
//
// Unlike Generate it is not salted with odd cases: it is for measuring
// speed and size, where the objects should look like the common ones.
func Realistic(seed int64, s Scale) *discovery.Snapshot {
	g := &gen{
		r:    rand.New(rand.NewPCG(uint64(seed), 0x7265616c)),
		snap: &discovery.Snapshot{},
		seed: seed,
		used: map[string]bool{},
	}
	g.realNodes(s.Nodes)
	namespaces := g.realNamespaces(s.Namespaces, s.Services)
	workloads := g.planWorkloads(s, namespaces)
	for _, w := range workloads {
		g.realWorkload(w)
	}
	for i, w := range workloads {
		if i < s.Services {
			g.realService(w, i)
		}
	}
	g.realIngresses(workloads[:min(s.Services, len(workloads))])
	return g.snap
}

// workload is one controller and its pods, as planned before generating.
type workload struct {
	namespace, name string
	kind            string // DaemonSet, Deployment, StatefulSet, CronJob or Pod
	replicas        int
	labels          map[string]string // the pod template's labels
	annotations     map[string]string // the pod template's annotations
	pods            []*podRef
	ports           []containerPort // named ports of the pod template
}

// podRef is what services need of a generated pod.
type podRef struct {
	name, ip, node, zone string
	ready                bool
	uid                  types.UID
}

// containerPort is a port the pod template declares.
type containerPort struct {
	name string
	port int32
}

// daemonSets are the per-node agents a production cluster runs.
func daemonSets() [][2]string {
	return [][2]string{
		{"kube-system", "kube-proxy"}, {"kube-system", "calico-node"}, {"monitoring", "node-exporter"},
		{"kube-system", "ebs-csi-node"}, {"logging", "fluent-bit"}, {"kube-system", "konnectivity-agent"},
	}
}

// planWorkloads decides the workloads and their replica counts so that the
// pods add up to s.Pods exactly. Daemon sets come first (so services pick
// them first, like node-exporter's), then workloads with a service, then
// some without one.
func (g *gen) planWorkloads(s Scale, namespaces []string) []*workload {
	var out []*workload
	rest := s.Pods
	if s.Nodes > 0 {
		for _, ds := range daemonSets() {
			if rest-s.Nodes < s.Pods*3/4 {
				break
			}
			out = append(out, &workload{namespace: ds[0], name: ds[1], kind: "DaemonSet", replicas: s.Nodes})
			rest -= s.Nodes
		}
	}
	n := s.Services - len(out)
	n = max(n, 0) + max(n, 0)/5
	if n == 0 && rest > 0 {
		n = 1
	}
	if n == 0 {
		return out
	}
	// Log-normal sizes: most workloads have a few replicas, some hundreds,
	// so some services need several slices.
	weights := make([]float64, n)
	sum := 0.0
	for i := range weights {
		weights[i] = math.Exp(1.1 * g.r.NormFloat64())
		sum += weights[i]
	}
	given := 0
	planned := make([]*workload, n)
	for i, w := range weights {
		r := int(float64(rest) * w / sum)
		planned[i] = &workload{replicas: r}
		given += r
	}
	for i := 0; given < rest; i = (i + 1) % n {
		planned[i].replicas++
		given++
	}
	for _, w := range planned {
		w.namespace = namespaces[g.intn(len(namespaces))]
		w.name = g.unique("workload", w.namespace, pick(g, nameWords()...)+"-"+pick(g, roleWords()...))
		switch {
		case w.replicas == 1 && g.chance(0.05):
			w.kind = "Pod"
		case w.replicas <= 3 && g.chance(0.3):
			w.kind = "CronJob"
		case g.chance(0.12):
			w.kind = "StatefulSet"
		default:
			w.kind = "Deployment"
		}
	}
	return append(out, planned...)
}

func nameWords() []string {
	return []string{"checkout", "cart", "payments", "search", "catalog", "users", "orders", "billing", "auth",
		"inventory", "shipping", "reviews", "ads", "email", "recommend", "ledger", "gateway", "media", "chat", "reports"}
}

func roleWords() []string {
	return []string{"api", "web", "worker", "db", "cache", "consumer", "frontend", "backend", "sync", "grpc"}
}
