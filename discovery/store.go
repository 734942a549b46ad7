package discovery

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
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

// InKeyOrder reports whether each of objs comes after the one before it in
// the order Each builds their groups in: by namespace/name key, the order in
// which the API server lists them.
func InKeyOrder[T metav1.Object](objs []T) bool {
	for i := 1; i < len(objs); i++ {
		a, b := objs[i-1], objs[i]
		if storeKey(a.GetNamespace(), a.GetName()) >= storeKey(b.GetNamespace(), b.GetName()) {
			return false
		}
	}
	return true
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

// objectSelector is the label and field selector one informer passes to its
// LIST, already parsed and converted the way the API server does.
type objectSelector struct {
	label labels.Selector
	field fields.Selector
}

// matchesAll reports whether the selector lets every object through, so
// callers can skip building field sets.
func (s objectSelector) matchesAll() bool {
	return s.label.Empty() && s.field.Empty()
}

// matches reports whether an object with the given labels and selectable
// fields passes, as storage.SelectionPredicate.Matches decides it.
func (s objectSelector) matches(objLabels map[string]string, objFields func() fields.Set) bool {
	if !s.label.Matches(labels.Set(objLabels)) {
		return false
	}
	return s.field.Empty() || s.field.Matches(objFields())
}

// selectors holds one objectSelector per resource an informer lists.
// Namespaces, ReplicaSets and Jobs are listed without selectors.
type selectors struct {
	pod, service, endpoints, endpointSlice, node, ingress objectSelector
}

// fieldConverter mirrors the API server's field label conversion for one
// kind: it maps a field selector key to the key it is matched on, or refuses
// it with the API server's message.
type fieldConverter func(field, value string) (string, string, error)

// parseSelectors parses cfg's selectors and assigns them to informers as
// Prometheus's mapSelector does: each selector feeds the informer of its own
// role, whatever role the config has.
func parseSelectors(cfg []kubernetes.SelectorConfig) (selectors, error) {
	all := everything()
	s := selectors{pod: all, service: all, endpoints: all, endpointSlice: all, node: all, ingress: all}
	for _, sc := range cfg {
		var (
			dst  *objectSelector
			conv fieldConverter
			what string
		)
		switch sc.Role {
		case kubernetes.RolePod:
			dst, conv, what = &s.pod, podFieldLabel, "pods"
		case kubernetes.RoleService:
			dst, conv, what = &s.service, serviceFieldLabel, "services"
		case kubernetes.RoleEndpoint:
			dst, conv, what = &s.endpoints, metaFieldLabel, "endpoints"
		case kubernetes.RoleEndpointSlice:
			dst, conv, what = &s.endpointSlice, metaFieldLabel, "endpointslices"
		case kubernetes.RoleNode:
			dst, conv, what = &s.node, nodeFieldLabel, "nodes"
		case kubernetes.RoleIngress:
			dst, conv, what = &s.ingress, metaFieldLabel, "ingresses"
		default:
			// mapSelector ignores other roles; config validation refuses them.
			continue
		}
		ls, err := labels.Parse(sc.Label)
		if err != nil {
			return selectors{}, fmt.Errorf("parsing label selector %q for %s: %w", sc.Label, what, printable{err})
		}
		// The API server parses the selector, which drops empty terms
		// such as "=", and then converts what is left.
		fs, err := fields.ParseSelector(sc.Field)
		if err == nil {
			fs, err = fs.Transform(fields.TransformFunc(conv))
		}
		if err != nil {
			return selectors{}, fmt.Errorf("field selector %q for %s: %w", sc.Field, what, printable{err})
		}
		*dst = objectSelector{label: ls, field: fs}
	}
	return s, nil
}

// printable is an error whose message has its unprintable characters
// escaped as in a Go string: apimachinery's parse errors quote the
// selector as it was written, line breaks and all, and an error must stay
// on one line.
type printable struct{ err error }

func (e printable) Unwrap() error { return e.err }

func (e printable) Error() string {
	var b strings.Builder
	for _, r := range e.err.Error() {
		if unicode.IsPrint(r) {
			b.WriteRune(r)
		} else {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
	}
	return b.String()
}

// metaFieldLabel is runtime.DefaultMetaV1FieldSelectorConversion: the only
// field selectors the API server accepts for kinds that register none of
// their own (Endpoints, EndpointSlice, Ingress).
func metaFieldLabel(field, value string) (string, string, error) {
	switch field {
	case "metadata.name", "metadata.namespace":
		return field, value, nil
	}
	return "", "", fmt.Errorf("%q is not a known field selector: only %q, %q", field, "metadata.name", "metadata.namespace")
}

// podFieldLabel mirrors the Pod field label conversion of
// k8s.io/kubernetes/pkg/apis/core/v1. status.podIPs is accepted there but is
// not a selectable field, so it only ever compares against "".
func podFieldLabel(field, value string) (string, string, error) {
	switch field {
	case "metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy",
		"spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
		"status.podIP", "status.podIPs", "status.nominatedNodeName":
		return field, value, nil
	case "spec.host":
		// Kept by the API server for old clients.
		return "spec.nodeName", value, nil
	}
	return "", "", fmt.Errorf("field label not supported: %s", field)
}

// nodeFieldLabel mirrors the Node field label conversion. Nodes are cluster
// scoped, so metadata.namespace is refused.
func nodeFieldLabel(field, value string) (string, string, error) {
	switch field {
	case "metadata.name", "spec.unschedulable":
		return field, value, nil
	}
	return "", "", fmt.Errorf("field label not supported: %s", field)
}

// serviceFieldLabel mirrors the Service field label conversion.
func serviceFieldLabel(field, value string) (string, string, error) {
	switch field {
	case "metadata.name", "metadata.namespace", "spec.clusterIP", "spec.type":
		return field, value, nil
	}
	return "", "", fmt.Errorf("field label not supported: %s", field)
}

// metaFields is generic.ObjectMetaFieldsSet for a namespaced object.
func metaFields(m *metav1.ObjectMeta) fields.Set {
	return fields.Set{"metadata.name": m.Name, "metadata.namespace": m.Namespace}
}

// podFields is the pod registry's ToSelectableFields. The API server reads
// the internal object, whose first podIPs entry is status.podIP when set.
func podFields(p *corev1.Pod) fields.Set {
	podIP := p.Status.PodIP
	if podIP == "" && len(p.Status.PodIPs) > 0 {
		podIP = p.Status.PodIPs[0].IP
	}
	f := metaFields(&p.ObjectMeta)
	f["spec.nodeName"] = p.Spec.NodeName
	f["spec.restartPolicy"] = string(p.Spec.RestartPolicy)
	f["spec.schedulerName"] = p.Spec.SchedulerName
	f["spec.serviceAccountName"] = p.Spec.ServiceAccountName
	f["spec.hostNetwork"] = strconv.FormatBool(p.Spec.HostNetwork)
	f["status.phase"] = string(p.Status.Phase)
	f["status.podIP"] = podIP
	f["status.nominatedNodeName"] = p.Status.NominatedNodeName
	return f
}

// nodeFields is the node registry's selectable field set.
func nodeFields(n *corev1.Node) fields.Set {
	return fields.Set{
		"metadata.name":      n.Name,
		"spec.unschedulable": strconv.FormatBool(n.Spec.Unschedulable),
	}
}

// serviceFields is the service registry's selectable field set.
func serviceFields(s *corev1.Service) fields.Set {
	f := metaFields(&s.ObjectMeta)
	f["spec.clusterIP"] = s.Spec.ClusterIP
	f["spec.type"] = string(s.Spec.Type)
	return f
}

func endpointsFields(e *corev1.Endpoints) fields.Set { return metaFields(&e.ObjectMeta) }

func endpointSliceFields(e *discoveryv1.EndpointSlice) fields.Set {
	return metaFields(&e.ObjectMeta)
}

func ingressFields(i *networkingv1.Ingress) fields.Set { return metaFields(&i.ObjectMeta) }
