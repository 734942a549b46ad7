package cluster

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// interner makes equal strings of the objects one Read decodes share one
// copy. Label and annotation names, most label values, namespaces, node
// names, images and port names repeat across thousands of pods; decoded
// one object at a time, each would otherwise be held once per object.
type interner map[string]string

// str replaces *s by the first copy of its value.
func (in interner) str(s *string) {
	if v, ok := in[*s]; ok {
		*s = v
		return
	}
	in[*s] = *s
}

// strMap returns m with its keys and values interned.
func (in interner) strMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return m
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		in.str(&k)
		in.str(&v)
		out[k] = v
	}
	return out
}

// object interns the strings of obj that repeat across objects.
func (in interner) object(obj runtime.Object) {
	m, ok := obj.(metav1.Object)
	if !ok {
		return
	}
	ns := m.GetNamespace()
	in.str(&ns)
	m.SetNamespace(ns)
	m.SetLabels(in.strMap(m.GetLabels()))
	m.SetAnnotations(in.strMap(m.GetAnnotations()))
	refs := m.GetOwnerReferences()
	for i := range refs {
		in.str(&refs[i].APIVersion)
		in.str(&refs[i].Kind)
	}
	switch o := obj.(type) {
	case *corev1.Pod:
		in.str(&o.Spec.NodeName)
		in.str(&o.Spec.ServiceAccountName)
		in.str(&o.Status.HostIP)
		for _, cs := range [][]corev1.Container{o.Spec.Containers, o.Spec.InitContainers} {
			for i := range cs {
				in.str(&cs[i].Name)
				in.str(&cs[i].Image)
				for j := range cs[i].Ports {
					in.str(&cs[i].Ports[j].Name)
				}
			}
		}
		for _, ss := range [][]corev1.ContainerStatus{o.Status.ContainerStatuses, o.Status.InitContainerStatuses} {
			for i := range ss {
				in.str(&ss[i].Name)
			}
		}
	case *discoveryv1.EndpointSlice:
		for i := range o.Endpoints {
			ep := &o.Endpoints[i]
			if ep.NodeName != nil {
				in.str(ep.NodeName)
			}
			if ep.Zone != nil {
				in.str(ep.Zone)
			}
			if r := ep.TargetRef; r != nil {
				in.str(&r.Kind)
				in.str(&r.Namespace)
			}
		}
	case *corev1.Endpoints:
		for i := range o.Subsets {
			for _, as := range [][]corev1.EndpointAddress{o.Subsets[i].Addresses, o.Subsets[i].NotReadyAddresses} {
				for j := range as {
					if as[j].NodeName != nil {
						in.str(as[j].NodeName)
					}
					if r := as[j].TargetRef; r != nil {
						in.str(&r.Kind)
						in.str(&r.Namespace)
					}
				}
			}
		}
	}
}
