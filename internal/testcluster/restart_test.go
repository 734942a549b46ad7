package testcluster

import (
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestRestartAPIServer kills kube-apiserver and starts it again: the same
// address answers again, with what etcd kept, and requests in between find
// nothing listening.
func TestRestartAPIServer(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a kube-apiserver; skipped with -short")
	}
	c := Start(t)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kept"}}
	if _, err := c.client.CoreV1().Namespaces().Create(t.Context(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	url := c.URL
	if err := c.KillAPIServer(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.client.CoreV1().Namespaces().Get(t.Context(), "kept", metav1.GetOptions{}); err == nil {
		t.Fatal("a killed API server answered")
	}
	if err := c.KillAPIServer(); err == nil {
		t.Error("killing a dead API server: no error")
	}
	if err := c.RestartAPIServer(t.Context()); err != nil {
		t.Fatal(err)
	}
	if c.URL != url {
		t.Errorf("restarted at %s, was at %s", c.URL, url)
	}
	if _, err := c.client.CoreV1().Namespaces().Get(t.Context(), "kept", metav1.GetOptions{}); err != nil {
		t.Errorf("after the restart: %v", err)
	}
	if err := c.RestartAPIServer(t.Context()); err == nil {
		t.Error("restarting a running API server: no error")
	}
}

func TestSharedAPIServerStays(t *testing.T) {
	t.Parallel()
	c := cluster.Get(t)
	if err := c.KillAPIServer(); !errors.Is(err, errSharedAPIServer) {
		t.Errorf("KillAPIServer on the shared cluster: %v, want %v", err, errSharedAPIServer)
	}
	if err := c.RestartAPIServer(t.Context()); !errors.Is(err, errSharedAPIServer) {
		t.Errorf("RestartAPIServer on the shared cluster: %v, want %v", err, errSharedAPIServer)
	}
}
