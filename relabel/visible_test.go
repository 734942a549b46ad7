package relabel_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/sdinspect/sdinspect/relabel"
)

// rulesSeeingFew read, write and range over some __meta_ labels and leave
// others unseen: the builder holds only those they see (visible.go). The
// namespaces and pod names the groups take make the templated
// target_labels write __meta_ labels the targets have, unseen otherwise.
const rulesSeeingFew = `
job_name: few
relabel_configs:
- {source_labels: [__meta_kubernetes_pod_name], regex: '(.+)', target_label: '__meta_kubernetes_pod_${1}', replacement: 'w'}
- {source_labels: [__meta_kubernetes_namespace], regex: '(.+)', target_label: '__meta_kubernetes_${1}', replacement: ''}
- {source_labels: [__meta_kubernetes_pod_phase], target_label: __meta_kubernetes_pod_ready, action: dropequal}
- {action: labelmap, regex: __meta_kubernetes_pod_label_(.+)}
- {regex: __meta_kubernetes_pod_labelpresent_(a.*), action: labeldrop}
- {regex: '(__meta_kubernetes_pod_annotation.*|__meta_kubernetes_pod_uid|__[a-z_]+__|job|app|tier|.*name.*)', action: labelkeep}
- {action: labelmap, regex: '__meta_kubernetes_pod_(uid)', replacement: 'seen_$1'}
- {action: labelmap, regex: '__meta_kubernetes_pod_annotation_(.+)', replacement: 'seen_$1'}
- {source_labels: [seen_uid], regex: 'w', action: drop}
`

func TestUnseenLabels(t *testing.T) {
	t.Parallel()
	cfg := scrapeConfig(t, rulesSeeingFew)
	r := rand.New(rand.NewPCG(3, 4))
	pick := func(vs ...string) string { return vs[r.IntN(len(vs))] }
	var groups []*targetgroup.Group
	for i := range 400 {
		g := &targetgroup.Group{
			Source: fmt.Sprintf("pod/%d", i),
			Labels: model.LabelSet{
				"__meta_kubernetes_namespace": model.LabelValue(pick("ns", "pod_ready", "pod_uid", "node_name", "pod_host_ip")),
				"__meta_kubernetes_pod_name":  model.LabelValue(pick("web", "uid", "ready", "container_id")),
				"__meta_kubernetes_pod_phase": model.LabelValue(pick("Running", "true")),
			},
		}
		for _, l := range []string{
			"__meta_kubernetes_pod_ready", "__meta_kubernetes_pod_uid", "__meta_kubernetes_node_name", "__meta_kubernetes_pod_host_ip",
			"__meta_kubernetes_pod_label_app", "__meta_kubernetes_pod_labelpresent_app",
			"__meta_kubernetes_pod_label_tier", "__meta_kubernetes_pod_labelpresent_tier",
			"__meta_kubernetes_pod_annotation_x", "__meta_kubernetes_pod_annotationpresent_x",
		} {
			if r.IntN(2) == 0 {
				g.Labels[model.LabelName(l)] = model.LabelValue(pick("true", "Running", "w", "v"))
			}
		}
		for range 1 + r.IntN(2) {
			g.Targets = append(g.Targets, model.LabelSet{
				"__address__":                          model.LabelValue(pick("10.0.0.1:80", "10.0.0.2:81")),
				"__meta_kubernetes_pod_container_id":   model.LabelValue(pick("c1", "")),
				"__meta_kubernetes_pod_container_name": model.LabelValue(pick("c1", "c2")),
			})
		}
		groups = append(groups, g)
	}
	lb := labels.NewBuilder(labels.EmptyLabels())
	states := map[relabel.State]int{}
	k := 0
	got := relabel.Apply(cfg, groups, relabel.Options{})
	for _, g := range groups {
		for _, tl := range g.Targets {
			res := got[k]
			k++
			states[res.State]++
			checkPrometheus(t, lb, cfg, tl, g.Labels, res)
		}
	}
	if states[relabel.Kept] == 0 || states[relabel.Dropped] == 0 {
		t.Errorf("states %v: want kept and dropped targets", states)
	}
}
