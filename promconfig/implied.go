package promconfig

import (
	"fmt"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/kubernetes"
	"github.com/prometheus/prometheus/model/relabel"
	yamlv2 "go.yaml.in/yaml/v2"
)

// impliedConfig is the prometheus.yml that ImpliedJob loads; marshaling it
// rather than formatting text keeps any job name a plain YAML string.
type impliedConfig struct {
	ScrapeConfigs []impliedScrape `yaml:"scrape_configs"`
}

type impliedScrape struct {
	JobName    string          `yaml:"job_name"`
	Scheme     string          `yaml:"metric_name_validation_scheme,omitempty"`
	Kubernetes []impliedSDRole `yaml:"kubernetes_sd_configs"`
}

type impliedSDRole struct {
	Role string `yaml:"role,omitempty"`
}

// ImpliedJob builds the job that `sdinspect targets --rules FILE --role ROLE`
// runs: a scrape config with Prometheus's defaults (interval 1m, timeout 10s,
// /metrics, http), obtained by loading a synthetic configuration with
// Prometheus's loader, one kubernetes_sd_config of the given role (validated
// by Prometheus, with its message for an unknown role), and the given rules,
// validated as a loaded job's are. When the rules were validated with legacy
// names (LoadRules with model.LegacyValidation), so is the job. pos says
// where each rule is written; the job itself is written nowhere, so its Pos
// is zero.
func ImpliedJob(name string, role kubernetes.Role, rules []*relabel.Config, pos []Position) (*Job, error) {
	if len(rules) != len(pos) {
		return nil, fmt.Errorf("building job %q: %d rule positions for %d rules", name, len(pos), len(rules))
	}
	job := impliedScrape{JobName: name, Kubernetes: []impliedSDRole{{Role: string(role)}}}
	for _, r := range rules {
		if r != nil && r.NameValidationScheme == model.LegacyValidation {
			job.Scheme = model.LegacyValidation.String()
		}
	}
	text, err := yamlv2.Marshal(impliedConfig{ScrapeConfigs: []impliedScrape{job}})
	if err != nil {
		return nil, fmt.Errorf("building job %q: %w", name, err)
	}
	c, err := config.Load(string(text), discard())
	if err != nil {
		return nil, fmt.Errorf("building job %q for role %q: %w", name, role, flat(err))
	}
	scs, err := c.GetScrapeConfigs()
	if err != nil {
		return nil, fmt.Errorf("building job %q: %w", name, err)
	}
	sc := scs[0]
	// As ScrapeConfig.Validate does for the rules of a loaded job; for rules
	// from LoadRules this changes nothing, for others it sets the name
	// validation scheme a rule must have before it is applied.
	for i, r := range rules {
		if r == nil {
			return nil, fmt.Errorf("building job %q: rule %d: empty or null target relabeling rule in scrape config", name, i)
		}
		if err := r.Validate(sc.MetricNameValidationScheme); err != nil {
			return nil, fmt.Errorf("building job %q: %s: rule %d: %w", name, pos[i], i, err)
		}
	}
	sc.RelabelConfigs = rules
	return newJob(sc, jobPosition{rules: pos}, nil)
}
