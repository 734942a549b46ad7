package differential

import (
	"context"
	"testing"

	"go.yaml.in/yaml/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/prometheus/prometheus/discovery/kubernetes"

	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/internal/gencluster"
)

// TestReaderIdentity checks that Prometheus's user is who the tests say:
// allowed what discovery reads and nothing more, so that its discoveries
// go through client-certificate authentication and RBAC.
func TestReaderIdentity(t *testing.T) {
	e := setup(t)
	pods := schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	if _, err := e.reader.Resource(pods).List(t.Context(), metav1.ListOptions{}); err != nil {
		t.Errorf("the reader may not list pods: %v", err)
	}
	secrets := schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	_, err := e.reader.Resource(secrets).List(t.Context(), metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("listing secrets as the reader: got error %v, want Forbidden", err)
	}
}

// TestRefusedSelectors checks field selectors the API server does not
// support for a kind: it refuses the LIST, so Prometheus never syncs and
// finds nothing, and Discover must not report targets either.
func TestRefusedSelectors(t *testing.T) {
	tests := []struct {
		name, sd string
	}{
		{"node namespace", `{role: node, selectors: [{role: node, field: "metadata.namespace=default"}]}`},
		{"pod priority", `{role: pod, selectors: [{role: pod, field: "spec.priority=1"}]}`},
		{"endpoints field", `{role: endpoints, selectors: [{role: endpoints, field: "subsets=x"}]}`},
		{"endpointslice service field", `{role: endpointslice, selectors: [{role: service, field: "spec.ports=x"}]}`},
	}
	e := setup(t)
	gen := gencluster.Generate(1, randomSize())
	conform(gen)
	if msgs := e.load(t, gen); len(msgs) > 0 {
		t.Fatalf("the API server refuses the generated cluster: %v", msgs)
	}
	snap := e.c.Snapshot(t)
	t.Cleanup(func() {
		// t's context is canceled by now.
		if err := e.resetErr(context.Background()); err != nil {
			t.Errorf("emptying the API server: %v", err)
		}
	})
	for _, tt := range tests {
		sd := &kubernetes.SDConfig{}
		if err := yaml.UnmarshalStrict([]byte(tt.sd), sd); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		t.Run(tt.name, func(t *testing.T) {
			run := e.startPrometheus(t.Context(), nil, sd)
			t.Parallel()
			<-run.done
			if run.refused == "" {
				t.Fatalf("the server accepts the selectors of %s", tt.sd)
			}
			e.check(t, run, snap, sd, discovery.Options{})
		})
	}
}
