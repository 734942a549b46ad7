package differential

import (
	"context"
	"fmt"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/prometheus/prometheus/discovery/kubernetes"
	"github.com/prometheus/prometheus/discovery/targetgroup"

	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/internal/oracle"
)

// Settle times for Prometheus's runs. Every role sends groups only after
// all its informers have synced, and the run waits until the role's own
// informer has handed over as many objects as the server lists for it and
// a group came for each, so a short quiet period suffices.
const (
	minWait = 100 * time.Millisecond
	quiet   = 300 * time.Millisecond
	// refusedWait is how long a run whose LISTs the server refuses gets to
	// show that it never settles.
	refusedWait = 3 * time.Second
)

// roleResource returns the resource an informer reads for a role, the
// role of a discovery or of a selector.
func roleResource(role kubernetes.Role) (schema.GroupVersionResource, error) {
	switch role {
	case kubernetes.RolePod:
		return schema.GroupVersionResource{Version: "v1", Resource: "pods"}, nil
	case kubernetes.RoleService:
		return schema.GroupVersionResource{Version: "v1", Resource: "services"}, nil
	case kubernetes.RoleEndpoint:
		return schema.GroupVersionResource{Version: "v1", Resource: "endpoints"}, nil
	case kubernetes.RoleNode:
		return schema.GroupVersionResource{Version: "v1", Resource: "nodes"}, nil
	case kubernetes.RoleEndpointSlice:
		return schema.GroupVersionResource{Group: "discovery.k8s.io", Version: "v1", Resource: "endpointslices"}, nil
	case kubernetes.RoleIngress:
		return schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"}, nil
	}
	return schema.GroupVersionResource{}, fmt.Errorf("unknown role %q", role)
}

// selectorFor returns sd's label and field selector for informers of role.
func selectorFor(sd *kubernetes.SDConfig, role kubernetes.Role) metav1.ListOptions {
	for _, s := range sd.Selectors {
		if s.Role == role {
			return metav1.ListOptions{LabelSelector: s.Label, FieldSelector: s.Field}
		}
	}
	return metav1.ListOptions{}
}

// namespacesOf returns the namespaces Prometheus's informers for sd's role
// watch; "" stands for all.
func namespacesOf(sd *kubernetes.SDConfig) []string {
	if sd.Role == kubernetes.RoleNode || len(sd.NamespaceDiscovery.Names) == 0 {
		return []string{""}
	}
	return sd.NamespaceDiscovery.Names
}

// refusedSelector describes the first of sd's selectors the server refuses
// (as it does a field a kind does not support) with the server's answer,
// or returns "". It asks as Prometheus's user.
func (e *env) refusedSelector(ctx context.Context, sd *kubernetes.SDConfig) (string, error) {
	for _, s := range sd.Selectors {
		gvr, err := roleResource(s.Role)
		if err != nil {
			return "", err
		}
		opts := metav1.ListOptions{LabelSelector: s.Label, FieldSelector: s.Field, Limit: 1}
		_, err = e.reader.Resource(gvr).List(ctx, opts)
		if apierrors.IsBadRequest(err) {
			return fmt.Sprintf("list %s?labelSelector=%q&fieldSelector=%q (%v)", gvr.Resource, s.Label, s.Field, err), nil
		}
		if err != nil {
			return "", fmt.Errorf("listing %s with selector %q, %q: %w", gvr.Resource, s.Label, s.Field, err)
		}
	}
	return "", nil
}

// listed counts the objects the informer of sd's role gets from the
// server: its resource in each watched namespace, with the role's
// selectors, listed as Prometheus's user.
func (e *env) listed(ctx context.Context, sd *kubernetes.SDConfig) (int, error) {
	gvr, err := roleResource(sd.Role)
	if err != nil {
		return 0, err
	}
	opts := selectorFor(sd, sd.Role)
	n := 0
	for _, ns := range namespacesOf(sd) {
		list, err := e.reader.Resource(gvr).Namespace(ns).List(ctx, opts)
		if err != nil {
			return 0, fmt.Errorf("listing %s in namespace %q: %w", gvr.Resource, ns, err)
		}
		n += len(list.Items)
	}
	return n, nil
}

// A prometheusRun is Prometheus's discovery for one SD config, running in
// the background against the server as the reader.
type prometheusRun struct {
	done chan struct{}
	// refused describes a selector the server refuses; then Prometheus
	// is expected not to settle, and err says how it did not.
	refused string
	// listed is how many objects the server lists for the role.
	listed int
	groups []*targetgroup.Group
	err    error
}

// startPrometheus starts Prometheus's discovery for sd, holding a slot of
// sem (if not nil) while it runs. Runs mostly wait, for informers and for
// quiet, so many can run at once on few cores.
func (e *env) startPrometheus(ctx context.Context, sem chan struct{}, sd *kubernetes.SDConfig) *prometheusRun {
	r := &prometheusRun{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		if sem != nil {
			sem <- struct{}{}
			defer func() { <-sem }()
		}
		if r.refused, r.err = e.refusedSelector(ctx, sd); r.err != nil {
			return
		}
		opts := oracle.Options{HTTPClientConfig: e.http, MinWait: minWait, Quiet: quiet}
		if r.refused != "" {
			opts.MaxWait = refusedWait
		} else {
			if r.listed, r.err = e.listed(ctx, sd); r.err != nil {
				return
			}
			// The oracle asks only for the role's own resource.
			opts.Listed = func(string) int { return r.listed }
		}
		r.groups, r.err = oracle.DiscoverWithOptions(ctx, e.c.URL, sd, opts)
	}()
	return r
}

// match runs Prometheus's discovery for sd against the server, as the
// reader, and Discover over snap, what the server stores, and fails t on
// any difference. It returns the number of targets Prometheus found.
func (e *env) match(t *testing.T, snap *discovery.Snapshot, sd *kubernetes.SDConfig, opts discovery.Options) int {
	t.Helper()
	return e.check(t, e.startPrometheus(t.Context(), nil, sd), snap, sd, opts)
}

// check waits for run and holds Discover's output for snap and sd to it.
// It returns the number of targets Prometheus found.
func (e *env) check(t *testing.T, run *prometheusRun, snap *discovery.Snapshot, sd *kubernetes.SDConfig, opts discovery.Options) int {
	t.Helper()
	<-run.done
	if run.refused != "" {
		checkRefused(t, run, snap, sd, opts)
		return 0
	}
	if run.err != nil {
		t.Fatalf("Prometheus: %v", run.err)
	}
	ours, err := discovery.Discover(snap, sd, opts)
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	for i, g := range ours {
		if len(g.Targets) == 0 {
			t.Errorf("Discover returned group %s without targets", g.Source)
		}
		if i > 0 && ours[i-1].Source >= g.Source {
			t.Errorf("Discover's groups are not sorted by Source: %s before %s", ours[i-1].Source, g.Source)
		}
	}
	targets := countTargets(run.groups)
	t.Logf("role %s: %d listed; Prometheus: %d groups, %d targets; Discover: %d groups, %d targets",
		sd.Role, run.listed, len(run.groups), targets, len(ours), countTargets(ours))
	if d := oracle.Diff(ours, run.groups, 40); d != "" {
		// The test's name says the fixture, or the seed and variant.
		t.Errorf("%s: role %s: %s", t.Name(), sd.Role, d)
	}
	return targets
}

// checkRefused holds Discover to what Prometheus does when the server
// refuses one of its LISTs: its informer never syncs and it sends nothing.
func checkRefused(t *testing.T, run *prometheusRun, snap *discovery.Snapshot, sd *kubernetes.SDConfig, opts discovery.Options) {
	t.Helper()
	if run.err == nil && len(run.groups) > 0 {
		t.Fatalf("the server refuses %s, yet Prometheus settled on %d groups", run.refused, len(run.groups))
	}
	ours, err := discovery.Discover(snap, sd, opts)
	if err == nil && len(ours) > 0 {
		t.Fatalf("the server refuses %s, so Prometheus finds nothing; Discover found %d groups", run.refused, len(ours))
	}
	t.Logf("the server refuses %s; Prometheus: %v; Discover: %d groups, error %v", run.refused, run.err, len(ours), err)
}

func countTargets(groups []*targetgroup.Group) int {
	n := 0
	for _, g := range groups {
		n += len(g.Targets)
	}
	return n
}
