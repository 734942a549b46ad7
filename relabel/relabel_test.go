package relabel_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"

	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"github.com/prometheus/prometheus/model/labels"
	promrelabel "github.com/prometheus/prometheus/model/relabel"
	"github.com/prometheus/prometheus/scrape"

	"github.com/sdinspect/sdinspect/relabel"
)

// scrapeConfig loads one job the way Prometheus does, so that defaults and
// rule validation are Prometheus's own.
func scrapeConfig(t testing.TB, job string) *config.ScrapeConfig {
	t.Helper()
	cfg, err := config.Load("scrape_configs:\n"+indent(job), promslog.NewNopLogger())
	if err != nil {
		t.Fatalf("loading config: %v", err)
	}
	scs, err := cfg.GetScrapeConfigs()
	if err != nil {
		t.Fatalf("getting scrape configs: %v", err)
	}
	return scs[0]
}

func indent(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	lines[0] = "- " + strings.TrimPrefix(lines[0], "  ")
	return strings.Join(lines, "\n") + "\n"
}

func TestApply(t *testing.T) {
	t.Parallel()
	pod := model.LabelSet{
		"__address__":                               "10.0.0.1:8080",
		"__meta_kubernetes_pod_name":                "web-0",
		"__meta_kubernetes_pod_container_port_name": "metrics",
		"__meta_kubernetes_pod_label_app":           "web",
	}
	group := model.LabelSet{"__meta_kubernetes_namespace": "shop"}
	tests := []struct {
		name       string
		job        string
		target     model.LabelSet
		wantState  relabel.State
		wantDrop   int
		wantErr    string
		wantLabels map[string]string // subset of the final labels
		wantAbsent []string
	}{
		{
			name:      "no rules keeps and defaults instance",
			job:       "job_name: j",
			target:    pod,
			wantState: relabel.Kept, wantDrop: -1,
			wantLabels: map[string]string{"instance": "10.0.0.1:8080", "job": "j", "__scheme__": "http", "__metrics_path__": "/metrics", "__scrape_interval__": "1m", "__scrape_timeout__": "10s"},
			wantAbsent: []string{"__meta_kubernetes_pod_name", "__meta_kubernetes_namespace"},
		},
		{
			name: "keep on port name drops a non-matching target at rule 1",
			job: `
job_name: j
relabel_configs:
- {source_labels: [__meta_kubernetes_namespace], target_label: namespace}
- {source_labels: [__meta_kubernetes_pod_container_port_name], regex: http, action: keep}`,
			target:    pod,
			wantState: relabel.Dropped, wantDrop: 1,
		},
		{
			name: "tmp labels survive population",
			job: `
job_name: j
relabel_configs:
- {source_labels: [__meta_kubernetes_pod_label_app], target_label: __tmp_app}`,
			target:    pod,
			wantState: relabel.Kept, wantDrop: -1,
			wantLabels: map[string]string{"__tmp_app": "web"},
		},
		{
			name: "address with a scheme is invalid",
			job: `
job_name: j
relabel_configs:
- {target_label: __address__, replacement: "http://a:1"}`,
			target:    pod,
			wantState: relabel.Invalid, wantDrop: -1,
			wantErr: `"http://a:1" is not a valid hostname`,
		},
		{
			name: "empty address is invalid",
			job: `
job_name: j
relabel_configs:
- {target_label: __address__, replacement: ""}`,
			target:    pod,
			wantState: relabel.Invalid, wantDrop: -1,
			wantErr: "no address",
		},
		{
			name: "zero interval",
			job: `
job_name: j
relabel_configs:
- {target_label: __scrape_interval__, replacement: 0s}`,
			target:    pod,
			wantState: relabel.Invalid, wantDrop: -1,
			wantErr: "scrape interval cannot be 0",
		},
		{
			name: "unparsable timeout",
			job: `
job_name: j
relabel_configs:
- {target_label: __scrape_timeout__, replacement: xx}`,
			target:    pod,
			wantState: relabel.Invalid, wantDrop: -1,
			wantErr: `error parsing scrape timeout: not a valid duration string: "xx"`,
		},
		{
			name: "timeout above interval",
			job: `
job_name: j
relabel_configs:
- {target_label: __scrape_interval__, replacement: 5s}`,
			target:    pod,
			wantState: relabel.Invalid, wantDrop: -1,
			wantErr: `scrape timeout cannot be greater than scrape interval ("10s" > "5s")`,
		},
		{
			name: "bad histogram flag",
			job: `
job_name: j
relabel_configs:
- {target_label: __scrape_native_histograms__, replacement: maybe}`,
			target:    pod,
			wantState: relabel.Invalid, wantDrop: -1,
			wantErr: `error parsing scrape native histograms: strconv.ParseBool: parsing "maybe": invalid syntax`,
		},
		{
			name:      "target label wins over group label",
			job:       "job_name: j\nrelabel_configs:\n- {source_labels: [__meta_kubernetes_namespace], target_label: ns}",
			target:    model.LabelSet{"__address__": "a:1", "__meta_kubernetes_namespace": "mine"},
			wantState: relabel.Kept, wantDrop: -1,
			wantLabels: map[string]string{"ns": "mine"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := scrapeConfig(t, tt.job)
			got := relabel.Apply(cfg, []*targetgroup.Group{{Source: "s", Labels: group, Targets: []model.LabelSet{tt.target}}}, relabel.Options{})
			if len(got) != 1 {
				t.Fatalf("got %d results, want 1", len(got))
			}
			r := got[0]
			if r.State != tt.wantState || r.DroppedBy != tt.wantDrop {
				t.Errorf("state %s dropped by %d, want %s dropped by %d (err %v)", r.State, r.DroppedBy, tt.wantState, tt.wantDrop, r.Err)
			}
			if gotErr := fmt.Sprint(r.Err); tt.wantErr != "" && gotErr != tt.wantErr {
				t.Errorf("error %q, want %q", gotErr, tt.wantErr)
			}
			for k, v := range tt.wantLabels {
				if got := r.Labels.Get(k); got != v {
					t.Errorf("label %s = %q, want %q", k, got, v)
				}
			}
			for _, k := range tt.wantAbsent {
				if r.Labels.Has(k) {
					t.Errorf("label %s present, want absent", k)
				}
			}
			if d := r.Discovered(); d.Get("job") != "j" || d.Get("__address__") == "" {
				t.Errorf("discovered labels lack job or address: %v", d)
			}
		})
	}
}

func TestScrapeURLAndPublicLabels(t *testing.T) {
	t.Parallel()
	cfg := scrapeConfig(t, `
job_name: j
params: {module: [m1, m2]}
relabel_configs:
- {target_label: __param_module, replacement: over}
- {target_label: __tmp_x, replacement: y}`)
	got := relabel.Apply(cfg, []*targetgroup.Group{{Targets: []model.LabelSet{{"__address__": "[fd00::1]:9100"}}}}, relabel.Options{})
	if u := relabel.ScrapeURL(cfg, &got[0]); u != "http://[fd00::1]:9100/metrics?module=over&module=m2" {
		t.Errorf("scrape URL %q", u)
	}
	want := map[string]string{"instance": "[fd00::1]:9100", "job": "j"}
	if diff := cmp.Diff(want, relabel.PublicLabels(&got[0]).Map()); diff != "" {
		t.Errorf("public labels (-want +got):\n%s", diff)
	}
}

func TestDuplicatesMerged(t *testing.T) {
	t.Parallel()
	cfg := scrapeConfig(t, "job_name: j")
	g := &targetgroup.Group{Source: "ingress/a/b", Targets: []model.LabelSet{
		{"__address__": "h", "__meta_kubernetes_ingress_path": "/x"},
		{"__address__": "h", "__meta_kubernetes_ingress_path": "/x"},
		{"__address__": "h", "__meta_kubernetes_ingress_path": "/y"},
		{"__address__": "other"},
	}}
	got := relabel.Apply(cfg, []*targetgroup.Group{g}, relabel.Options{})
	var dups []*relabel.Ref
	for _, r := range got {
		dups = append(dups, r.DuplicateOf)
	}
	// __meta_ labels are removed before comparing, so /x and /y collapse too.
	first := &relabel.Ref{Source: "ingress/a/b", Index: 0}
	if diff := cmp.Diff([]*relabel.Ref{nil, first, first, nil}, dups); diff != "" {
		t.Errorf("DuplicateOf (-want +got):\n%s", diff)
	}
}

// TestRelabelersAndDuplicatesApart holds what callers get from several
// Relabelers on their own goroutines, with Duplicates marking the results
// in group order, equal to Apply.
func TestRelabelersAndDuplicatesApart(t *testing.T) {
	t.Parallel()
	cfg := scrapeConfig(t, rulesForProperty)
	groups := randomGroups(rand.New(rand.NewPCG(3, 4)), 400)
	for _, opts := range []relabel.Options{{}, {Trace: true, Discovered: true}} {
		want := relabel.Apply(cfg, groups, opts)
		const workers = 3
		parts := make([][]relabel.Target, len(groups))
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				r := relabel.NewRelabeler(cfg, opts)
				for i := w; i < len(groups); i += workers {
					parts[i] = r.Group(nil, groups[i])
				}
			})
		}
		wg.Wait()
		d := relabel.NewDuplicates()
		var got []relabel.Target
		dups := 0
		for _, p := range parts {
			d.Mark(p)
			for _, r := range p {
				if r.DuplicateOf != nil {
					dups++
				}
			}
			got = append(got, p...)
		}
		if dups == 0 {
			t.Fatal("no duplicate among the random targets: the property is not exercised")
		}
		opt := cmp.Comparer(func(a, b relabel.Target) bool {
			return a.Source == b.Source && a.Index == b.Index && a.State == b.State && a.DroppedBy == b.DroppedBy &&
				labels.Equal(a.Labels, b.Labels) && fmt.Sprint(a.Err) == fmt.Sprint(b.Err) &&
				cmp.Equal(a.DuplicateOf, b.DuplicateOf) && cmp.Equal(a.Trace, b.Trace) &&
				labels.Equal(a.Discovered(), b.Discovered())
		})
		if diff := cmp.Diff(want, got, opt); diff != "" {
			t.Errorf("%+v: apart (-Apply +Relabelers and Duplicates):\n%s", opts, diff)
		}
	}
}

// rulesForProperty is a kube-prometheus-like rule set touching every action.
const rulesForProperty = `
job_name: prop
params: {format: [prometheus]}
relabel_configs:
- {source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape], regex: "false", action: drop}
- {source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path], regex: (.+), target_label: __metrics_path__}
- {source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port], regex: '([^:]+)(?::\d+)?;(\d+)', replacement: '$1:$2', target_label: __address__}
- {action: labelmap, regex: __meta_kubernetes_pod_label_(.+)}
- {source_labels: [__meta_kubernetes_namespace], target_label: namespace}
- {source_labels: [__meta_kubernetes_pod_name], target_label: pod}
- {source_labels: [pod], action: lowercase, target_label: pod_lower}
- {source_labels: [pod], action: uppercase, target_label: pod_upper}
- {source_labels: [__address__], modulus: 4, target_label: __tmp_hash, action: hashmod}
- {source_labels: [__tmp_hash], regex: "3", action: drop}
- {source_labels: [__meta_kubernetes_pod_label_team], target_label: team, action: keepequal}
- {source_labels: [__meta_kubernetes_pod_phase], target_label: phase_copy, action: dropequal}
- {regex: __meta_kubernetes_pod_label_(team|tier), action: labeldrop}
- {regex: (__.*|app|tier|team|namespace|pod|pod_lower|pod_upper|job|instance|extra), action: labelkeep}
- {source_labels: [__meta_kubernetes_pod_label_interval], regex: (.+), target_label: __scrape_interval__}
- {source_labels: [pod], regex: '(?i)(web|api).*', target_label: 'kind_${1}', replacement: yes}
- {source_labels: [pod], regex: '(api)-1', target_label: 'kind_${1}', replacement: ''}
- {source_labels: [pod], regex: '(a?)(.*)', target_label: '${1}', replacement: 'v$2'}
- {source_labels: [namespace, __meta_kubernetes_pod_phase], separator: '/', regex: 'ns[01]/.*', action: keep}
`

// randomGroups makes pod-like target groups whose labels exercise every rule
// above, including invalid outcomes, without label collisions that make
// Prometheus's own labelmap order random.
func randomGroups(r *rand.Rand, n int) []*targetgroup.Group {
	pick := func(vs ...string) string { return vs[r.IntN(len(vs))] }
	var gs []*targetgroup.Group
	for i := range n {
		g := &targetgroup.Group{
			Source: fmt.Sprintf("pod/ns%d/p%d", i%3, i),
			Labels: model.LabelSet{
				"__meta_kubernetes_namespace": model.LabelValue(fmt.Sprintf("ns%d", i%3)),
				"__meta_kubernetes_pod_name":  model.LabelValue(pick("Web-0", "api-1", "DB")),
				"__meta_kubernetes_pod_phase": model.LabelValue(pick("Running", "Pending")),
			},
		}
		for _, l := range []string{"app", "team", "tier", "interval"} {
			if r.IntN(2) == 0 {
				v := pick("web", "a", "b", "", "30s", "0s", "x y")
				g.Labels[model.LabelName("__meta_kubernetes_pod_label_"+l)] = model.LabelValue(v)
			}
		}
		if r.IntN(3) == 0 {
			g.Labels["__meta_kubernetes_pod_annotation_prometheus_io_scrape"] = model.LabelValue(pick("true", "false"))
		}
		if r.IntN(3) == 0 {
			g.Labels["__meta_kubernetes_pod_annotation_prometheus_io_path"] = model.LabelValue(pick("/m", "", "/a/b"))
		}
		if r.IntN(3) == 0 {
			g.Labels["__meta_kubernetes_pod_annotation_prometheus_io_port"] = model.LabelValue(pick("9090", "x"))
		}
		// Labels of the job's settings, set or empty, which the settings
		// then fill or not.
		for _, l := range []string{"job", "__scheme__", "__param_format"} {
			if r.IntN(4) == 0 {
				g.Labels[model.LabelName(l)] = model.LabelValue(pick("", "x", "https"))
			}
		}
		for range 1 + r.IntN(3) {
			t := model.LabelSet{
				"__address__":                          model.LabelValue(pick("10.0.0.1:80", "10.0.0.2", "[fd00::1]:8080", "fd00::2", "", "h/x:1")),
				"__meta_kubernetes_pod_container_name": model.LabelValue(pick("c1", "c2")),
			}
			// A target's labels shadow the group's, even when empty.
			if r.IntN(4) == 0 {
				t["__meta_kubernetes_pod_phase"] = model.LabelValue(pick("", "Failed"))
			}
			if r.IntN(4) == 0 {
				t["__metrics_path__"] = model.LabelValue(pick("", "/t"))
			}
			g.Targets = append(g.Targets, t)
		}
		gs = append(gs, g)
	}
	return gs
}

// TestMatchesPopulateLabels holds Apply, and its trace, to Prometheus's own
// scrape.PopulateLabels: same state, same labels, same error.
func TestMatchesPopulateLabels(t *testing.T) {
	t.Parallel()
	cfg := scrapeConfig(t, rulesForProperty)
	r := rand.New(rand.NewPCG(1, 2))
	groups := randomGroups(r, 500)
	got := relabel.Apply(cfg, groups, relabel.Options{Trace: true})
	copied := relabel.Apply(cfg, groups, relabel.Options{Discovered: true})
	lb := labels.NewBuilder(labels.EmptyLabels())
	states := map[relabel.State]int{}
	k := 0
	for _, g := range groups {
		for _, tl := range g.Targets {
			res := got[k]
			k++
			states[res.State]++
			checkPrometheus(t, lb, cfg, tl, g.Labels, res)
			checkTrace(t, cfg, tl, g.Labels, res)
			if d := copied[k-1].Discovered(); !labels.Equal(d, res.Discovered()) {
				t.Errorf("%s/%d: discovered labels kept with Options.Discovered %v, built when asked %v", res.Source, res.Index, d, res.Discovered())
			}
		}
	}
	// Visit gives each target's discovered labels while they are valid.
	k = 0
	v := relabel.NewRelabeler(cfg, relabel.Options{})
	for _, g := range groups {
		v.Visit(g, 0, len(g.Targets), func(r *relabel.Target, sorted []labels.Label) {
			discovered := labelsOf(t, sorted)
			want := got[k]
			k++
			if r.Source != want.Source || r.Index != want.Index || r.State != want.State || !labels.Equal(r.Labels, want.Labels) {
				t.Errorf("Visit: %s/%d %s %v, Apply: %s/%d %s %v", r.Source, r.Index, r.State, r.Labels, want.Source, want.Index, want.State, want.Labels)
			}
			if !labels.Equal(discovered, want.Discovered()) {
				t.Errorf("%s/%d: discovered labels given by Visit %v, built when asked %v", r.Source, r.Index, discovered, want.Discovered())
			}
		})
	}
	for _, s := range []relabel.State{relabel.Kept, relabel.Dropped, relabel.Invalid} {
		if states[s] == 0 {
			t.Errorf("no %s target among the random ones: the property is not exercised", s)
		}
	}
}

// checkPrometheus verifies that res, the result for the target tl of the
// group whose labels are tg, is what Prometheus's scrape.PopulateLabels
// makes of it: the same state, labels and error.
func checkPrometheus(t *testing.T, lb *labels.Builder, cfg *config.ScrapeConfig, tl, tg model.LabelSet, res relabel.Target) {
	t.Helper()
	want, err := scrape.PopulateLabels(lb, cfg, tl, tg)
	switch {
	case err != nil:
		if res.State != relabel.Invalid || res.Err.Error() != err.Error() {
			t.Errorf("%s/%d: got %s %v, Prometheus: invalid %v", res.Source, res.Index, res.State, res.Err, err)
		}
	case want.IsEmpty():
		if res.State != relabel.Dropped {
			t.Errorf("%s/%d: got %s %v, Prometheus: dropped", res.Source, res.Index, res.State, res.Labels)
		}
	default:
		if res.State != relabel.Kept || !labels.Equal(res.Labels, want) {
			t.Errorf("%s/%d: got %s %v, Prometheus: kept %v", res.Source, res.Index, res.State, res.Labels, want)
		}
	}
}

// checkTrace verifies that after each step of the trace the labels are
// what applying the rules up to that one gives, that each step's changes are
// the difference from the step before, and that the trace ends where the
// target's state says.
func checkTrace(t *testing.T, cfg *config.ScrapeConfig, tl, tg model.LabelSet, res relabel.Target) {
	t.Helper()
	lb := labels.NewBuilder(labels.EmptyLabels())
	scrape.PopulateDiscoveredLabels(lb, cfg, tl, tg)
	before := lb.Labels()
	if !labels.Equal(before, res.Discovered()) {
		t.Errorf("%s/%d: discovered %v, want %v", res.Source, res.Index, res.Discovered(), before)
	}
	got := res.TraceLabels(res.Discovered())
	keep := true
	steps := 0
	for i, rule := range cfg.RelabelConfigs {
		keep = promrelabel.ProcessBuilder(lb, rule)
		after := lb.Labels()
		steps++
		if i >= len(res.Trace) {
			break
		}
		s := res.Trace[i]
		if s.Rule != i || s.Keep != keep || !labels.Equal(got[i], after) {
			t.Errorf("%s/%d step %d: rule %d keep=%v %v, want rule %d keep=%v %v", res.Source, res.Index, i, s.Rule, s.Keep, got[i], i, keep, after)
		}
		if want := changesBetween(before, after); !slices.Equal(s.Changes, want) {
			t.Errorf("%s/%d step %d: changes %v, want %v", res.Source, res.Index, i, s.Changes, want)
		}
		before = after
		if !keep {
			break
		}
	}
	if len(res.Trace) != steps {
		t.Errorf("%s/%d: %d steps, want %d", res.Source, res.Index, len(res.Trace), steps)
	}
	if keep != (res.State != relabel.Dropped) || !keep && res.DroppedBy != steps-1 {
		t.Errorf("%s/%d: state %s dropped by %d, but the rules end keep=%v after %d steps", res.Source, res.Index, res.State, res.DroppedBy, keep, steps)
	}
}

// changesBetween is what a step's changes must be: every label whose value
// differs, by name.
func changesBetween(a, b labels.Labels) []relabel.Change {
	var out []relabel.Change
	names := map[string]bool{}
	a.Range(func(l labels.Label) { names[l.Name] = true })
	b.Range(func(l labels.Label) { names[l.Name] = true })
	for _, n := range slices.Sorted(maps.Keys(names)) {
		if a.Get(n) != b.Get(n) {
			out = append(out, relabel.Change{Name: n, Before: a.Get(n), After: b.Get(n)})
		}
	}
	return out
}

// TestOrderSensitiveLabelmap holds a job to Prometheus where a labelmap
// maps two labels to one name: Prometheus sets the target's labels before
// the group's, so the group's value wins, though its name sorts first.
func TestOrderSensitiveLabelmap(t *testing.T) {
	t.Parallel()
	cfg := scrapeConfig(t, `
job_name: collide
relabel_configs:
- {action: labelmap, regex: '__meta_[ab]_(.+)'}
`)
	g := &targetgroup.Group{
		Source:  "g",
		Labels:  model.LabelSet{"__meta_a_x": "group"},
		Targets: []model.LabelSet{{"__address__": "h:1", "__meta_b_x": "target"}},
	}
	want, err := scrape.PopulateLabels(labels.NewBuilder(labels.EmptyLabels()), cfg, g.Targets[0], g.Labels)
	if err != nil || want.Get("x") != "group" {
		t.Fatalf("Prometheus gives x=%q (%v), the test expects the group's value", want.Get("x"), err)
	}
	for _, opts := range []relabel.Options{{}, {Trace: true}} {
		got := relabel.Apply(cfg, []*targetgroup.Group{g}, opts)
		if len(got) != 1 || got[0].State != relabel.Kept || !labels.Equal(got[0].Labels, want) {
			t.Errorf("%+v: got %+v, Prometheus keeps %v", opts, got, want)
		}
	}
}

// TestUnchangedTargetsKept holds the labels of a target no rule or check
// changed (the builder then returns its base, the Relabeler's scratch
// space) unchanged by the targets relabeled after it.
func TestUnchangedTargetsKept(t *testing.T) {
	t.Parallel()
	cfg := scrapeConfig(t, "job_name: same\n")
	g := &targetgroup.Group{Source: "g"}
	for _, addr := range []string{"a:1", "b:2", "c:3"} {
		g.Targets = append(g.Targets, model.LabelSet{"__address__": model.LabelValue(addr), "instance": model.LabelValue(addr)})
	}
	lb := labels.NewBuilder(labels.EmptyLabels())
	for i, got := range relabel.Apply(cfg, []*targetgroup.Group{g}, relabel.Options{}) {
		want, err := scrape.PopulateLabels(lb, cfg, g.Targets[i], g.Labels)
		if err != nil || got.State != relabel.Kept || !labels.Equal(got.Labels, want) {
			t.Errorf("target %d: %s %v, Prometheus keeps %v (%v)", i, got.State, got.Labels, want, err)
		}
	}
}

// TestVisitSortedMatchesVisit: given the same groups with their label sets
// sorted, VisitSorted gives what Visit gives, with or without the trace and
// the one-pass population, and so do the results' Discovered.
func TestVisitSortedMatchesVisit(t *testing.T) {
	t.Parallel()
	groups := randomGroups(rand.New(rand.NewPCG(5, 6)), 300)
	// The second job's labelmap is not provably injective (case folding),
	// so it is populated by PopulateDiscoveredLabels; on these labels it
	// maps one name at most.
	folding := "job_name: folding\nrelabel_configs:\n- {action: labelmap, regex: '(?i)__meta_kubernetes_pod_label_(te.*)'}\n"
	for _, rules := range []string{rulesForProperty, folding} {
		cfg := scrapeConfig(t, rules)
		for _, opts := range []relabel.Options{{}, {Trace: true}} {
			var want []relabel.Target
			var wantDisc []labels.Labels
			v := relabel.NewRelabeler(cfg, opts)
			for _, g := range groups {
				v.Visit(g, 0, len(g.Targets), func(r *relabel.Target, discovered []labels.Label) {
					want = append(want, *r)
					wantDisc = append(wantDisc, labelsOf(t, discovered))
				})
			}
			k := 0
			s := relabel.NewRelabeler(cfg, opts)
			for _, g := range groups {
				var targets [][]labels.Label
				for _, tl := range g.Targets {
					targets = append(targets, sortedOf(tl))
				}
				// In two parts, as a group split over batches is.
				for _, part := range [][2]int{{0, len(targets) / 2}, {len(targets) / 2, len(targets)}} {
					s.VisitSorted(g.Source, sortedOf(g.Labels), targets, part[0], part[1], func(r *relabel.Target, sorted []labels.Label) {
						discovered := labelsOf(t, sorted)
						w := want[k]
						if r.Source != w.Source || r.Index != w.Index || r.State != w.State || r.DroppedBy != w.DroppedBy ||
							!labels.Equal(r.Labels, w.Labels) || fmt.Sprint(r.Err) != fmt.Sprint(w.Err) || !reflect.DeepEqual(r.Trace, w.Trace) {
							t.Errorf("%+v: VisitSorted %s/%d %s %v %v %v, Visit %s/%d %s %v %v %v", opts, r.Source, r.Index, r.State, r.Labels, r.Err, r.Trace,
								w.Source, w.Index, w.State, w.Labels, w.Err, w.Trace)
						}
						if !labels.Equal(discovered, wantDisc[k]) || !labels.Equal(r.Discovered(), wantDisc[k]) {
							t.Errorf("%s/%d: discovered labels %v, Discovered %v, Visit gives %v", r.Source, r.Index, discovered, r.Discovered(), wantDisc[k])
						}
						k++
					})
				}
			}
			if k != len(want) {
				t.Errorf("%+v: VisitSorted gave %d targets, Visit %d", opts, k, len(want))
			}
		}
	}
}

// labelsOf returns ls as Labels, failing t unless ls is sorted by name
// with each name once.
func labelsOf(t *testing.T, ls []labels.Label) labels.Labels {
	t.Helper()
	var sb labels.ScratchBuilder
	for i, l := range ls {
		if i > 0 && ls[i-1].Name >= l.Name {
			t.Errorf("labels not sorted by name, each once: %v", ls)
		}
		sb.Add(l.Name, l.Value)
	}
	return sb.Labels()
}

// sortedOf returns ls's labels sorted by name, empty values included.
func sortedOf(ls model.LabelSet) []labels.Label {
	var out []labels.Label
	for n, v := range ls {
		out = append(out, labels.Label{Name: string(n), Value: string(v)})
	}
	slices.SortFunc(out, func(a, b labels.Label) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// TestTemplatedTargetNames holds a replace whose target_label, made of
// the value, is a valid label name for some targets and not for others
// (the job's names are legacy: no dash) to Prometheus, which writes
// nothing for those.
func TestTemplatedTargetNames(t *testing.T) {
	t.Parallel()
	cfg := scrapeConfig(t, `
job_name: legacy
metric_name_validation_scheme: legacy
metric_name_escaping_scheme: underscores
relabel_configs:
- {source_labels: [__meta_kubernetes_pod_name], regex: '(a?)(.*)', target_label: '${2}', replacement: 'v'}
`)
	g := &targetgroup.Group{Source: "g"}
	for _, pod := range []string{"Web-0", "DB", "api-1", "app", "DB"} {
		g.Targets = append(g.Targets, model.LabelSet{"__address__": "h:1", "__meta_kubernetes_pod_name": model.LabelValue(pod)})
	}
	lb := labels.NewBuilder(labels.EmptyLabels())
	written := 0
	for i, got := range relabel.Apply(cfg, []*targetgroup.Group{g}, relabel.Options{}) {
		checkPrometheus(t, lb, cfg, g.Targets[i], g.Labels, got)
		got.Labels.Range(func(l labels.Label) {
			if l.Value == "v" {
				written++
			}
		})
	}
	if written == 0 || written == len(g.Targets) {
		t.Errorf("%d of %d targets got a label written: want some, not all", written, len(g.Targets))
	}
}

// TestLabelDropNamed holds a labeldrop whose regex names the labels it
// may drop, one of which it cannot match (no word boundary inside
// "apptier"), to Prometheus.
func TestLabelDropNamed(t *testing.T) {
	t.Parallel()
	cfg := scrapeConfig(t, `
job_name: named
relabel_configs:
- {regex: 'app\btier|team', action: labeldrop}
`)
	g := &targetgroup.Group{Source: "g", Labels: model.LabelSet{"apptier": "a", "team": "t", "tier": "x"}}
	for _, addr := range []string{"a:1", "b:1"} {
		g.Targets = append(g.Targets, model.LabelSet{"__address__": model.LabelValue(addr)})
	}
	lb := labels.NewBuilder(labels.EmptyLabels())
	for i, got := range relabel.Apply(cfg, []*targetgroup.Group{g}, relabel.Options{}) {
		checkPrometheus(t, lb, cfg, g.Targets[i], g.Labels, got)
		if got.Labels.Get("apptier") != "a" || got.Labels.Has("team") {
			t.Errorf("target %d: %v, want apptier kept and team dropped", i, got.Labels)
		}
	}
}
