package cluster

// What a denied permission does to the jobs that need it, in the words of
// what the user sees in Prometheus.

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	promkubernetes "github.com/prometheus/prometheus/discovery/kubernetes"
)

// primaryResource is the resource whose objects role turns into targets.
func primaryResource(role promkubernetes.Role) string {
	switch role {
	case promkubernetes.RoleNode:
		return resourceNodes
	case promkubernetes.RolePod:
		return resourcePods
	case promkubernetes.RoleService:
		return resourceServices
	case promkubernetes.RoleEndpoint:
		return resourceEndpoints
	case promkubernetes.RoleEndpointSlice:
		return resourceEndpointSlices
	case promkubernetes.RoleIngress:
		return resourceIngresses
	}
	return ""
}

// Blocked is what a denied permission does to one job and role.
type Blocked struct {
	Need Need
	// Effect says what the user sees, such as `role endpoints emits
	// nothing: Prometheus waits for the pods informer to sync`.
	Effect string
}

// blockedBy returns what denying p does to each job and role needing it;
// otherAllowed says whether the other verb (watch for a list, list for a
// watch) on the same resource and namespace is allowed.
func blockedBy(p Permission, otherAllowed bool) []Blocked {
	out := make([]Blocked, len(p.NeededBy))
	for i, n := range p.NeededBy {
		out[i] = Blocked{Need: n, Effect: deniedEffect(p, n, otherAllowed)}
	}
	return out
}

// deniedEffect says what denying p does to the job and role of n, for a
// line that names them first. It follows the Run methods of
// discovery/kubernetes and the reflector of the client-go it is built
// with (v0.37, watch-list on by default):
//
//   - each role waits for the caches of its own informer and of the
//     secondary informers it reads (WaitForCacheSync), except the
//     replicaset and job informers of the endpoints and endpointslice
//     roles, which nothing waits for;
//   - an informer allowed neither verb never syncs, and its role in that
//     namespace (every namespace, for the cluster-wide node and namespace
//     informers) sends no target group at all;
//   - allowed only watch, it syncs through a streaming watch-list where the
//     API server serves one, and never where it falls back to LIST;
//   - allowed only list, it syncs from the LIST, then every watch fails
//     and it lists again after a back-off.
func deniedEffect(p Permission, n Need, otherAllowed bool) string {
	where := ""
	if p.Namespaced() && p.Namespace != metav1.NamespaceAll {
		where = fmt.Sprintf(" in namespace %q", p.Namespace)
	}
	var effect string
	switch {
	case p.Verb == VerbWatch && otherAllowed:
		return fmt.Sprintf("list allowed but watch denied (Prometheus needs both): the %s informer lists, then every watch is refused and it lists everything again after a back-off of up to 30s; targets lag behind the cluster and Prometheus logs \"forbidden\" each time", p.Resource)
	case p.Resource == primaryResource(n.Role) && where == "":
		effect = fmt.Sprintf("no targets at all: Prometheus waits forever for the %s informer to sync", p.Resource)
	case p.Resource == primaryResource(n.Role):
		effect = fmt.Sprintf("no targets%s: Prometheus waits forever for the %s informer to sync", where, p.Resource)
	case unwaited(p.Resource, n.Role):
		effect = fmt.Sprintf("targets%s lack %s: the %s informer never fills, and role %s does not wait for it",
			where, ownerLabel(p.Resource), p.Resource, n.Role)
	default:
		effect = fmt.Sprintf("role %s emits nothing%s: Prometheus waits for the %s informer to sync", n.Role, where, p.Resource)
	}
	if p.Verb == VerbList && otherAllowed {
		return fmt.Sprintf("watch allowed but list denied (Prometheus needs both): the %s informer fills from a streaming watch-list where the API server serves one; where it falls back to a plain LIST (older API servers, a failed watch-list), %s", p.Resource, effect)
	}
	return effect
}

// unwaited reports whether role reads resource without waiting for its
// informer to sync: the replicaset and job informers of attach_metadata
// in the endpoints and endpointslice roles.
func unwaited(resource string, role promkubernetes.Role) bool {
	return (role == promkubernetes.RoleEndpoint || role == promkubernetes.RoleEndpointSlice) &&
		(resource == resourceReplicaSets || resource == resourceJobs)
}

// ownerLabel is the label an owner lookup through resource provides.
func ownerLabel(resource string) string {
	if resource == resourceReplicaSets {
		return "__meta_kubernetes_pod_deployment_name"
	}
	return "__meta_kubernetes_pod_cronjob_name (with attach_metadata.cronjob)"
}
