package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/sdinspect/sdinspect/cluster"
	"github.com/sdinspect/sdinspect/internal/testcluster"
	"github.com/sdinspect/sdinspect/report"
)

// authExampleConfig is the bundled example: pods, services and nodes
// cluster-wide, and endpointslices with node metadata in "monitoring".
const authExampleConfig = "../../testdata/examples/prometheus.yml"

// authNamespacedConfig names the namespaces of every job and attaches
// metadata that needs nodes, namespaces, replicasets and jobs.
const authNamespacedConfig = `scrape_configs:
- job_name: shop-endpoints
  kubernetes_sd_configs:
  - role: endpoints
    namespaces: {names: [shop, web]}
    attach_metadata: {node: true, namespace: true, deployment: true}
- job_name: shop-pods
  kubernetes_sd_configs:
  - role: pod
    namespaces: {names: [shop]}
    attach_metadata: {node: true, cronjob: true}
`

// bothVerbs returns list and watch on each resource phrase.
func bothVerbs(what ...string) []string {
	var out []string
	for _, w := range what {
		out = append(out, "list "+w, "watch "+w)
	}
	return out
}

// applyRBAC decodes YAML documents strictly with client-go's scheme, as
// kubectl apply would, checks that they are only RBAC objects, and creates
// them with the admin client.
func applyRBAC(t *testing.T, admin *rest.Config, data string) []runtime.Object {
	t.Helper()
	cs, err := kubernetes.NewForConfig(admin)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	rbac := cs.RbacV1()
	var objs []runtime.Object
	for _, o := range testcluster.DecodeStrict(t, []byte(data)) {
		switch o := o.(type) {
		case *rbacv1.ClusterRole:
			_, err = rbac.ClusterRoles().Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.ClusterRoleBinding:
			_, err = rbac.ClusterRoleBindings().Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.Role:
			_, err = rbac.Roles(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.RoleBinding:
			_, err = rbac.RoleBindings(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		default:
			t.Fatalf("auth rbac printed a %T", o)
		}
		if err != nil {
			t.Fatalf("creating %T: %v", o, err)
		}
		objs = append(objs, o)
	}
	if len(objs) == 0 {
		t.Fatalf("auth rbac printed no objects:\n%s", data)
	}
	return objs
}

// authRBAC runs auth rbac and returns its output.
func authRBAC(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := runCLI(t, append([]string{"auth", "rbac"}, args...)...)
	if code != exitOK {
		t.Fatalf("auth rbac %v: exit %d; stderr:\n%s", args, code, stderr)
	}
	return stdout
}

// targetsWork checks that targets lists and discovers with conn.
func targetsWork(t *testing.T, config string, wantTargets bool, conn ...string) {
	t.Helper()
	code, stdout, stderr := runCLI(t, append([]string{"targets", "--config", config, "-o", "json"}, conn...)...)
	if code != exitOK {
		t.Fatalf("targets after auth rbac: exit %d; stderr:\n%s", code, stderr)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	discovered := 0
	for _, j := range rep.Jobs {
		discovered += j.Summary.Discovered
	}
	if rep.Partial || (wantTargets && discovered == 0) {
		t.Errorf("targets after auth rbac: partial %v, %d targets discovered", rep.Partial, discovered)
	}
}

func createNamespaces(t *testing.T, admin *rest.Config, names ...string) {
	t.Helper()
	cs, err := kubernetes.NewForConfig(admin)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		_, err := cs.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
}

// TestAuthRBACLive walks a new user through the auth commands on a real
// API server: a client certificate in a group nobody bound is refused by
// targets with a pointer to auth rbac, can-i lists exactly the missing
// permissions and exits 3, the RBAC auth rbac prints is applied, and then
// can-i passes, targets works, and nothing beyond list and watch of those
// resources was granted. The same for a service account, by token and by
// impersonation.
func TestAuthRBACLive(t *testing.T) {
	c := testcluster.Start(t)
	objs, err := cluster.Read([]string{"../../testdata/examples/cluster.yaml"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Load(t, objs)
	createNamespaces(t, c.Admin, "shop", "web")
	namespaced := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(namespaced, []byte(authNamespacedConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	certConn := func(user, group string) ([]string, *rest.Config) {
		cert, key := c.ClientCert(t, user, group)
		return []string{"--server", c.URL, "--client-certificate", cert, "--client-key", key, "--certificate-authority", c.CAFile},
			c.UserConfig(cert, key)
	}

	t.Run("group, example config", func(t *testing.T) {
		conn, cfg := certConn("auth-ci", "sdinspect:auth")
		code, stdout, stderr := runCLI(t, append([]string{"targets", "--config", authExampleConfig}, conn...)...)
		wantPointer := "(sdinspect auth rbac --config " + authExampleConfig + " --group sdinspect:auth prints the RBAC that grants it)\n"
		if code != exitFailed || stdout != "" || !strings.HasSuffix(stderr, wantPointer) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("targets before RBAC: exit %d, stdout %q; want exit 1 and one line ending %q; stderr:\n%s", code, stdout, wantPointer, stderr)
		}

		code, rep, stderr := authCanI(t, append([]string{"--config", authExampleConfig}, conn...)...)
		want := bothVerbs(`endpointslices.discovery.k8s.io in namespace "monitoring"`, "nodes", "pods in all namespaces",
			`pods in namespace "monitoring"`, "services in all namespaces", `services in namespace "monitoring"`)
		if code != exitFindings || rep.Allowed {
			t.Errorf("can-i before RBAC: exit %d, allowed %v; want 3; stderr:\n%s", code, rep.Allowed, stderr)
		}
		if diff := cmp.Diff(want, deniedRows(rep)); diff != "" {
			t.Errorf("denied (-want +got):\n%s", diff)
		}
		if !strings.Contains(stderr, "--group sdinspect:auth prints the RBAC") {
			t.Errorf("can-i does not point to auth rbac:\n%s", stderr)
		}
		if u := rep.Reviews[0].User; u != "auth-ci" {
			t.Errorf("reviewed user %q, want auth-ci", u)
		}
		wantBlocks := []string{`serviceMonitor/monitoring/node-exporter/0 (endpointslice): role endpointslice emits nothing: Prometheus waits for the nodes informer to sync`,
			`kubernetes-nodes (node): no targets at all: Prometheus waits forever for the nodes informer to sync`}
		slices.Sort(wantBlocks)
		if diff := cmp.Diff(wantBlocks, blocksOf(rep, "list nodes")); diff != "" {
			t.Errorf("what list nodes blocks (-want +got):\n%s", diff)
		}

		applyRBAC(t, c.Admin, authRBAC(t, "--config", authExampleConfig, "--group", "sdinspect:auth"))
		waitCanI(t, append([]string{"--config", authExampleConfig}, conn...)...)
		targetsWork(t, authExampleConfig, true, conn...)
		assertDenied(t, cfg, []accessCheck{
			{"list", "", "secrets", ""}, {"list", "", "secrets", "monitoring"},
			{"get", "", "pods", "monitoring"}, {"get", "", "nodes", ""},
			{"list", "", "configmaps", ""}, {"create", "", "pods", "monitoring"}, {"delete", "", "pods", "default"},
			{"list", "discovery.k8s.io", "endpointslices", "default"}, {"watch", "discovery.k8s.io", "endpointslices", ""},
			{"list", "", "endpoints", "monitoring"}, {"list", "", "namespaces", ""},
		})
	})

	t.Run("group, namespaced config with attach_metadata", func(t *testing.T) {
		conn, cfg := certConn("auth-shop", "sdinspect:shop")
		code, rep, stderr := authCanI(t, append([]string{"--config", namespaced}, conn...)...)
		want := bothVerbs(`endpoints in namespace "shop"`, `endpoints in namespace "web"`, `jobs.batch in namespace "shop"`,
			"namespaces", "nodes", `pods in namespace "shop"`, `pods in namespace "web"`,
			`replicasets.apps in namespace "shop"`, `replicasets.apps in namespace "web"`,
			`services in namespace "shop"`, `services in namespace "web"`)
		if code != exitFindings {
			t.Errorf("can-i before RBAC: exit %d, want 3; stderr:\n%s", code, stderr)
		}
		if diff := cmp.Diff(want, deniedRows(rep)); diff != "" {
			t.Errorf("denied (-want +got):\n%s", diff)
		}
		wantBlocks := []string{
			`shop-endpoints (endpoints): role endpoints emits nothing in namespace "shop": Prometheus waits for the pods informer to sync`,
			`shop-pods (pod): no targets in namespace "shop": Prometheus waits forever for the pods informer to sync`,
		}
		if diff := cmp.Diff(wantBlocks, blocksOf(rep, `list pods in namespace "shop"`)); diff != "" {
			t.Errorf("what list pods in shop blocks (-want +got):\n%s", diff)
		}

		yaml := authRBAC(t, "--config", namespaced, "--group", "sdinspect:shop", "--name", "sd-shop")
		var kinds []string
		for _, o := range applyRBAC(t, c.Admin, yaml) {
			m := o.(metav1.Object)
			kinds = append(kinds, o.GetObjectKind().GroupVersionKind().Kind+" "+m.GetNamespace())
		}
		wantKinds := []string{"ClusterRole ", "ClusterRoleBinding ", "Role shop", "RoleBinding shop", "Role web", "RoleBinding web"}
		if diff := cmp.Diff(wantKinds, kinds); diff != "" {
			t.Errorf("objects (-want +got):\n%s", diff)
		}
		waitCanI(t, append([]string{"--config", namespaced}, conn...)...)
		targetsWork(t, namespaced, false, conn...)
		assertDenied(t, cfg, []accessCheck{
			{"list", "", "pods", ""}, {"watch", "", "pods", "default"}, {"watch", "", "pods", "monitoring"},
			{"list", "", "secrets", "shop"}, {"get", "", "pods", "shop"}, {"create", "", "pods", "shop"},
			{"list", "", "configmaps", "shop"}, {"list", "batch", "jobs", "web"}, {"list", "", "services", ""},
			{"get", "", "nodes", ""}, {"list", "apps", "deployments", "shop"},
		})
	})

	t.Run("one verb of two", func(t *testing.T) {
		for _, tt := range []struct{ allowed, denied, callout string }{
			{"list", "watch nodes", "list allowed but watch denied"},
			{"watch", "list nodes", "watch allowed but list denied"},
		} {
			group := "sdinspect:only-" + tt.allowed
			conn, _ := certConn("auth-only-"+tt.allowed, group)
			c.Grant(t, group, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{tt.allowed}})
			code, rep, _ := authCanI(t, append([]string{"--config", authExampleConfig, "--job", "kubernetes-nodes"}, conn...)...)
			if code != exitFindings || !slices.Equal(deniedRows(rep), []string{tt.denied}) {
				t.Fatalf("only %s allowed: exit %d, denied %q; want 3 and %s", tt.allowed, code, deniedRows(rep), tt.denied)
			}
			if b := blocksOf(rep, tt.denied); len(b) != 1 || !strings.Contains(b[0], tt.callout) {
				t.Errorf("%s blocks %q, want it called out as %s", tt.denied, b, tt.callout)
			}
			code, stdout, _ := runCLI(t, append([]string{"auth", "can-i", "--config", authExampleConfig, "--job", "kubernetes-nodes"}, conn...)...)
			if code != exitFindings || !strings.Contains(stdout, tt.callout) {
				t.Errorf("text output, exit %d:\n%s", code, stdout)
			}
		}
	})

	t.Run("service account", func(t *testing.T) {
		token := c.ServiceAccountToken(t, "monitoring", "prometheus")
		conn := []string{"--server", c.URL, "--certificate-authority", c.CAFile, "--token", token}
		code, rep, stderr := authCanI(t, append([]string{"--config", authExampleConfig}, conn...)...)
		if code != exitFindings || len(deniedRows(rep)) != 12 {
			t.Errorf("can-i before RBAC: exit %d, denied %q; want 3 and all 12", code, deniedRows(rep))
		}
		if !strings.Contains(stderr, "--serviceaccount monitoring/prometheus prints the RBAC") {
			t.Errorf("can-i does not point to auth rbac for the service account:\n%s", stderr)
		}
		applyRBAC(t, c.Admin, authRBAC(t, "--config", authExampleConfig, "--serviceaccount", "monitoring/prometheus", "--name", "sd-prometheus"))
		waitCanI(t, append([]string{"--config", authExampleConfig}, conn...)...)
		targetsWork(t, authExampleConfig, true, conn...)
		assertDenied(t, &rest.Config{Host: c.URL, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{CAFile: c.CAFile}}, []accessCheck{
			{"list", "", "secrets", ""}, {"list", "", "secrets", "monitoring"}, {"get", "", "pods", "monitoring"},
			{"list", "", "configmaps", "monitoring"}, {"create", "", "pods", "monitoring"},
			{"list", "discovery.k8s.io", "endpointslices", "default"},
		})
	})

	t.Run("impersonating the service account", func(t *testing.T) {
		conn, _ := certConn("auth-impersonator", "sdinspect:impersonators")
		as := append([]string{"--config", authExampleConfig, "--as", "system:serviceaccount:monitoring:prometheus"}, conn...)
		code, _, stderr := authCanI(t, as...)
		if n := strings.Count(stderr, "\n"); n != 1 {
			t.Errorf("without impersonate: want one line on stderr, got %d:\n%s", n, stderr)
		}
		for _, want := range []string{`User "auth-impersonator" may not impersonate user "system:serviceaccount:monitoring:prometheus" (--as)`,
			`impersonate on serviceaccounts "prometheus" in namespace "monitoring"`} {
			if code != exitFailed || !strings.Contains(stderr, want) {
				t.Errorf("without impersonate: exit %d, want 1 and %q; stderr:\n%s", code, want, stderr)
			}
		}
		c.Grant(t, "sdinspect:impersonators", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"serviceaccounts"}, Verbs: []string{"impersonate"}})
		rep := waitCanI(t, as...)
		if u := rep.Reviews[0].User; u != "system:serviceaccount:monitoring:prometheus" {
			t.Errorf("reviewed user %q, want the service account", u)
		}
		// Another service account has no RBAC: denied, and the pointer
		// names it.
		other := append([]string{"--config", authExampleConfig, "--as", "system:serviceaccount:monitoring:other"}, conn...)
		code, rep, stderr = authCanI(t, other...)
		if code != exitFindings || len(deniedRows(rep)) != 12 || !strings.Contains(stderr, "--serviceaccount monitoring/other prints the RBAC") {
			t.Errorf("other service account: exit %d, denied %q; stderr:\n%s", code, deniedRows(rep), stderr)
		}
	})
}
