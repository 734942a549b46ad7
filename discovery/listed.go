package discovery

import (
	"github.com/prometheus/prometheus/discovery/kubernetes"
)

// Resources as Listed names them, spelled as the API server spells them in
// paths and RBAC rules.
const (
	listedPods           = "pods"
	listedServices       = "services"
	listedEndpoints      = "endpoints"
	listedEndpointSlices = "endpointslices"
	listedNodes          = "nodes"
	listedNamespaces     = "namespaces"
	listedIngresses      = "ingresses"
	listedReplicaSets    = "replicasets"
	listedJobs           = "jobs"
)

// Listed counts, per resource (pods, services, endpoints, endpointslices,
// nodes, namespaces, ingresses, replicasets, jobs), the objects of snap
// that the informers of cfg hold after their initial LIST: those of the
// role's own resource and of the secondary resources the role and its
// attach_metadata list, filtered by namespace and selectors exactly as
// Discover filters them. A resource that is listed but returns nothing
// counts 0; one that is not listed is absent, as are namespaced resources
// when no namespace is discovered at all (own_namespace unknown).
//
// Each object counts once, even where Prometheus lists it more than once:
// the endpoints and endpointslice roles make a node and a namespace
// informer per namespace, all of which list the same cluster-wide objects.
//
// Listed returns nil when cfg's selectors do not parse, which Discover
// reports as an error.
func Listed(snap *Snapshot, cfg *kubernetes.SDConfig, opts Options) map[string]int {
	if cfg == nil {
		return nil
	}
	if snap == nil {
		snap = &Snapshot{}
	}
	sel, err := parseSelectors(cfg.Selectors)
	if err != nil {
		return nil
	}
	l := lister{snap: snap, sel: sel, scope: newNamespaceScope(cfg.NamespaceDiscovery, opts.OwnNamespace), out: map[string]int{}}
	l.role(cfg.Role, cfg.AttachMetadata)
	return l.out
}

// lister counts what the informers of one kubernetes_sd_config hold.
type lister struct {
	snap  *Snapshot
	sel   selectors
	scope namespaceScope
	out   map[string]int
}

// role follows cluster.Requests, which follows Discovery.Run: which
// informers each role makes, and for which attach_metadata options.
func (l *lister) role(role kubernetes.Role, attach kubernetes.AttachMetadataConfig) {
	// The node and namespace informers of the pod, service and ingress
	// roles are made once, before the namespaces are walked; those of the
	// endpoints roles once per namespace, so not at all without one.
	perNamespace := l.scope.all || len(l.scope.names) > 0
	switch role {
	case kubernetes.RoleNode:
		l.nodes()
	case kubernetes.RolePod:
		if attach.Node {
			l.nodes()
		}
		if attach.Namespace {
			l.namespaces()
		}
		l.namespaced(listedPods, func() int { return len(selectObjects(l.snap.Pods, &l.scope, l.sel.pod, podFields)) })
		l.podOwners(attach)
	case kubernetes.RoleService:
		if attach.Namespace {
			l.namespaces()
		}
		l.services()
	case kubernetes.RoleIngress:
		if attach.Namespace {
			l.namespaces()
		}
		l.namespaced(listedIngresses, func() int {
			return len(selectObjects(l.snap.Ingresses, &l.scope, l.sel.ingress, ingressFields))
		})
	case kubernetes.RoleEndpoint, kubernetes.RoleEndpointSlice:
		if role == kubernetes.RoleEndpoint {
			l.namespaced(listedEndpoints, func() int {
				return len(selectObjects(l.snap.Endpoints, &l.scope, l.sel.endpoints, endpointsFields))
			})
		} else {
			l.namespaced(listedEndpointSlices, func() int {
				return len(selectObjects(l.snap.EndpointSlices, &l.scope, l.sel.endpointSlice, endpointSliceFields))
			})
		}
		l.services()
		l.namespaced(listedPods, func() int { return len(selectObjects(l.snap.Pods, &l.scope, l.sel.pod, podFields)) })
		if attach.Node && perNamespace {
			l.nodes()
		}
		if attach.Namespace && perNamespace {
			l.namespaces()
		}
		l.podOwners(attach)
	}
}

// namespaced records count() for a namespaced resource, unless no
// namespace is discovered, when nothing of it is listed.
func (l *lister) namespaced(resource string, count func() int) {
	if l.scope.all || len(l.scope.names) > 0 {
		l.out[resource] = count()
	}
}

func (l *lister) services() {
	l.namespaced(listedServices, func() int {
		return len(selectObjects(l.snap.Services, &l.scope, l.sel.service, serviceFields))
	})
}

// nodes and namespaces are listed cluster-wide; only nodes take a selector.
func (l *lister) nodes() {
	l.out[listedNodes] = len(selectObjects(l.snap.Nodes, nil, l.sel.node, nodeFields))
}

func (l *lister) namespaces() {
	l.out[listedNamespaces] = len(selectObjects(l.snap.Namespaces, nil, everything(), nil))
}

// podOwners counts the unfiltered ReplicaSets and Jobs that pod metadata
// is looked up in.
func (l *lister) podOwners(attach kubernetes.AttachMetadataConfig) {
	if attach.Deployment {
		l.namespaced(listedReplicaSets, func() int {
			return len(selectObjects(l.snap.ReplicaSets, &l.scope, everything(), nil))
		})
	}
	if attach.Job || attach.CronJob {
		l.namespaced(listedJobs, func() int { return len(selectObjects(l.snap.Jobs, &l.scope, everything(), nil)) })
	}
}
