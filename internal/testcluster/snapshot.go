package testcluster

import (
	"context"
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sdinspect/sdinspect/discovery"
)

// Snapshot lists, as the admin, every object of the kinds discovery reads
// from all namespaces: what the server stores, after its defaulting and
// admission, including the objects it makes itself (namespaces default,
// kube-system, kube-public and kube-node-lease, service default/kubernetes).
// Lists come in the server's order (by namespace, then name). As in the
// objects client-go hands to Prometheus's informers, kind and apiVersion
// are empty.
func (c *Cluster) Snapshot(t testing.TB) *discovery.Snapshot {
	t.Helper()
	snap, err := c.snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func (c *Cluster) snapshot(ctx context.Context) (*discovery.Snapshot, error) {
	var (
		snap discovery.Snapshot
		all  = metav1.ListOptions{}
	)
	core := c.client.CoreV1()
	pods, err := core.Pods("").List(ctx, all)
	if err != nil {
		return nil, listErr("pods", err)
	}
	snap.Pods = pointers(pods.Items)
	services, err := core.Services("").List(ctx, all)
	if err != nil {
		return nil, listErr("services", err)
	}
	snap.Services = pointers(services.Items)
	endpoints, err := core.Endpoints("").List(ctx, all)
	if err != nil {
		return nil, listErr("endpoints", err)
	}
	snap.Endpoints = pointers(endpoints.Items)
	nodes, err := core.Nodes().List(ctx, all)
	if err != nil {
		return nil, listErr("nodes", err)
	}
	snap.Nodes = pointers(nodes.Items)
	namespaces, err := core.Namespaces().List(ctx, all)
	if err != nil {
		return nil, listErr("namespaces", err)
	}
	snap.Namespaces = pointers(namespaces.Items)
	slices, err := c.client.DiscoveryV1().EndpointSlices("").List(ctx, all)
	if err != nil {
		return nil, listErr("endpointslices", err)
	}
	snap.EndpointSlices = pointers(slices.Items)
	ingresses, err := c.client.NetworkingV1().Ingresses("").List(ctx, all)
	if err != nil {
		return nil, listErr("ingresses", err)
	}
	snap.Ingresses = pointers(ingresses.Items)
	replicaSets, err := c.client.AppsV1().ReplicaSets("").List(ctx, all)
	if err != nil {
		return nil, listErr("replicasets", err)
	}
	snap.ReplicaSets = pointers(replicaSets.Items)
	jobs, err := c.client.BatchV1().Jobs("").List(ctx, all)
	if err != nil {
		return nil, listErr("jobs", err)
	}
	snap.Jobs = pointers(jobs.Items)
	return &snap, nil
}

// pointers returns pointers to the elements of items.
func pointers[T any](items []T) []*T {
	out := make([]*T, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

func listErr(resource string, err error) error {
	return fmt.Errorf("listing %s as the admin: %w", resource, err)
}
