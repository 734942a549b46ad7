package cluster

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/internal/testcluster"
)

// live is the real kube-apiserver the tests of this file share; each test
// authenticates as a user and group of its own.
var live testcluster.Shared

func TestMain(m *testing.M) { os.Exit(live.Run(m)) }

// liveCluster holds the shared cluster and loads its objects once.
type liveCluster struct {
	once sync.Once
	c    *testcluster.Cluster
}

var shared liveCluster

// liveObjects returns the shared cluster, loaded with the objects of the
// bundled example (generated clusters hold objects no API server accepts,
// on purpose). The tests using it run one after the other: RBAC changes and
// environment variables are theirs alone while they run.
func liveObjects(t *testing.T) *testcluster.Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a kube-apiserver; skipped with -short")
	}
	c := live.Get(t)
	shared.once.Do(func() {
		objs, err := Read([]string{"../testdata/examples/cluster.yaml"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.Load(t, objs)
		shared.c = c
	})
	if shared.c == nil {
		t.Fatal("loading the shared cluster failed in an earlier test")
	}
	return c
}

// readRules allows what Kubernetes discovery lists, for every role and
// attach_metadata option.
func readRules(resources ...string) []rbacv1.PolicyRule {
	byGroup := map[string][]string{}
	var groups []string
	for _, r := range resources {
		g := resourceType(r).group
		if _, ok := byGroup[g]; !ok {
			groups = append(groups, g)
		}
		byGroup[g] = append(byGroup[g], r)
	}
	var rules []rbacv1.PolicyRule
	for _, g := range groups {
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{g}, Resources: byGroup[g], Verbs: []string{"list", "watch"}})
	}
	return rules
}

// connectAs connects with the connection flags as a new user of c.
func connectAs(t *testing.T, c *testcluster.Cluster, user, group string, jobs []JobSD) *Conn {
	t.Helper()
	isolate(t)
	cert, key := c.ClientCert(t, user, group)
	conns, err := Connect(context.Background(), parseFlags(t,
		"--server", c.URL, "--certificate-authority", c.CAFile, "--client-certificate", cert, "--client-key", key), jobs)
	if err != nil {
		t.Fatal(err)
	}
	return conns[0]
}

// listAs lists what jobs need through conn.
func listAs(t *testing.T, conn *Conn, opts ListOptions) (*discovery.Snapshot, *Partial, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	opts.Credentials = conn.Credentials
	return List(ctx, conn.Config, Requests(conn.Jobs), opts)
}

// onlyKinds keeps the pods, services, endpoint slices and nodes of snap.
func onlyKinds(snap *discovery.Snapshot) *discovery.Snapshot {
	return &discovery.Snapshot{Pods: snap.Pods, Services: snap.Services, EndpointSlices: snap.EndpointSlices, Nodes: snap.Nodes}
}

func TestLiveForbiddenThenGranted(t *testing.T) {
	c := liveObjects(t)
	jobs := []JobSD{{Job: "eps", SD: sdConfig(t, `{role: endpointslice, attach_metadata: {node: true}}`)}}
	conn := connectAs(t, c, "live-rbac", "live:rbac", jobs)

	snap, partial, err := listAs(t, conn, ListOptions{})
	want := []string{
		`User "live-rbac" (groups live:rbac) cannot list endpointslices.discovery.k8s.io in all namespaces: needed by job "eps" (role endpointslice)`,
		`User "live-rbac" (groups live:rbac) cannot list nodes: needed by job "eps" (role endpointslice)`,
		`User "live-rbac" (groups live:rbac) cannot list pods in all namespaces: needed by job "eps" (role endpointslice)`,
		`User "live-rbac" (groups live:rbac) cannot list services in all namespaces: needed by job "eps" (role endpointslice)`,
	}
	if partial == nil {
		t.Fatalf("no Partial before RBAC allows anything (error %v)", err)
	}
	if diff := cmp.Diff(want, partial.Reasons); diff != "" {
		t.Errorf("reasons (-want +got):\n%s", diff)
	}
	if err == nil || err.Error() != want[0]+"; and 3 more refused lists" {
		t.Errorf("error = %v", err)
	}
	if diff := cmp.Diff(&discovery.Snapshot{}, snap); diff != "" {
		t.Errorf("refused lists returned objects:\n%s", diff)
	}

	c.Grant(t, "live:rbac", readRules("endpointslices", "nodes", "pods", "services")...)
	snap, partial, err = listAs(t, conn, ListOptions{})
	if err != nil || partial != nil {
		t.Fatalf("List after the grant: %v (partial %+v)", err, partial)
	}
	if diff := cmp.Diff(typed(onlyKinds(c.Snapshot(t))), snap); diff != "" {
		t.Errorf("listed objects differ from what the server stores (-stored +listed):\n%s", diff)
	}
	if len(snap.Pods) == 0 || len(snap.EndpointSlices) == 0 || len(snap.Nodes) == 0 {
		t.Errorf("listed %d pods, %d endpoint slices, %d nodes; the test proves little", len(snap.Pods), len(snap.EndpointSlices), len(snap.Nodes))
	}
}

// TestLiveNamespaceRole grants one namespace only: the job confined to it
// is complete, the job that needs every namespace is reported incomplete.
func TestLiveNamespaceRole(t *testing.T) {
	c := liveObjects(t)
	const ns = "shop"
	jobs := []JobSD{
		{Job: "confined", SD: sdConfig(t, fmt.Sprintf(`{role: endpointslice, namespaces: {names: [%q]}}`, ns))},
		{Job: "everywhere", SD: sdConfig(t, `role: pod`)},
	}
	conn := connectAs(t, c, "live-ns", "live:ns", jobs)
	c.GrantInNamespace(t, ns, "live:ns", readRules("endpointslices", "pods", "services")...)

	snap, partial, err := listAs(t, conn, ListOptions{AllowPartial: true})
	if err != nil {
		t.Fatalf("List with AllowPartial: %v", err)
	}
	if partial == nil {
		t.Fatal("no Partial though pods in all namespaces are refused")
	}
	wantReasons := []string{`User "live-ns" (groups live:ns) cannot list pods in all namespaces: needed by job "everywhere" (role pod)`}
	if diff := cmp.Diff(wantReasons, partial.Reasons); diff != "" {
		t.Errorf("reasons (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"everywhere"}, partial.Jobs()); diff != "" {
		t.Errorf("incomplete jobs (-want +got):\n%s", diff)
	}
	want, err := discovery.Discover(c.Snapshot(t), jobs[0].SD, discovery.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := discovery.Discover(snap, jobs[0].SD, discovery.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		t.Fatalf("no endpointslice groups in namespace %q; the test proves nothing", ns)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the confined job's groups (-whole cluster +listed):\n%s", diff)
	}
}

// TestLivePaging lists one object per page and compares with the default
// page size, then holds discovery over the written snapshot to discovery
// over the live objects, with everything the server adds to them.
func TestLivePaging(t *testing.T) {
	c := liveObjects(t)
	var jobs []JobSD
	for name, text := range discoverVariants() {
		jobs = append(jobs, JobSD{Job: name, SD: sdConfig(t, text)})
	}
	conn := connectAs(t, c, "live-pages", "live:pages", jobs)
	c.Grant(t, "live:pages", readRules("pods", "services", "endpoints", "endpointslices", "nodes", "namespaces", "ingresses", "replicasets", "jobs")...)

	whole, _, err := listAs(t, conn, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pages := map[string]int{}
	var mu sync.Mutex
	// What Page was given, request by request: the pages' objects, and
	// whether each was said to be a first page.
	pageObjs := map[string][]metav1.Object{}
	firsts, lasts := map[string][]bool{}, map[string][]bool{}
	paged, _, err := listAs(t, conn, ListOptions{ChunkSize: 1,
		Progress: func(r Request, _ int) {
			mu.Lock()
			pages[r.String()]++
			mu.Unlock()
		},
		Page: func(r Request, objs []runtime.Object, first, last bool) {
			mu.Lock()
			defer mu.Unlock()
			firsts[r.String()] = append(firsts[r.String()], first)
			lasts[r.String()] = append(lasts[r.String()], last)
			for _, o := range objs {
				pageObjs[r.String()] = append(pageObjs[r.String()], o.(metav1.Object))
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for r, fs := range firsts {
		if len(fs) != pages[r] || !fs[0] || slices.Contains(fs[1:], true) {
			t.Errorf("%s: Page told first pages %v of %d pages, want the first only", r, fs, pages[r])
		}
		if ls := lasts[r]; !ls[len(ls)-1] || slices.Contains(ls[:len(ls)-1], true) {
			t.Errorf("%s: Page told last pages %v, want the last only", r, ls)
		}
	}
	// The order an early job relies on (cmd/sdinspect/early.go).
	for r, objs := range pageObjs {
		if !discovery.InKeyOrder(objs) {
			t.Errorf("%s: pages not in namespace/name key order", r)
		}
	}
	if diff := cmp.Diff(whole, paged); diff != "" {
		t.Errorf("one object per page lists other objects (-default +one per page):\n%s", diff)
	}
	// Each object came on a page of its own. Requests that another one
	// covers were not made.
	objects := 0
	reqs := Requests(jobs)
	for i, cover := range coverOf(reqs) {
		if cover < 0 {
			objects += max(1, countMatching(t, conn, reqs[i]))
		}
	}
	total, given := 0, 0
	for r, n := range pages {
		total += n
		given += max(1, len(pageObjs[r]))
	}
	if total != objects || given != objects {
		t.Errorf("%d pages and %d objects given to Page for %d objects (an empty list is one page)", total, given, objects)
	}

	back, _ := writeRead(t, whole)
	for _, j := range jobs {
		want, err := discovery.Discover(whole, j.SD, discovery.Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := discovery.Discover(back, j.SD, discovery.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("job %s: groups differ after Write and Read (-live +written):\n%s", j.Job, diff)
		}
	}
}

// countMatching lists r alone in one page and counts what it returns.
func countMatching(t *testing.T, conn *Conn, r Request) int {
	t.Helper()
	snap, _, err := List(context.Background(), conn.Config, []Request{r}, ListOptions{Credentials: conn.Credentials, ChunkSize: 10000})
	if err != nil {
		t.Fatal(err)
	}
	return len(snap.Pods) + len(snap.Services) + len(snap.Endpoints) + len(snap.EndpointSlices) + len(snap.Nodes) +
		len(snap.Namespaces) + len(snap.Ingresses) + len(snap.ReplicaSets) + len(snap.Jobs)
}

// TestLiveCertificates connects with certificates the server cannot accept.
func TestLiveCertificates(t *testing.T) {
	c := liveObjects(t)
	isolate(t)
	stranger := newPKI(t, "stranger-ca")
	strangerCert, strangerKey := stranger.validClient(t, "intruder", "system:masters")
	expired, expiredKey := stranger.clientFiles(t, "old", nil, time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour))
	cert, key := c.ClientCert(t, "live-certs", "live:certs")
	jobs := []JobSD{{Job: "nodes", SD: sdConfig(t, `role: node`)}}

	tests := []struct {
		name string
		args []string
		want string
	}{
		{
			name: "server certificate of an unknown CA",
			args: []string{"--certificate-authority", stranger.CAFile, "--client-certificate", cert, "--client-key", key},
			want: fmt.Sprintf(`listing nodes: the certificate of the API server at %s (issued by "CN=`, c.URL),
		},
		{
			name: "client certificate of another CA",
			args: []string{"--certificate-authority", c.CAFile, "--client-certificate", strangerCert, "--client-key", strangerKey},
			want: fmt.Sprintf(`listing nodes: the API server at %s rejected the credentials (401 Unauthorized): client certificate %q (CN=intruder, O=system:masters) is not signed by the cluster's client CA: its issuer is "CN=stranger-ca", and the CA in %q does not verify it either (x509: certificate signed by unknown authority)`, c.URL, strangerCert, c.CAFile),
		},
		{
			name: "expired client certificate",
			args: []string{"--certificate-authority", c.CAFile, "--client-certificate", expired, "--client-key", expiredKey},
			want: fmt.Sprintf(`configuring the API client from the connection flags: client certificate %q (CN=old) expired at`, expired),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conns, err := Connect(context.Background(), parseFlags(t, append([]string{"--server", c.URL}, tt.args...)...), jobs)
			if err == nil {
				_, _, err = listAs(t, conns[0], ListOptions{})
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error = %v\nwant one line starting %s", err, tt.want)
			}
			if tt.name == "server certificate of an unknown CA" && err != nil && !strings.Contains(err.Error(), fmt.Sprintf("is not signed by the CA in %q", stranger.CAFile)) {
				t.Errorf("error does not name the CA file: %v", err)
			}
		})
	}
}
