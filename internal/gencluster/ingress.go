package gencluster

import (
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/utils/ptr"
)

// genIngresses adds up to two ingresses to namespace, with rules that have
// no host, wildcard hosts, no HTTP section or one without paths, and TLS
// entries whose wildcards match some rule hosts and not others.
func (g *gen) genIngresses(namespace string, apps []*app) {
	var backends []string
	for _, a := range apps {
		if a.namespace == namespace {
			backends = append(backends, a.name)
		}
	}
	if len(backends) == 0 {
		return
	}
	for i := 1 + g.intn(3); i > 0; i-- {
		ing := &networkingv1.Ingress{
			ObjectMeta: g.objectMeta(namespace, g.unique("ingress", namespace, fmt.Sprintf("ing-%s", g.suffix(4))), g.labels(map[string]string{"app": pick(g, backends...)}), g.annotations()),
		}
		if g.chance(0.7) {
			ing.Spec.IngressClassName = ptr.To(pick(g, "nginx", "traefik"))
		} else if g.chance(0.5) {
			ing.Annotations = map[string]string{"kubernetes.io/ingress.class": "nginx"}
		}
		hosts := []string{"shop.example.com", "a.example.com", "a.b.example.com", "*.example.com", "", "example.com", "localhost"}
		for j := g.intn(4); j > 0; j-- {
			rule := networkingv1.IngressRule{Host: pick(g, hosts...)}
			switch g.intn(5) {
			case 0: // no http section: one target with path "/"
			case 1: // an http section without paths: no target
				rule.HTTP = &networkingv1.HTTPIngressRuleValue{}
			default:
				rule.HTTP = &networkingv1.HTTPIngressRuleValue{}
				for k := 1 + g.intn(3); k > 0; k-- {
					rule.HTTP.Paths = append(rule.HTTP.Paths, networkingv1.HTTPIngressPath{
						Path:     pick(g, "", "/", "/api", "/static/"),
						PathType: ptr.To(pick(g, networkingv1.PathTypePrefix, networkingv1.PathTypeExact)),
						Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
							Name: pick(g, backends...), Port: networkingv1.ServiceBackendPort{Number: 80},
						}},
					})
				}
			}
			ing.Spec.Rules = append(ing.Spec.Rules, rule)
		}
		for j := g.intn(3); j > 0; j-- {
			tls := networkingv1.IngressTLS{SecretName: "tls-" + g.suffix(4)}
			for k := 1 + g.intn(2); k > 0; k-- {
				tls.Hosts = append(tls.Hosts, pick(g, "*.example.com", "shop.example.com", "*", "*.b.example.com", "example.com", ""))
			}
			ing.Spec.TLS = append(ing.Spec.TLS, tls)
		}
		g.snap.Ingresses = append(g.snap.Ingresses, ing)
	}
}
