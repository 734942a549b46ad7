package promconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery"
	"github.com/prometheus/prometheus/discovery/file"
	"github.com/prometheus/prometheus/discovery/kubernetes"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	yamlv2 "go.yaml.in/yaml/v2"
)

// filepathLabel is the label file SD puts on every group it reads.
const filepathLabel = model.MetaLabelPrefix + "filepath"

// newJob gathers what running sc offline needs.
func newJob(sc *config.ScrapeConfig, pos jobPosition, aside []asideSection) (*Job, error) {
	if len(pos.rules) != len(sc.RelabelConfigs) {
		return nil, rulePositionsMismatch(fmt.Sprintf("job %q (%s)", sc.JobName, pos.job), len(sc.RelabelConfigs), len(pos.rules))
	}
	j := &Job{Scrape: sc, Pos: pos.job, Rules: pos.rules}
	notRun := map[string]int{}
	for _, sd := range sc.ServiceDiscoveryConfigs {
		switch sd := sd.(type) {
		case *kubernetes.SDConfig:
			j.Kubernetes = append(j.Kubernetes, sd)
		case discovery.StaticConfig:
			j.Groups = append(j.Groups, staticGroups(sd)...)
		case *file.SDConfig:
			groups, err := fileGroups(sd)
			if err != nil {
				return nil, fmt.Errorf("job %q (%s): file_sd_configs: %w", sc.JobName, pos.job, err)
			}
			j.Groups = append(j.Groups, groups...)
		default:
			notRun[sd.Name()+sdKeySuffix]++
		}
	}
	j.NotRun = notRunNotes(notRun, aside)
	return j, nil
}

// notRunNotes words one note per kind of service discovery not run offline,
// sorted by key, which is also the order Prometheus keeps them in.
func notRunNotes(loaded map[string]int, aside []asideSection) []string {
	notes := map[string]string{}
	for key, n := range loaded {
		notes[key] = fmt.Sprintf("%s (%s)", key, sections(n))
	}
	setAside := map[string]int{}
	for _, a := range aside {
		setAside[a.key] += a.count
	}
	for key, n := range setAside {
		notes[key] = fmt.Sprintf("%s (%s, not validated)", key, sections(n))
	}
	out := make([]string, 0, len(notes))
	for _, key := range slices.Sorted(maps.Keys(notes)) {
		out = append(out, notes[key])
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func sections(n int) string {
	if n == 1 {
		return "1 section"
	}
	return fmt.Sprintf("%d sections", n)
}

// staticGroups copies the groups of static_configs, as Prometheus built
// them: all static_configs of a job in one StaticConfig, Source the index.
func staticGroups(sc discovery.StaticConfig) []*targetgroup.Group {
	out := make([]*targetgroup.Group, 0, len(sc))
	for _, g := range sc {
		out = append(out, copyGroup(g))
	}
	return out
}

func copyGroup(g *targetgroup.Group) *targetgroup.Group {
	c := &targetgroup.Group{Labels: maps.Clone(g.Labels), Source: g.Source}
	if g.Targets != nil {
		c.Targets = make([]model.LabelSet, 0, len(g.Targets))
		for _, t := range g.Targets {
			c.Targets = append(c.Targets, maps.Clone(t))
		}
	}
	return c
}

// fileGroups reads the files of a file_sd_config now, as file SD reads them
// on its first refresh. Where file SD would log and carry on (a bad pattern,
// an unreadable or invalid file), this is an error naming the file; a named
// file (no glob characters) that does not exist is an error too, while a glob
// matching nothing gives no groups, as with file SD.
func fileGroups(sd *file.SDConfig) ([]*targetgroup.Group, error) {
	var out []*targetgroup.Group
	for _, pat := range sd.Files {
		names := []string{pat}
		if hasGlobMeta(pat) {
			var err error
			if names, err = filepath.Glob(pat); err != nil {
				return nil, fmt.Errorf("expanding %q: %w", pat, err)
			}
		}
		for _, name := range names {
			groups, err := readTargetFile(name)
			if err != nil {
				return nil, fmt.Errorf("reading %q: %w", name, err)
			}
			out = append(out, groups...)
		}
	}
	return out, nil
}

func hasGlobMeta(pat string) bool {
	magic := `*?[`
	if runtime.GOOS != "windows" {
		magic = `*?[\`
	}
	return strings.ContainsAny(pat, magic)
}

// readTargetFile decodes a file SD file, JSON or YAML by its extension, and
// sets each group's Source and __meta_filepath exactly as file SD does.
func readTargetFile(name string) ([]*targetgroup.Group, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var groups []*targetgroup.Group
	switch ext := filepath.Ext(name); strings.ToLower(ext) {
	case ".json":
		err = json.Unmarshal(data, &groups)
	case ".yml", ".yaml":
		err = yamlv2.UnmarshalStrict(data, &groups)
	default:
		err = fmt.Errorf("file SD reads only .json, .yml and .yaml files, not %q", ext)
	}
	if err != nil {
		return nil, err
	}
	for i, g := range groups {
		if g == nil {
			return nil, errors.New("nil target group item found")
		}
		g.Source = fmt.Sprintf("%s:%d", name, i)
		if g.Labels == nil {
			g.Labels = model.LabelSet{}
		}
		g.Labels[filepathLabel] = model.LabelValue(name)
	}
	return groups, nil
}
