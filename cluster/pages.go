package cluster

import (
	"bytes"
	"context"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

// listPage asks for one page of a resource in a namespace ("" for all, or
// a cluster-scoped resource).
type listPage func(ctx context.Context, namespace string, opts metav1.ListOptions) (*fetched, error)

// fetched is a page as the API server answered it, whole but not yet
// decoded: decoding a page of 500 pods takes about as long as the server
// takes to send the next one, and the next one can be asked for as soon as
// the continue token is known.
type fetched struct {
	// cont is the page's continue token, read from the answer without
	// decoding it, if known; else decode tells it.
	cont  string
	known bool
	// decode returns the page's objects and its continue token.
	decode func() ([]runtime.Object, string, error)
}

// pageFunc returns the LIST of resource, which must be one that
// resourceType knows.
func pageFunc(cs kubernetes.Interface, resource string) listPage {
	switch resource {
	case resourcePods:
		return typedPages(cs.CoreV1().RESTClient(), resource, func(l *corev1.PodList) []runtime.Object { return objects(l.Items) },
			func(ctx context.Context, ns string, o metav1.ListOptions) (*corev1.PodList, error) {
				return cs.CoreV1().Pods(ns).List(ctx, o)
			})
	case resourceServices:
		return typedPages(cs.CoreV1().RESTClient(), resource, func(l *corev1.ServiceList) []runtime.Object { return objects(l.Items) },
			func(ctx context.Context, ns string, o metav1.ListOptions) (*corev1.ServiceList, error) {
				return cs.CoreV1().Services(ns).List(ctx, o)
			})
	case resourceEndpoints:
		return typedPages(cs.CoreV1().RESTClient(), resource, func(l *corev1.EndpointsList) []runtime.Object { return objects(l.Items) },
			func(ctx context.Context, ns string, o metav1.ListOptions) (*corev1.EndpointsList, error) {
				//nolint:staticcheck // Prometheus's endpoints role lists v1 Endpoints.
				return cs.CoreV1().Endpoints(ns).List(ctx, o)
			})
	case resourceEndpointSlices:
		return typedPages(cs.DiscoveryV1().RESTClient(), resource, func(l *discoveryv1.EndpointSliceList) []runtime.Object { return objects(l.Items) },
			func(ctx context.Context, ns string, o metav1.ListOptions) (*discoveryv1.EndpointSliceList, error) {
				return cs.DiscoveryV1().EndpointSlices(ns).List(ctx, o)
			})
	case resourceNodes:
		return typedPages(cs.CoreV1().RESTClient(), resource, func(l *corev1.NodeList) []runtime.Object { return objects(l.Items) },
			func(ctx context.Context, _ string, o metav1.ListOptions) (*corev1.NodeList, error) {
				return cs.CoreV1().Nodes().List(ctx, o)
			})
	case resourceNamespaces:
		return typedPages(cs.CoreV1().RESTClient(), resource, func(l *corev1.NamespaceList) []runtime.Object { return objects(l.Items) },
			func(ctx context.Context, _ string, o metav1.ListOptions) (*corev1.NamespaceList, error) {
				return cs.CoreV1().Namespaces().List(ctx, o)
			})
	case resourceIngresses:
		return typedPages(cs.NetworkingV1().RESTClient(), resource, func(l *networkingv1.IngressList) []runtime.Object { return objects(l.Items) },
			func(ctx context.Context, ns string, o metav1.ListOptions) (*networkingv1.IngressList, error) {
				return cs.NetworkingV1().Ingresses(ns).List(ctx, o)
			})
	case resourceReplicaSets:
		return typedPages(cs.AppsV1().RESTClient(), resource, func(l *appsv1.ReplicaSetList) []runtime.Object { return objects(l.Items) },
			func(ctx context.Context, ns string, o metav1.ListOptions) (*appsv1.ReplicaSetList, error) {
				return cs.AppsV1().ReplicaSets(ns).List(ctx, o)
			})
	case resourceJobs:
		return typedPages(cs.BatchV1().RESTClient(), resource, func(l *batchv1.JobList) []runtime.Object { return objects(l.Items) },
			func(ctx context.Context, ns string, o metav1.ListOptions) (*batchv1.JobList, error) {
				return cs.BatchV1().Jobs(ns).List(ctx, o)
			})
	}
	return func(context.Context, string, metav1.ListOptions) (*fetched, error) {
		return nil, fmt.Errorf("listing %q: not a resource Kubernetes discovery reads", resource)
	}
}

// typedPages lists resource through rc as its typed client does (the same
// request, decoded the same way), but keeps the answer undecoded until
// fetched.decode. A clientset without a REST client (client-go's fake)
// lists through its typed client, and its pages come decoded.
func typedPages[L any, PL interface {
	*L
	runtime.Object
	GetContinue() string
}](rc rest.Interface, resource string, items func(PL) []runtime.Object, typed func(context.Context, string, metav1.ListOptions) (PL, error)) listPage {
	if c, ok := rc.(*rest.RESTClient); !ok || c == nil {
		return func(ctx context.Context, ns string, o metav1.ListOptions) (*fetched, error) {
			l, err := typed(ctx, ns, o)
			if err != nil {
				return nil, err
			}
			objs, cont := items(l), l.GetContinue()
			return &fetched{cont: cont, known: true, decode: func() ([]runtime.Object, string, error) { return objs, cont, nil }}, nil
		}
	}
	return func(ctx context.Context, ns string, o metav1.ListOptions) (*fetched, error) {
		res := rc.Get().NamespaceIfScoped(ns, ns != "").Resource(resource).VersionedParams(&o, scheme.ParameterCodec).Do(ctx)
		// Error, like Into, prefers the Status an error answer holds.
		if err := res.Error(); err != nil {
			return nil, err
		}
		body, _ := res.Raw()
		cont, known := continueOf(body)
		return &fetched{cont: cont, known: known, decode: func() ([]runtime.Object, string, error) {
			l := PL(new(L))
			if err := res.Into(l); err != nil {
				return nil, "", err
			}
			return items(l), l.GetContinue(), nil
		}}, nil
	}
}

// protobufMagic starts every protobuf answer of the API server.
var protobufMagic = []byte("k8s\x00")

// continueOf reads the continue token of a list the API server answered
// in protobuf, without decoding its items: the answer is a runtime.Unknown
// whose raw bytes (field 2) are the list, whose ListMeta (field 1) holds
// the token (field 3). It reports false for anything else, such as JSON or
// an answer cut short.
func continueOf(body []byte) (string, bool) {
	rest, ok := bytes.CutPrefix(body, protobufMagic)
	if !ok || !protoWhole(rest) {
		return "", false
	}
	list, ok := protoField(rest, 2)
	if !ok {
		return "", false
	}
	meta, ok := protoField(list, 1)
	if !ok {
		return "", false
	}
	cont, ok := protoField(meta, 3)
	if !ok {
		// An empty token is left out: this is the last page.
		return "", protoWhole(meta)
	}
	return string(cont), true
}

// protoField returns the bytes of the first length-delimited field num of
// the protobuf message b, if b is well formed up to it and holds it whole.
func protoField(b []byte, num protowire.Number) ([]byte, bool) {
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return nil, false
		}
		b = b[l:]
		if n == num && typ == protowire.BytesType {
			v, l := protowire.ConsumeBytes(b)
			return v, l >= 0
		}
		l = protowire.ConsumeFieldValue(n, typ, b)
		if l < 0 {
			return nil, false
		}
		b = b[l:]
	}
	return nil, false
}

// protoWhole reports whether b is a well-formed run of protobuf fields.
func protoWhole(b []byte) bool {
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return false
		}
		b = b[l:]
		if l = protowire.ConsumeFieldValue(n, typ, b); l < 0 {
			return false
		}
		b = b[l:]
	}
	return true
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
