package main

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
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

// readmeBlock returns the first fenced block of kind (json, yaml) after
// heading in the README.
func readmeBlock(t *testing.T, heading, kind string) string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README has no heading %q", heading)
	}
	_, rest, ok = strings.Cut(rest, "\n```"+kind+"\n")
	if !ok {
		t.Fatalf("README has no ```%s block after %q", kind, heading)
	}
	block, _, ok := strings.Cut(rest, "\n```\n")
	if !ok {
		t.Fatalf("the ```%s block after %q is not closed", kind, heading)
	}
	return block + "\n"
}

// TestAuthCanIReadmeJSON holds the README's JSON example of auth can-i to
// the types the command writes: it decodes without unknown fields, and
// every field the types have is in the README's field table.
func TestAuthCanIReadmeJSON(t *testing.T) {
	t.Parallel()
	block := readmeBlock(t, "#### `auth can-i`", "json")
	dec := json.NewDecoder(strings.NewReader(block))
	dec.DisallowUnknownFields()
	var rep accessReport
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("README's can-i JSON does not decode into what can-i writes: %v", err)
	}
	if rep.APIVersion != report.APIVersion || len(rep.Reviews) == 0 || len(rep.Reviews[0].Permissions) == 0 {
		t.Errorf("README's can-i JSON is incomplete: %+v", rep)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "#### `auth can-i`")
	section, _, _ = strings.Cut(section, "#### `auth rbac`")
	for _, typ := range []reflect.Type{reflect.TypeFor[accessReport](), reflect.TypeFor[accessServer](), reflect.TypeFor[accessPermission]()} {
		for f := range typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name != "apiVersion" && !strings.Contains(section, "`"+name+"`") && !strings.Contains(section, "`"+name+"[]`") {
				t.Errorf("the README's can-i field table does not explain %q", name)
			}
		}
	}
}
