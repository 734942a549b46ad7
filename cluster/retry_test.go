package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func TestRetryWait(t *testing.T) {
	t.Parallel()
	r := Retry{Backoff: 10 * time.Millisecond, MaxWait: 100 * time.Millisecond}.withDefaults()
	tests := []struct {
		name     string
		attempt  int
		asked    time.Duration
		min, max time.Duration
	}{
		{"first backoff", 1, 0, 5 * time.Millisecond, 10 * time.Millisecond},
		{"doubled", 3, 0, 20 * time.Millisecond, 40 * time.Millisecond},
		{"capped", 5, 0, 50 * time.Millisecond, 100 * time.Millisecond},
		{"far attempts stay capped", 80, 0, 50 * time.Millisecond, 100 * time.Millisecond},
		{"Retry-After longer than the backoff", 1, 60 * time.Millisecond, 60 * time.Millisecond, 60 * time.Millisecond},
		{"Retry-After shorter than the backoff", 3, time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond},
		{"Retry-After capped", 1, time.Hour, 100 * time.Millisecond, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for range 200 {
				if w := r.wait(tt.attempt, tt.asked); w < tt.min || w > tt.max {
					t.Fatalf("wait(%d, %v) = %v, want within [%v, %v]", tt.attempt, tt.asked, w, tt.min, tt.max)
				}
			}
		})
	}
	if d := (Retry{}).withDefaults(); d != (Retry{Attempts: defaultAttempts, Backoff: defaultBackoff, MaxWait: defaultMaxWait}) {
		t.Errorf("defaults = %+v", d)
	}
}

// flaky serves pods in pages of two, failing the requests fail picks.
type flaky struct {
	pods  []corev1.Pod
	fail  func(n int, cont string) error // n counts requests from 1
	calls int
}

func (f *flaky) react(a k8stesting.Action) (bool, runtime.Object, error) {
	f.calls++
	cont := a.(k8stesting.ListActionImpl).ListOptions.Continue
	if err := f.fail(f.calls, cont); err != nil {
		return true, nil, err
	}
	start, _ := strconv.Atoi(cont)
	end := min(start+2, len(f.pods))
	list := &corev1.PodList{Items: f.pods[start:end]}
	if end < len(f.pods) {
		list.Continue = strconv.Itoa(end)
	}
	return true, list, nil
}

var (
	errReset      = &url.Error{Op: "Get", URL: "https://api.example/api/v1/pods", Err: syscall.ECONNRESET}
	errPodsDenied = apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New(`User "ci" cannot list resource "pods" in API group "" at the cluster scope`))
)

// TestListRetries runs the retry policy against a fake clientset: what is
// retried, what is not, and what a refusal becomes.
func TestListRetries(t *testing.T) {
	t.Parallel()
	var pods []corev1.Pod
	for i := range 5 {
		pods = append(pods, *pod("ns", fmt.Sprintf("p%d", i)))
	}
	all := []string{"p0", "p1", "p2", "p3", "p4"}
	tests := []struct {
		name      string
		fail      func(n int, cont string) error
		wantCalls int
		wantErr   string
		wantPods  []string
	}{
		{
			name: "a reset once",
			fail: func(n int, _ string) error {
				if n == 2 {
					return errReset
				}
				return nil
			},
			wantCalls: 4, wantPods: all,
		},
		{
			name: "503 on every attempt",
			fail: func(int, string) error {
				return apierrors.NewServiceUnavailable("etcd leader changed")
			},
			wantCalls: 3,
			wantErr:   "listing pods in all namespaces: the API server answered 503 Service Unavailable (etcd leader changed); giving up after 3 attempts",
		},
		{
			name: "403 on a continued page, once",
			fail: func(n int, cont string) error {
				if n == 2 && cont != "" {
					return errPodsDenied
				}
				return nil
			},
			wantCalls: 4, wantPods: all,
		},
		{
			name:      "403 on the first page is a refusal at once",
			fail:      func(int, string) error { return errPodsDenied },
			wantCalls: 1,
			wantErr:   `User "ci" cannot list pods in all namespaces: needed by job "j" (role pod)`,
		},
		{
			name: "403 after a broken connection, once",
			fail: func(n int, _ string) error {
				switch n {
				case 1:
					return errReset
				case 2:
					return errPodsDenied
				}
				return nil
			},
			wantCalls: 5, wantPods: all,
		},
		{
			name: "403 on a continued page on every attempt is a refusal",
			fail: func(_ int, cont string) error {
				if cont != "" {
					return errPodsDenied
				}
				return nil
			},
			wantCalls: 4,
			wantErr:   `User "ci" cannot list pods in all namespaces: needed by job "j" (role pod)`,
		},
		{
			name:      "404 is not retried",
			fail:      func(int, string) error { return apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, "") },
			wantCalls: 1,
			wantErr:   `the API server does not serve pods in all namespaces: needed by job "j" (role pod)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &flaky{pods: pods, fail: tt.fail}
			cs := fake.NewClientset()
			cs.PrependReactor("list", "pods", f.react)
			cs.PrependReactor("create", "selfsubjectreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
				return true, nil, errors.New("no reviews here")
			})
			reqs := []Request{{Resource: "pods", NeededBy: []Need{{Job: "j", Role: "pod"}}}}
			opts := ListOptions{ChunkSize: 2, Retry: Retry{Attempts: 3, Backoff: time.Millisecond}}
			snap, _, err := listWith(context.Background(), cs, reqs, opts, nil)
			if f.calls != tt.wantCalls {
				t.Errorf("%d requests, want %d", f.calls, tt.wantCalls)
			}
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("error = %v\nwant          %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantPods, podNames(snap)); diff != "" {
				t.Errorf("pods (-want +got):\n%s", diff)
			}
		})
	}
}

// TestListRetryStopsAtCancel cancels a List waiting to retry: it returns at
// once, not after the wait.
func TestListRetryStopsAtCancel(t *testing.T) {
	t.Parallel()
	cs := fake.NewClientset()
	ctx, cancel := context.WithCancel(context.Background())
	cs.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		time.AfterFunc(20*time.Millisecond, cancel)
		return true, nil, apierrors.NewTooManyRequests("slow down", 30)
	})
	began := time.Now()
	_, _, err := listWith(ctx, cs, []Request{{Resource: "pods"}}, ListOptions{Retry: Retry{MaxWait: time.Minute}}, nil)
	if want := "listing pods in all namespaces: canceled while talking to the API server"; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
	if d := time.Since(began); d > 10*time.Second {
		t.Errorf("returned after %v", d)
	}
}
