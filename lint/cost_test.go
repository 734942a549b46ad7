package lint_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sdinspect/sdinspect/lint"
	"github.com/sdinspect/sdinspect/report"
)

// costObjects are 30 pods in three namespaces, of which two in shop are
// labelled tier=frontend, carry a scrape annotation and run on node n2 (zone
// b), and twelve EndpointSlices of twelve Services in shop, of which s2-x
// carries its Service's tier=db label and s0-x does not carry its Service's
// team=payments.
func costObjects() string {
	var docs []string
	for i := range 30 {
		ns := []string{"shop", "batch", "dev"}[i%3]
		labels := fmt.Sprintf("app: app-%d, app.kubernetes.io/part-of: %s", i, ns)
		annotations := "{}"
		node := "n1"
		if i == 0 || i == 3 {
			labels += ", tier: frontend, app.kubernetes.io/component: " + map[int]string{0: "frontend", 3: "api"}[i]
			annotations = `{example.com/scrape: "true"}`
			node = "n2"
		}
		docs = append(docs, fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: p%d, namespace: %s, labels: {%s}, annotations: %s}
spec: {nodeName: %s, containers: [{name: c, image: i, ports: [{name: metrics, containerPort: 8080}]}]}
status: {phase: Running, podIP: 10.0.0.%d}`, i, ns, labels, annotations, node, i+1))
	}
	docs = append(docs, "apiVersion: v1\nkind: Node\nmetadata: {name: n1, labels: {zone: a}}\n",
		"apiVersion: v1\nkind: Node\nmetadata: {name: n2, labels: {zone: b}}\n")
	for i := range 12 {
		svcLabels, esLabels := fmt.Sprintf("app: s%d", i), ""
		switch i {
		case 0:
			svcLabels += ", team: payments"
		case 2:
			svcLabels += ", tier: db"
			esLabels = ", tier: db"
		}
		docs = append(docs, fmt.Sprintf(`apiVersion: v1
kind: Service
metadata: {name: s%d, namespace: shop, labels: {%s}}
spec: {ports: [{name: http, port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: s%d-x, namespace: shop, labels: {kubernetes.io/service-name: s%d%s}}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints: [{addresses: [10.1.0.%d]}]`, i, svcLabels, i, i, esLabels, i+1))
	}
	return strings.Join(docs, "\n---\n")
}

// costJob is a job over costObjects with one keep rule.
func costJob(sd, source, regex string) string {
	return fmt.Sprintf(`scrape_configs:
- job_name: j # job
  kubernetes_sd_configs: [%s]
  relabel_configs:
  - source_labels: [%s] # keep
    action: keep
    regex: '%s'
`, sd, source, regex)
}

func TestListCost(t *testing.T) {
	objects := costObjects()
	const head = "job lists 30 pods, discovers 30 targets and keeps 2: 93% of what it discovers is dropped or invalid"
	tests := []struct {
		name   string
		config string
		// message is "" when no SD107 is expected; the suggestion must
		// hold each of suggests and none of avoid.
		message  string
		suggests []string
		avoid    []string
	}{
		{name: "keep on a pod label in one namespace",
			config:  costJob("{role: pod}", "__meta_kubernetes_pod_label_tier", "frontend"),
			message: head,
			suggests: []string{
				"namespaces: {names: [shop]} would list only the namespaces the kept targets come from, which hold 10 of the 30 targets discovered in 3 namespaces",
				`rule 0 (keep) at PATH:KEEP drops 28 targets on a pod label: selectors: [{role: pod, label: "tier=frontend"}] would have the API server return only the pods it keeps`},
			avoid: []string{"label key as the label name spells it"}},
		{name: "keep on an alternation of a sanitised label",
			config:  costJob("{role: pod}", "__meta_kubernetes_pod_label_app_kubernetes_io_component", "(frontend|api)"),
			message: head,
			suggests: []string{`selectors: [{role: pod, label: "app_kubernetes_io_component in (frontend,api)"}] would have the API server return only the pods it keeps ` +
				"(app_kubernetes_io_component is the label key as the label name spells it"}},
		{name: "keep on labelpresent",
			config:   costJob("{role: pod, namespaces: {names: [shop, batch, dev]}}", "__meta_kubernetes_pod_labelpresent_tier", "true"),
			message:  head,
			suggests: []string{`selectors: [{role: pod, label: "tier"}]`},
			avoid:    []string{"namespaces: {names"}},
		{name: "keep on an annotation",
			config:   costJob("{role: pod}", "__meta_kubernetes_pod_annotation_example_com_scrape", "true"),
			message:  head,
			suggests: []string{"rule 0 (keep) at PATH:KEEP drops 28 targets on a pod annotation (example_com_scrape), which no selector can select"},
			avoid:    []string{"selectors: ["}},
		{name: "existing selector is extended",
			config:   costJob("{role: pod, selectors: [{role: pod, label: 'app!=x', field: status.phase=Running}]}", "__meta_kubernetes_pod_label_tier", "frontend|backend"),
			message:  head,
			suggests: []string{`selectors: [{role: pod, label: "app!=x,tier in (frontend,backend)"}]`}},
		{name: "regex that is no literal",
			config:   costJob("{role: pod}", "__meta_kubernetes_pod_label_tier", "front.*"),
			message:  head,
			suggests: []string{"namespaces: {names: [shop]}"},
			avoid:    []string{"selectors: ["}},
		{name: "keep on a node label",
			config:  costJob("{role: pod, attach_metadata: {node: true}}", "__meta_kubernetes_node_label_zone", "b"),
			message: "job lists 2 nodes, 30 pods, discovers 30 targets and keeps 2: 93% of what it discovers is dropped or invalid",
			suggests: []string{"namespaces: {names: [shop]}",
				"drops 28 targets on a node label: a node selector does not filter the pods that role pod lists"}},
		{name: "nothing to suggest",
			config:   costJob("{role: pod, namespaces: {names: [shop, batch]}}", "__meta_kubernetes_pod_ip", "10\\.0\\.0\\.1"),
			message:  "job lists 20 pods, discovers 20 targets and keeps 1: 95% of what it discovers is dropped or invalid",
			suggests: []string{"namespaces.names or a selectors entry that matches only the objects whose targets are kept"}},
		{name: "endpointslices carry the service label",
			config:  costJob("{role: endpointslice}", "__meta_kubernetes_service_label_tier", "db"),
			message: "job lists 12 endpointslices, 30 pods, 12 services, discovers 12 targets and keeps 1: 91% of what it discovers is dropped or invalid",
			suggests: []string{`drops 11 targets on a service label: selectors: [{role: endpointslice, label: "tier=db"}] would have the API server return only the endpointslices it keeps; ` +
				"the kept targets' endpointslices carry the same label"}},
		{name: "endpointslices lack the service label",
			config:   costJob("{role: endpointslice}", "__meta_kubernetes_service_label_team", "payments"),
			message:  "job lists 12 endpointslices, 30 pods, 12 services, discovers 12 targets and keeps 1: 91% of what it discovers is dropped or invalid",
			suggests: []string{"drops 11 targets on a service label: a service selector filters only the services listed, not the endpointslices"},
			avoid:    []string{"selectors: ["}},
		{name: "90 percent dropped is not more than 90",
			config: costJob("{role: pod}", "__meta_kubernetes_pod_name", "p0|p1|p2")},
		{name: "fewer than 10 targets",
			config: costJob("{role: pod, namespaces: {names: [shop]}, selectors: [{role: pod, label: 'app in (app-0,app-3,app-6,app-9,app-12)'}]}", "__meta_kubernetes_pod_name", "p0")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := evaluate(t, tt.config, objects)
			var got []report.Finding
			for _, f := range ev.resultFindings("j") {
				if f.ID == lint.ListCost {
					got = append(got, f)
				}
			}
			if tt.message == "" {
				if len(got) != 0 {
					t.Fatalf("want no %s, got:\n%s", lint.ListCost, dump(got))
				}
				return
			}
			checkFindings(t, ev, got, []want{{id: lint.ListCost, mark: "job", rule: -1, severity: report.Info, message: tt.message}})
			if len(got) != 1 {
				return
			}
			keep := fmt.Sprintf("%s:%d", ev.path, ev.line(t, "keep"))
			for _, s := range tt.suggests {
				s = strings.ReplaceAll(s, "PATH:KEEP", keep)
				if !strings.Contains(got[0].Suggestion, s) {
					t.Errorf("suggestion %q\ndoes not contain %q", got[0].Suggestion, s)
				}
			}
			for _, s := range tt.avoid {
				if strings.Contains(got[0].Suggestion, s) {
					t.Errorf("suggestion %q\ncontains %q", got[0].Suggestion, s)
				}
			}
		})
	}
}
