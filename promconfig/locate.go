package promconfig

import (
	"fmt"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/relabel"
	yamlv2 "go.yaml.in/yaml/v2"
	"gopkg.in/yaml.v3"
)

// locateRuleError adds the position of the relabel rule at fault to an error
// Prometheus's loader returned for s, whose messages about a rule (a bad
// regex, an unknown action, a missing target_label) name neither the job nor
// the line. Each rule of each job is decoded and validated on its own, as
// Prometheus decodes it; the first one failing with a message that
// Prometheus's error contains is the culprit. Other errors are returned as
// they are.
func locateRuleError(s *source, err error) error {
	if s.root == nil {
		return err
	}
	_, jobs := lookup(body(s.root), "scrape_configs")
	jobs = resolve(jobs)
	if jobs == nil || jobs.Kind != yaml.SequenceNode {
		return err
	}
	for _, item := range jobs.Content {
		_, name := lookup(item, "job_name")
		name = resolve(name)
		for _, key := range []string{"relabel_configs", "metric_relabel_configs"} {
			_, rules := lookup(item, key)
			rules = resolve(rules)
			if rules == nil || rules.Kind != yaml.SequenceNode {
				continue
			}
			for i, rule := range rules.Content {
				ruleErr := checkRule(resolve(rule))
				if ruleErr == nil || !strings.Contains(err.Error(), ruleErr.Error()) {
					continue
				}
				at := Position{File: s.path, Line: resolve(rule).Line}
				if name != nil {
					return fmt.Errorf("%s: job %q: %s[%d]: %w", at, name.Value, key, i, ruleErr)
				}
				return fmt.Errorf("%s: %s[%d]: %w", at, key, i, ruleErr)
			}
		}
	}
	return err
}

// checkRule decodes and validates one rule the way Prometheus does.
func checkRule(n *yaml.Node) error {
	text, err := yaml.Marshal(n)
	if err != nil {
		return nil
	}
	var c relabel.Config
	if err := yamlv2.UnmarshalStrict(text, &c); err != nil {
		return err
	}
	return c.Validate(model.UTF8Validation)
}
