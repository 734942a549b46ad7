package discovery_test

import (
	"testing"

	"github.com/sdinspect/sdinspect/discovery"
)

func TestLabelNameSanitizing(t *testing.T) {
	// Keys are sanitized per rune, values never. Non-ASCII keys cannot pass
	// API validation but can come from files, so they are checked too.
	pod := `
apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: ns
  labels: {app.kubernetes.io/name: x, Team-Name: "", 9lives: "yes"}
  annotations: {"héllo": "wörld\nline2", "日本": v, "example.com/Owner_Email": a@b}
spec: {containers: [{name: c, image: i}]}
status: {podIP: 10.0.0.1}
`
	groups := run(t, "role: pod", discovery.Options{}, pod)
	const src = "pod/ns/p"
	checkLabels(t, groups, []labelWant{
		{source: src, target: -1, name: "__meta_kubernetes_pod_label_app_kubernetes_io_name", value: "x"},
		{source: src, target: -1, name: "__meta_kubernetes_pod_labelpresent_app_kubernetes_io_name", value: "true"},
		{source: src, target: -1, name: "__meta_kubernetes_pod_label_Team_Name", value: ""},
		{source: src, target: -1, name: "__meta_kubernetes_pod_labelpresent_Team_Name", value: "true"},
		{source: src, target: -1, name: "__meta_kubernetes_pod_label_9lives", value: "yes"},
		{source: src, target: -1, name: "__meta_kubernetes_pod_annotation_h_llo", value: "wörld\nline2"},
		{source: src, target: -1, name: "__meta_kubernetes_pod_annotation___", value: "v"},
		{source: src, target: -1, name: "__meta_kubernetes_pod_annotation_example_com_Owner_Email", value: "a@b"},
	})
}

func TestLabelKeyCollisionIsStable(t *testing.T) {
	// Prometheus keeps whichever colliding key its map iteration writes
	// last; Discover always lets the lexically greatest key win.
	svc := `
apiVersion: v1
kind: Service
metadata: {name: s, namespace: ns, labels: {a.b: dot, a-b: dash, a_b: underscore}}
spec: {ports: [{port: 80}]}
`
	for range 20 {
		groups := run(t, "role: service", discovery.Options{}, svc)
		checkLabels(t, groups, []labelWant{{source: "svc/ns/s", target: -1, name: "__meta_kubernetes_service_label_a_b", value: "underscore"}})
	}
}
