package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sdinspect/sdinspect/internal/gencluster"
	"github.com/sdinspect/sdinspect/promconfig"
)

// benchConfig is a pod job with 20 relabel rules of the kinds
// kube-prometheus and the Prometheus Helm chart generate.
const benchConfig = `
scrape_configs:
- job_name: kubernetes-pods
  kubernetes_sd_configs:
  - role: pod
  relabel_configs:
  - {source_labels: [__meta_kubernetes_pod_phase], regex: 'Pending|Succeeded|Failed|Completed', action: drop}
  - {source_labels: [__meta_kubernetes_pod_container_init], regex: "true", action: drop}
  - {source_labels: [__meta_kubernetes_pod_container_port_protocol], regex: 'UDP', action: drop}
  - {source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scheme], regex: '(https?)', target_label: __scheme__}
  - {source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path], regex: '(.+)', target_label: __metrics_path__}
  - {source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port], regex: '(.+?)(?::\d+)?;(\d+)', replacement: '$1:$2', target_label: __address__}
  - {action: labelmap, regex: '__meta_kubernetes_pod_annotation_prometheus_io_param_(.+)', replacement: __param_$1}
  - {action: labelmap, regex: '__meta_kubernetes_pod_label_(.+)'}
  - {source_labels: [__meta_kubernetes_namespace], target_label: namespace}
  - {source_labels: [__meta_kubernetes_pod_name], target_label: pod}
  - {source_labels: [__meta_kubernetes_pod_container_name], target_label: container}
  - {source_labels: [__meta_kubernetes_pod_node_name], target_label: node}
  - {source_labels: [__meta_kubernetes_pod_controller_kind], target_label: controller_kind}
  - {source_labels: [__meta_kubernetes_pod_controller_name], target_label: controller}
  - {source_labels: [__meta_kubernetes_pod_container_port_name], regex: '.*metrics.*|http', action: keep}
  - {source_labels: [__meta_kubernetes_pod_label_app_kubernetes_io_name, __meta_kubernetes_pod_label_app], regex: ';*([^;]+);*', target_label: app}
  - {source_labels: [pod], regex: '(.*)-[a-z0-9]{5}', target_label: __tmp_workload}
  - {source_labels: [__address__], modulus: 4, target_label: __tmp_hash, action: hashmod}
  - {source_labels: [__tmp_hash], regex: "0|1|2|3", action: keep}
  - {regex: '(pod_template_hash|controller_revision_hash)', action: labeldrop}
`

// BenchmarkEvaluate measures the whole offline pipeline, discovery and
// relabeling with 20 rules, over a generated cluster of about 10,000 pods
// (the count is reported as a metric).
func BenchmarkEvaluate(b *testing.B) {
	path := filepath.Join(b.TempDir(), "prometheus.yml")
	if err := os.WriteFile(path, []byte(benchConfig), 0o644); err != nil {
		b.Fatal(err)
	}
	cfg, err := promconfig.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	snap := gencluster.Generate(1, gencluster.Size{Namespaces: 20, Nodes: 200, Apps: 270})
	rep, err := evaluate(cfg.Jobs, &objects{all: snap}, &inputOptions{}, false, func(string) {})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := evaluate(cfg.Jobs, &objects{all: snap}, &inputOptions{}, false, func(string) {}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(snap.Pods)), "pods")
	b.ReportMetric(float64(rep.Jobs[0].Summary.Discovered), "targets")
}
