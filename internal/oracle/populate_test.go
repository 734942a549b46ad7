package oracle_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/model"

	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/sdinspect/sdinspect/internal/oracle"
)

const scrapeYAML = `
scrape_configs:
- job_name: pods
  scrape_interval: 30s
  relabel_configs:
  - source_labels: [__meta_kubernetes_pod_name]
    regex: drop-me
    action: drop
  - source_labels: [__meta_kubernetes_pod_name]
    target_label: pod
`

func TestPopulate(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(scrapeYAML, nil)
	if err != nil {
		t.Fatal(err)
	}
	scs, err := cfg.GetScrapeConfigs()
	if err != nil {
		t.Fatal(err)
	}
	groups := []*targetgroup.Group{
		{Source: "pod/a/keep", Labels: model.LabelSet{"__meta_kubernetes_pod_name": "keep", "__meta_x": "group", "__meta_y": "group"},
			Targets: []model.LabelSet{
				{"__address__": "10.0.0.1:80", "__meta_x": "target", "__meta_y": ""},
				{"__address__": "10.0.0.1:81", "instance": "custom"},
			}},
		{Source: "pod/a/drop-me", Labels: model.LabelSet{"__meta_kubernetes_pod_name": "drop-me"},
			Targets: []model.LabelSet{{"__address__": "10.0.0.2:80"}}},
		{Source: "ingress/a/x", Targets: []model.LabelSet{{"__address__": ""}}},
	}
	got := oracle.Populate(scs[0], groups)

	defaults := map[string]string{
		"job": "pods", "__scheme__": "http", "__metrics_path__": "/metrics",
		"__scrape_interval__": "30s", "__scrape_timeout__": "10s",
		"__convert_classic_histograms_to_nhcb__": "false", "__always_scrape_classic_histograms__": "false",
		"__scrape_native_histograms__": "false",
	}
	with := func(m map[string]string) labels.Labels {
		all := map[string]string{}
		for k, v := range defaults {
			all[k] = v
		}
		for k, v := range m {
			all[k] = v
		}
		return labels.FromMap(all)
	}
	want := []oracle.Result{
		{Source: "pod/a/keep", Index: 0,
			// The target's __meta_x wins over the group's; its empty __meta_y
			// masks the group's and then disappears.
			DiscoveredLabels: with(map[string]string{"__address__": "10.0.0.1:80", "__meta_kubernetes_pod_name": "keep", "__meta_x": "target"}),
			Labels:           with(map[string]string{"__address__": "10.0.0.1:80", "instance": "10.0.0.1:80", "pod": "keep"})},
		{Source: "pod/a/keep", Index: 1,
			DiscoveredLabels: with(map[string]string{"__address__": "10.0.0.1:81", "__meta_kubernetes_pod_name": "keep", "__meta_x": "group", "__meta_y": "group", "instance": "custom"}),
			Labels:           with(map[string]string{"__address__": "10.0.0.1:81", "instance": "custom", "pod": "keep"})},
		{Source: "pod/a/drop-me", Index: 0,
			DiscoveredLabels: with(map[string]string{"__address__": "10.0.0.2:80", "__meta_kubernetes_pod_name": "drop-me"}),
			Labels:           labels.EmptyLabels()},
		// An empty address is refused, as for an ingress rule without host.
		{Source: "ingress/a/x", Index: 0, DiscoveredLabels: with(nil), Labels: labels.EmptyLabels(), Err: errors.New("no address")},
	}
	errText := func(err error) string {
		if err == nil {
			return ""
		}
		return err.Error()
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(labels.Equal), cmp.Transformer("err", errText)); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if len(got) == 4 {
		if !got[2].Dropped() || got[0].Dropped() || got[3].Dropped() {
			t.Errorf("Dropped: got %v %v %v, want false true false", got[0].Dropped(), got[2].Dropped(), got[3].Dropped())
		}
	}
}
