package discovery_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sdinspect/sdinspect/discovery"
)

// listedObjects spans two namespaces and every kind Listed counts, with
// labels and fields for the selectors to tell apart.
var listedObjects = []string{
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n",
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n",
	"apiVersion: v1\nkind: Node\nmetadata: {name: n1, labels: {zone: z1}}\n",
	"apiVersion: v1\nkind: Node\nmetadata: {name: n2, labels: {zone: z2}}\nspec: {unschedulable: true}\n",
	"apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: a, labels: {app: web}}\nspec: {nodeName: n1, containers: [{name: c, image: i}]}\nstatus: {phase: Running, podIP: 10.0.0.1}\n",
	"apiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: a, labels: {app: db}}\nspec: {nodeName: n2, containers: [{name: c, image: i}]}\nstatus: {phase: Pending, podIP: 10.0.0.2}\n",
	"apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: b, labels: {app: web}}\nspec: {nodeName: n1, containers: [{name: c, image: i}]}\nstatus: {phase: Running, podIP: 10.0.1.1}\n",
	"apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: a, labels: {app: web}}\nspec: {type: ClusterIP, ports: [{port: 80}]}\n",
	"apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: b, labels: {app: web}}\nspec: {type: NodePort, ports: [{port: 80}]}\n",
	"apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: b, labels: {app: db}}\nspec: {ports: [{port: 5432}]}\n",
	"apiVersion: v1\nkind: Endpoints\nmetadata: {name: web, namespace: a, labels: {app: web}}\n",
	"apiVersion: v1\nkind: Endpoints\nmetadata: {name: web, namespace: b, labels: {app: web}}\n",
	"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: web-1, namespace: a, labels: {app: web}}\naddressType: IPv4\nendpoints: []\n",
	"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: web-2, namespace: a, labels: {app: web}}\naddressType: IPv4\nendpoints: []\n",
	"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: db-1, namespace: b, labels: {app: db}}\naddressType: IPv4\nendpoints: []\n",
	"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: a}\nspec: {rules: [{host: web.example.com}]}\n",
	"apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: web-123, namespace: a}\nspec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}}}\n",
	"apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: web-456, namespace: b}\nspec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}}}\n",
	"apiVersion: batch/v1\nkind: Job\nmetadata: {name: backup, namespace: b}\nspec: {template: {spec: {containers: [{name: c, image: i}], restartPolicy: Never}}}\n",
}

func TestListed(t *testing.T) {
	snap := snapshot(t, listedObjects...)
	tests := []struct {
		name string
		sd   string
		own  string
		want map[string]int
	}{
		{name: "node role", sd: "role: node", want: map[string]int{"nodes": 2}},
		{name: "node role with a label selector", sd: "role: node\nselectors: [{role: node, label: zone=z1}]",
			want: map[string]int{"nodes": 1}},
		{name: "node role with a field selector", sd: "role: node\nselectors: [{role: node, field: spec.unschedulable=true}]",
			want: map[string]int{"nodes": 1}},
		{name: "pod role in all namespaces", sd: "role: pod", want: map[string]int{"pods": 3}},
		{name: "pod role in one namespace", sd: "role: pod\nnamespaces: {names: [a]}", want: map[string]int{"pods": 2}},
		{name: "pod role with a label selector", sd: "role: pod\nselectors: [{role: pod, label: app=web}]",
			want: map[string]int{"pods": 2}},
		{name: "pod role with a field selector", sd: "role: pod\nselectors: [{role: pod, field: status.phase=Running}]",
			want: map[string]int{"pods": 2}},
		// The node selector filters the node informer of attach_metadata.node.
		{name: "pod role with all metadata attached",
			sd:   "role: pod\nnamespaces: {names: [a]}\nattach_metadata: {node: true, namespace: true, deployment: true, cronjob: true}\nselectors: [{role: node, label: zone=z2}]",
			want: map[string]int{"pods": 2, "nodes": 1, "namespaces": 2, "replicasets": 1, "jobs": 0}},
		{name: "pod role with job metadata lists jobs", sd: "role: pod\nattach_metadata: {job: true}",
			want: map[string]int{"pods": 3, "jobs": 1}},
		{name: "pod role with own namespace", sd: "role: pod\nnamespaces: {own_namespace: true}", own: "b",
			want: map[string]int{"pods": 1}},
		// No namespace at all: only the cluster-wide informers list.
		{name: "pod role with own namespace unknown", sd: "role: pod\nnamespaces: {own_namespace: true}\nattach_metadata: {node: true}",
			want: map[string]int{"nodes": 2}},
		{name: "service role", sd: "role: service\nattach_metadata: {namespace: true}",
			want: map[string]int{"services": 3, "namespaces": 2}},
		{name: "service role with a field selector", sd: "role: service\nselectors: [{role: service, field: spec.type=NodePort}]",
			want: map[string]int{"services": 1}},
		{name: "ingress role", sd: "role: ingress\nnamespaces: {names: [b]}", want: map[string]int{"ingresses": 0}},
		// Deployment metadata is not attached to services; nothing more is listed.
		{name: "service role ignores pod metadata", sd: "role: service\nattach_metadata: {deployment: true, node: true}",
			want: map[string]int{"services": 3}},
		{name: "endpoints role", sd: "role: endpoints", want: map[string]int{"endpoints": 2, "services": 3, "pods": 3}},
		{name: "endpoints role selectors feed each informer",
			sd:   "role: endpoints\nselectors: [{role: endpoints, field: metadata.namespace=b}, {role: service, label: app=db}, {role: pod, label: app=web}]",
			want: map[string]int{"endpoints": 1, "services": 1, "pods": 2}},
		{name: "endpointslice role in one namespace with metadata",
			sd:   "role: endpointslice\nnamespaces: {names: [a]}\nattach_metadata: {node: true, namespace: true, deployment: true}",
			want: map[string]int{"endpointslices": 2, "services": 1, "pods": 2, "nodes": 2, "namespaces": 2, "replicasets": 1}},
		{name: "endpointslice role with a selector", sd: "role: endpointslice\nselectors: [{role: endpointslice, label: app in (db)}]",
			want: map[string]int{"endpointslices": 1, "services": 3, "pods": 3}},
		// The endpoints roles make their node informers per namespace.
		{name: "endpointslice role with own namespace unknown", sd: "role: endpointslice\nnamespaces: {own_namespace: true}\nattach_metadata: {node: true}",
			want: map[string]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := discovery.Listed(snap, sdConfig(t, tt.sd), discovery.Options{OwnNamespace: tt.own})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Listed (-want +got):\n%s", diff)
			}
		})
	}
}

// TestListedCountsWhatDiscoverSees holds Listed to Discover's own filtering:
// the pod role makes one group per pod it lists (each pod here has an IP).
func TestListedCountsWhatDiscoverSees(t *testing.T) {
	snap := snapshot(t, listedObjects...)
	for _, sd := range []string{"role: pod", "role: pod\nnamespaces: {names: [b]}", "role: pod\nselectors: [{role: pod, label: app!=db}]"} {
		t.Run(sd, func(t *testing.T) {
			cfg := sdConfig(t, sd)
			groups, err := discovery.Discover(snap, cfg, discovery.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := discovery.Listed(snap, cfg, discovery.Options{})["pods"], len(groups); got != want {
				t.Errorf("Listed pods = %d, Discover made %d pod groups", got, want)
			}
		})
	}
}

func TestListedWithoutConfig(t *testing.T) {
	tests := []struct {
		name string
		sd   string
	}{
		{name: "no config"},
		// Discover reports the refused field selector.
		{name: "field selector the API server refuses", sd: "role: endpoints\nselectors: [{role: endpoints, field: spec.foo=bar}]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := snapshot(t, listedObjects...)
			var got map[string]int
			if tt.sd == "" {
				got = discovery.Listed(snap, nil, discovery.Options{})
			} else {
				got = discovery.Listed(snap, sdConfig(t, tt.sd), discovery.Options{})
			}
			if got != nil {
				t.Errorf("Listed = %v, want nil", got)
			}
		})
	}
}
