package discovery_test

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"go.yaml.in/yaml/v2"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/prometheus/prometheus/discovery/kubernetes"

	"github.com/sdinspect/sdinspect/discovery"
)

// selectable is, per role, the resource its informer lists and the field
// selectors the API server accepts for it, each mapped to the field it
// matches on (the API server's field label conversion of k8s.io/kubernetes
// pkg/apis/*/v1, and runtime.DefaultMetaV1FieldSelectorConversion for kinds
// that register none). Written out here, not taken from discovery, so the
// fuzz target checks discovery against it.
var selectable = []struct {
	role     kubernetes.Role
	resource string
	fields   map[string]string
}{
	{role: kubernetes.RolePod, resource: "pods", fields: map[string]string{
		"metadata.name": "metadata.name", "metadata.namespace": "metadata.namespace",
		"spec.nodeName": "spec.nodeName", "spec.host": "spec.nodeName", "spec.restartPolicy": "spec.restartPolicy",
		"spec.schedulerName": "spec.schedulerName", "spec.serviceAccountName": "spec.serviceAccountName",
		"spec.hostNetwork": "spec.hostNetwork", "status.phase": "status.phase", "status.podIP": "status.podIP",
		"status.podIPs": "status.podIPs", "status.nominatedNodeName": "status.nominatedNodeName",
	}},
	{role: kubernetes.RoleService, resource: "services", fields: map[string]string{
		"metadata.name": "metadata.name", "metadata.namespace": "metadata.namespace",
		"spec.clusterIP": "spec.clusterIP", "spec.type": "spec.type",
	}},
	{role: kubernetes.RoleNode, resource: "nodes", fields: map[string]string{
		"metadata.name": "metadata.name", "spec.unschedulable": "spec.unschedulable",
	}},
	{role: kubernetes.RoleEndpoint, resource: "endpoints", fields: metaSelectable()},
	{role: kubernetes.RoleEndpointSlice, resource: "endpointslices", fields: metaSelectable()},
	{role: kubernetes.RoleIngress, resource: "ingresses", fields: metaSelectable()},
}

func metaSelectable() map[string]string {
	return map[string]string{"metadata.name": "metadata.name", "metadata.namespace": "metadata.namespace"}
}

// FuzzSelectors gives a kubernetes_sd_config of one role a label and a
// field selector for that role and one object of the role's kind with the
// labels and field values given, and checks discovery's offline filtering
// against the API server's semantics as k8s.io/apimachinery implements them:
//
//   - Prometheus's own config validation accepts the selectors exactly when
//     labels.Parse and fields.ParseSelector do;
//   - discovery refuses them (Discover fails, Listed is nil) exactly when
//     they do not parse or name a field the API server cannot select the
//     kind by, with a one-line error that quotes the selector; never a panic;
//   - otherwise the object is listed exactly when the parsed label selector
//     matches its labels and the field selector, converted as the API server
//     converts it, matches its selectable fields.
func FuzzSelectors(f *testing.F) {
	f.Add(uint8(0), "app in (web, api),!canary", "status.phase=Running,spec.host!=n2", "app=web\ntier=front", "web-0\nshop\nn1\nAlways\ndefault-scheduler\ndefault\nRunning\n10.0.0.1\n", uint8(1))
	f.Add(uint8(0), "", "status.podIPs=,spec.hostNetwork=true", "", "a\nb\n\n\n\n\n\n\n", uint8(5))
	f.Add(uint8(1), "tier notin (db)", "spec.type==ClusterIP,spec.clusterIP!=None", "tier=web", "svc\nshop\n\n\n\n\n\n\n\n10.96.0.1\nClusterIP", uint8(0))
	f.Add(uint8(2), "kubernetes.io/os=linux", "spec.unschedulable=false", "kubernetes.io/os=linux", "node-a", uint8(0))
	f.Add(uint8(2), "", "metadata.namespace=x", "", "node-a", uint8(2))
	f.Add(uint8(3), "a,b!=c", `metadata.name=web\,x`, "a=1\nb=d", "web,x\nshop", uint8(0))
	f.Add(uint8(4), "x>1", "metadata.name!=a", "x=2", "s\nns", uint8(0))
	f.Add(uint8(5), "a=b=c", "spec.ingressClassName=nginx", "", "i\nns", uint8(0))
	f.Add(uint8(0), "", "foo", "", "", uint8(0))
	f.Fuzz(func(t *testing.T, roleIndex uint8, labelSel, fieldSel, objLabels, values string, flags uint8) {
		sel := selectable[int(roleIndex)%len(selectable)]
		v := strings.Split(values, "\n")
		value := func(i int) string {
			if i < len(v) {
				return v[i]
			}
			return ""
		}
		objFields := fields.Set{"metadata.name": value(0), "metadata.namespace": value(1)}
		meta := metav1.ObjectMeta{Name: value(0), Namespace: value(1), Labels: parseLabels(objLabels)}
		snap := &discovery.Snapshot{}
		switch sel.role {
		case kubernetes.RolePod:
			p := &corev1.Pod{ObjectMeta: meta}
			p.Spec.NodeName, p.Spec.RestartPolicy, p.Spec.SchedulerName = value(2), corev1.RestartPolicy(value(3)), value(4)
			p.Spec.ServiceAccountName, p.Status.Phase, p.Status.NominatedNodeName = value(5), corev1.PodPhase(value(6)), value(8)
			p.Spec.HostNetwork = flags&1 != 0
			// The API server reads the internal object, whose podIP is
			// the first of podIPs when only those are set.
			if flags&4 != 0 {
				p.Status.PodIPs = []corev1.PodIP{{IP: value(7)}}
			} else {
				p.Status.PodIP = value(7)
			}
			for k, i := range map[string]int{"spec.nodeName": 2, "spec.restartPolicy": 3, "spec.schedulerName": 4,
				"spec.serviceAccountName": 5, "status.phase": 6, "status.podIP": 7, "status.nominatedNodeName": 8} {
				objFields[k] = value(i)
			}
			objFields["spec.hostNetwork"] = map[bool]string{false: "false", true: "true"}[p.Spec.HostNetwork]
			snap.Pods = append(snap.Pods, p)
		case kubernetes.RoleService:
			s := &corev1.Service{ObjectMeta: meta}
			s.Spec.ClusterIP, s.Spec.Type = value(9), corev1.ServiceType(value(10))
			objFields["spec.clusterIP"], objFields["spec.type"] = value(9), value(10)
			snap.Services = append(snap.Services, s)
		case kubernetes.RoleNode:
			meta.Namespace = ""
			n := &corev1.Node{ObjectMeta: meta}
			n.Spec.Unschedulable = flags&2 != 0
			objFields = fields.Set{"metadata.name": value(0), "spec.unschedulable": map[bool]string{false: "false", true: "true"}[n.Spec.Unschedulable]}
			snap.Nodes = append(snap.Nodes, n)
		case kubernetes.RoleEndpoint:
			snap.Endpoints = append(snap.Endpoints, &corev1.Endpoints{ObjectMeta: meta})
		case kubernetes.RoleEndpointSlice:
			snap.EndpointSlices = append(snap.EndpointSlices, &discoveryv1.EndpointSlice{ObjectMeta: meta})
		case kubernetes.RoleIngress:
			snap.Ingresses = append(snap.Ingresses, &networkingv1.Ingress{ObjectMeta: meta})
		}

		// What Prometheus accepts.
		text, err := yaml.Marshal(map[string]any{
			"role":      string(sel.role),
			"selectors": []map[string]string{{"role": string(sel.role), "label": labelSel, "field": fieldSel}},
		})
		if err != nil {
			t.Fatal(err)
		}
		cfg := &kubernetes.SDConfig{}
		promErr := yaml.UnmarshalStrict(text, cfg)

		// What the API server accepts and selects.
		ls, labelErr := labels.Parse(labelSel)
		fs, fieldErr := fields.ParseSelector(fieldSel)
		// A config file is UTF-8 text: other strings do not reach
		// Prometheus as they are.
		if utf8.ValidString(labelSel) && utf8.ValidString(fieldSel) && (promErr == nil) != (labelErr == nil && fieldErr == nil) {
			t.Fatalf("Prometheus's validation: %v; label selector: %v; field selector: %v", promErr, labelErr, fieldErr)
		}
		cfg = &kubernetes.SDConfig{Role: sel.role, Selectors: []kubernetes.SelectorConfig{{Role: sel.role, Label: labelSel, Field: fieldSel}}}
		refused := labelErr != nil || fieldErr != nil
		if !refused {
			fs, err = fs.Transform(func(field, value string) (string, string, error) {
				to, ok := sel.fields[field]
				if !ok {
					refused = true
				}
				return to, value, nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}

		_, err = discovery.Discover(snap, cfg, discovery.Options{})
		listed := discovery.Listed(snap, cfg, discovery.Options{})
		if refused {
			if err == nil || listed != nil {
				t.Fatalf("selectors %q, %q for %s: Discover error %v, Listed %v; want both to refuse them", labelSel, fieldSel, sel.resource, err, listed)
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\r\n") || !strings.Contains(msg, sel.resource) ||
				(!strings.Contains(msg, strconv.Quote(labelSel)) && !strings.Contains(msg, strconv.Quote(fieldSel))) {
				t.Fatalf("error %q: want one line naming %s and quoting the selector", msg, sel.resource)
			}
			return
		}
		if err != nil || listed == nil {
			t.Fatalf("selectors %q, %q for %s: Discover error %v, Listed %v; want both to accept them", labelSel, fieldSel, sel.resource, err, listed)
		}
		want := 0
		if ls.Matches(labels.Set(meta.Labels)) && fs.Matches(objFields) {
			want = 1
		}
		if got := listed[sel.resource]; got != want {
			t.Fatalf("selectors %q, %q: %s listed %d, want %d (labels %v, fields %v)", labelSel, fieldSel, sel.resource, got, want, meta.Labels, objFields)
		}
	})
}

// parseLabels reads "key=value" lines; a line without "=" is a key with
// an empty value.
func parseLabels(s string) map[string]string {
	if s == "" {
		return nil
	}
	m := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		k, v, _ := strings.Cut(l, "=")
		m[k] = v
	}
	return m
}
