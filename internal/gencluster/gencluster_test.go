package gencluster_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/internal/gencluster"
)

// size is the size the differential tests use.
func size() gencluster.Size { return gencluster.Size{Namespaces: 3, Nodes: 4, Apps: 5} }

func TestGenerateIsReproducible(t *testing.T) {
	t.Parallel()
	a, b := gencluster.Generate(7, size()), gencluster.Generate(7, size())
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("same seed, different snapshots:\n%s", diff)
	}
	if cmp.Equal(a, gencluster.Generate(8, size())) {
		t.Fatal("seeds 7 and 8 gave the same snapshot")
	}
}

// metas returns every object's kind and metadata.
func metas(s *discovery.Snapshot) map[string][]*metav1.ObjectMeta {
	out := map[string][]*metav1.ObjectMeta{}
	for _, o := range s.Pods {
		out["pod"] = append(out["pod"], &o.ObjectMeta)
	}
	for _, o := range s.Services {
		out["service"] = append(out["service"], &o.ObjectMeta)
	}
	for _, o := range s.Endpoints {
		out["endpoints"] = append(out["endpoints"], &o.ObjectMeta)
	}
	for _, o := range s.EndpointSlices {
		out["endpointslice"] = append(out["endpointslice"], &o.ObjectMeta)
	}
	for _, o := range s.Nodes {
		out["node"] = append(out["node"], &o.ObjectMeta)
	}
	for _, o := range s.Namespaces {
		out["namespace"] = append(out["namespace"], &o.ObjectMeta)
	}
	for _, o := range s.Ingresses {
		out["ingress"] = append(out["ingress"], &o.ObjectMeta)
	}
	for _, o := range s.ReplicaSets {
		out["replicaset"] = append(out["replicaset"], &o.ObjectMeta)
	}
	for _, o := range s.Jobs {
		out["job"] = append(out["job"], &o.ObjectMeta)
	}
	return out
}

// TestGenerateAvoidsNondeterminism checks what would make Prometheus's own
// output depend on map order or store order: two keys of one object that
// sanitize alike, two objects of one kind with one name, and topology keys
// that collide with the "present" labels.
func TestGenerateAvoidsNondeterminism(t *testing.T) {
	t.Parallel()
	invalidLabelChar := regexp.MustCompile(`[^a-zA-Z0-9_]`)
	big := gencluster.Size{Namespaces: 8, Nodes: 10, Apps: 20}
	for seed := int64(1); seed <= 20; seed++ {
		s := gencluster.Generate(seed, size())
		if seed <= 3 {
			s = gencluster.Generate(seed, big)
		}
		for kind, ms := range metas(s) {
			names := map[string]bool{}
			for _, m := range ms {
				id := m.Namespace + "/" + m.Name
				if names[id] {
					t.Errorf("seed %d: two %ss named %s", seed, kind, id)
				}
				names[id] = true
				for what, kv := range map[string]map[string]string{"label": m.Labels, "annotation": m.Annotations} {
					seen := map[string]string{}
					for k := range kv {
						sk := invalidLabelChar.ReplaceAllString(k, "_")
						if other, ok := seen[sk]; ok {
							t.Errorf("seed %d: %s %s: %s keys %q and %q sanitize alike", seed, kind, id, what, k, other)
						}
						seen[sk] = k
					}
				}
			}
		}
		for _, es := range s.EndpointSlices {
			for _, e := range es.Endpoints {
				for k := range e.DeprecatedTopology {
					if strings.HasPrefix(invalidLabelChar.ReplaceAllString(k, "_"), "present_") {
						t.Errorf("seed %d: slice %s has topology key %q", seed, es.Name, k)
					}
				}
			}
		}
	}
}

// TestGenerateCoversOddCases checks that a handful of seeds produce each
// case the differential tests are meant to exercise.
func TestGenerateCoversOddCases(t *testing.T) {
	t.Parallel()
	found := map[string]bool{}
	see := func(name string, ok bool) {
		if ok {
			found[name] = true
		}
	}
	for seed := int64(1); seed <= 5; seed++ {
		s := gencluster.Generate(seed, size())
		for _, p := range s.Pods {
			see("pod without IP", p.Status.PodIP == "")
			see("IPv6 pod", strings.Contains(p.Status.PodIP, ":"))
			see("dual-stack pod", len(p.Status.PodIPs) == 2)
			see("pod without containers", len(p.Spec.Containers) == 0)
			see("pod with 4 containers", len(p.Spec.Containers) == 4)
			see("host network pod", p.Spec.HostNetwork)
			see("pod on missing node", p.Spec.NodeName == "node-gone")
			for _, c := range p.Spec.InitContainers {
				see("sidecar", c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways)
			}
			for _, c := range p.Spec.Containers {
				for _, port := range c.Ports {
					see("unnamed port", port.Name == "")
					see("port without protocol", port.Protocol == "")
				}
			}
			for _, o := range p.OwnerReferences {
				see("owned by "+o.Kind, o.Controller != nil && *o.Controller)
			}
		}
		for _, rs := range s.ReplicaSets {
			see("replicaset of a deployment", len(rs.OwnerReferences) > 0 && rs.OwnerReferences[0].Kind == "Deployment")
		}
		for _, j := range s.Jobs {
			see("job of a cronjob", len(j.OwnerReferences) > 0 && j.OwnerReferences[0].Kind == "CronJob")
		}
		for _, svc := range s.Services {
			see("service type "+string(svc.Spec.Type), true)
			see("headless service", svc.Spec.ClusterIP == corev1.ClusterIPNone)
			see("load balancer with status", len(svc.Status.LoadBalancer.Ingress) > 0)
			see("dual-stack service", svc.Spec.IPFamilyPolicy != nil && *svc.Spec.IPFamilyPolicy != corev1.IPFamilyPolicySingleStack)
		}
		for _, e := range s.Endpoints {
			for _, sub := range e.Subsets {
				see("not ready address", len(sub.NotReadyAddresses) > 0)
				for _, a := range sub.Addresses {
					see("address without target", a.TargetRef == nil)
					see("node target", a.TargetRef != nil && a.TargetRef.Kind == "Node")
					see("cross-namespace target", a.TargetRef != nil && a.TargetRef.Kind == "Pod" && a.TargetRef.Namespace != e.Namespace)
				}
			}
		}
		for _, es := range s.EndpointSlices {
			see("slice "+string(es.AddressType), true)
			for _, p := range es.Ports {
				see("slice port without number", p.Port == nil)
			}
			for _, e := range es.Endpoints {
				see("nil ready condition", e.Conditions.Ready == nil)
				see("hostname", e.Hostname != nil)
				see("zone", e.Zone != nil)
				see("deprecated topology", len(e.DeprecatedTopology) > 0)
			}
		}
		for _, n := range s.Nodes {
			see("node without address", len(n.Status.Addresses) == 0)
		}
		for _, ing := range s.Ingresses {
			see("ingress class", ing.Spec.IngressClassName != nil)
			for _, r := range ing.Spec.Rules {
				see("rule without host", r.Host == "")
				see("wildcard rule host", strings.HasPrefix(r.Host, "*."))
			}
			for _, tls := range ing.Spec.TLS {
				for _, h := range tls.Hosts {
					see("wildcard TLS host", strings.HasPrefix(h, "*"))
				}
			}
		}
	}
	want := []string{
		"pod without IP", "IPv6 pod", "dual-stack pod", "pod without containers", "pod with 4 containers",
		"host network pod", "pod on missing node", "sidecar", "unnamed port", "port without protocol",
		"owned by ReplicaSet", "owned by Job", "owned by StatefulSet", "owned by DaemonSet",
		"replicaset of a deployment", "job of a cronjob",
		"service type ClusterIP", "service type NodePort", "service type LoadBalancer", "service type ExternalName", "service type ",
		"headless service", "load balancer with status", "dual-stack service",
		"not ready address", "address without target", "node target", "cross-namespace target",
		"slice " + string(discoveryv1.AddressTypeIPv4), "slice " + string(discoveryv1.AddressTypeIPv6), "slice " + string(discoveryv1.AddressTypeFQDN),
		"slice port without number", "nil ready condition", "hostname", "zone", "deprecated topology",
		"node without address", "ingress class", "rule without host", "wildcard rule host", "wildcard TLS host",
	}
	for _, w := range want {
		if !found[w] {
			t.Errorf("no %s in seeds 1-5", w)
		}
	}
	if t.Failed() {
		t.Log(fmt.Sprint(found))
	}
}
