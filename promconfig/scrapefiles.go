package promconfig

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/prometheus/prometheus/config"
	yamlv2 "go.yaml.in/yaml/v2"
)

// scrapeFiles are the files named by scrape_config_files, read in the order
// GetScrapeConfigs reads them, up to the first one that cannot be read.
type scrapeFiles struct {
	sources []*source
	// stop is the error that ended the reading (a bad glob pattern or an
	// unreadable file), worded as GetScrapeConfigs words it; nil if none.
	stop error
}

// readScrapeFiles reads the scrape_config_files of a loaded config, whose
// patterns Prometheus already made relative to the main file's directory.
func readScrapeFiles(prom *config.Config) (*scrapeFiles, error) {
	out := &scrapeFiles{}
	for _, pat := range prom.ScrapeConfigFiles {
		names, err := filepath.Glob(pat)
		if err != nil {
			out.stop = fmt.Errorf("error retrieving scrape config files for %q: %w", pat, err)
			return out, nil
		}
		for _, name := range names {
			data, err := os.ReadFile(name)
			if err != nil {
				out.stop = fileErr(name, err)
				return out, nil
			}
			s, err := newSource(name, data)
			if err != nil {
				return nil, err
			}
			out.sources = append(out.sources, s)
		}
	}
	return out, nil
}

// scrapeConfigs returns the validated scrape configs of the main file and
// of the scrape_config_files. When no file had sections set aside, that is
// Prometheus's own GetScrapeConfigs; otherwise the same steps run over the
// texts handed to Prometheus (see setAside).
func scrapeConfigs(prom *config.Config, files *scrapeFiles) ([]*config.ScrapeConfig, error) {
	if !slices.ContainsFunc(files.sources, func(s *source) bool { return s.aside != nil }) {
		return prom.GetScrapeConfigs()
	}
	scs := slices.Clone(prom.ScrapeConfigs)
	firstFound := map[string]string{}
	for _, sc := range prom.ScrapeConfigs {
		firstFound[sc.JobName] = "main config file"
	}
	for _, s := range files.sources {
		var f config.ScrapeConfigs
		if err := yamlv2.UnmarshalStrict(s.loaded, &f); err != nil {
			return nil, fileErr(s.path, err)
		}
		for _, sc := range f.ScrapeConfigs {
			if err := sc.Validate(prom.GlobalConfig); err != nil {
				return nil, fileErr(s.path, err)
			}
			if where, ok := firstFound[sc.JobName]; ok {
				return nil, fileErr(s.path, fmt.Errorf("found multiple scrape configs with job name %q, first found in %s", sc.JobName, where))
			}
			firstFound[sc.JobName] = fmt.Sprintf("%q", absPath(s.path))
			sc.SetDirectory(filepath.Dir(s.path))
			scs = append(scs, sc)
		}
	}
	if files.stop != nil {
		return nil, files.stop
	}
	return scs, nil
}

// fileErr words an error about a scrape config file as Prometheus does.
func fileErr(name string, err error) error {
	return fmt.Errorf("%q: %w", absPath(name), err)
}

func absPath(name string) string {
	if abs, err := filepath.Abs(name); err == nil {
		return abs
	}
	return name
}
