package discovery

import (
	"strings"

	"github.com/prometheus/common/model"
	networkingv1 "k8s.io/api/networking/v1"
)

// Ingress labels, as discovery/kubernetes/ingress.go names them.
const (
	ingressSchemeLabel    = metaLabelPrefix + "ingress_scheme"
	ingressHostLabel      = metaLabelPrefix + "ingress_host"
	ingressPathLabel      = metaLabelPrefix + "ingress_path"
	ingressClassNameLabel = metaLabelPrefix + "ingress_class_name"
)

func ingressSource(ing *networkingv1.Ingress) string {
	return "ingress/" + ing.Namespace + "/" + ing.Name
}

// rulePaths returns the paths a rule yields targets for: "/" for a rule
// without http, none for http without paths, "" read as "/".
func rulePaths(rule *networkingv1.IngressRule) []string {
	if rule.HTTP == nil {
		return []string{"/"}
	}
	paths := make([]string, len(rule.HTTP.Paths))
	for i, p := range rule.HTTP.Paths {
		paths[i] = p.Path
		if p.Path == "" {
			paths[i] = "/"
		}
	}
	return paths
}

// matchesHostnamePattern reports whether host equals pattern or matches a
// leading-wildcard pattern label by label: "*.example.com" matches
// "a.example.com" but neither "example.com" nor "a.b.example.com".
func matchesHostnamePattern(pattern, host string) bool {
	if pattern == host {
		return true
	}
	patternParts := strings.Split(pattern, ".")
	hostParts := strings.Split(host, ".")
	if patternParts[0] != "*" || len(patternParts) != len(hostParts) {
		return false
	}
	for i := 1; i < len(patternParts); i++ {
		if patternParts[i] != hostParts[i] {
			return false
		}
	}
	return true
}

// buildIngress mirrors (*Ingress).buildIngress: one target per rule path,
// addressed by the rule host without port. The scheme is https when any TLS
// host of the ingress matches the rule host. Backends, pathType and the
// default backend play no part.
func (b *builder) buildIngress(ing *networkingv1.Ingress) *Group {
	tg := &Group{Source: ingressSource(ing)}
	ls := b.set()
	ls.set(namespaceLabel, model.LabelValue(ing.Namespace))
	if cls := ing.Spec.IngressClassName; cls != nil {
		ls.set(ingressClassNameLabel, model.LabelValue(*cls))
	}
	b.lab.addObjectMetaLabels(ls, &ing.ObjectMeta, resourceIngress)
	if b.attach.Namespace {
		b.addNamespaceLabels(ls, ing.Namespace)
	}
	tg.Labels = ls.done()

	for i := range ing.Spec.Rules {
		rule := &ing.Spec.Rules[i]
		scheme := model.LabelValue("http")
	tls:
		for _, t := range ing.Spec.TLS {
			for _, h := range t.Hosts {
				if matchesHostnamePattern(h, rule.Host) {
					scheme = "https"
					break tls
				}
			}
		}
		for _, path := range rulePaths(rule) {
			t := b.set()
			t.set(model.AddressLabel, model.LabelValue(rule.Host))
			t.set(ingressHostLabel, model.LabelValue(rule.Host))
			t.set(ingressPathLabel, model.LabelValue(path))
			t.set(ingressSchemeLabel, scheme)
			tg.Targets = append(tg.Targets, t.done())
		}
	}
	return tg
}
