package discovery_test

import (
	"fmt"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/prometheus/prometheus/discovery/kubernetes"

	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/internal/gencluster"
)

// benchSnapshot generates pods spread over namespaces and nodes, each with
// typical labels, annotations and ports, a service per workload, and
// EndpointSlices of up to 100 endpoints referencing the pods.
func benchSnapshot(pods int) *discovery.Snapshot {
	const (
		namespaces  = 20
		perWorkload = 50
		perSlice    = 100
	)
	snap := &discovery.Snapshot{}
	for i := range pods {
		ns := "ns-" + strconv.Itoa(i%namespaces)
		workload := "app-" + strconv.Itoa(i/perWorkload)
		snap.Pods = append(snap.Pods, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				Name:      fmt.Sprintf("%s-%d", workload, i),
				Namespace: ns,
				UID:       types.UID("uid-" + strconv.Itoa(i)),
				Labels: map[string]string{
					"app.kubernetes.io/name":     workload,
					"app.kubernetes.io/instance": workload + "-prod",
					"pod-template-hash":          "7d9f8b6c5",
				},
				Annotations: map[string]string{"prometheus.io/scrape": "true", "prometheus.io/port": "9090"},
				OwnerReferences: []metav1.OwnerReference{{
					APIVersion: "apps/v1", Kind: "ReplicaSet", Name: workload + "-7d9f8b6c5", Controller: new(true),
				}},
			},
			Spec: corev1.PodSpec{
				NodeName: "node-" + strconv.Itoa(i%500),
				Containers: []corev1.Container{
					{Name: "app", Image: "registry.example.com/" + workload + ":1.0", Ports: []corev1.ContainerPort{
						{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP},
						{Name: "metrics", ContainerPort: 9090, Protocol: corev1.ProtocolTCP},
					}},
					{Name: "proxy", Image: "envoy:1.31"},
				},
			},
			Status: corev1.PodStatus{
				Phase:      corev1.PodRunning,
				PodIP:      fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255),
				HostIP:     "192.168.0." + strconv.Itoa(i%250),
				Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
			},
		})
	}
	// One slice per perSlice consecutive pods of one namespace.
	byNS := map[string][]*corev1.Pod{}
	for _, p := range snap.Pods {
		byNS[p.Namespace] = append(byNS[p.Namespace], p)
	}
	for ns, list := range byNS {
		for start := 0; start < len(list); start += perSlice {
			end := min(start+perSlice, len(list))
			svc := "svc-" + strconv.Itoa(start/perSlice)
			es := &discoveryv1.EndpointSlice{
				ObjectMeta: metav1.ObjectMeta{
					Name: svc + "-abcde", Namespace: ns,
					Labels: map[string]string{discoveryv1.LabelServiceName: svc},
				},
				AddressType: discoveryv1.AddressTypeIPv4,
				Ports:       []discoveryv1.EndpointPort{{Name: new("http"), Port: new(int32(8080)), Protocol: new(corev1.ProtocolTCP)}},
			}
			for _, p := range list[start:end] {
				es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
					Addresses:  []string{p.Status.PodIP},
					Conditions: discoveryv1.EndpointConditions{Ready: new(true)},
					NodeName:   new(p.Spec.NodeName),
					TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: p.Name},
				})
			}
			snap.EndpointSlices = append(snap.EndpointSlices, es)
			snap.Services = append(snap.Services, &corev1.Service{
				ObjectMeta: metav1.ObjectMeta{Name: svc, Namespace: ns, Labels: map[string]string{"app": svc}},
				Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Ports: []corev1.ServicePort{{Name: "http", Port: 80}}},
			})
		}
	}
	return snap
}

// BenchmarkDiscover builds each role's target groups from a uniform cluster
// of 10,000 pods and from a generated one with every kind of object. There
// is no Prometheus side to run next to it: Prometheus's builders are
// unexported and fed by informers, so its cost cannot be measured apart from
// a watch; the differential tests hold the labels equal instead.
func BenchmarkDiscover(b *testing.B) {
	clusters := []struct {
		name  string
		snap  *discovery.Snapshot
		roles []kubernetes.Role
	}{
		{"uniform", benchSnapshot(10_000), []kubernetes.Role{kubernetes.RolePod, kubernetes.RoleEndpointSlice}},
		{"generated", gencluster.Generate(1, gencluster.Size{Namespaces: 10, Nodes: 100, Apps: 40}), []kubernetes.Role{
			kubernetes.RoleNode, kubernetes.RolePod, kubernetes.RoleService,
			kubernetes.RoleEndpoint, kubernetes.RoleEndpointSlice, kubernetes.RoleIngress,
		}},
	}
	for _, c := range clusters {
		for _, role := range c.roles {
			b.Run("cluster="+c.name+"/role="+string(role)+"/impl=sdinspect", func(b *testing.B) {
				cfg := kubernetes.DefaultSDConfig
				cfg.Role = role
				targets := 0
				b.ReportAllocs()
				for b.Loop() {
					groups, err := discovery.Discover(c.snap, &cfg, discovery.Options{})
					if err != nil {
						b.Fatal(err)
					}
					targets = 0
					for _, g := range groups {
						targets += len(g.Targets)
					}
				}
				if targets == 0 {
					b.Fatal("no targets")
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(targets), "ns/target")
				b.ReportMetric(float64(targets), "targets")
			})
		}
	}
}
