package oracle

import (
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/scrape"
)

// Result is what Prometheus makes of one discovered target for a scrape
// config, as promtool check service-discovery reports it.
type Result struct {
	// Source and Index locate the target: groups[i].Targets[Index] where
	// groups[i].Source == Source.
	Source string
	Index  int
	// DiscoveredLabels are the target's labels, group labels the target
	// does not set, and the scrape config's defaults (job, __scheme__, ...),
	// before relabeling. Labels with empty values are absent.
	DiscoveredLabels labels.Labels
	// Labels are the labels after relabeling and target validation,
	// including the remaining "__" labels and without "__meta_" labels.
	// Empty when the target was dropped or Err is set.
	Labels labels.Labels
	// Err says why Prometheus refuses the target (for example "no address");
	// such a target is neither active nor dropped in Prometheus.
	Err error
}

// Dropped reports whether relabeling dropped the target.
func (r Result) Dropped() bool {
	return r.Err == nil && r.Labels.IsEmpty()
}

// Populate runs Prometheus's scrape.PopulateDiscoveredLabels and
// scrape.PopulateLabels over every target of groups, in order, exactly as
// promtool check service-discovery does, and returns one Result per target.
// Unlike promtool it keeps identical results apart, so each stays tied to its
// Source and Index.
//
// sc must be a validated scrape config, as config.Load returns it: its
// relabel rules must have been validated and its interval, timeout and
// other defaults filled in.
func Populate(sc *config.ScrapeConfig, groups []*targetgroup.Group) []Result {
	var out []Result
	lb := labels.NewBuilder(labels.EmptyLabels())
	for _, g := range groups {
		for i, t := range g.Targets {
			scrape.PopulateDiscoveredLabels(lb, sc, t, g.Labels)
			discovered := lb.Labels()
			res, err := scrape.PopulateLabels(lb, sc, t, g.Labels)
			out = append(out, Result{Source: g.Source, Index: i, DiscoveredLabels: discovered, Labels: res, Err: err})
		}
	}
	return out
}
