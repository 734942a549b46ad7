package differential

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"

	promcommon "github.com/prometheus/common/config"

	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/internal/testcluster"
)

// The identity Prometheus runs as: a user whose client certificate names a
// group that may read what Kubernetes discovery reads, and nothing else.
const (
	readerUser  = "prometheus"
	readerGroup = "sdinspect:discovery-readers"
)

// readerRules are what Prometheus's Kubernetes discovery reads, for every
// role and attach_metadata option.
func readerRules() []rbacv1.PolicyRule {
	verbs := []string{"get", "list", "watch"}
	return []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods", "services", "endpoints", "nodes", "namespaces"}, Verbs: verbs},
		{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: verbs},
		{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingresses"}, Verbs: verbs},
		{APIGroups: []string{"apps"}, Resources: []string{"replicasets"}, Verbs: verbs},
		{APIGroups: []string{"batch"}, Resources: []string{"jobs"}, Verbs: verbs},
	}
}

// An env is the shared server as one test uses it.
type env struct {
	c     *testcluster.Cluster
	admin kubernetes.Interface
	// reader lists object metadata as Prometheus's user does.
	reader metadata.Interface
	// http is the tls_config Prometheus gets, as in a scrape config's
	// kubernetes_sd_configs entry.
	http *promcommon.HTTPClientConfig
}

// setup returns the shared server with a reader identity for t, emptied
// of what earlier tests stored.
func setup(t *testing.T) *env {
	t.Helper()
	c := cluster.Get(t)
	c.Grant(t, readerGroup, readerRules()...)
	certFile, keyFile := c.ClientCert(t, readerUser, readerGroup)
	admin, err := kubernetes.NewForConfig(c.Admin)
	if err != nil {
		t.Fatalf("creating the admin client: %v", err)
	}
	reader, err := metadata.NewForConfig(c.UserConfig(certFile, keyFile))
	if err != nil {
		t.Fatalf("creating the reader's metadata client: %v", err)
	}
	http := promcommon.DefaultHTTPClientConfig
	http.TLSConfig = promcommon.TLSConfig{CAFile: c.CAFile, CertFile: certFile, KeyFile: keyFile}
	e := &env{c: c, admin: admin, reader: reader, http: &http}
	e.reset(t)
	return e
}

// isBootstrapNamespace tells the namespaces the API server makes itself and
// keeps: reset empties them instead of deleting them.
func isBootstrapNamespace(name string) bool {
	switch name {
	case metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic, corev1.NamespaceNodeLease:
		return true
	}
	return false
}

// resetConcurrency bounds the namespaces reset empties at once.
const resetConcurrency = 8

// reset deletes every object a test stored: the objects of the kinds
// discovery reads in every namespace (but the API server's own service
// default/kubernetes), all nodes, and all namespaces but the API server's
// own, whose labels and annotations go back to what it gives them. No
// controller runs, so reset removes a deleted namespace's finalizer itself,
// deletes pods without grace, as no kubelet would confirm, and leaves no
// object to a garbage collector.
func (e *env) reset(t testing.TB) {
	t.Helper()
	if err := e.resetErr(t.Context()); err != nil {
		t.Fatalf("emptying the API server: %v", err)
	}
}

func (e *env) resetErr(ctx context.Context) error {
	core := e.admin.CoreV1()
	namespaces, err := core.Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing namespaces: %w", err)
	}
	var g errgroup.Group
	g.SetLimit(resetConcurrency)
	for _, ns := range namespaces.Items {
		g.Go(func() error { return e.emptyNamespace(ctx, ns.Name) })
	}
	g.Go(func() error {
		err := core.Nodes().DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{})
		if err != nil {
			return fmt.Errorf("deleting nodes: %w", err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return err
	}
	for _, ns := range namespaces.Items {
		g.Go(func() error {
			if isBootstrapNamespace(ns.Name) {
				return e.restoreNamespace(ctx, ns.Name)
			}
			return e.deleteNamespace(ctx, ns.Name)
		})
	}
	return g.Wait()
}

// emptyNamespace deletes the objects of the kinds discovery reads in ns.
func (e *env) emptyNamespace(ctx context.Context, ns string) error {
	all := metav1.ListOptions{}
	// Background propagation: batch/v1 jobs default to orphaning, which
	// leaves a finalizer only the garbage collector removes.
	background := metav1.DeletePropagationBackground
	now := metav1.DeleteOptions{GracePeriodSeconds: new(int64), PropagationPolicy: &background}
	steps := map[string]func() error{
		"pods":           func() error { return e.admin.CoreV1().Pods(ns).DeleteCollection(ctx, now, all) },
		"endpoints":      func() error { return e.admin.CoreV1().Endpoints(ns).DeleteCollection(ctx, now, all) },
		"endpointslices": func() error { return e.admin.DiscoveryV1().EndpointSlices(ns).DeleteCollection(ctx, now, all) },
		"ingresses":      func() error { return e.admin.NetworkingV1().Ingresses(ns).DeleteCollection(ctx, now, all) },
		"replicasets":    func() error { return e.admin.AppsV1().ReplicaSets(ns).DeleteCollection(ctx, now, all) },
		"jobs":           func() error { return e.admin.BatchV1().Jobs(ns).DeleteCollection(ctx, now, all) },
		"services": func() error {
			// Services have no deletecollection.
			services, err := e.admin.CoreV1().Services(ns).List(ctx, all)
			if err != nil {
				return err
			}
			for _, s := range services.Items {
				if ns == metav1.NamespaceDefault && s.Name == "kubernetes" {
					continue
				}
				if err := e.admin.CoreV1().Services(ns).Delete(ctx, s.Name, now); err != nil && !apierrors.IsNotFound(err) {
					return err
				}
			}
			return nil
		},
	}
	for resource, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("deleting %s in namespace %q: %w", resource, ns, err)
		}
	}
	return nil
}

// deleteNamespace deletes ns and, standing in for the namespace
// controller, clears its finalizer so that it goes at once.
func (e *env) deleteNamespace(ctx context.Context, name string) error {
	namespaces := e.admin.CoreV1().Namespaces()
	err := namespaces.Delete(ctx, name, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deleting namespace %q: %w", name, err)
	}
	ns, err := namespaces.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading namespace %q being deleted: %w", name, err)
	}
	ns.Spec.Finalizers = nil
	_, err = namespaces.Finalize(ctx, ns, metav1.UpdateOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("finalizing namespace %q: %w", name, err)
	}
	return nil
}

// restoreNamespace gives a namespace of the API server's own the labels and
// annotations the server gave it.
func (e *env) restoreNamespace(ctx context.Context, name string) error {
	namespaces := e.admin.CoreV1().Namespaces()
	ns, err := namespaces.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("reading namespace %q: %w", name, err)
	}
	want := map[string]string{corev1.LabelMetadataName: name}
	if len(ns.Annotations) == 0 && len(ns.Labels) == 1 && ns.Labels[corev1.LabelMetadataName] == name {
		return nil
	}
	ns.Labels, ns.Annotations = want, nil
	if _, err := namespaces.Update(ctx, ns, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("restoring namespace %q: %w", name, err)
	}
	return nil
}

// A refusal records what Load would have failed a test with, so that a
// fixture the server refuses to store can be reported and left out
// instead of failing the test.
type refusal struct {
	testing.TB
	mu  sync.Mutex
	msg []string
}

func (r *refusal) record(args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msg = append(r.msg, fmt.Sprint(args...))
}

func (r *refusal) Error(args ...any) { r.record(args...) }

func (r *refusal) Errorf(format string, args ...any) { r.record(fmt.Sprintf(format, args...)) }

func (r *refusal) Fail() { r.record("failed") }

func (r *refusal) Fatal(args ...any) {
	r.record(args...)
	r.FailNow()
}

func (r *refusal) Fatalf(format string, args ...any) {
	r.record(fmt.Sprintf(format, args...))
	r.FailNow()
}

// FailNow ends the goroutine running Load (see load), not the test.
func (r *refusal) FailNow() { runtime.Goexit() }

// load stores snap with testcluster's Load and returns what the server
// refused, if anything, instead of failing t. Load runs on a goroutine of
// its own, which a refusal ends.
func (e *env) load(t testing.TB, snap *discovery.Snapshot) []string {
	t.Helper()
	r := &refusal{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.c.Load(r, snap)
	}()
	<-done
	return r.msg
}
