package testcluster

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

var cluster Shared

func TestMain(m *testing.M) { os.Exit(cluster.Run(m)) }

// userClient is a client authenticating with a new certificate for user in
// groups.
func userClient(t *testing.T, c *Cluster, user string, groups ...string) kubernetes.Interface {
	t.Helper()
	certFile, keyFile := c.ClientCert(t, user, groups...)
	client, err := kubernetes.NewForConfig(c.UserConfig(certFile, keyFile))
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func TestClientCertIdentity(t *testing.T) {
	t.Parallel()
	c := cluster.Get(t)
	client := userClient(t, c, "sdinspect-ci", "system:sdinspect", "team-a")
	// Every authenticated user may ask who they are.
	review, err := client.AuthenticationV1().SelfSubjectReviews().Create(t.Context(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := review.Status.UserInfo
	if got.Username != "sdinspect-ci" {
		t.Errorf("user = %q, want sdinspect-ci", got.Username)
	}
	if want := []string{"system:sdinspect", "team-a", "system:authenticated"}; strings.Join(got.Groups, ",") != strings.Join(want, ",") {
		t.Errorf("groups = %q, want %q", got.Groups, want)
	}
}

func TestForbiddenUntilGranted(t *testing.T) {
	t.Parallel()
	c := cluster.Get(t)
	// The grant goes to a group of this run's own: the cluster outlives
	// the test when it runs again (go test -count 2).
	group := "grantees-" + strings.ToLower(rand.Text()[:8])
	client := userClient(t, c, "sdinspect-ci", "system:sdinspect", group)

	_, err := client.CoreV1().Pods("default").List(t.Context(), metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("listing pods before any grant: err = %v, want Forbidden", err)
	}
	const want = `pods is forbidden: User "sdinspect-ci" cannot list resource "pods" in API group "" in the namespace "default"`
	if !strings.Contains(err.Error(), want) {
		t.Errorf("listing pods before any grant: err = %q, want it to contain %q", err, want)
	}

	c.Grant(t, group, rbacv1.PolicyRule{
		APIGroups: []string{""}, Resources: []string{"pods", "nodes"}, Verbs: []string{"get", "list", "watch"},
	})
	// Grant returns once the authorizer allows it: no retry here.
	if _, err := client.CoreV1().Pods("default").List(t.Context(), metav1.ListOptions{}); err != nil {
		t.Errorf("listing pods after Grant: %v", err)
	}
	if _, err := client.CoreV1().Nodes().List(t.Context(), metav1.ListOptions{}); err != nil {
		t.Errorf("listing nodes after Grant: %v", err)
	}
	if _, err := client.CoreV1().Secrets("default").List(t.Context(), metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("listing secrets, which were not granted: err = %v, want Forbidden", err)
	}
}

func TestGrantInNamespace(t *testing.T) {
	t.Parallel()
	c := cluster.Get(t)
	client := userClient(t, c, "reader", "ns-readers")
	c.GrantInNamespace(t, "granted", "ns-readers", rbacv1.PolicyRule{
		APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"list"},
	})
	slices := client.DiscoveryV1().EndpointSlices
	tests := []struct {
		name      string
		namespace string
		forbidden bool
	}{
		{name: "granted namespace", namespace: "granted"},
		{name: "other namespace", namespace: "default", forbidden: true},
		{name: "all namespaces", namespace: "", forbidden: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := slices(tt.namespace).List(t.Context(), metav1.ListOptions{})
			switch {
			case tt.forbidden && !apierrors.IsForbidden(err):
				t.Errorf("listing endpointslices in %q: err = %v, want Forbidden", tt.namespace, err)
			case !tt.forbidden && err != nil:
				t.Errorf("listing endpointslices in %q: %v", tt.namespace, err)
			}
		})
	}
}

func TestStartAndStop(t *testing.T) {
	t.Parallel()
	var (
		c               *Cluster
		etcd, apiserver *process
		stopBegan       time.Time
		stopTook        time.Duration
	)
	ok := t.Run("start", func(t *testing.T) {
		// Cleanups run last first: this one after Start's, which stops
		// the servers.
		t.Cleanup(func() {
			stopTook = time.Since(stopBegan)
			if err := c.stop(); err != nil {
				t.Errorf("stopping a stopped cluster: %v", err)
			}
		})
		c = Start(t)
		t.Cleanup(func() { stopBegan = time.Now() })
		etcd, apiserver = c.etcd, c.apiserver

		version, err := kubernetes.NewForConfigOrDie(c.Admin).Discovery().ServerVersion()
		if err != nil {
			t.Fatal(err)
		}
		if version.GitVersion != KubernetesVersion {
			t.Errorf("server version = %q, want %q", version.GitVersion, KubernetesVersion)
		}
		if !strings.HasPrefix(c.URL, "https://127.0.0.1:") {
			t.Errorf("URL = %q, want https://127.0.0.1:PORT", c.URL)
		}
		if ca, err := os.ReadFile(c.CAFile); err != nil || string(ca) != string(c.CAPEM) {
			t.Errorf("CAFile %q holds %q (err %v), want CAPEM", c.CAFile, ca, err)
		}
	})
	if !ok {
		return
	}
	// The subtest's cleanup has stopped both servers, the API server first
	// (it hangs in its shutdown when etcd went first), and quickly.
	t.Logf("stopped in %v", stopTook)
	if stopTook > 10*time.Second {
		t.Errorf("stopping took %v, want well under the 15s grace", stopTook)
	}
	for _, p := range []*process{apiserver, etcd} {
		select {
		case <-p.done:
		default:
			t.Errorf("%s still running after the test's cleanup", p.name)
		}
	}
	host := strings.TrimPrefix(c.URL, "https://")
	if conn, err := net.DialTimeout("tcp", host, time.Second); err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after the cleanup", host)
	}
}

func TestStartFailsWithLog(t *testing.T) {
	t.Parallel()
	p, err := startProcess("/bin/sh", t.TempDir()+"/sh.log", "-c", "echo 'flag provided but not defined: -bogus' >&2; exit 2")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	err = p.waitHTTP(ctx, 5*time.Second, http.DefaultClient, "http://127.0.0.1:1/health")
	if err == nil {
		t.Fatal("waitHTTP on an exited process succeeded")
	}
	for _, want := range []string{"sh exited before", "flag provided but not defined: -bogus"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if errors.Is(err, errPortTaken) {
		t.Errorf("error %q is errPortTaken; the log says nothing of ports", err)
	}
}

// find returns the object called name among objs.
func find[T interface{ GetName() string }](t *testing.T, objs []T, name string) T {
	t.Helper()
	for _, o := range objs {
		if o.GetName() == name {
			return o
		}
	}
	t.Fatalf("no object %q stored", name)
	var zero T
	return zero
}

func TestPodStatusKeepsQOS(t *testing.T) {
	t.Parallel()
	c := cluster.Get(t)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "qos", Namespace: "qos"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example.invalid/app:1"}}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning},
	}
	if err := c.load(t.Context(), snapshotOf(pod)); err != nil {
		t.Fatal(err)
	}
	got, err := c.client.CoreV1().Pods("qos").Get(t.Context(), "qos", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status.Phase != corev1.PodRunning || got.Status.QOSClass != corev1.PodQOSBestEffort {
		t.Errorf("status phase %q qosClass %q, want Running and BestEffort", got.Status.Phase, got.Status.QOSClass)
	}
}

// TestOnlyTestsImport keeps this package out of everything but tests: it
// starts servers and builds binaries.
func TestOnlyTestsImport(t *testing.T) {
	t.Parallel()
	const self = "github.com/sdinspect/sdinspect/internal/testcluster"
	out, err := exec.Command("go", "list", "-e", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", "github.com/sdinspect/sdinspect/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for line := range strings.Lines(string(out)) {
		pkg, imports, _ := strings.Cut(strings.TrimSpace(line), " ")
		if slices.Contains(strings.Fields(imports), self) {
			t.Errorf("%s imports %s outside its tests", pkg, self)
		}
	}
}

func TestServiceAccountToken(t *testing.T) {
	c := cluster.Get(t)
	token := c.ServiceAccountToken(t, "monitoring", "prometheus")
	cfg := &rest.Config{Host: c.URL, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{CAFile: c.CAFile}}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := cs.AuthenticationV1().SelfSubjectReviews().Create(t.Context(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.Status.UserInfo.Username, "system:serviceaccount:monitoring:prometheus"; got != want {
		t.Errorf("user %q, want %q", got, want)
	}
	// A second call reuses the account.
	if c.ServiceAccountToken(t, "monitoring", "prometheus") == "" {
		t.Error("no token the second time")
	}
}
