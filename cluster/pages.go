package cluster

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
)

// listPage lists one page of a resource in a namespace ("" for all, or a
// cluster-scoped resource) and returns its objects and continue token.
type listPage func(ctx context.Context, namespace string, opts metav1.ListOptions) ([]runtime.Object, string, error)

// pageFunc returns the typed LIST of resource, which must be one that
// resourceType knows.
func pageFunc(cs kubernetes.Interface, resource string) listPage {
	switch resource {
	case resourcePods:
		return func(ctx context.Context, ns string, o metav1.ListOptions) ([]runtime.Object, string, error) {
			l, err := cs.CoreV1().Pods(ns).List(ctx, o)
			if err != nil {
				return nil, "", err
			}
			return objects(l.Items), l.Continue, nil
		}
	case resourceServices:
		return func(ctx context.Context, ns string, o metav1.ListOptions) ([]runtime.Object, string, error) {
			l, err := cs.CoreV1().Services(ns).List(ctx, o)
			if err != nil {
				return nil, "", err
			}
			return objects(l.Items), l.Continue, nil
		}
	case resourceEndpoints:
		return func(ctx context.Context, ns string, o metav1.ListOptions) ([]runtime.Object, string, error) {
			//nolint:staticcheck // Prometheus's endpoints role lists v1 Endpoints.
			l, err := cs.CoreV1().Endpoints(ns).List(ctx, o)
			if err != nil {
				return nil, "", err
			}
			return objects(l.Items), l.Continue, nil
		}
	case resourceEndpointSlices:
		return func(ctx context.Context, ns string, o metav1.ListOptions) ([]runtime.Object, string, error) {
			l, err := cs.DiscoveryV1().EndpointSlices(ns).List(ctx, o)
			if err != nil {
				return nil, "", err
			}
			return objects(l.Items), l.Continue, nil
		}
	case resourceNodes:
		return func(ctx context.Context, _ string, o metav1.ListOptions) ([]runtime.Object, string, error) {
			l, err := cs.CoreV1().Nodes().List(ctx, o)
			if err != nil {
				return nil, "", err
			}
			return objects(l.Items), l.Continue, nil
		}
	case resourceNamespaces:
		return func(ctx context.Context, _ string, o metav1.ListOptions) ([]runtime.Object, string, error) {
			l, err := cs.CoreV1().Namespaces().List(ctx, o)
			if err != nil {
				return nil, "", err
			}
			return objects(l.Items), l.Continue, nil
		}
	case resourceIngresses:
		return func(ctx context.Context, ns string, o metav1.ListOptions) ([]runtime.Object, string, error) {
			l, err := cs.NetworkingV1().Ingresses(ns).List(ctx, o)
			if err != nil {
				return nil, "", err
			}
			return objects(l.Items), l.Continue, nil
		}
	case resourceReplicaSets:
		return func(ctx context.Context, ns string, o metav1.ListOptions) ([]runtime.Object, string, error) {
			l, err := cs.AppsV1().ReplicaSets(ns).List(ctx, o)
			if err != nil {
				return nil, "", err
			}
			return objects(l.Items), l.Continue, nil
		}
	case resourceJobs:
		return func(ctx context.Context, ns string, o metav1.ListOptions) ([]runtime.Object, string, error) {
			l, err := cs.BatchV1().Jobs(ns).List(ctx, o)
			if err != nil {
				return nil, "", err
			}
			return objects(l.Items), l.Continue, nil
		}
	}
	return func(context.Context, string, metav1.ListOptions) ([]runtime.Object, string, error) {
		return nil, "", fmt.Errorf("listing %q: not a resource Kubernetes discovery reads", resource)
	}
}

// objects returns pointers to the items of a typed list.
func objects[T any, PT interface {
	*T
	runtime.Object
}](items []T) []runtime.Object {
	out := make([]runtime.Object, len(items))
	for i := range items {
		out[i] = PT(&items[i])
	}
	return out
}
