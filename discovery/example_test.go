package discovery_test

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/prometheus/prometheus/discovery/kubernetes"

	"github.com/sdinspect/sdinspect/discovery"
)

func ExampleDiscover() {
	snap := &discovery.Snapshot{
		Pods: []*corev1.Pod{{
			ObjectMeta: metav1.ObjectMeta{Name: "web-0", Namespace: "shop", Labels: map[string]string{"app.kubernetes.io/name": "web"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name:  "app",
				Image: "web:1.0",
				Ports: []corev1.ContainerPort{
					{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP},
					{Name: "metrics", ContainerPort: 9090, Protocol: corev1.ProtocolTCP},
				},
			}}},
			Status: corev1.PodStatus{PodIP: "10.244.1.7", Phase: corev1.PodRunning},
		}},
	}
	cfg := kubernetes.DefaultSDConfig
	cfg.Role = kubernetes.RolePod

	groups, err := discovery.Discover(snap, &cfg, discovery.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, g := range groups {
		fmt.Println(g.Source, g.Labels["__meta_kubernetes_pod_label_app_kubernetes_io_name"])
		for _, t := range g.Targets {
			fmt.Println(" ", t["__address__"], t["__meta_kubernetes_pod_container_port_name"])
		}
	}
	// Output:
	// pod/shop/web-0 web
	//   10.244.1.7:8080 http
	//   10.244.1.7:9090 metrics
}
