package cluster

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
)

// scriptedPages serves n pages of one pod each, p0 to p(n-1); page i is
// asked for with the continue token "i" ("" for the first).
type scriptedPages struct {
	n int
	// ahead makes decoding a page wait until the next one has been asked
	// for, and fail if it is not within a few seconds.
	ahead bool
	// told is the token an answer tells before it is decoded, given the
	// one it decodes to; nil tells the true one.
	told func(cont string) string
	// fail is how many times the page of a token answers 503 first.
	fail map[string]int

	mu      sync.Mutex
	asked   []string
	started map[string]chan struct{}
}

func (s *scriptedPages) askedFor(cont string) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started == nil {
		s.started = map[string]chan struct{}{}
	}
	ch, ok := s.started[cont]
	if !ok {
		ch = make(chan struct{})
		s.started[cont] = ch
	}
	return ch
}

func (s *scriptedPages) list(ctx context.Context, _ string, o metav1.ListOptions) (*fetched, error) {
	s.mu.Lock()
	s.asked = append(s.asked, o.Continue)
	failed := s.fail[o.Continue] > 0
	if failed {
		s.fail[o.Continue]--
	}
	s.mu.Unlock()
	select {
	case <-s.askedFor(o.Continue):
	default:
		close(s.askedFor(o.Continue))
	}
	if failed {
		return nil, apierrors.NewServiceUnavailable("try again")
	}
	i := 0
	if o.Continue != "" {
		var err error
		if i, err = strconv.Atoi(o.Continue); err != nil {
			// A token no page has: the answer is slow to come.
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(5 * time.Second):
				return nil, fmt.Errorf("no page has the continue token %q", o.Continue)
			}
		}
	}
	next := ""
	if i+1 < s.n {
		next = strconv.Itoa(i + 1)
	}
	told := next
	if s.told != nil {
		told = s.told(next)
	}
	objs := []runtime.Object{pod("ns", fmt.Sprintf("p%d", i))}
	return &fetched{cont: told, known: true, decode: func() ([]runtime.Object, string, error) {
		if s.ahead && next != "" {
			select {
			case <-s.askedFor(next):
			case <-time.After(5 * time.Second):
				return nil, "", fmt.Errorf("page %d decoded before page %s was asked for", i, next)
			}
		}
		return objs, next, nil
	}}, nil
}

func TestPagesAskAhead(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		pages     *scriptedPages
		wantAsked []string
	}{
		{
			name:      "each page asked for while the one before is decoded",
			pages:     &scriptedPages{n: 4, ahead: true},
			wantAsked: []string{"", "1", "2", "3"},
		},
		{
			name: "a token told before decoding that is not the decoded one",
			pages: &scriptedPages{n: 4, told: func(cont string) string {
				if cont == "2" {
					return "wrong"
				}
				return cont
			}},
			wantAsked: []string{"", "1", "wrong", "2", "3"},
		},
		{
			name:      "a page asked for ahead that fails is asked again",
			pages:     &scriptedPages{n: 4, ahead: true, fail: map[string]int{"2": 1}},
			wantAsked: []string{"", "1", "2", "2", "3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := &lister{opts: ListOptions{ChunkSize: 1, Retry: Retry{Attempts: 2, Backoff: time.Millisecond}}}
			objs, err := l.pages(context.Background(), Request{Resource: resourcePods}, tt.pages.list)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, o := range objs {
				names = append(names, o.(*corev1.Pod).Name)
			}
			if diff := cmp.Diff([]string{"p0", "p1", "p2", "p3"}, names); diff != "" {
				t.Errorf("pods (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantAsked, tt.pages.asked); diff != "" {
				t.Errorf("continue tokens asked for (-want +got):\n%s", diff)
			}
		})
	}
}

func TestContinueOf(t *testing.T) {
	t.Parallel()
	info, ok := runtime.SerializerInfoForMediaType(scheme.Codecs.SupportedMediaTypes(), runtime.ContentTypeProtobuf)
	if !ok {
		t.Fatal("no protobuf serializer")
	}
	encode := func(l *corev1.PodList) []byte {
		b, err := runtime.Encode(scheme.Codecs.EncoderForVersion(info.Serializer, corev1.SchemeGroupVersion), l)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	items := []corev1.Pod{*pod("shop", "web-0"), *pod("shop", "web-1")}
	middle := encode(&corev1.PodList{ListMeta: metav1.ListMeta{ResourceVersion: "42", Continue: "eyJ2IjoibWV0YSJ9"}, Items: items})
	last := encode(&corev1.PodList{ListMeta: metav1.ListMeta{ResourceVersion: "42"}, Items: items})
	empty := encode(&corev1.PodList{})
	tests := []struct {
		name     string
		body     []byte
		want     string
		wantKnow bool
	}{
		{"a middle page", middle, "eyJ2IjoibWV0YSJ9", true},
		{"the last page", last, "", true},
		{"an empty list", empty, "", true},
		{"JSON", []byte(`{"kind":"PodList","metadata":{"continue":"x"}}`), "", false},
		{"nothing", nil, "", false},
		{"the magic alone", protobufMagic, "", false},
	}
	for _, tt := range tests {
		cont, known := continueOf(tt.body)
		if cont != tt.want || known != tt.wantKnow {
			t.Errorf("%s: continueOf = %q, %v; want %q, %v", tt.name, cont, known, tt.want, tt.wantKnow)
		}
	}
	// An answer cut short is read ahead only if what is left still
	// decodes, to the token read: a list cut short is not.
	for _, body := range [][]byte{middle, last} {
		for n := range len(body) {
			cont, known := continueOf(body[:n])
			if !known {
				continue
			}
			var l corev1.PodList
			if err := runtime.DecodeInto(info.Serializer, body[:n], &l); err != nil || l.Continue != cont || len(l.Items) != len(items) {
				t.Errorf("continueOf(first %d of %d bytes) = %q, true; decoded: %v, continue %q, %d items", n, len(body), cont, err, l.Continue, len(l.Items))
			}
		}
	}
}
