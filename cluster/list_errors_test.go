package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/prometheus/prometheus/discovery/kubernetes"

	"github.com/sdinspect/sdinspect/discovery"
)

// forbidden is the error the RBAC authorizer gives for a LIST.
func forbidden(user, resource, namespace string) error {
	where := fmt.Sprintf("in the namespace %q", namespace)
	if namespace == "" {
		where = "at the cluster scope"
	}
	return apierrors.NewForbidden(schema.GroupResource{Resource: resource}, "",
		fmt.Errorf("User %q cannot list resource %q in API group \"\" %s", user, resource, where))
}

// whoamiReactor answers SelfSubjectReviews for user and groups and counts
// them.
func whoamiReactor(user string, groups []string, calls *int) k8stesting.ReactionFunc {
	return func(k8stesting.Action) (bool, runtime.Object, error) {
		*calls++
		return true, &authenticationv1.SelfSubjectReview{Status: authenticationv1.SelfSubjectReviewStatus{
			UserInfo: authenticationv1.UserInfo{Username: user, Groups: groups},
		}}, nil
	}
}

func pod(ns, name string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
}

func TestListForbidden(t *testing.T) {
	t.Parallel()
	cs := fake.NewClientset(pod("shop", "web-0"), pod("default", "api-0"), pod("kube-system", "dns-0"))
	whoamiCalls := 0
	cs.PrependReactor("create", "selfsubjectreviews", whoamiReactor("ci", []string{"system:ci", "system:authenticated"}, &whoamiCalls))
	cs.PrependReactor("list", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if ns := a.GetNamespace(); ns == "shop" || ns == "kube-system" {
			return true, nil, forbidden("ci", "pods", ns)
		}
		return false, nil, nil
	})
	eps := Need{Job: "pods", Role: kubernetes.RoleEndpoint}
	reqs := []Request{
		{Resource: "pods", Namespace: "default", NeededBy: []Need{eps}},
		{Resource: "pods", Namespace: "kube-system", NeededBy: []Need{eps}},
		{Resource: "pods", Namespace: "shop", NeededBy: []Need{eps, {Job: "other", Role: kubernetes.RolePod}}},
	}
	wantReasons := []string{
		`User "ci" (groups system:ci) cannot list pods in namespace "kube-system": needed by job "pods" (role endpoints)`,
		`User "ci" (groups system:ci) cannot list pods in namespace "shop": needed by job "pods" (role endpoints), job "other" (role pod)`,
	}

	for _, allow := range []bool{false, true} {
		t.Run("AllowPartial="+strconv.FormatBool(allow), func(t *testing.T) {
			snap, partial, err := listWith(context.Background(), cs, reqs, ListOptions{AllowPartial: allow}, nil)
			if snap == nil || len(snap.Pods) != 1 || snap.Pods[0].Name != "api-0" {
				t.Errorf("snapshot holds %v, want the one pod of namespace default", snap)
			}
			if partial == nil {
				t.Fatal("no Partial for refused requests")
			}
			if diff := cmp.Diff(wantReasons, partial.Reasons); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"pods", "other"}, partial.Jobs()); diff != "" {
				t.Errorf("Jobs (-want +got):\n%s", diff)
			}
			switch {
			case allow && err != nil:
				t.Errorf("AllowPartial: got error %v", err)
			case !allow && (err == nil || err.Error() != wantReasons[0]+"; and 1 more refused lists"):
				t.Errorf("error = %v, want the first reason and a count", err)
			}
		})
	}
	if whoamiCalls != 2 {
		t.Errorf("%d SelfSubjectReviews for two List calls, want one per call", whoamiCalls)
	}
}

func TestListForbiddenWithoutWhoami(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{
			name: "user from the message",
			err:  forbidden("system:anonymous", "nodes", ""),
			want: `User "system:anonymous" cannot list nodes: needed by job "n" (role node)`,
		},
		{
			name: "no user in the message",
			err:  apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "", errors.New("access denied\nby policy")),
			want: `the API server refused to list nodes (nodes is forbidden: access denied by policy): needed by job "n" (role node)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs := fake.NewClientset()
			cs.PrependReactor("create", "selfsubjectreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
				return true, nil, forbidden("x", "selfsubjectreviews", "")
			})
			cs.PrependReactor("list", "nodes", func(k8stesting.Action) (bool, runtime.Object, error) {
				return true, nil, tt.err
			})
			reqs := []Request{{Resource: "nodes", NeededBy: []Need{{Job: "n", Role: kubernetes.RoleNode}}}}
			_, partial, err := listWith(context.Background(), cs, reqs, ListOptions{}, nil)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
			if partial == nil || len(partial.Refused) != 1 {
				t.Errorf("Partial = %+v, want the refused request", partial)
			}
		})
	}
}

// pager serves pods in pages of two, and answers the first continued
// request with 410 Gone as often as expire says.
type pager struct {
	pods    []corev1.Pod
	expire  int
	firsts  int
	served  int
	expired int
}

func (p *pager) react(a k8stesting.Action) (bool, runtime.Object, error) {
	opts := a.(k8stesting.ListActionImpl).ListOptions
	start := 0
	if opts.Continue != "" {
		if p.expired < p.expire {
			p.expired++
			return true, nil, apierrors.NewResourceExpired("The provided continue parameter is too old to display a consistent list result.")
		}
		start, _ = strconv.Atoi(opts.Continue)
	} else {
		p.firsts++
	}
	if opts.Limit != 2 {
		return true, nil, fmt.Errorf("limit %d, want 2", opts.Limit)
	}
	end := min(start+2, len(p.pods))
	list := &corev1.PodList{Items: p.pods[start:end]}
	if end < len(p.pods) {
		list.Continue = strconv.Itoa(end)
	}
	p.served++
	return true, list, nil
}

func TestListRestartsExpiredLists(t *testing.T) {
	t.Parallel()
	var pods []corev1.Pod
	for i := range 5 {
		pods = append(pods, *pod("ns", fmt.Sprintf("p%d", i)))
	}
	tests := []struct {
		name       string
		expire     int
		wantFirsts int
		wantErr    string
	}{
		{name: "no expiry", expire: 0, wantFirsts: 1},
		{name: "one expiry starts over", expire: 1, wantFirsts: 2},
		{name: "too many expiries", expire: maxRestarts + 1, wantFirsts: maxRestarts + 1,
			wantErr: "listing pods in all namespaces: the API server answered 410 Gone to a continued page (The provided continue parameter is too old to display a consistent list result.); giving up after starting the list 4 times"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &pager{pods: pods, expire: tt.expire}
			cs := fake.NewClientset()
			cs.PrependReactor("list", "pods", p.react)
			snap, _, err := listWith(context.Background(), cs, []Request{{Resource: "pods"}}, ListOptions{ChunkSize: 2}, nil)
			if p.firsts != tt.wantFirsts {
				t.Errorf("%d first pages, want %d", p.firsts, tt.wantFirsts)
			}
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"p0", "p1", "p2", "p3", "p4"}, podNames(snap)); diff != "" {
				t.Errorf("pods (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		err         error
		wantErr     string
		wantPartial string
	}{
		{
			name:        "resource not served",
			err:         apierrors.NewNotFound(schema.GroupResource{Group: "discovery.k8s.io", Resource: "endpointslices"}, ""),
			wantErr:     `the API server does not serve endpointslices.discovery.k8s.io in namespace "x": needed by job "j" (role endpointslice)`,
			wantPartial: `the API server does not serve endpointslices.discovery.k8s.io in namespace "x": needed by job "j" (role endpointslice)`,
		},
		{
			name:    "unauthorized stops everything",
			err:     apierrors.NewUnauthorized("Unauthorized"),
			wantErr: `listing endpointslices.discovery.k8s.io in namespace "x": the API server rejected the credentials (401 Unauthorized): no client certificate or token was given, and the server does not allow anonymous access`,
		},
		{
			name:    "server error stops everything after the retries",
			err:     apierrors.NewInternalError(errors.New("etcd is down")),
			wantErr: `listing endpointslices.discovery.k8s.io in namespace "x": the API server answered 500 Internal Server Error (Internal error occurred: etcd is down); giving up after 2 attempts`,
		},
		{
			name:    "a bad request is not retried",
			err:     apierrors.NewBadRequest("unable to parse requirement"),
			wantErr: `listing endpointslices.discovery.k8s.io in namespace "x": unable to parse requirement`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs := fake.NewClientset(pod("x", "p"))
			cs.PrependReactor("list", "endpointslices", func(k8stesting.Action) (bool, runtime.Object, error) {
				return true, nil, tt.err
			})
			reqs := []Request{
				{Resource: "endpointslices", Namespace: "x", NeededBy: []Need{{Job: "j", Role: kubernetes.RoleEndpointSlice}}},
				{Resource: "pods", Namespace: "x"},
			}
			snap, partial, err := listWith(context.Background(), cs, reqs, ListOptions{Retry: Retry{Attempts: 2, Backoff: time.Millisecond}}, nil)
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("error = %v, want %q", err, tt.wantErr)
			}
			if tt.wantPartial == "" {
				if snap != nil || partial != nil {
					t.Errorf("a failure returned snapshot %v and partial %v, want neither", snap, partial)
				}
				return
			}
			if partial == nil || !strings.Contains(strings.Join(partial.Reasons, "\n"), tt.wantPartial) {
				t.Errorf("Partial = %+v, want reason %q", partial, tt.wantPartial)
			}
			if snap == nil || len(snap.Pods) != 1 {
				t.Errorf("snapshot %v, want the pod that was listed", snap)
			}
		})
	}
}

func TestListRefusesUnknownResources(t *testing.T) {
	t.Parallel()
	_, _, err := listWith(context.Background(), fake.NewClientset(), []Request{{Resource: "secrets"}}, ListOptions{}, nil)
	if want := `listing "secrets": not a resource Kubernetes discovery reads`; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

// TestListUnreachable lists from servers that refuse the connection or do
// not answer in time.
func TestListUnreachable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	// Cleanups run after the parallel subtests, deferred calls before.
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })

	tests := []struct {
		name, server string
		want         string
	}{
		{"connection refused", closed, fmt.Sprintf("listing nodes: the API server at %s refused the connection: is it running, and are host and port right?", closed)},
		{"no answer", slow.URL, fmt.Sprintf("listing nodes: the API server at %s did not answer in time", slow.URL)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			_, _, err := List(ctx, restConfig(tt.server), []Request{{Resource: "nodes"}}, ListOptions{})
			if err == nil || err.Error() != tt.want {
				t.Errorf("error = %v\nwant          %s", err, tt.want)
			}
		})
	}
}

// podNames lists the names of snap's pods, in order.
func podNames(snap *discovery.Snapshot) []string {
	var names []string
	for _, p := range snap.Pods {
		names = append(names, p.Name)
	}
	return names
}
