package cluster

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// TestListProgress holds what the progress line relies on: after each
// page, the objects listed so far by that request, counted from zero again
// when the request starts over.
func TestListProgress(t *testing.T) {
	t.Parallel()
	var pods []corev1.Pod
	for i := range 5 {
		pods = append(pods, *pod("ns", fmt.Sprintf("p%d", i)))
	}
	tests := []struct {
		name   string
		expire int
		want   []int
	}{
		{name: "pages", expire: 0, want: []int{2, 4, 5}},
		{name: "a restart counts from zero", expire: 1, want: []int{2, 2, 4, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &pager{pods: pods, expire: tt.expire}
			cs := fake.NewClientset()
			cs.PrependReactor("list", "pods", p.react)
			var got []int
			progress := func(r Request, listed int) {
				if r.Resource != "pods" {
					t.Errorf("progress for %q", r.Resource)
				}
				got = append(got, listed)
			}
			if _, _, err := listWith(context.Background(), cs, []Request{{Resource: "pods"}}, ListOptions{ChunkSize: 2, Progress: progress}, nil); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("progress (-want +got):\n%s", diff)
			}
		})
	}
}
