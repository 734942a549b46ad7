package discovery_test

import (
	"testing"

	"github.com/prometheus/common/model"

	"github.com/sdinspect/sdinspect/discovery"
)

func TestServiceTargets(t *testing.T) {
	svc := `
apiVersion: v1
kind: Service
metadata: {name: lb, namespace: edge, labels: {app: lb}}
spec:
  type: LoadBalancer
  clusterIP: 10.96.0.5
  loadBalancerIP: 198.51.100.1
  ports:
  - {name: http, port: 80, targetPort: http, nodePort: 30080, protocol: TCP, appProtocol: http}
  - {name: dns, port: 53, targetPort: 5353, protocol: UDP}
status:
  loadBalancer:
    ingress: [{ip: 203.0.113.1}, {hostname: lb.example.com}, {ip: 203.0.113.2}]
`
	groups := run(t, "role: service", discovery.Options{}, svc)
	common := model.LabelSet{
		"__meta_kubernetes_service_type":            "LoadBalancer",
		"__meta_kubernetes_service_cluster_ip":      "10.96.0.5",
		"__meta_kubernetes_service_loadbalancer_ip": "203.0.113.1,203.0.113.2",
	}
	checkTargets(t, groups, "svc/edge/lb", []model.LabelSet{
		common.Merge(model.LabelSet{
			"__address__":                             "lb.edge.svc:80",
			"__meta_kubernetes_service_port_name":     "http",
			"__meta_kubernetes_service_port_number":   "80",
			"__meta_kubernetes_service_port_protocol": "TCP",
		}),
		common.Merge(model.LabelSet{
			"__address__":                             "lb.edge.svc:53",
			"__meta_kubernetes_service_port_name":     "dns",
			"__meta_kubernetes_service_port_number":   "53",
			"__meta_kubernetes_service_port_protocol": "UDP",
		}),
	})
	checkLabels(t, groups, []labelWant{
		{source: "svc/edge/lb", target: -1, name: "__meta_kubernetes_namespace", value: "edge"},
		{source: "svc/edge/lb", target: -1, name: "__meta_kubernetes_service_name", value: "lb"},
		{source: "svc/edge/lb", target: -1, name: "__meta_kubernetes_service_label_app", value: "lb"},
		{source: "svc/edge/lb", target: -1, name: "__meta_kubernetes_service_type", absent: true},
	})
}

func TestServiceRole(t *testing.T) {
	svc := func(name, spec, status string) string {
		return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + ", namespace: ns}\nspec: {" + spec + "}\nstatus: {" + status + "}\n"
	}
	tests := []struct {
		name    string
		sd      string
		objects []string
		sources []string
		labels  []labelWant
	}{
		{
			name:    "load balancer falls back to spec.loadBalancerIP, ignoring hostnames",
			sd:      "role: service",
			objects: []string{svc("a", "type: LoadBalancer, loadBalancerIP: 198.51.100.7, ports: [{port: 443}]", "loadBalancer: {ingress: [{hostname: x.elb.example.com}]}")},
			sources: []string{"svc/ns/a"},
			labels:  []labelWant{{source: "svc/ns/a", target: 0, name: "__meta_kubernetes_service_loadbalancer_ip", value: "198.51.100.7"}},
		},
		{
			name:    "pending load balancer emits an empty loadbalancer_ip",
			sd:      "role: service",
			objects: []string{svc("b", "type: LoadBalancer, clusterIP: 10.96.0.9, ports: [{port: 80}]", "")},
			sources: []string{"svc/ns/b"},
			labels:  []labelWant{{source: "svc/ns/b", target: 0, name: "__meta_kubernetes_service_loadbalancer_ip", value: ""}},
		},
		{
			name:    "external name replaces cluster ip",
			sd:      "role: service",
			objects: []string{svc("c", "type: ExternalName, externalName: db.example.com, ports: [{port: 5432}]", "")},
			sources: []string{"svc/ns/c"},
			labels: []labelWant{
				{source: "svc/ns/c", target: 0, name: "__address__", value: "c.ns.svc:5432"},
				{source: "svc/ns/c", target: 0, name: "__meta_kubernetes_service_external_name", value: "db.example.com"},
				{source: "svc/ns/c", target: 0, name: "__meta_kubernetes_service_cluster_ip", absent: true},
				{source: "svc/ns/c", target: 0, name: "__meta_kubernetes_service_loadbalancer_ip", absent: true},
			},
		},
		{
			name:    "headless service keeps None",
			sd:      "role: service",
			objects: []string{svc("d", "type: ClusterIP, clusterIP: None, ports: [{name: p, port: 9092}]", "")},
			sources: []string{"svc/ns/d"},
			labels:  []labelWant{{source: "svc/ns/d", target: 0, name: "__meta_kubernetes_service_cluster_ip", value: "None"}},
		},
		{
			name:    "service without ports gives no group",
			sd:      "role: service",
			objects: []string{svc("e", "type: ClusterIP, clusterIP: None", ""), svc("f", "type: ExternalName, externalName: x.example.com", "")},
			sources: []string{},
		},
		{
			name: "field selector on spec.type",
			sd:   "{role: service, selectors: [{role: service, field: spec.type=NodePort}]}",
			objects: []string{
				svc("np", "type: NodePort, ports: [{port: 80, nodePort: 30080}]", ""),
				svc("ci", "type: ClusterIP, ports: [{port: 80}]", ""),
			},
			sources: []string{"svc/ns/np"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			groups := run(t, tt.sd, discovery.Options{}, tt.objects...)
			checkSources(t, groups, tt.sources)
			checkLabels(t, groups, tt.labels)
		})
	}
}
