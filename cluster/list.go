package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/sdinspect/sdinspect/discovery"
)

// Defaults of ListOptions.
const (
	defaultChunkSize   = 500
	defaultConcurrency = 4
	// maxRestarts bounds how often one request starts over after its
	// continue token expired; each restart means a page took longer than
	// the server keeps a list snapshot (five minutes by default).
	maxRestarts = 3
)

// ListOptions tunes List.
type ListOptions struct {
	// ChunkSize is the number of objects asked for per page; 0 means 500.
	ChunkSize int64
	// Concurrency is the number of requests listed at once; 0 means 4.
	// Each has at most two pages under way: the next is asked for while
	// the one before it is decoded.
	Concurrency int
	// AllowPartial makes refused requests (403 Forbidden, or a resource
	// the server does not serve) no error: List then returns what it
	// listed and the Partial only.
	AllowPartial bool
	// Credentials describes what the configuration authenticates with,
	// for messages; nil means what the rest.Config itself names. Pass
	// Conn.Credentials: a configuration with its own transport hides
	// its files.
	Credentials *Credentials
	// Progress, if not nil, is called after every page with the number
	// of objects listed so far for the request; never concurrently.
	Progress func(r Request, listed int)
	// Page, if not nil, is called with the objects of every page as soon
	// as the page is decoded, in order within a request, never
	// concurrently; first is set on a request's first page, and again
	// when the request starts over, last on its last. The pages may hold
	// what List does not return: objects another request lists too, and
	// the pages of a list that started over.
	Page func(r Request, objs []runtime.Object, first, last bool)
	// Retry says how often and how far apart a page is asked for again
	// after a failure that may pass; see Retry for which do.
	Retry Retry
}

// Partial describes refused requests: the jobs that need them would get
// incomplete or no targets (Prometheus itself would wait forever for
// those informers to sync).
type Partial struct {
	// Reasons has one line per refused request, naming the user, the
	// request and the jobs and roles that need it.
	Reasons []string
	// Refused are the refused requests, in the order of Reasons.
	Refused []Request

	who identity // who was refused; see Identity
}

// Jobs returns the names of the jobs whose results are incomplete, in
// order of first mention.
func (p *Partial) Jobs() []string {
	var jobs []string
	seen := map[string]bool{}
	for _, r := range p.Refused {
		for _, n := range r.NeededBy {
			if !seen[n.Job] {
				seen[n.Job] = true
				jobs = append(jobs, n.Job)
			}
		}
	}
	return jobs
}

// List runs reqs against the API server of cfg and returns the objects in
// one Snapshot, deduplicated by kind, namespace and name, every slice
// sorted as Read sorts it, apiVersion and kind set as Read sets them.
//
// Each request is a paged LIST (opts.ChunkSize objects per page). A page
// that fails in a way that may pass (429, 5xx, a broken connection) is
// asked for again as opts.Retry says, and the request starts over from its
// first page when its continue token expires (410 Gone), so that every
// object comes from one consistent list: never twice, never missing. A
// page that still fails ends List with an error naming the request, what
// the server did and how often. A request that
// lists a subset of what another request without selectors lists is only
// made if the other is refused. Up to opts.Concurrency requests run at once.
//
// The union is what the informers of every job would hold together:
// discovery applies each job's namespaces and selectors again offline, so
// objects listed for one job do not leak into another's results.
//
// Requests the server refuses (403 Forbidden, 404 for a resource it does
// not serve) are collected in the Partial, and the others still run. Then,
// unless opts.AllowPartial is set, List returns the snapshot, the Partial
// and an error. Any other failure (TLS, credentials, the deadline, a page
// that failed every attempt) stops everything and is returned alone, as one
// line explained by Diagnose or naming the attempts: never a partial
// snapshot.
func List(ctx context.Context, cfg *rest.Config, reqs []Request, opts ListOptions) (*discovery.Snapshot, *Partial, error) {
	creds := opts.Credentials
	if creds == nil {
		creds = credentialsOf(cfg)
	}
	if err := creds.check(); err != nil {
		return nil, nil, fmt.Errorf("connecting to %s: %w", creds.Server, err)
	}
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return pageTransport{next: rt} })
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to %s: %w", creds.Server, Diagnose(err, creds))
	}
	return listWith(ctx, cs, reqs, opts, creds)
}

// lister runs the requests of one List call.
type lister struct {
	cs    kubernetes.Interface
	opts  ListOptions
	creds *Credentials

	whoOnce sync.Once
	who     identity

	progressMu sync.Mutex

	// answered is set once any page came; broke once a connection broke.
	// See Retry.
	answered, broke atomic.Bool
}

// outcome is what one request gave: objects, or a refusal.
type outcome struct {
	objs    []runtime.Object
	refused string
}

// listWith is List over a clientset.
func listWith(ctx context.Context, cs kubernetes.Interface, reqs []Request, opts ListOptions, creds *Credentials) (*discovery.Snapshot, *Partial, error) {
	if opts.ChunkSize <= 0 {
		opts.ChunkSize = defaultChunkSize
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = defaultConcurrency
	}
	reqs = dedupe(reqs)
	for _, r := range reqs {
		if resourceType(r.Resource).kind == "" {
			return nil, nil, fmt.Errorf("listing %q: not a resource Kubernetes discovery reads", r.Resource)
		}
	}
	l := &lister{cs: cs, opts: opts, creds: creds}
	results := make([]outcome, len(reqs))
	covers := coverOf(reqs)

	// First the requests no other request covers, then those whose cover
	// was refused.
	var first, second []int
	for i, c := range covers {
		if c < 0 {
			first = append(first, i)
		}
	}
	if err := l.run(ctx, reqs, first, results); err != nil {
		return nil, nil, err
	}
	for i, c := range covers {
		if c >= 0 && results[c].refused != "" {
			second = append(second, i)
		}
	}
	if err := l.run(ctx, reqs, second, results); err != nil {
		return nil, nil, err
	}

	snap := merge(reqs, results)
	var partial *Partial
	for i, res := range results {
		if res.refused != "" {
			if partial == nil {
				partial = &Partial{who: l.who}
			}
			partial.Reasons = append(partial.Reasons, res.refused)
			partial.Refused = append(partial.Refused, reqs[i])
		}
	}
	if partial != nil && !opts.AllowPartial {
		return snap, partial, partialError(partial)
	}
	return snap, partial, nil
}

// partialError is the one-line error for refused requests.
func partialError(p *Partial) error {
	if len(p.Reasons) == 1 {
		return fmt.Errorf("%s", p.Reasons[0])
	}
	return fmt.Errorf("%s; and %d more refused lists", p.Reasons[0], len(p.Reasons)-1)
}

// run lists reqs[i] for every i of which, at most opts.Concurrency at a
// time, and stops at the first error that is not a refusal.
func (l *lister) run(ctx context.Context, reqs []Request, which []int, results []outcome) error {
	if len(which) == 0 {
		return nil
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(l.opts.Concurrency)
	for _, i := range which {
		g.Go(func() error {
			objs, refused, err := l.listOne(ctx, reqs[i])
			if err != nil {
				return err
			}
			results[i] = outcome{objs: objs, refused: refused}
			return nil
		})
	}
	return g.Wait()
}

// listOne lists everything r asks for, page by page, starting over when
// the continue token expires. A refusal is returned as its reason.
func (l *lister) listOne(ctx context.Context, r Request) ([]runtime.Object, string, error) {
	for lists := 1; ; lists++ {
		objs, err := l.pages(ctx, r, pageFunc(l.cs, r.Resource))
		var (
			gaveUp  *gaveUpError
			expired *expiredError
		)
		switch {
		case err == nil:
			return objs, "", nil
		case errors.As(err, &gaveUp):
			return nil, "", fmt.Errorf("listing %s: %w", r.what(), err)
		case errors.As(err, &expired) && lists <= maxRestarts:
			continue
		case errors.As(err, &expired):
			return nil, "", fmt.Errorf("listing %s: %s answered 410 Gone to a continued page (%s); giving up after starting the list %d times",
				r.what(), l.creds.serverName(), statusMessage(err), lists)
		case apierrors.IsForbidden(err):
			return nil, l.forbidden(ctx, r, err), nil
		case apierrors.IsNotFound(err):
			return nil, fmt.Sprintf("the API server does not serve %s: %s", r.what(), r.neededBy()), nil
		}
		return nil, "", fmt.Errorf("listing %s: %w", r.what(), Diagnose(err, l.creds))
	}
}

// expiredError is a 410 Gone on a continued page: the continue token
// expired, and the list must start over.
type expiredError struct{ err error }

func (e *expiredError) Error() string { return e.err.Error() }
func (e *expiredError) Unwrap() error { return e.err }

// pages lists r from its first page to its last through list. Only pages
// that came whole are kept; a list that fails returns no objects. Each
// page is asked for as soon as the answer before it tells its continue
// token, while that answer is decoded: a list has at most two requests
// under way.
func (l *lister) pages(ctx context.Context, r Request, list listPage) ([]runtime.Object, error) {
	opts := metav1.ListOptions{LabelSelector: r.LabelSelector, FieldSelector: r.FieldSelector, Limit: l.opts.ChunkSize}
	var (
		objs []runtime.Object
		next *prefetched // the next page, asked for ahead
	)
	defer func() { next.abandon() }()
	ahead := func(cont string) {
		if cont == "" || next != nil && next.opts.Continue == cont {
			return
		}
		next.abandon()
		o := opts
		o.Continue = cont
		next = l.prefetch(ctx, list, r.Namespace, o)
	}
	for {
		first := next
		next = nil
		if first != nil && first.opts.Continue != opts.Continue {
			// The answer's token read ahead was not the one it decoded to.
			first.abandon()
			first = nil
		}
		page, cont, err := l.page(ctx, list, r.Namespace, opts, first, ahead)
		if err != nil {
			if opts.Continue != "" && (apierrors.IsResourceExpired(err) || apierrors.IsGone(err)) {
				return nil, &expiredError{err: err}
			}
			return nil, err
		}
		objs = append(objs, page...)
		if l.opts.Progress != nil || l.opts.Page != nil {
			l.progressMu.Lock()
			if l.opts.Page != nil {
				l.opts.Page(r, page, opts.Continue == "", cont == "")
			}
			if l.opts.Progress != nil {
				l.opts.Progress(r, len(objs))
			}
			l.progressMu.Unlock()
		}
		if cont == "" {
			return objs, nil
		}
		opts.Continue = cont
	}
}

// dedupe merges requests that are the same but for NeededBy.
func dedupe(reqs []Request) []Request {
	index := map[requestKey]int{}
	var out []Request
	for _, r := range reqs {
		i, ok := index[r.key()]
		if !ok {
			index[r.key()] = len(out)
			r.NeededBy = append([]Need(nil), r.NeededBy...)
			out = append(out, r)
			continue
		}
		for _, n := range r.NeededBy {
			if !slices.Contains(out[i].NeededBy, n) {
				out[i].NeededBy = append(out[i].NeededBy, n)
			}
		}
	}
	return out
}

// coverOf returns, for each request, the index of a request without
// selectors that lists a superset of its objects (same resource, all
// namespaces or the same one), or -1. Covers are never covered themselves.
func coverOf(reqs []Request) []int {
	all := map[string]int{}     // resource → unselective request over all namespaces
	inNS := map[[2]string]int{} // resource, namespace → unselective request
	for i, r := range reqs {
		if r.LabelSelector != "" || r.FieldSelector != "" {
			continue
		}
		if r.Namespace == metav1.NamespaceAll {
			all[r.Resource] = i
		} else {
			inNS[[2]string{r.Resource, r.Namespace}] = i
		}
	}
	covers := make([]int, len(reqs))
	for i, r := range reqs {
		covers[i] = -1
		if c, ok := all[r.Resource]; ok {
			if c != i {
				covers[i] = c
			}
			continue
		}
		if c, ok := inNS[[2]string{r.Resource, r.Namespace}]; ok && c != i {
			covers[i] = c
		}
	}
	return covers
}

// merge puts the objects of every request into one snapshot, the first
// copy of an object listed twice winning, and sorts it.
func merge(reqs []Request, results []outcome) *discovery.Snapshot {
	snap := &discovery.Snapshot{}
	seen := map[objectKey]bool{}
	for i, r := range reqs {
		info := resourceType(r.Resource)
		k, _ := lookupKind(info.kind)
		gvk := schema.GroupVersionKind{Group: info.group, Version: info.version, Kind: info.kind}
		for _, o := range results[i].objs {
			m, ok := o.(metav1.Object)
			if !ok {
				continue
			}
			key := objectKey{kind: info.kind, namespace: m.GetNamespace(), name: m.GetName()}
			if seen[key] {
				continue
			}
			seen[key] = true
			o.GetObjectKind().SetGroupVersionKind(gvk)
			k.add(snap, o)
		}
	}
	sortSnapshot(snap)
	return snap
}
