package fakeapi

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/sdinspect/sdinspect/discovery"
)

// A resource is one listable collection, for example pods in the core group.
type resource struct {
	groupVersion string // "v1" for the core group, "apps/v1" otherwise
	name         string // plural, as in the URL
	listKind     string
	namespaced   bool
	// fieldNames are the field selector labels the API server accepts for
	// this kind, beyond metadata.name (and metadata.namespace if namespaced).
	fieldNames []string
	objects    []object
}

// An object is a snapshot object with what selectors match against,
// encoded once up front so requests only filter and copy bytes.
type object struct {
	namespace string
	name      string
	labels    map[string]string
	fields    fields.Set
	raw       json.RawMessage
}

// supportsField reports whether the API server accepts name in a field
// selector for r. Unknown field labels make the real server answer 400
// "field label not supported", which a client sees as a failed LIST.
func (r *resource) supportsField(name string) bool {
	switch name {
	case "metadata.name":
		return true
	case "metadata.namespace":
		return r.namespaced
	}
	for _, f := range r.fieldNames {
		if f == name {
			return true
		}
	}
	return false
}

// newObject encodes obj and records the fields its kind exposes to field
// selectors, with the same values the API server computes for them.
func newObject(meta *metav1.ObjectMeta, namespaced bool, extra fields.Set, obj any) (object, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return object{}, fmt.Errorf("encoding %s/%s: %w", meta.Namespace, meta.Name, err)
	}
	set := fields.Set{"metadata.name": meta.Name}
	if namespaced {
		set["metadata.namespace"] = meta.Namespace
	}
	for k, v := range extra {
		set[k] = v
	}
	return object{namespace: meta.Namespace, name: meta.Name, labels: meta.Labels, fields: set, raw: raw}, nil
}

// podFields mirrors the API server's pod field set. status.podIP is the
// first pod IP as the server sees it after converting from v1, where
// status.podIP wins over status.podIPs.
func podFields(p *corev1.Pod) fields.Set {
	podIP := p.Status.PodIP
	if podIP == "" && len(p.Status.PodIPs) > 0 {
		podIP = p.Status.PodIPs[0].IP
	}
	return fields.Set{
		"spec.nodeName":            p.Spec.NodeName,
		"spec.restartPolicy":       string(p.Spec.RestartPolicy),
		"spec.schedulerName":       p.Spec.SchedulerName,
		"spec.serviceAccountName":  p.Spec.ServiceAccountName,
		"spec.hostNetwork":         strconv.FormatBool(p.Spec.HostNetwork),
		"status.phase":             string(p.Status.Phase),
		"status.podIP":             podIP,
		"status.nominatedNodeName": p.Status.NominatedNodeName,
	}
}

// buildResources encodes every object of snap into the collections the
// Kubernetes discovery reads.
func buildResources(snap *discovery.Snapshot) ([]*resource, error) {
	var errs []error
	add := func(r *resource, meta *metav1.ObjectMeta, extra fields.Set, obj any) {
		o, err := newObject(meta, r.namespaced, extra, obj)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.name, err))
			return
		}
		r.objects = append(r.objects, o)
	}

	pods := &resource{groupVersion: "v1", name: "pods", listKind: "PodList", namespaced: true,
		fieldNames: []string{"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
			"spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"}}
	for _, o := range snap.Pods {
		add(pods, &o.ObjectMeta, podFields(o), o)
	}
	services := &resource{groupVersion: "v1", name: "services", listKind: "ServiceList", namespaced: true,
		fieldNames: []string{"spec.clusterIP", "spec.type"}}
	for _, o := range snap.Services {
		add(services, &o.ObjectMeta, fields.Set{"spec.clusterIP": o.Spec.ClusterIP, "spec.type": string(o.Spec.Type)}, o)
	}
	endpoints := &resource{groupVersion: "v1", name: "endpoints", listKind: "EndpointsList", namespaced: true}
	for _, o := range snap.Endpoints {
		add(endpoints, &o.ObjectMeta, nil, o)
	}
	nodes := &resource{groupVersion: "v1", name: "nodes", listKind: "NodeList",
		fieldNames: []string{"spec.unschedulable"}}
	for _, o := range snap.Nodes {
		add(nodes, &o.ObjectMeta, fields.Set{"spec.unschedulable": strconv.FormatBool(o.Spec.Unschedulable)}, o)
	}
	namespaces := &resource{groupVersion: "v1", name: "namespaces", listKind: "NamespaceList",
		fieldNames: []string{"status.phase", "name"}}
	for _, o := range snap.Namespaces {
		add(namespaces, &o.ObjectMeta, fields.Set{"status.phase": string(o.Status.Phase), "name": o.Name}, o)
	}
	slices := &resource{groupVersion: discoveryv1.SchemeGroupVersion.String(), name: "endpointslices",
		listKind: "EndpointSliceList", namespaced: true}
	for _, o := range snap.EndpointSlices {
		add(slices, &o.ObjectMeta, nil, o)
	}
	ingresses := &resource{groupVersion: networkingv1.SchemeGroupVersion.String(), name: "ingresses",
		listKind: "IngressList", namespaced: true}
	for _, o := range snap.Ingresses {
		add(ingresses, &o.ObjectMeta, nil, o)
	}
	// Prometheus never sends selectors for replica sets and jobs, so only
	// the metadata fields every kind has are modelled for them.
	replicaSets := &resource{groupVersion: appsv1.SchemeGroupVersion.String(), name: "replicasets",
		listKind: "ReplicaSetList", namespaced: true}
	for _, o := range snap.ReplicaSets {
		add(replicaSets, &o.ObjectMeta, nil, o)
	}
	jobs := &resource{groupVersion: batchv1.SchemeGroupVersion.String(), name: "jobs", listKind: "JobList", namespaced: true}
	for _, o := range snap.Jobs {
		add(jobs, &o.ObjectMeta, nil, o)
	}
	if len(errs) > 0 {
		return nil, errs[0]
	}

	all := []*resource{pods, services, endpoints, nodes, namespaces, slices, ingresses, replicaSets, jobs}
	for _, r := range all {
		// etcd returns objects in key order, that is by namespace, then name.
		sort.SliceStable(r.objects, func(i, j int) bool {
			a, b := r.objects[i], r.objects[j]
			if a.namespace != b.namespace {
				return a.namespace < b.namespace
			}
			return a.name < b.name
		})
		// An API server holds one object per name; two would make what an
		// informer keeps depend on list order.
		for i := 1; i < len(r.objects); i++ {
			a, b := r.objects[i-1], r.objects[i]
			if a.namespace == b.namespace && a.name == b.name {
				return nil, fmt.Errorf("two %s named %q", r.name, a.namespace+"/"+a.name)
			}
		}
	}
	return all, nil
}
