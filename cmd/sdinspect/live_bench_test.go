package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/internal/testcluster"
)

// BenchmarkLiveTargets compares `sdinspect targets` against a real API
// server holding 5,000 running pods with what merely listing and decoding
// those pods costs, paged as kubectl pages (500 a page): in JSON, as
// `kubectl get pods -A -o json` does, and in protobuf, as sdinspect does.
func BenchmarkLiveTargets(b *testing.B) {
	const pods = 5000
	c := testcluster.Start(b)
	c.Load(b, podSnapshot(pods))
	cert, key := c.ClientCert(b, "bench", "system:masters")
	config := filepath.Join(b.TempDir(), "prometheus.yml")
	if err := os.WriteFile(config, []byte("scrape_configs:\n- job_name: pods\n  kubernetes_sd_configs: [{role: pod}]\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	args := []string{"targets", "--config", config, "-o", "json",
		"--server", c.URL, "--client-certificate", cert, "--client-key", key, "--certificate-authority", c.CAFile}

	b.Run("sdinspect-targets", func(b *testing.B) {
		for b.Loop() {
			if code := run(context.Background(), args, io.Discard, io.Discard); code != exitOK {
				b.Fatalf("exit %d", code)
			}
		}
		b.ReportMetric(pods, "pods")
	})
	for _, ct := range []string{"application/json", "application/vnd.kubernetes.protobuf"} {
		b.Run("list-pods-"+filepath.Base(ct), func(b *testing.B) {
			cfg := rest.CopyConfig(c.Admin)
			cfg.ContentType = ct
			cs, err := kubernetes.NewForConfig(cfg)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if n := listPods(b, cs); n != pods {
					b.Fatalf("listed %d pods, want %d", n, pods)
				}
			}
			b.ReportMetric(pods, "pods")
		})
	}
}

// listPods pages through every pod, 500 a page, decoding them as kubectl
// does, and returns how many there are.
func listPods(b *testing.B, cs kubernetes.Interface) int {
	n, cont := 0, ""
	for {
		l, err := cs.CoreV1().Pods("").List(context.Background(), metav1.ListOptions{Limit: 500, Continue: cont})
		if err != nil {
			b.Fatal(err)
		}
		n += len(l.Items)
		if cont = l.Continue; cont == "" {
			return n
		}
	}
}

// podSnapshot is n running pods with a metrics port, in ten namespaces.
func podSnapshot(n int) *discovery.Snapshot {
	snap := &discovery.Snapshot{}
	for i := range n {
		snap.Pods = append(snap.Pods, &corev1.Pod{
			TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{
				Name:        fmt.Sprintf("app-%d", i),
				Namespace:   fmt.Sprintf("ns-%d", i%10),
				Labels:      map[string]string{"app": fmt.Sprintf("app-%d", i%50), "app.kubernetes.io/part-of": "bench"},
				Annotations: map[string]string{"prometheus.io/scrape": "true"},
			},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name: "app", Image: "registry.example/app:1.0",
				Ports: []corev1.ContainerPort{{Name: "metrics", ContainerPort: 9090, Protocol: corev1.ProtocolTCP}},
			}}},
			Status: corev1.PodStatus{
				Phase: corev1.PodRunning,
				PodIP: fmt.Sprintf("10.%d.%d.%d", 1+i/65536, i/256%256, i%256),
			},
		})
	}
	return snap
}
