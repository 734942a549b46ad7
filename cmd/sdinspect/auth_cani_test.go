package main

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sdinspect/sdinspect/report"
)

func TestAuthCanIText(t *testing.T) {
	t.Parallel()
	node := []accessNeed{{Job: "nodes", Role: "node"}, {Job: "slices", Role: "endpointslice"}}
	blocks := []accessBlock{
		{Job: "nodes", Role: "node", Effect: "no targets at all: Prometheus waits forever for the nodes informer to sync"},
		{Job: "slices", Role: "endpointslice", Effect: "role endpointslice emits nothing: Prometheus waits for the nodes informer to sync"},
	}
	watchOnly := []accessBlock{{Job: "slices", Role: "endpointslice", Effect: "list allowed but watch denied (Prometheus needs both): ..."}}
	slices := []accessNeed{{Job: "slices", Role: "endpointslice"}}
	rep := &accessReport{Reviews: []accessServer{{
		Server: "https://k:6443", Source: "the connection flags", User: "ci", Groups: []string{"system:ci", "system:authenticated"},
		Permissions: []accessPermission{
			{Verb: "list", Group: "discovery.k8s.io", Resource: "endpointslices", Namespace: "mon", Scope: "namespace", Allowed: true, NeededBy: slices},
			{Verb: "watch", Group: "discovery.k8s.io", Resource: "endpointslices", Namespace: "mon", Scope: "namespace", NeededBy: slices, Blocks: watchOnly},
			{Verb: "list", Resource: "nodes", Scope: "cluster", NeededBy: node, Blocks: blocks},
			{Verb: "watch", Resource: "nodes", Scope: "cluster", NeededBy: node, Blocks: blocks},
			{Verb: "list", Resource: "pods", Scope: "all-namespaces", Allowed: true, NeededBy: slices},
		},
	}}}
	want := `User "ci" (groups system:ci) on https://k:6443 (the connection flags):
VERB   RESOURCE                         NAMESPACE  ALLOWED  NEEDED-BY
list   endpointslices.discovery.k8s.io  mon        yes      slices (endpointslice)
watch  endpointslices.discovery.k8s.io  mon        no       slices (endpointslice)
list   nodes                            (cluster)  no       nodes (node), slices (endpointslice)
watch  nodes                            (cluster)  no       nodes (node), slices (endpointslice)
list   pods                             (all)      yes      slices (endpointslice)

DENIED: watch endpointslices.discovery.k8s.io in namespace "mon" blocks:
  job "slices" (role endpointslice): list allowed but watch denied (Prometheus needs both): ...

DENIED: list and watch nodes blocks:
  job "nodes" (role node): no targets at all: Prometheus waits forever for the nodes informer to sync
  job "slices" (role endpointslice): role endpointslice emits nothing: Prometheus waits for the nodes informer to sync
`
	var buf bytes.Buffer
	if err := writeAccessText(&buf, rep, report.Style{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("text (-want +got):\n%s", diff)
	}
}
