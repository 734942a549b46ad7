package discovery

import (
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/prometheus/prometheus/discovery/kubernetes"
)

// namespaceScope is the set of namespaces Prometheus starts one discoverer
// for, each with its own namespaced informers (primary, services, pods,
// ReplicaSets, Jobs). Nodes and Namespaces are cluster-wide informers and
// are never scoped.
type namespaceScope struct {
	all   bool
	names map[string]struct{}
}

// newNamespaceScope applies getNamespaces of discovery/kubernetes:
// no names and no own_namespace means all namespaces; own_namespace adds
// ownNamespace when it is known. An empty result means no discoverer runs at
// all for namespaced roles.
//
// A name listed twice starts two discoverers that emit identical groups, so
// duplicates are folded. An empty name among others ("" is NamespaceAll)
// would run an all-namespaces discoverer next to per-namespace ones, and
// objects they both see would come from whichever ran last; we treat the
// whole scope as all namespaces then.
func newNamespaceScope(nd kubernetes.NamespaceDiscovery, ownNamespace string) namespaceScope {
	names := nd.Names
	switch {
	case len(names) == 0 && !nd.IncludeOwnNamespace:
		return namespaceScope{all: true}
	case nd.IncludeOwnNamespace && ownNamespace != "":
		names = append(slices.Clip(names), ownNamespace)
	}
	s := namespaceScope{names: make(map[string]struct{}, len(names))}
	for _, n := range names {
		if n == metav1.NamespaceAll {
			return namespaceScope{all: true}
		}
		s.names[n] = struct{}{}
	}
	return s
}

// contains reports whether a discoverer lists objects of namespace ns.
func (s namespaceScope) contains(ns string) bool {
	if s.all {
		return true
	}
	_, ok := s.names[ns]
	return ok
}

// sees reports whether the discoverer that handles an object in namespace
// from has an object in namespace to in its namespaced stores. Only the
// all-namespaces discoverer looks across namespaces.
func (s namespaceScope) sees(from, to string) bool {
	return s.all || from == to
}

// objectPtr is a pointer to a Kubernetes object type, such as *corev1.Pod.
type objectPtr[O any] interface {
	*O
	metav1.Object
}

// storeKey is cache.MetaNamespaceKeyFunc: "namespace/name", or "name" for
// cluster-scoped objects.
func storeKey(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// selectObjects returns the objects an informer over scope with selector sel
// would hold, keyed like its store. A nil scope means cluster-wide. When the
// snapshot holds an object twice, the later copy wins, as a later update
// would.
func selectObjects[O any, T objectPtr[O]](objs []T, scope *namespaceScope, sel objectSelector, fieldsOf func(T) fields.Set) map[string]T {
	m := make(map[string]T, len(objs))
	all := sel.matchesAll()
	for _, o := range objs {
		if o == nil {
			continue
		}
		if scope != nil && !scope.contains(o.GetNamespace()) {
			continue
		}
		if !all && !sel.matches(o.GetLabels(), func() fields.Set { return fieldsOf(o) }) {
			continue
		}
		m[storeKey(o.GetNamespace(), o.GetName())] = o
	}
	return m
}

// stores holds what the informers of one kubernetes_sd_config would hold
// after their initial LIST. Every lookup is by key, so building groups stays
// linear in the number of objects.
type stores struct {
	scope       namespaceScope
	pods        map[string]*corev1.Pod
	services    map[string]*corev1.Service
	nodes       map[string]*corev1.Node
	namespaces  map[string]*corev1.Namespace
	replicaSets map[string]*appsv1.ReplicaSet
	jobs        map[string]*batchv1.Job
}

// everything is the selector of informers Prometheus lists unfiltered.
func everything() objectSelector {
	return objectSelector{label: labels.Everything(), field: fields.Everything()}
}

// newStores fills the secondary stores the role reads, and only those: the
// pod and service stores for endpoints and endpointslice, the node store
// for role node or attach_metadata.node, and so on.
func newStores(snap *Snapshot, role kubernetes.Role, attach kubernetes.AttachMetadataConfig, sel selectors, scope namespaceScope) *stores {
	st := &stores{scope: scope}
	podBacked := role == kubernetes.RoleEndpoint || role == kubernetes.RoleEndpointSlice
	if podBacked {
		st.pods = selectObjects(snap.Pods, &scope, sel.pod, podFields)
		st.services = selectObjects(snap.Services, &scope, sel.service, serviceFields)
	}
	if role == kubernetes.RoleNode || (attach.Node && (podBacked || role == kubernetes.RolePod)) {
		st.nodes = selectObjects(snap.Nodes, nil, sel.node, nodeFields)
	}
	if attach.Namespace && role != kubernetes.RoleNode {
		st.namespaces = selectObjects(snap.Namespaces, nil, everything(), nil)
	}
	if podBacked || role == kubernetes.RolePod {
		if attach.Deployment {
			st.replicaSets = selectObjects(snap.ReplicaSets, &scope, everything(), nil)
		}
		if attach.CronJob {
			st.jobs = selectObjects(snap.Jobs, &scope, everything(), nil)
		}
	}
	return st
}
