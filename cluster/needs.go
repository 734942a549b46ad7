package cluster

import (
	"cmp"
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/prometheus/prometheus/discovery/kubernetes"
)

// Resources a kubernetes_sd_config lists, spelled as the API server spells
// them in paths and RBAC rules.
const (
	resourcePods           = "pods"
	resourceServices       = "services"
	resourceEndpoints      = "endpoints"
	resourceEndpointSlices = "endpointslices"
	resourceNodes          = "nodes"
	resourceNamespaces     = "namespaces"
	resourceIngresses      = "ingresses"
	resourceReplicaSets    = "replicasets"
	resourceJobs           = "jobs"
)

// JobSD is one kubernetes_sd_config of a job.
type JobSD struct {
	// Job is the job name, for messages.
	Job string
	// SD is the job's kubernetes_sd_config as Prometheus loaded it.
	SD *kubernetes.SDConfig
	// OwnNamespace stands in for the service-account namespace file that
	// namespaces.own_namespace reads in a pod; empty means unknown, and
	// own_namespace then adds no namespace, as in discovery.Options.
	OwnNamespace string
}

// Need says which job and role a request is made for.
type Need struct {
	Job  string
	Role kubernetes.Role
}

// String formats n for messages: job "x" (role endpoints).
func (n Need) String() string {
	return fmt.Sprintf("job %q (role %s)", n.Job, n.Role)
}

// Request is one LIST an informer of Prometheus's Kubernetes discovery
// makes: a resource, a namespace ("" for all namespaces or a
// cluster-scoped resource) and the selectors passed verbatim.
type Request struct {
	// Resource is the plural resource name, such as "pods" or
	// "endpointslices".
	Resource      string
	Namespace     string
	LabelSelector string
	FieldSelector string
	// NeededBy lists the jobs and roles that make this request, in the
	// order of the jobs given to Requests.
	NeededBy []Need
}

// Group returns the API group of the request's resource ("" for the core
// group), as RBAC rules name it.
func (r Request) Group() string {
	return resourceType(r.Resource).group
}

// Namespaced reports whether the request's resource lives in namespaces.
func (r Request) Namespaced() bool {
	return resourceType(r.Resource).namespaced
}

// String describes the request for messages, such as
// `pods in namespace "shop" with label selector "app=web"`.
func (r Request) String() string {
	s := r.what()
	if r.LabelSelector != "" {
		s += fmt.Sprintf(" with label selector %q", r.LabelSelector)
	}
	if r.FieldSelector != "" {
		if r.LabelSelector != "" {
			s += " and"
		} else {
			s += " with"
		}
		s += fmt.Sprintf(" field selector %q", r.FieldSelector)
	}
	return s
}

// what names the resource and its scope, without selectors:
// `endpointslices.discovery.k8s.io in all namespaces`.
func (r Request) what() string {
	s := r.Resource
	if g := r.Group(); g != "" {
		s += "." + g
	}
	switch {
	case !r.Namespaced():
	case r.Namespace == metav1.NamespaceAll:
		s += " in all namespaces"
	default:
		s += fmt.Sprintf(" in namespace %q", r.Namespace)
	}
	return s
}

// neededBy formats the jobs and roles of r for messages.
func (r Request) neededBy() string {
	s := "needed by "
	for i, n := range r.NeededBy {
		if i > 0 {
			s += ", "
		}
		s += n.String()
	}
	return s
}

// key identifies a request without its NeededBy.
type requestKey struct {
	resource, namespace, label, field string
}

func (r Request) key() requestKey {
	return requestKey{r.Resource, r.Namespace, r.LabelSelector, r.FieldSelector}
}

// Requests returns the LIST requests the informers of Prometheus's
// Kubernetes discovery make for jobs, each once, however many jobs make
// it. It follows Discovery.Run of the pinned Prometheus version: one set of
// namespaced informers per namespace (all namespaces when none is named),
// each role's selector on the informer of that resource, and the
// secondary informers of each role and attach_metadata option (services
// and pods for endpoints and endpointslice; nodes for attach_metadata.node;
// namespaces, unfiltered and cluster-wide, for attach_metadata.namespace;
// replicasets and jobs, unfiltered, for deployment and job or cronjob).
//
// The result is sorted by resource, namespace and selectors.
func Requests(jobs []JobSD) []Request {
	index := map[requestKey]int{}
	var reqs []Request
	for _, j := range jobs {
		if j.SD == nil {
			continue
		}
		need := Need{Job: j.Job, Role: j.SD.Role}
		for _, r := range informers(j.SD, j.OwnNamespace) {
			i, ok := index[r.key()]
			if !ok {
				i = len(reqs)
				index[r.key()] = i
				reqs = append(reqs, r)
			}
			if !slices.Contains(reqs[i].NeededBy, need) {
				reqs[i].NeededBy = append(reqs[i].NeededBy, need)
			}
		}
	}
	sortRequests(reqs)
	return reqs
}

// sortRequests orders requests by resource, namespace and selectors.
func sortRequests(reqs []Request) {
	slices.SortFunc(reqs, func(a, b Request) int {
		return cmp.Or(
			cmp.Compare(a.Resource, b.Resource),
			cmp.Compare(a.Namespace, b.Namespace),
			cmp.Compare(a.LabelSelector, b.LabelSelector),
			cmp.Compare(a.FieldSelector, b.FieldSelector),
		)
	})
}

// selector is the label and field selector of one informer.
type selector struct{ label, field string }

// roleSelectors maps each selector role to its selector as mapSelector
// does: the last selector of a role wins, and roles that config validation
// refuses for the config's own role still feed their informer.
func roleSelectors(cfg []kubernetes.SelectorConfig) map[kubernetes.Role]selector {
	m := map[kubernetes.Role]selector{}
	for _, s := range cfg {
		switch s.Role {
		case kubernetes.RoleNode, kubernetes.RolePod, kubernetes.RoleService,
			kubernetes.RoleEndpoint, kubernetes.RoleEndpointSlice, kubernetes.RoleIngress:
			m[s.Role] = selector{label: s.Label, field: s.Field}
		}
	}
	return m
}

// namespaces is getNamespaces of discovery/kubernetes: no names and no
// own_namespace means all namespaces, own_namespace adds the pod's own
// namespace when it is known.
func namespaces(nd kubernetes.NamespaceDiscovery, own string) []string {
	switch {
	case len(nd.Names) == 0 && !nd.IncludeOwnNamespace:
		return []string{metav1.NamespaceAll}
	case nd.IncludeOwnNamespace && own != "":
		return append(slices.Clip(nd.Names), own)
	}
	return nd.Names
}

// informers returns the LIST requests of one kubernetes_sd_config's
// informers, possibly with repetitions.
func informers(sd *kubernetes.SDConfig, own string) []Request {
	sel := roleSelectors(sd.Selectors)
	attach := sd.AttachMetadata
	var reqs []Request
	add := func(resource, namespace string, role kubernetes.Role) {
		s := sel[role] // role "" is an unfiltered informer: no selector
		reqs = append(reqs, Request{Resource: resource, Namespace: namespace, LabelSelector: s.label, FieldSelector: s.field})
	}
	// Secondary informers of pod metadata, per namespace.
	podOwners := func(ns string) {
		if attach.Deployment {
			add(resourceReplicaSets, ns, "")
		}
		if attach.Job || attach.CronJob {
			add(resourceJobs, ns, "")
		}
	}
	nss := namespaces(sd.NamespaceDiscovery, own)

	switch sd.Role {
	case kubernetes.RoleNode:
		add(resourceNodes, "", kubernetes.RoleNode)
	case kubernetes.RolePod:
		// The node and namespace informers of this role are made once,
		// before the namespaces are walked, even for no namespace at all.
		if attach.Node {
			add(resourceNodes, "", kubernetes.RoleNode)
		}
		if attach.Namespace {
			add(resourceNamespaces, "", "")
		}
		for _, ns := range nss {
			add(resourcePods, ns, kubernetes.RolePod)
			podOwners(ns)
		}
	case kubernetes.RoleService, kubernetes.RoleIngress:
		if attach.Namespace {
			add(resourceNamespaces, "", "")
		}
		resource := resourceServices
		if sd.Role == kubernetes.RoleIngress {
			resource = resourceIngresses
		}
		for _, ns := range nss {
			add(resource, ns, sd.Role)
		}
	case kubernetes.RoleEndpoint, kubernetes.RoleEndpointSlice:
		primary := resourceEndpoints
		if sd.Role == kubernetes.RoleEndpointSlice {
			primary = resourceEndpointSlices
		}
		// Here every namespace gets its own node and namespace
		// informers, which list the same cluster-wide objects.
		for _, ns := range nss {
			add(primary, ns, sd.Role)
			add(resourceServices, ns, kubernetes.RoleService)
			add(resourcePods, ns, kubernetes.RolePod)
			if attach.Node {
				add(resourceNodes, "", kubernetes.RoleNode)
			}
			if attach.Namespace {
				add(resourceNamespaces, "", "")
			}
			podOwners(ns)
		}
	}
	return reqs
}

// resourceInfo is what the client needs to know about a resource.
type resourceInfo struct {
	group, version, kind string
	namespaced           bool
}

// resourceType returns what is known of resource; the zero value for
// resources discovery does not list.
func resourceType(resource string) resourceInfo {
	switch resource {
	case resourcePods:
		return resourceInfo{"", "v1", "Pod", true}
	case resourceServices:
		return resourceInfo{"", "v1", "Service", true}
	case resourceEndpoints:
		return resourceInfo{"", "v1", "Endpoints", true}
	case resourceEndpointSlices:
		return resourceInfo{"discovery.k8s.io", "v1", "EndpointSlice", true}
	case resourceNodes:
		return resourceInfo{"", "v1", "Node", false}
	case resourceNamespaces:
		return resourceInfo{"", "v1", "Namespace", false}
	case resourceIngresses:
		return resourceInfo{"networking.k8s.io", "v1", "Ingress", true}
	case resourceReplicaSets:
		return resourceInfo{"apps", "v1", "ReplicaSet", true}
	case resourceJobs:
		return resourceInfo{"batch", "v1", "Job", true}
	}
	return resourceInfo{}
}
