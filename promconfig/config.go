package promconfig

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/kubernetes"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"gopkg.in/yaml.v3"
)

// Config is a loaded prometheus.yml.
type Config struct {
	// Path is the file as it was named to Load.
	Path string
	// Prom is the configuration as Prometheus loaded it. Read it, never
	// modify or copy it (Prometheus's own rule for a loaded Config).
	Prom *config.Config
	// Jobs are the scrape configs of the main file followed by those of the
	// scrape_config_files, in the order Prometheus returns them.
	Jobs []*Job
}

// Job is one scrape config, with everything needed to run it offline.
type Job struct {
	// Scrape is the scrape config as Prometheus loaded and validated it,
	// defaults and global settings applied, relative paths resolved.
	Scrape *config.ScrapeConfig
	// Pos is where job_name is written, in the main file or in a
	// scrape_config_files file.
	Pos Position
	// Rules holds where each of Scrape.RelabelConfigs is written, in the same order.
	Rules []Position
	// Kubernetes are the job's kubernetes_sd_configs, in order.
	Kubernetes []*kubernetes.SDConfig
	// Groups are the target groups of the job's file_sd_configs and
	// static_configs, built now as Prometheus would build them, in the order
	// of Scrape.ServiceDiscoveryConfigs.
	Groups []*targetgroup.Group
	// NotRun has one note per other kind of service discovery the job uses,
	// e.g. "consul_sd_configs (1 section)": its targets are not discovered
	// offline. Kinds this build does not register are set aside before
	// Prometheus sees them (see register.go) and noted as not validated,
	// e.g. "ec2_sd_configs (2 sections, not validated)".
	NotRun []string
}

// Load reads the Prometheus configuration file at path the way Prometheus
// does (config.LoadFile, then GetScrapeConfigs for the scrape_config_files)
// and indexes where each job and relabel rule is written. A file Prometheus
// rejects is rejected with Prometheus's message, on one line, prefixed with
// `loading config "PATH": `.
func Load(path string) (*Config, error) {
	c, err := load(path)
	if err != nil {
		return nil, fmt.Errorf("loading config %q: %w", path, flat(err))
	}
	return c, nil
}

// Job returns the job named name, or an error that lists the known names.
func (c *Config) Job(name string) (*Job, error) {
	names := make([]string, 0, len(c.Jobs))
	for _, j := range c.Jobs {
		if j.Scrape.JobName == name {
			return j, nil
		}
		names = append(names, fmt.Sprintf("%q", j.Scrape.JobName))
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("job %q not found: %s has no scrape configs", name, c.Path)
	}
	return nil, fmt.Errorf("job %q not found in %s; its jobs are %s", name, c.Path, strings.Join(names, ", "))
}

// source is one YAML file of a configuration.
type source struct {
	path string
	// root is the yaml.v3 parse of the file, for positions; nil when
	// yaml.v3 rejects the file, rootErr then says why.
	root    *yaml.Node
	rootErr error
	// loaded is the text handed to Prometheus: the file's, or a copy with
	// the set-aside sections blanked out, listed in aside per job_name.
	loaded []byte
	aside  map[string][]asideSection
}

func load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	main, err := newSource(path, data)
	if err != nil {
		return nil, err
	}
	var prom *config.Config
	if main.aside == nil {
		prom, err = config.LoadFile(path, false, discard())
	} else {
		prom, err = loadFrom(path, main.loaded)
	}
	if err != nil {
		return nil, explain(data, main.root, locateRuleError(main, err))
	}
	files, err := readScrapeFiles(prom)
	if err != nil {
		return nil, err
	}
	scs, err := scrapeConfigs(prom, files)
	if err != nil {
		return nil, err
	}

	sources := append([]*source{main}, files.sources...)
	positions := map[string]jobPosition{}
	aside := map[string][]asideSection{}
	for _, s := range sources {
		if s.rootErr != nil {
			return nil, s.rootErr
		}
		for name, p := range jobPositions(s.path, s.root) {
			if _, dup := positions[name]; !dup {
				positions[name] = p
			}
		}
		for name, a := range s.aside {
			aside[name] = append(aside[name], a...)
		}
	}

	c := &Config{Path: path, Prom: prom}
	for _, sc := range scs {
		p, ok := positions[sc.JobName]
		if !ok {
			return nil, fmt.Errorf("job %q: no job_name found for it in the YAML; refusing to guess its position", sc.JobName)
		}
		j, err := newJob(sc, p, aside[sc.JobName])
		if err != nil {
			return nil, err
		}
		c.Jobs = append(c.Jobs, j)
	}
	return c, nil
}

// newSource parses data for positions and sets aside the sections of
// service discovery kinds this binary cannot load.
func newSource(path string, data []byte) (*source, error) {
	s := &source{path: path, loaded: data}
	s.root, s.rootErr = parseNodes(path, data)
	if s.rootErr != nil {
		// Prometheus has the last word on a file yaml.v3 cannot read: it
		// either rejects it with its own message or loads it, and then
		// the missing positions are reported.
		return s, nil
	}
	loaded, aside, err := setAside(path, data, s.root)
	if err != nil {
		return nil, err
	}
	s.loaded, s.aside = loaded, aside
	return s, nil
}

// loadFrom is config.LoadFile for a file whose text was changed before
// loading: the same steps, messages and directory for relative paths.
func loadFrom(path string, text []byte) (*config.Config, error) {
	c, err := config.Load(string(text), discard())
	if err != nil {
		return nil, fmt.Errorf("parsing YAML file %s: %w", path, err)
	}
	c.SetDirectory(filepath.Dir(path))
	return c, nil
}

// discard is the logger handed to Prometheus's loader, which only logs about
// empty environment variables in external labels.
func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
