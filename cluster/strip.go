package cluster

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// fields is a tree of the fields of an object that are kept when writing a
// snapshot: a key mapped to nil keeps the whole value, a key mapped to a
// tree keeps only those fields of the value (of each element, for a list).
// A kept field is kept even when nothing below it is: an empty `http: {}`
// in an Ingress rule means something an absent one does not.
type fields map[string]fields

// leaves returns a tree keeping the named fields whole.
func leaves(names ...string) fields {
	f := fields{}
	for _, n := range names {
		f[n] = nil
	}
	return f
}

// with returns a copy of f with more fields.
func (f fields) with(more fields) fields {
	out := fields{}
	for k, v := range f {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// Each tree below keeps what discovery reads of a kind, in discovery/*.go,
// and what the API server's field selectors match on (discovery applies
// them offline too), plus the object's identity. Labels and annotations are
// kept for every kind whose metadata becomes labels.

// identityMeta is what identifies an object.
func identityMeta() fields { return leaves("name", "namespace", "uid") }

// ownerRefs keeps what controllerOf reads of owner references: Prometheus
// follows them by kind and name.
func ownerRefs() fields {
	return fields{"ownerReferences": leaves("kind", "name", "controller")}
}

// labeled is the metadata of kinds whose labels and annotations become
// target labels.
func labeled() fields {
	return identityMeta().with(leaves("labels", "annotations"))
}

// keptFields returns the tree of kind (as lookupKind names it).
func keptFields(kind string) fields {
	switch kind {
	case "Pod":
		container := fields{"name": nil, "image": nil, "ports": leaves("name", "containerPort", "protocol")}
		status := leaves("name", "containerID")
		return fields{
			"metadata": labeled().with(ownerRefs()),
			"spec": leaves("nodeName", "restartPolicy", "schedulerName", "serviceAccountName", "hostNetwork").with(fields{
				"containers":     container,
				"initContainers": container,
			}),
			"status": leaves("phase", "podIP", "hostIP", "nominatedNodeName").with(fields{
				"podIPs":                leaves("ip"),
				"conditions":            leaves("type", "status"),
				"containerStatuses":     status,
				"initContainerStatuses": status,
			}),
		}
	case "Service":
		return fields{
			"metadata": labeled(),
			"spec": leaves("type", "clusterIP", "externalName", "loadBalancerIP", "ipFamilyPolicy", "ipFamilies").with(fields{
				"ports": leaves("name", "port", "protocol"),
			}),
			"status": {"loadBalancer": {"ingress": leaves("ip")}},
		}
	case "Endpoints":
		address := leaves("ip", "hostname", "nodeName").with(fields{"targetRef": leaves("kind", "namespace", "name")})
		return fields{
			"metadata": labeled(),
			"subsets": {
				"addresses":         address,
				"notReadyAddresses": address,
				"ports":             leaves("name", "port", "protocol"),
			},
		}
	case "EndpointSlice":
		return fields{
			"metadata":    labeled(),
			"addressType": nil,
			"endpoints": leaves("addresses", "hostname", "nodeName", "zone", "deprecatedTopology").with(fields{
				"conditions": leaves("ready", "serving", "terminating"),
				"targetRef":  leaves("kind", "namespace", "name"),
			}),
			"ports": leaves("name", "port", "protocol", "appProtocol"),
		}
	case "Node":
		return fields{
			"metadata": labeled(),
			"spec":     leaves("providerID", "unschedulable"),
			"status": {
				"addresses":       leaves("type", "address"),
				"conditions":      leaves("type", "status"),
				"daemonEndpoints": {"kubeletEndpoint": leaves("Port")},
			},
		}
	case "Namespace":
		return fields{"metadata": labeled()}
	case "Ingress":
		return fields{
			"metadata": labeled(),
			"spec": {
				"ingressClassName": nil,
				"tls":              leaves("hosts"),
				"rules":            {"host": nil, "http": {"paths": leaves("path")}},
			},
		}
	case "ReplicaSet", "Job":
		return fields{"metadata": identityMeta().with(ownerRefs())}
	}
	return nil
}

// strip returns the fields of obj that discovery reads, as JSON-like
// values, with apiVersion and kind set.
func strip(obj runtime.Object, k kind) (map[string]any, error) {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		m, _ := obj.(metav1.Object)
		return nil, fmt.Errorf("converting %s %q: %w", k.name, displayName(m.GetNamespace(), m.GetName()), err)
	}
	out := prune(u, keptFields(k.name)).(map[string]any)
	if k.name == "Pod" {
		onlyReadyCondition(out)
	}
	omitDefaults(out, k.name)
	out["apiVersion"] = k.apiVersion
	out["kind"] = k.name
	return out, nil
}

// prune keeps of v what keep names; a nil keep keeps v whole.
func prune(v any, keep fields) any {
	if keep == nil {
		return v
	}
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(keep))
		for k, sub := range keep {
			if x, ok := v[k]; ok {
				out[k] = prune(x, sub)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = prune(x, keep)
		}
		return out
	}
	return v
}

// onlyReadyCondition drops pod conditions other than Ready, the only one
// discovery reads.
func onlyReadyCondition(pod map[string]any) {
	status, _ := pod["status"].(map[string]any)
	conds, ok := status["conditions"].([]any)
	if !ok {
		return
	}
	kept := []any{}
	for _, c := range conds {
		if m, _ := c.(map[string]any); m["type"] == "Ready" {
			kept = append(kept, c)
		}
	}
	if len(kept) == 0 {
		// "conditions: []" would read back as an empty list, which is
		// written as no conditions: the same pod, other bytes.
		delete(status, "conditions")
		return
	}
	status["conditions"] = kept
}

// The values the API server gives fields that discovery reads when a
// manifest leaves them out (SetDefaults_PodSpec, SetDefaults_ContainerPort,
// SetDefaults_Service, SetDefaults_Endpoints of
// k8s.io/kubernetes/pkg/apis/core/v1 and SetDefaults_EndpointPort of
// .../discovery/v1). Read puts them back (setDefaults), as the API server
// would have before Prometheus saw the object, and Write leaves them out.
const (
	defaultRestartPolicy = corev1.RestartPolicyAlways
	defaultScheduler     = corev1.DefaultSchedulerName
	defaultProtocol      = corev1.ProtocolTCP
	defaultServiceType   = corev1.ServiceTypeClusterIP
)

// omitDefaults drops from a stripped object of kind the fields that hold
// the default value setDefaults gives them, and a pod's status.podIPs when
// it only repeats status.podIP (as it does for a single-stack pod;
// discovery reads podIPs only when podIP is empty).
func omitDefaults(obj map[string]any, kind string) {
	protocols := func(ports any) {
		ps, _ := ports.([]any)
		for _, p := range ps {
			p, _ := p.(map[string]any)
			omitIf(p, "protocol", string(defaultProtocol))
		}
	}
	spec, _ := obj["spec"].(map[string]any)
	switch kind {
	case "Pod":
		omitIf(spec, "restartPolicy", string(defaultRestartPolicy))
		omitIf(spec, "schedulerName", defaultScheduler)
		for _, list := range []string{"containers", "initContainers"} {
			cs, _ := spec[list].([]any)
			for _, c := range cs {
				c, _ := c.(map[string]any)
				protocols(c["ports"])
			}
		}
		status, _ := obj["status"].(map[string]any)
		if ips, ok := status["podIPs"].([]any); ok && len(ips) == 1 {
			if ip, _ := ips[0].(map[string]any); len(ip) == 1 && ip["ip"] == status["podIP"] {
				delete(status, "podIPs")
			}
		}
	case "Service":
		omitIf(spec, "type", string(defaultServiceType))
		protocols(spec["ports"])
	case "Endpoints":
		subsets, _ := obj["subsets"].([]any)
		for _, ss := range subsets {
			ss, _ := ss.(map[string]any)
			protocols(ss["ports"])
		}
	case "EndpointSlice":
		protocols(obj["ports"])
	}
}

// omitIf deletes m[key] if it holds value.
func omitIf(m map[string]any, key, value string) {
	if v, ok := m[key].(string); ok && v == value {
		delete(m, key)
	}
}

// setDefaults gives the fields above their default value when they are
// empty, as the API server does when it stores an object.
func setDefaults(obj runtime.Object) {
	protocol := func(p *corev1.Protocol) {
		if *p == "" {
			*p = defaultProtocol
		}
	}
	switch o := obj.(type) {
	case *corev1.Pod:
		if o.Spec.RestartPolicy == "" {
			o.Spec.RestartPolicy = defaultRestartPolicy
		}
		if o.Spec.SchedulerName == "" {
			o.Spec.SchedulerName = defaultScheduler
		}
		for _, cs := range [][]corev1.Container{o.Spec.Containers, o.Spec.InitContainers} {
			for i := range cs {
				for j := range cs[i].Ports {
					protocol(&cs[i].Ports[j].Protocol)
				}
			}
		}
	case *corev1.Service:
		if o.Spec.Type == "" {
			o.Spec.Type = defaultServiceType
		}
		for i := range o.Spec.Ports {
			protocol(&o.Spec.Ports[i].Protocol)
		}
	case *corev1.Endpoints:
		for i := range o.Subsets {
			for j := range o.Subsets[i].Ports {
				protocol(&o.Subsets[i].Ports[j].Protocol)
			}
		}
	case *discoveryv1.EndpointSlice:
		for i := range o.Ports {
			if o.Ports[i].Protocol == nil {
				p := defaultProtocol
				o.Ports[i].Protocol = &p
			}
		}
	}
}
