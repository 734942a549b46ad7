package relabel_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/sdinspect/sdinspect/relabel"
)

// Rules for TestSharedRules. The first reads, writes and deletes labels the
// targets have (own names: container labels, __address__, a shadowed
// phase) in every way the sharing must follow: a replace that writes one
// only when its regex matches, one that deletes it, a templated
// target_label and a labelmap that write them by the pod's name and
// labels, lowercase, labeldrop; then rules that read them, which the
// writes before make the group's in some groups. The second stops sharing
// at a labelmap or a keepequal that reads them, or lets it go on where no
// target has those labels, and deletes one with labelkeep.
const (
	rulesWritingOwn = `
job_name: own
relabel_configs:
- {source_labels: [__meta_kubernetes_pod_annotation_scrape], regex: "false", action: drop}
- {source_labels: [__meta_kubernetes_pod_annotation_port, __meta_kubernetes_pod_ip], regex: '(\d+);(.+)', replacement: '$2:$1', target_label: __address__}
- {source_labels: [__meta_kubernetes_pod_annotation_path], regex: '(/.*)?', target_label: __meta_kubernetes_pod_container_port_name}
- {regex: __meta_kubernetes_pod_container_init, action: labeldrop}
- {source_labels: [__meta_kubernetes_pod_name], regex: '(name|image|x)', target_label: '__meta_kubernetes_pod_container_${1}', replacement: 'w'}
- {action: labelmap, regex: '__meta_kubernetes_pod_label_(.+)', replacement: '__meta_kubernetes_pod_container_$1'}
- {source_labels: [__meta_kubernetes_pod_label_app], target_label: __meta_kubernetes_pod_container_id, action: lowercase}
- {source_labels: [__meta_kubernetes_namespace], target_label: ns}
- {source_labels: [__meta_kubernetes_pod_container_name], regex: 'c3|w', action: drop}
- {source_labels: [__address__], modulus: 3, target_label: __tmp_hash, action: hashmod}
- {source_labels: [__tmp_hash], regex: '0', action: drop}
- {source_labels: [__meta_kubernetes_pod_container_port_name], target_label: port}
- {source_labels: [__meta_kubernetes_pod_phase], regex: 'Failed', action: drop}
- {action: labelmap, regex: '__meta_kubernetes_pod_container_(.+)', replacement: 'c_$1'}
`
	rulesReadingOwn = `
job_name: read
relabel_configs:
- {source_labels: [__meta_kubernetes_pod_phase], regex: Pending, action: drop}
- {regex: '(__.*|app|c_.*|.*name.*)', action: labelkeep}
- {source_labels: [__meta_kubernetes_namespace], target_label: ns}
- {source_labels: [__meta_kubernetes_pod_label_app], target_label: __meta_kubernetes_pod_container_name, action: keepequal}
- {action: labelmap, regex: '__meta_kubernetes_pod_container_(.+)', replacement: 'c_$1'}
- {source_labels: [__meta_kubernetes_pod_name], target_label: pod}
- {source_labels: [extra], target_label: extra_copy}
`
)

// TestSharedRules holds the results of rules a group's targets share
// (shared.go) to Prometheus's scrape.PopulateLabels, target by target, and
// their droppedBy to the trace's, which applies every rule to every target;
// through Visit and VisitSorted. It fails unless the random groups share
// rules up to several different points, drop whole groups, and share none
// where the first rule reads a target's label.
func TestSharedRules(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 8))
	groups := ownGroups(r, 600)
	for _, rules := range []string{rulesWritingOwn, rulesReadingOwn} {
		cfg := scrapeConfig(t, rules)
		got := relabel.Apply(cfg, groups, relabel.Options{})
		traced := relabel.Apply(cfg, groups, relabel.Options{Trace: true})
		lb := labels.NewBuilder(labels.EmptyLabels())
		k := 0
		for _, g := range groups {
			for _, tl := range g.Targets {
				res := got[k]
				checkPrometheus(t, lb, cfg, tl, g.Labels, res)
				checkTrace(t, cfg, tl, g.Labels, traced[k])
				if res.DroppedBy != traced[k].DroppedBy {
					t.Errorf("%s %s/%d: dropped by rule %d, the trace says %d", cfg.JobName, res.Source, res.Index, res.DroppedBy, traced[k].DroppedBy)
				}
				k++
			}
		}

		// VisitSorted, and what was shared.
		shares := map[string]int{}
		k = 0
		v := relabel.NewRelabeler(cfg, relabel.Options{})
		for _, g := range groups {
			var targets [][]labels.Label
			for _, tl := range g.Targets {
				targets = append(targets, sortedOf(tl))
			}
			first := true
			v.VisitSorted(g.Source, sortedOf(g.Labels), targets, 0, len(targets), func(r *relabel.Target, _ []labels.Label) {
				if first && len(targets) > 1 {
					n, dropped := relabel.Shared(v)
					shares[fmt.Sprintf("%d rules, dropped by %d", n, dropped)]++
					first = false
				}
				w := got[k]
				k++
				if r.Source != w.Source || r.Index != w.Index || r.State != w.State || r.DroppedBy != w.DroppedBy ||
					!labels.Equal(r.Labels, w.Labels) || fmt.Sprint(r.Err) != fmt.Sprint(w.Err) {
					t.Errorf("%s: VisitSorted %s/%d %s by %d %v %v, Visit %s/%d %s by %d %v %v", cfg.JobName, r.Source, r.Index, r.State, r.DroppedBy, r.Labels, r.Err,
						w.Source, w.Index, w.State, w.DroppedBy, w.Labels, w.Err)
				}
			})
		}
		t.Logf("%s: %v", cfg.JobName, shares)
	}
}

// ownGroups makes pod-like groups whose targets carry, or not, the labels
// the rules above read and write, with values that make each rule go both
// ways.
func ownGroups(r *rand.Rand, n int) []*targetgroup.Group {
	pick := func(vs ...string) string { return vs[r.IntN(len(vs))] }
	maybe := func(ls model.LabelSet, name string, vs ...string) {
		if r.IntN(2) == 0 {
			ls[model.LabelName(name)] = model.LabelValue(pick(vs...))
		}
	}
	var gs []*targetgroup.Group
	for i := range n {
		g := &targetgroup.Group{
			Source: fmt.Sprintf("pod/%d", i),
			Labels: model.LabelSet{
				"__meta_kubernetes_namespace": model.LabelValue(pick("a", "b")),
				"__meta_kubernetes_pod_name":  model.LabelValue(pick("name", "image", "x", "web")),
				"__meta_kubernetes_pod_phase": model.LabelValue(pick("Running", "Pending", "Failed")),
			},
		}
		maybe(g.Labels, "__meta_kubernetes_pod_ip", "10.0.0.9", "")
		maybe(g.Labels, "__meta_kubernetes_pod_annotation_scrape", "true", "false")
		maybe(g.Labels, "__meta_kubernetes_pod_annotation_port", "9090", "x")
		maybe(g.Labels, "__meta_kubernetes_pod_annotation_path", "", "/m", "x")
		maybe(g.Labels, "__meta_kubernetes_pod_label_app", "Web", "c3", "c1")
		maybe(g.Labels, "__meta_kubernetes_pod_label_name", "c3", "n")
		maybe(g.Labels, "extra", "e", "")
		bare := r.IntN(4) == 0 // no container labels at all
		for range 1 + r.IntN(4) {
			tl := model.LabelSet{"__address__": model.LabelValue(pick("10.0.0.1:80", "10.0.0.2:81", "", "h/x:1"))}
			if !bare {
				maybe(tl, "__meta_kubernetes_pod_container_name", "c1", "c2", "c3", "")
				maybe(tl, "__meta_kubernetes_pod_container_init", "true", "false")
				maybe(tl, "__meta_kubernetes_pod_container_port_name", "http", "")
				maybe(tl, "__meta_kubernetes_pod_container_id", "ID", "")
			}
			if r.IntN(4) == 0 {
				tl["__meta_kubernetes_pod_phase"] = model.LabelValue(pick("", "Failed", "Pending"))
			}
			if r.IntN(4) == 0 {
				tl["extra"] = model.LabelValue(pick("t", ""))
			}
			g.Targets = append(g.Targets, tl)
		}
		gs = append(gs, g)
	}
	return gs
}

// TestSharedPlaceholder: the targets of a group whose labels, or whose
// rules' replacements, could make the value that stands for the targets'
// own labels while rules are shared, share no rule, and get what
// Prometheus gives them.
func TestSharedPlaceholder(t *testing.T) {
	t.Parallel()
	cfg := scrapeConfig(t, `
job_name: placeholder
relabel_configs:
- {action: labelmap, regex: '__meta_(name)', replacement: '__meta_kubernetes_pod_container_$1'}
- {source_labels: [__meta_kubernetes_pod_container_name], regex: '.own', action: keep}
`)
	// A byte that is not UTF-8, which no YAML or JSON value holds, and
	// which '.' matches.
	g := &targetgroup.Group{
		Source: "pod/1",
		Labels: model.LabelSet{"__meta_name": "\xffown"},
		Targets: []model.LabelSet{
			{"__address__": "a:1", "__meta_kubernetes_pod_container_name": "c1"},
			{"__address__": "b:1", "__meta_kubernetes_pod_container_name": "c2"},
		},
	}
	fromReplacement := scrapeConfig(t, `
job_name: placeholder
relabel_configs:
- {target_label: __meta_kubernetes_pod_container_name, replacement: 'set below'}
- {source_labels: [__meta_kubernetes_pod_container_name], regex: '.own', action: keep}
`)
	fromReplacement.RelabelConfigs[0].Replacement = "\xffown"
	plain := &targetgroup.Group{Source: "pod/2", Targets: g.Targets}
	lb := labels.NewBuilder(labels.EmptyLabels())
	for _, c := range []struct {
		cfg *config.ScrapeConfig
		g   *targetgroup.Group
	}{{cfg, g}, {fromReplacement, plain}} {
		v := relabel.NewRelabeler(c.cfg, relabel.Options{})
		kept := 0
		v.Visit(c.g, 0, len(c.g.Targets), func(r *relabel.Target, _ []labels.Label) {
			if n, _ := relabel.Shared(v); n != 0 {
				t.Errorf("%s: %d rules shared", r.Source, n)
			}
			if r.State == relabel.Kept {
				kept++
			}
			checkPrometheus(t, lb, c.cfg, c.g.Targets[r.Index], c.g.Labels, *r)
		})
		if kept != len(c.g.Targets) {
			t.Errorf("%s: %d targets past the keep, want all", c.g.Source, kept)
		}
	}
}
