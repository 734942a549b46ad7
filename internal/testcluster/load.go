package testcluster

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"golang.org/x/sync/errgroup"

	"github.com/sdinspect/sdinspect/discovery"
)

// loadConcurrency bounds the requests Load has in flight: enough to keep
// the API server busy, few enough for two cores.
const loadConcurrency = 16

// maxLoadErrors bounds how many rejected objects a Load failure lists.
const maxLoadErrors = 20

// Load creates every object of snap on the server as the admin, namespaces
// first (creating any namespace an object names that snap lacks), then
// nodes, services, endpoints, endpoint slices, replica sets, jobs, pods and
// ingresses. An object that already exists, such as namespace default,
// service default/kubernetes or an object of an earlier Load, is replaced by
// snap's version instead, within what the server lets change (a job keeps
// its selector and pod template).
//
// The server ignores status on create for pods, services and ingresses;
// Load then sets the status of snap's object through the status
// subresource, as a kubelet or a controller would (a pod's qosClass, which
// is immutable, stays what the server computed). Replica set and job
// statuses are not set. Objects are not modified to please the server: it
// validates and defaults them, so what it stores may differ from snap (for
// example podIPs is replaced by podIP when they disagree, protocols
// default to TCP), and a
// comparison must read the objects back (Snapshot). Any object the server
// rejects fails t, naming the object and quoting the server.
//
// Jobs are the exception: the selector and the controller-uid template
// labels that the server generates for a job without spec.manualSelector
// are removed before creating it, since they name the UID of the job the
// snapshot was taken from.
func (c *Cluster) Load(t testing.TB, snap *discovery.Snapshot) {
	t.Helper()
	if err := c.load(t.Context(), snap); err != nil {
		t.Fatal(err)
	}
}

func (c *Cluster) load(ctx context.Context, snap *discovery.Snapshot) error {
	if snap == nil {
		return nil
	}
	if err := c.loadNamespaces(ctx, snap); err != nil {
		return err
	}
	core, disc := c.client.CoreV1(), c.client.DiscoveryV1()
	apps, batch, networking := c.client.AppsV1(), c.client.BatchV1(), c.client.NetworkingV1()
	steps := []func() error{
		func() error {
			return loadEach(ctx, "node", snap.Nodes, func(in *corev1.Node) error {
				stored, err := createOrUpdate(ctx, core.Nodes(), in)
				if err != nil || equality.Semantic.DeepEqual(stored.Status, in.Status) {
					return err
				}
				stored.Status = *in.Status.DeepCopy()
				_, err = core.Nodes().UpdateStatus(ctx, stored, metav1.UpdateOptions{})
				return statusErr(err)
			})
		},
		func() error {
			return loadEach(ctx, "service", snap.Services, func(in *corev1.Service) error {
				stored, err := createOrUpdate(ctx, core.Services(in.Namespace), in)
				if err != nil || equality.Semantic.DeepEqual(stored.Status, in.Status) {
					return err
				}
				stored.Status = *in.Status.DeepCopy()
				_, err = core.Services(in.Namespace).UpdateStatus(ctx, stored, metav1.UpdateOptions{})
				return statusErr(err)
			})
		},
		func() error {
			return loadEach(ctx, "endpoints", snap.Endpoints, func(in *corev1.Endpoints) error {
				_, err := createOrUpdate(ctx, core.Endpoints(in.Namespace), in)
				return err
			})
		},
		func() error {
			return loadEach(ctx, "endpointslice", snap.EndpointSlices, func(in *discoveryv1.EndpointSlice) error {
				_, err := createOrUpdate(ctx, disc.EndpointSlices(in.Namespace), in)
				return err
			})
		},
		func() error {
			return loadEach(ctx, "replicaset", snap.ReplicaSets, func(in *appsv1.ReplicaSet) error {
				_, err := createOrUpdate(ctx, apps.ReplicaSets(in.Namespace), in)
				return err
			})
		},
		func() error {
			return loadEach(ctx, "job", snap.Jobs, func(in *batchv1.Job) error {
				clearGeneratedSelector(in)
				_, err := createOrUpdate(ctx, batch.Jobs(in.Namespace), in, keepGeneratedSelector)
				return err
			})
		},
		func() error {
			return loadEach(ctx, "pod", snap.Pods, func(in *corev1.Pod) error {
				stored, err := createOrUpdate(ctx, core.Pods(in.Namespace), in)
				if err != nil {
					return err
				}
				want := *in.Status.DeepCopy()
				want.QOSClass = stored.Status.QOSClass
				if equality.Semantic.DeepEqual(stored.Status, want) {
					return nil
				}
				stored.Status = want
				_, err = core.Pods(in.Namespace).UpdateStatus(ctx, stored, metav1.UpdateOptions{})
				return statusErr(err)
			})
		},
		func() error {
			return loadEach(ctx, "ingress", snap.Ingresses, func(in *networkingv1.Ingress) error {
				stored, err := createOrUpdate(ctx, networking.Ingresses(in.Namespace), in)
				if err != nil || equality.Semantic.DeepEqual(stored.Status, in.Status) {
					return err
				}
				stored.Status = *in.Status.DeepCopy()
				_, err = networking.Ingresses(in.Namespace).UpdateStatus(ctx, stored, metav1.UpdateOptions{})
				return statusErr(err)
			})
		},
	}
	var errs []error
	for _, step := range steps {
		if err := step(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// loadNamespaces creates snap's namespaces and every other namespace its
// objects are in.
func (c *Cluster) loadNamespaces(ctx context.Context, snap *discovery.Snapshot) error {
	namespaces := c.client.CoreV1().Namespaces()
	err := loadEach(ctx, "namespace", snap.Namespaces, func(in *corev1.Namespace) error {
		_, err := createOrUpdate(ctx, namespaces, in)
		return err
	})
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, ns := range snap.Namespaces {
		have[ns.Name] = true
	}
	var implied []*corev1.Namespace
	for _, ns := range referencedNamespaces(snap) {
		if !have[ns] {
			implied = append(implied, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
		}
	}
	return loadEach(ctx, "namespace", implied, func(in *corev1.Namespace) error {
		_, err := namespaces.Create(ctx, in, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	})
}

// referencedNamespaces returns the namespaces of snap's namespaced objects,
// sorted.
func referencedNamespaces(snap *discovery.Snapshot) []string {
	set := map[string]bool{}
	for _, o := range snap.Objects() {
		set[o.GetNamespace()] = true
	}
	delete(set, "") // cluster-scoped objects
	names := make([]string, 0, len(set))
	for ns := range set {
		names = append(names, ns)
	}
	sort.Strings(names)
	return names
}

// resourceClient is what client-go's typed clients offer for one resource.
type resourceClient[T any] interface {
	Create(ctx context.Context, obj T, opts metav1.CreateOptions) (T, error)
	Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error)
	Update(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error)
}

// createOrUpdate creates in, or replaces the object of the same name when
// there is one, after adjust copied what must not change from it.
func createOrUpdate[T metav1.Object](ctx context.Context, rc resourceClient[T], in T, adjust ...func(current, in T)) (T, error) {
	stored, createErr := rc.Create(ctx, in, metav1.CreateOptions{})
	if createErr == nil {
		return stored, nil
	}
	// Not only AlreadyExists: creating service default/kubernetes with its
	// own ClusterIP fails first on the IP being allocated.
	current, err := rc.Get(ctx, in.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return stored, createErr
	}
	if err != nil {
		return current, err
	}
	in.SetResourceVersion(current.GetResourceVersion())
	for _, f := range adjust {
		f(current, in)
	}
	return rc.Update(ctx, in, metav1.UpdateOptions{})
}

// loadEach runs put over a copy of every object, cleared of what the server
// sets itself, with bounded concurrency, and reports every failure.
func loadEach[T interface {
	metav1.Object
	DeepCopy() T
}](ctx context.Context, kind string, objs []T, put func(T) error) error {
	var (
		mu   sync.Mutex
		errs []error
	)
	var g errgroup.Group
	g.SetLimit(loadConcurrency)
	for _, o := range objs {
		if ctx.Err() != nil {
			break
		}
		in := o.DeepCopy()
		clearServerFields(in)
		g.Go(func() error {
			if err := put(in); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("loading %s %q: %w", kind, objectName(in), err))
				mu.Unlock()
			}
			return nil
		})
	}
	g.Wait()
	if err := ctx.Err(); err != nil {
		errs = append(errs, fmt.Errorf("loading %s objects: %w", kind, err))
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	if n := len(errs); n > maxLoadErrors {
		errs = append(errs[:maxLoadErrors], fmt.Errorf("and %d more %s objects rejected", n-maxLoadErrors, kind))
	}
	return errors.Join(errs...)
}

// clearServerFields removes what the server assigns and refuses (or
// ignores) on create.
func clearServerFields(o metav1.Object) {
	o.SetResourceVersion("")
	o.SetUID("")
	o.SetCreationTimestamp(metav1.Time{})
	o.SetGeneration(0)
	o.SetManagedFields(nil)
	o.SetDeletionTimestamp(nil)
	o.SetDeletionGracePeriodSeconds(nil)
	o.SetSelfLink("")
}

// clearGeneratedSelector removes the selector and template labels the
// server generates for a job, which name the UID of the job they came from.
func clearGeneratedSelector(job *batchv1.Job) {
	if job.Spec.ManualSelector != nil && *job.Spec.ManualSelector {
		return
	}
	job.Spec.Selector = nil
	delete(job.Spec.Template.Labels, "controller-uid")
	delete(job.Spec.Template.Labels, batchv1.ControllerUidLabel)
}

// keepGeneratedSelector gives a job being replaced its current selector and
// pod template, which the server generated in part and which are immutable.
func keepGeneratedSelector(current, in *batchv1.Job) {
	in.Spec.Selector = current.Spec.Selector
	in.Spec.ManualSelector = current.Spec.ManualSelector
	in.Spec.Template = current.Spec.Template
}

func statusErr(err error) error {
	if err != nil {
		return fmt.Errorf("setting its status: %w", err)
	}
	return nil
}

func objectName(o metav1.Object) string {
	if o.GetNamespace() == "" {
		return o.GetName()
	}
	return o.GetNamespace() + "/" + o.GetName()
}
