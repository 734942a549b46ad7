package relabel_test

import (
	"fmt"

	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"

	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/targetgroup"

	"github.com/sdinspect/sdinspect/relabel"
)

func ExampleApply() {
	cfg, err := config.Load(`
scrape_configs:
- job_name: pods
  relabel_configs:
  - source_labels: [__meta_kubernetes_pod_container_port_name]
    regex: metrics
    action: keep
  - source_labels: [__meta_kubernetes_namespace]
    target_label: namespace
`, promslog.NewNopLogger())
	if err != nil {
		panic(err)
	}
	scs, err := cfg.GetScrapeConfigs()
	if err != nil {
		panic(err)
	}
	group := &targetgroup.Group{
		Source: "pod/shop/web-0",
		Labels: model.LabelSet{"__meta_kubernetes_namespace": "shop"},
		Targets: []model.LabelSet{
			{"__address__": "10.0.0.1:8080", "__meta_kubernetes_pod_container_port_name": "http"},
			{"__address__": "10.0.0.1:9102", "__meta_kubernetes_pod_container_port_name": "metrics"},
		},
	}
	for _, t := range relabel.Apply(scs[0], []*targetgroup.Group{group}, relabel.Options{}) {
		switch t.State {
		case relabel.Dropped:
			fmt.Printf("%s #%d dropped by rule %d\n", t.Source, t.Index, t.DroppedBy)
		case relabel.Kept:
			fmt.Printf("%s #%d kept: %s %s\n", t.Source, t.Index, relabel.ScrapeURL(scs[0], &t), relabel.PublicLabels(&t))
		}
	}
	// Output:
	// pod/shop/web-0 #0 dropped by rule 0
	// pod/shop/web-0 #1 kept: http://10.0.0.1:9102/metrics {instance="10.0.0.1:9102", job="pods", namespace="shop"}
}
