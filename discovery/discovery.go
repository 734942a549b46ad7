// Package discovery turns a Snapshot of Kubernetes objects and a
// kubernetes_sd_config into the target groups that Prometheus's own
// Kubernetes service discovery would emit for the same objects.
//
// Every role builder mirrors the same-named function of the pinned
// Prometheus version's discovery/kubernetes package; a differential test runs
// Prometheus's code against the same objects to hold them equal.
//
// Discover answers for the state after Prometheus's informers have synced:
// every object is built with all other stores filled. Where Prometheus
// itself is not deterministic, Discover picks one of its possible outcomes:
//
//   - Label keys that sanitize to the same name (a.b and a_b on one object)
//     overwrite each other in Go map order there; here the lexically greatest
//     key wins.
//   - The extra targets for pod container ports no endpoint covers come in
//     Go map order there; here they are ordered by pod namespace/name, then
//     container and port order.
//   - In the endpoints and endpointslice roles Prometheus does not wait for
//     the ReplicaSet and Job informers behind attach_metadata.deployment and
//     attach_metadata.cronjob, so __meta_kubernetes_pod_deployment_name and
//     __meta_kubernetes_pod_cronjob_name may be missing right after start.
//     Discover fills them as if those informers had synced, as they have
//     once any later event re-processes the object.
package discovery

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/prometheus/prometheus/discovery/kubernetes"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"github.com/prometheus/prometheus/model/labels"
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
	// namespaces.own_namespace reads in a pod. Empty means unknown: as in
	// getNamespaces, own_namespace then adds nothing, so with no
	// namespaces.names nothing namespaced is discovered. (Prometheus itself
	// refuses to start without that file.)
	OwnNamespace string
}

// builder holds what the role builders share during one Discover call.
type builder struct {
	attach kubernetes.AttachMetadataConfig
	st     *stores
	lab    *labeler
	// arena holds the label sets of the group being built.
	arena *arena
	// podLabelCache holds the pod labels of the object being built, in
	// podArena's memory.
	podLabelCache map[*corev1.Pod][]labels.Label
	podArena      arena
}

// set starts a label set in the group's arena.
func (b *builder) set() labelSet {
	return b.arena.open()
}

// Discover returns the target groups that Prometheus would emit for cfg over
// snap, sorted by Source. Groups without targets are left out, as
// Prometheus's discovery manager drops them.
//
// The snapshot is filtered the way the API server filters the LIST of each
// informer: by cfg's namespaces (and opts.OwnNamespace) and by its label and
// field selectors. A field selector the API server would refuse for that
// resource is an error, as the refused LIST would leave Prometheus without
// any target. snap is only read.
func Discover(snap *Snapshot, cfg *kubernetes.SDConfig, opts Options) ([]*targetgroup.Group, error) {
	var groups []*targetgroup.Group
	err := Each(snap, cfg, opts, func(g *Group) bool {
		groups = append(groups, g.TargetGroup())
		return true
	})
	return groups, err
}

// Each calls yield with the groups Discover returns, in the same order and
// in the form relabeling reads (Group), building each only when it is due,
// so that a caller that is done with a group before taking the next never
// holds them all. It stops early when yield returns false.
func Each(snap *Snapshot, cfg *kubernetes.SDConfig, opts Options, yield func(*Group) bool) error {
	sel, err := validate(cfg)
	if err != nil {
		return err
	}
	if snap == nil {
		snap = &Snapshot{}
	}
	scope := newNamespaceScope(cfg.NamespaceDiscovery, opts.OwnNamespace)
	b := &builder{
		attach:        cfg.AttachMetadata,
		st:            newStores(snap, cfg.Role, cfg.AttachMetadata, sel, scope),
		lab:           newLabeler(),
		podLabelCache: make(map[*corev1.Pod][]labels.Label),
	}
	switch cfg.Role {
	case kubernetes.RoleNode:
		eachGroup(b, b.st.nodes, b.buildNode, yield)
	case kubernetes.RolePod:
		eachGroup(b, selectObjects(snap.Pods, &scope, sel.pod, podFields), b.buildPod, yield)
	case kubernetes.RoleService:
		eachGroup(b, selectObjects(snap.Services, &scope, sel.service, serviceFields), b.buildService, yield)
	case kubernetes.RoleEndpoint:
		eachGroup(b, selectObjects(snap.Endpoints, &scope, sel.endpoints, endpointsFields), b.buildEndpoints, yield)
	case kubernetes.RoleEndpointSlice:
		eachGroup(b, selectObjects(snap.EndpointSlices, &scope, sel.endpointSlice, endpointSliceFields), b.buildEndpointSlice, yield)
	case kubernetes.RoleIngress:
		eachGroup(b, selectObjects(snap.Ingresses, &scope, sel.ingress, ingressFields), b.buildIngress, yield)
	}
	return nil
}

// Validate returns the error Each and Discover would return for cfg
// whatever the objects: a selector the API server would refuse, or an
// unknown role. They return no other.
func Validate(cfg *kubernetes.SDConfig) error {
	_, err := validate(cfg)
	return err
}

// validate is Validate, returning the parsed selectors.
func validate(cfg *kubernetes.SDConfig) (selectors, error) {
	if cfg == nil {
		return selectors{}, errors.New("discovering targets: no kubernetes_sd_config")
	}
	sel, err := parseSelectors(cfg.Selectors)
	if err != nil {
		return selectors{}, fmt.Errorf("role %q: %w", cfg.Role, err)
	}
	switch cfg.Role {
	case kubernetes.RoleNode, kubernetes.RolePod, kubernetes.RoleService, kubernetes.RoleEndpoint, kubernetes.RoleEndpointSlice, kubernetes.RoleIngress:
		return sel, nil
	}
	return selectors{}, fmt.Errorf("unknown Kubernetes SD role %q", cfg.Role)
}

// eachGroup builds one group per object, in the order of the objects' keys,
// which is the order of their groups' sources (a role's sources are its
// keys behind one prefix), and yields those with targets. The pod label
// cache only serves the targets of one object, so it holds one object's
// pods at a time.
func eachGroup[T any](b *builder, objs map[string]T, build func(T) *Group, yield func(*Group) bool) {
	for _, k := range slices.Sorted(maps.Keys(objs)) {
		if b.arena == nil {
			b.arena = newArena()
		}
		g := build(objs[k])
		clear(b.podLabelCache)
		clear(b.podArena.ls) // merged into targets, never handed out
		b.podArena.ls = b.podArena.ls[:0]
		if g == nil || len(g.Targets) == 0 {
			b.arena.ls = b.arena.ls[:0]
			continue
		}
		g.arena, b.arena = b.arena, nil
		if !yield(g) {
			return
		}
	}
}
