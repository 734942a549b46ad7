// Package discovery turns a Snapshot of Kubernetes objects and a
// kubernetes_sd_config into the target groups that Prometheus's own
// Kubernetes service discovery would emit for the same objects.
//
// Every role builder mirrors the same-named function of the pinned
// Prometheus version's discovery/kubernetes package; a differential test runs
// Prometheus's code against the same objects to hold them equal.
package discovery

import (
	"fmt"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/prometheus/prometheus/discovery/kubernetes"
	"github.com/prometheus/prometheus/discovery/targetgroup"
)

// Snapshot holds the Kubernetes objects discovery reads. It is the only thing
// that crosses from where the objects came from (a live API server, snapshot
// or manifest files) to what Prometheus would do with them.
type Snapshot struct {
	Pods           []*corev1.Pod
	Services       []*corev1.Service
	Endpoints      []*corev1.Endpoints
	EndpointSlices []*discoveryv1.EndpointSlice
	Nodes          []*corev1.Node
	Namespaces     []*corev1.Namespace
	Ingresses      []*networkingv1.Ingress
	ReplicaSets    []*appsv1.ReplicaSet
	Jobs           []*batchv1.Job
}

// Options carries what a kubernetes_sd_config leaves to its environment.
type Options struct {
	// OwnNamespace stands in for the service-account namespace file that
	// namespaces.own_namespace reads in a pod. Empty means unknown, as
	// Prometheus treats a missing file.
	OwnNamespace string
}

// Discover returns the target groups that Prometheus would emit for cfg over
// snap, sorted by Source. Groups without targets are left out, as
// Prometheus's discovery manager drops them.
func Discover(snap *Snapshot, cfg *kubernetes.SDConfig, opts Options) ([]*targetgroup.Group, error) {
	return nil, fmt.Errorf("role %q: not implemented", cfg.Role)
}

// sortGroups orders groups by Source so output is stable.
func sortGroups(groups []*targetgroup.Group) {
	sort.Slice(groups, func(i, j int) bool { return groups[i].Source < groups[j].Source })
}
