package discovery_test

import (
	"testing"

	"github.com/prometheus/common/model"

	"github.com/sdinspect/sdinspect/discovery"
)

func TestIngressTargets(t *testing.T) {
	ing := `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: site, namespace: web, annotations: {kubernetes.io/ingress.class: nginx}}
spec:
  tls:
  - hosts: ["*.example.com", shop.example.org]
  - secretName: no-hosts
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /x, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}
      - {pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}
  - host: example.com
  - host: a.b.example.com
    http: {paths: [{path: /deep, pathType: Exact, backend: {service: {name: s, port: {number: 80}}}}]}
  - host: shop.example.org
  - host: empty-http.example.com
    http: {paths: []}
  - http: {paths: [{path: /healthz, pathType: Exact, backend: {service: {name: s, port: {number: 80}}}}]}
`
	groups := run(t, "role: ingress", discovery.Options{}, ing)
	target := func(host, scheme, path string) model.LabelSet {
		return model.LabelSet{
			"__address__":                      model.LabelValue(host),
			"__meta_kubernetes_ingress_host":   model.LabelValue(host),
			"__meta_kubernetes_ingress_scheme": model.LabelValue(scheme),
			"__meta_kubernetes_ingress_path":   model.LabelValue(path),
		}
	}
	checkTargets(t, groups, "ingress/web/site", []model.LabelSet{
		target("a.example.com", "https", "/x"),
		target("a.example.com", "https", "/"),      // empty path reads as "/"
		target("example.com", "http", "/"),         // no http: "/"; the wildcard needs a label
		target("a.b.example.com", "http", "/deep"), // the wildcard covers one label only
		target("shop.example.org", "https", "/"),   // exact TLS host
		target("", "http", "/healthz"),             // no host: empty address
	})
	checkLabels(t, groups, []labelWant{
		{source: "ingress/web/site", target: -1, name: "__meta_kubernetes_ingress_class_name", absent: true},
		{source: "ingress/web/site", target: -1, name: "__meta_kubernetes_ingress_annotation_kubernetes_io_ingress_class", value: "nginx"},
		{source: "ingress/web/site", target: -1, name: "__meta_kubernetes_ingress_name", value: "site"},
	})
}

func TestIngressRole(t *testing.T) {
	ingress := func(name, spec string) string {
		return "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: " + name + ", namespace: ns}\nspec: {" + spec + "}\n"
	}
	tests := []struct {
		name    string
		objects []string
		sources []string
		labels  []labelWant
	}{
		{
			name:    "class name from spec",
			objects: []string{ingress("a", "ingressClassName: traefik, rules: [{host: a.example.com}]")},
			sources: []string{"ingress/ns/a"},
			labels:  []labelWant{{source: "ingress/ns/a", target: -1, name: "__meta_kubernetes_ingress_class_name", value: "traefik"}},
		},
		{
			name:    "no rules gives no group, default backend ignored",
			objects: []string{ingress("b", "defaultBackend: {service: {name: s, port: {number: 80}}}")},
			sources: []string{},
		},
		{
			name:    "bare wildcard matches single-label hosts only",
			objects: []string{ingress("c", `tls: [{hosts: ["*"]}], rules: [{host: intranet}, {host: a.b}]`)},
			sources: []string{"ingress/ns/c"},
			labels: []labelWant{
				{source: "ingress/ns/c", target: 0, name: "__meta_kubernetes_ingress_scheme", value: "https"},
				{source: "ingress/ns/c", target: 1, name: "__meta_kubernetes_ingress_scheme", value: "http"},
			},
		},
		{
			name:    "wildcard not in first position does not match",
			objects: []string{ingress("d", `tls: [{hosts: ["a.*.com"]}], rules: [{host: a.b.com}]`)},
			sources: []string{"ingress/ns/d"},
			labels:  []labelWant{{source: "ingress/ns/d", target: 0, name: "__meta_kubernetes_ingress_scheme", value: "http"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			groups := run(t, "role: ingress", discovery.Options{}, tt.objects...)
			checkSources(t, groups, tt.sources)
			checkLabels(t, groups, tt.labels)
		})
	}
}
