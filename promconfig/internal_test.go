package promconfig

import (
	"context"
	"go/parser"
	"go/token"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery"
	"github.com/prometheus/prometheus/discovery/file"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	yamlv2 "go.yaml.in/yaml/v2"
)

// TestScrapeConfigsMatchesGetScrapeConfigs holds the steps scrapeConfigs
// repeats for files with sections set aside to Prometheus's own
// GetScrapeConfigs, on files where both can run: same jobs, same errors.
func TestScrapeConfigsMatchesGetScrapeConfigs(t *testing.T) {
	t.Parallel()
	for _, path := range []string{
		"testdata/k8sonly/prometheus.yml",
		"testdata/errors/duplicate-job.yml",
		"testdata/errors/bad-scrape-file.yml",
		"testdata/errors/bad-glob.yml",
	} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			prom, err := config.LoadFile(path, false, discard())
			if err != nil {
				t.Fatal(err)
			}
			files, err := readScrapeFiles(prom)
			if err != nil {
				t.Fatal(err)
			}
			want, wantErr := prom.GetScrapeConfigs()
			// Pretend every file had something set aside, so the same
			// texts go through our steps instead of Prometheus's.
			for _, s := range files.sources {
				s.aside = map[string][]asideSection{}
			}
			prom, err = config.LoadFile(path, false, discard()) // GetScrapeConfigs changed the first one's jobs
			if err != nil {
				t.Fatal(err)
			}
			got, gotErr := scrapeConfigs(prom, files)
			if (wantErr == nil) != (gotErr == nil) || wantErr != nil && wantErr.Error() != gotErr.Error() {
				t.Fatalf("error %v, GetScrapeConfigs says %v", gotErr, wantErr)
			}
			if diff := cmp.Diff(marshal(t, want), marshal(t, got)); diff != "" {
				t.Errorf("scrape configs (-GetScrapeConfigs +ours):\n%s", diff)
			}
			if wantErr == nil && len(got) < 3 {
				t.Errorf("only %d jobs: the fixture no longer exercises scrape_config_files", len(got))
			}
		})
	}
}

func marshal(t *testing.T, scs []*config.ScrapeConfig) []string {
	t.Helper()
	var out []string
	for _, sc := range scs {
		b, err := yamlv2.Marshal(sc)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// TestGroupsMatchPrometheus runs Prometheus's file SD on the file_sd_configs
// of every job and compares what it sends with Job.Groups.
func TestGroupsMatchPrometheus(t *testing.T) {
	t.Parallel()
	c, err := Load("testdata/realistic/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range c.Jobs {
		t.Run(j.Scrape.JobName, func(t *testing.T) {
			t.Parallel()
			var want []*targetgroup.Group
			for _, sd := range j.Scrape.ServiceDiscoveryConfigs {
				switch sd := sd.(type) {
				case *file.SDConfig:
					want = append(want, runFileSD(t, sd)...)
				case discovery.StaticConfig:
					want = append(want, sd...)
				}
			}
			if diff := cmp.Diff(want, j.Groups); diff != "" {
				t.Errorf("groups (-Prometheus +ours):\n%s", diff)
			}
		})
	}
}

// runFileSD runs Prometheus's file SD until it has sent the groups of every
// file its patterns match.
func runFileSD(t *testing.T, sd *file.SDConfig) []*targetgroup.Group {
	t.Helper()
	var files int
	for _, p := range sd.Files {
		m, err := filepath.Glob(p)
		if err != nil {
			t.Fatal(err)
		}
		files += len(m)
	}
	reg := prometheus.NewRegistry()
	metrics := sd.NewDiscovererMetrics(reg, discovery.NewRefreshMetrics(reg))
	d, err := sd.NewDiscoverer(discovery.DiscovererOptions{Logger: slog.New(slog.DiscardHandler), Metrics: metrics})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	ch := make(chan []*targetgroup.Group)
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx, ch)
	}()
	var out []*targetgroup.Group
	for range files {
		select {
		case groups := <-ch:
			out = append(out, groups...)
		case <-ctx.Done():
			t.Fatalf("file SD sent %d of %d files", len(out), files)
		}
	}
	cancel()
	<-done
	return out
}

var sdName = regexp.MustCompile(`\) Name\(\) string \{\s*return "([a-z0-9_]+)"\s*\}`)

// TestPrometheusSDNames checks the kinds of service discovery that may be
// set aside against the source of the pinned Prometheus: the Name() of every
// config type in the packages discovery/install links.
func TestPrometheusSDNames(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/prometheus/prometheus").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	root := strings.TrimSpace(string(out))
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, "discovery/install/install.go"), nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, imp := range f.Imports {
		pkg, _ := strconv.Unquote(imp.Path.Value)
		dir := filepath.Join(root, strings.TrimPrefix(pkg, "github.com/prometheus/prometheus/"))
		srcs, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, src := range srcs {
			if strings.HasSuffix(src, "_test.go") {
				continue
			}
			b, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range sdName.FindAllSubmatch(b, -1) {
				names = append(names, string(m[1]))
			}
		}
	}
	slices.Sort(names)
	if diff := cmp.Diff(names, prometheusSDNames()); diff != "" {
		t.Errorf("prometheusSDNames (-source +ours):\n%s", diff)
	}
}
