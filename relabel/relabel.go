// Package relabel does to discovered targets what a Prometheus scrape pool
// does: it adds the job's scrape settings as labels, applies relabel_configs
// one rule at a time, runs the checks Prometheus runs after relabeling, and
// merges kept targets that end up identical. Each target ends kept, dropped
// (by which rule) or invalid (why), optionally with a step-by-step trace.
//
// The semantics are Prometheus's own: the target is populated with
// scrape.PopulateDiscoveredLabels and each rule is applied with
// relabel.ProcessBuilder on the same label builder, which is exactly what
// scrape.PopulateLabels does in one call. Tests hold the result equal to
// scrape.PopulateLabels for every target.
package relabel

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"github.com/prometheus/prometheus/model/labels"
	promrelabel "github.com/prometheus/prometheus/model/relabel"
	"github.com/prometheus/prometheus/scrape"
)

// State is what became of a discovered target.
type State string

// The states a target can end in.
const (
	// Kept targets are scraped.
	Kept State = "kept"
	// Dropped targets were removed by a keep, drop, keepequal or dropequal rule.
	Dropped State = "dropped"
	// Invalid targets survived relabeling but fail Prometheus's checks
	// afterwards (no address, a bad interval...); Prometheus logs them and
	// scrapes nothing.
	Invalid State = "invalid"
)

// The histogram flags PopulateDiscoveredLabels adds and PopulateLabels checks.
// Their names are unexported in Prometheus's scrape package.
var histogramFlags = []struct{ name, desc string }{
	{"__convert_classic_histograms_to_nhcb__", "convert classic histograms to nhcb"},
	{"__always_scrape_classic_histograms__", "always scrape classic histograms"},
	{"__scrape_native_histograms__", "scrape native histograms"},
}

// Target is the outcome for one discovered target.
type Target struct {
	// Source is the target group's source, as Prometheus names it.
	Source string
	// Index is the target's position in its group.
	Index int
	// Discovered holds the labels before relabeling: discovery's labels plus
	// the job's scrape settings, what Prometheus calls discoveredLabels.
	Discovered labels.Labels
	// Labels holds a kept target's labels after relabeling and Prometheus's
	// post-processing: __meta_* removed, other internal labels kept.
	Labels labels.Labels
	State  State
	// DroppedBy is the index of the rule that dropped the target, or -1.
	DroppedBy int
	// Err says why an invalid target is invalid, in Prometheus's words.
	Err error
	// DuplicateOf is, for a kept target whose labels equal those of an
	// earlier kept target, that target's position in the result; Prometheus
	// scrapes the two as one. It is -1 otherwise.
	DuplicateOf int
	// Trace has one step per rule applied, when tracing was asked for.
	Trace []Step
}

// Step is the effect of one relabel rule on one target.
type Step struct {
	// Rule is the index of the rule in relabel_configs.
	Rule int
	// Keep is false when the rule dropped the target.
	Keep bool
	// Labels holds the target's labels after the rule.
	Labels labels.Labels
}

// Options tunes Apply.
type Options struct {
	// Trace records the labels after every rule.
	Trace bool
}

// Apply runs every target of groups through cfg's relabel_configs. cfg must
// come from Prometheus's config loader, which validates it and its rules.
// Results are in the order of groups and of the targets within them.
func Apply(cfg *config.ScrapeConfig, groups []*targetgroup.Group, opts Options) []Target {
	lb := labels.NewBuilder(labels.EmptyLabels())
	var out []Target
	for _, g := range groups {
		for i, t := range g.Targets {
			r := apply(lb, cfg, t, g.Labels, opts)
			r.Source, r.Index = g.Source, i
			out = append(out, r)
		}
	}
	markDuplicates(out)
	return out
}

func apply(lb *labels.Builder, cfg *config.ScrapeConfig, t, tg model.LabelSet, opts Options) Target {
	scrape.PopulateDiscoveredLabels(lb, cfg, t, tg)
	// Snapshot with Range: Builder.Labels would sort the builder's pending
	// labels in place and change which label a later labelmap rule sees last.
	r := Target{Discovered: snapshot(lb), DroppedBy: -1, DuplicateOf: -1}
	for i, rule := range cfg.RelabelConfigs {
		keep := promrelabel.ProcessBuilder(lb, rule)
		if opts.Trace {
			r.Trace = append(r.Trace, Step{Rule: i, Keep: keep, Labels: snapshot(lb)})
		}
		if !keep {
			r.State, r.DroppedBy = Dropped, i
			return r
		}
	}
	res, err := finish(lb)
	if err != nil {
		r.State, r.Err = Invalid, err
		return r
	}
	r.State, r.Labels = Kept, res
	return r
}

// finish runs the checks and the clean-up that scrape.PopulateLabels runs
// after relabeling, with the same messages.
func finish(lb *labels.Builder) (labels.Labels, error) {
	addr := lb.Get(model.AddressLabel)
	if addr == "" {
		return labels.EmptyLabels(), errors.New("no address")
	}
	if err := config.CheckTargetAddress(model.LabelValue(addr)); err != nil {
		return labels.EmptyLabels(), err
	}
	interval := lb.Get(model.ScrapeIntervalLabel)
	intervalDuration, err := model.ParseDuration(interval)
	if err != nil {
		return labels.EmptyLabels(), fmt.Errorf("error parsing scrape interval: %w", err)
	}
	if time.Duration(intervalDuration) == 0 {
		return labels.EmptyLabels(), errors.New("scrape interval cannot be 0")
	}
	timeout := lb.Get(model.ScrapeTimeoutLabel)
	timeoutDuration, err := model.ParseDuration(timeout)
	if err != nil {
		return labels.EmptyLabels(), fmt.Errorf("error parsing scrape timeout: %w", err)
	}
	if time.Duration(timeoutDuration) == 0 {
		return labels.EmptyLabels(), errors.New("scrape timeout cannot be 0")
	}
	if timeoutDuration > intervalDuration {
		return labels.EmptyLabels(), fmt.Errorf("scrape timeout cannot be greater than scrape interval (%q > %q)", timeout, interval)
	}
	for _, f := range histogramFlags {
		if v := lb.Get(f.name); v != "" {
			if _, err := strconv.ParseBool(v); err != nil {
				return labels.EmptyLabels(), fmt.Errorf("error parsing %s: %w", f.desc, err)
			}
		}
	}
	lb.Range(func(l labels.Label) {
		if strings.HasPrefix(l.Name, model.MetaLabelPrefix) {
			lb.Del(l.Name)
		}
	})
	if lb.Get(model.InstanceLabel) == "" {
		lb.Set(model.InstanceLabel, addr)
	}
	res := lb.Labels()
	err = res.Validate(func(l labels.Label) error {
		if !model.LabelValue(l.Value).IsValid() {
			return fmt.Errorf("invalid label value for %q: %q", l.Name, l.Value)
		}
		return nil
	})
	if err != nil {
		return labels.EmptyLabels(), err
	}
	return res, nil
}

// snapshot copies the builder's current labels without disturbing it.
func snapshot(lb *labels.Builder) labels.Labels {
	n := 0
	lb.Range(func(labels.Label) { n++ })
	sb := labels.NewScratchBuilder(n)
	lb.Range(func(l labels.Label) { sb.Add(l.Name, l.Value) })
	sb.Sort()
	return sb.Labels()
}

// markDuplicates links each kept target to the first earlier kept target
// with identical labels. Prometheus hashes the full label set and the scrape
// URL; the URL is a function of the labels and the job, so labels suffice.
func markDuplicates(ts []Target) {
	first := map[uint64][]int{}
	for i := range ts {
		if ts[i].State != Kept {
			continue
		}
		h := ts[i].Labels.Hash()
		for _, j := range first[h] {
			if labels.Equal(ts[j].Labels, ts[i].Labels) {
				ts[i].DuplicateOf = j
				break
			}
		}
		if ts[i].DuplicateOf < 0 {
			first[h] = append(first[h], i)
		}
	}
}

// ScrapeURL is the URL Prometheus scrapes for a kept target, built by
// Prometheus's own scrape.Target.
func ScrapeURL(cfg *config.ScrapeConfig, t *Target) string {
	if t.State != Kept {
		return ""
	}
	return scrape.NewTarget(t.Labels, cfg, nil, nil).URL().String()
}

// PublicLabels are the labels a kept target's series carry: its labels
// without the internal ones, those starting with "__".
func PublicLabels(t *Target) labels.Labels {
	var sb labels.ScratchBuilder
	t.Labels.Range(func(l labels.Label) {
		if !strings.HasPrefix(l.Name, model.ReservedLabelPrefix) {
			sb.Add(l.Name, l.Value)
		}
	})
	return sb.Labels()
}
