package promconfig

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/prometheus/prometheus/config"
	"gopkg.in/yaml.v3"

	"github.com/sdinspect/sdinspect/internal/yamlnode"
)

// LoadScrapeConfig loads one scrape config written inline in another YAML
// file, such as a test file: n is its mapping, as yaml.v3 parsed it from
// file. It is loaded by Prometheus's loader as the only scrape config of a
// prometheus.yml with default global settings, so it is validated and
// defaulted as in a real config; relative paths in it are relative to file's
// directory. The job and its rules are placed at their lines in file. An
// error is one line, starts with file:line and, for a bad rule, names the
// rule's line.
func LoadScrapeConfig(file string, n *yaml.Node) (*Job, error) {
	at := Position{File: file, Line: n.Line}
	if r := resolve(n); r == nil || r.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: scrape_config: want a mapping", at)
	}
	// The loader reads text: write the config out, aliases expanded (their
	// anchors may be elsewhere in file) and in block style, which setAside
	// needs to set sections aside.
	job, err := yamlnode.Expand(n)
	if err != nil {
		return nil, fmt.Errorf("%s: scrape_config: %w", at, err)
	}
	job.Style &^= yaml.FlowStyle
	text, err := yaml.Marshal(wrapJob(job))
	if err != nil {
		return nil, fmt.Errorf("%s: scrape_config: %w", at, err)
	}
	s, err := newSource(file, text)
	if err != nil {
		return nil, fmt.Errorf("%s: scrape_config: %w", at, err)
	}
	if s.rootErr != nil {
		return nil, fmt.Errorf("%s: scrape_config: %w", at, s.rootErr)
	}
	written := &source{path: file, root: wrapJob(n)}
	prom, err := config.Load(string(s.loaded), discard())
	if err != nil {
		if located := locateRuleError(written, err); located != err {
			return nil, located
		}
		return nil, fmt.Errorf("%s: scrape_config: %w", at, relined(flat(err), s.root, job))
	}
	prom.SetDirectory(filepath.Dir(file))
	scs, err := prom.GetScrapeConfigs()
	if err != nil {
		return nil, fmt.Errorf("%s: scrape_config: %w", at, flat(err))
	}
	sc := scs[0]
	pos, ok := jobPositions(file, written.root)[sc.JobName]
	if !ok {
		return nil, fmt.Errorf("%s: scrape_config: job %q: no job_name found for it in the YAML; refusing to guess its position", at, sc.JobName)
	}
	return newJob(sc, pos, s.aside[sc.JobName])
}

// wrapJob returns a document whose only scrape config is job.
func wrapJob(job *yaml.Node) *yaml.Node {
	key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "scrape_configs"}
	jobs := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{job}}
	top := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{key, jobs}}
	return &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{top}}
}

// yamlLineRef is how the YAML decoder names a line in its messages.
var yamlLineRef = regexp.MustCompile(`\bline (\d+)\b`)

// relined rewrites the lines err names in the text written from job (and
// parsed back as root) to where they are written in the user's file. The
// two trees have the same shape, so walking them together pairs the lines.
func relined(err error, root, job *yaml.Node) error {
	lines := map[int]int{}
	_, jobs := lookup(body(root), "scrape_configs")
	if jobs = resolve(jobs); jobs != nil && len(jobs.Content) == 1 {
		yamlnode.PairLines(jobs.Content[0], job, lines)
	}
	msg := yamlLineRef.ReplaceAllStringFunc(err.Error(), func(m string) string {
		n, _ := strconv.Atoi(m[len("line "):])
		if l, ok := lines[n]; ok && l > 0 {
			return "line " + strconv.Itoa(l)
		}
		return m
	})
	return &flatError{msg: msg, err: err}
}
