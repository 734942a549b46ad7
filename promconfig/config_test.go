package promconfig_test

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/targetgroup"

	"github.com/sdinspect/sdinspect/promconfig"
)

// jobSummary is what TestLoadRealistic checks of a job, besides positions.
type jobSummary struct {
	Name       string
	Interval   time.Duration
	Timeout    time.Duration
	Path       string
	Kubernetes []string
	Groups     []*targetgroup.Group
	NotRun     []string
}

func summarize(j *promconfig.Job) jobSummary {
	s := jobSummary{
		Name:     j.Scrape.JobName,
		Interval: time.Duration(j.Scrape.ScrapeInterval),
		Timeout:  time.Duration(j.Scrape.ScrapeTimeout),
		Path:     j.Scrape.MetricsPath,
		Groups:   j.Groups,
		NotRun:   j.NotRun,
	}
	for _, k := range j.Kubernetes {
		tls := k.HTTPClientConfig.TLSConfig
		api := ""
		if k.APIServer.URL != nil {
			api = k.APIServer.String()
		}
		s.Kubernetes = append(s.Kubernetes, fmt.Sprintf("role=%s api_server=%s kubeconfig=%s ca=%s cert=%s key=%s namespaces=%v",
			k.Role, api, k.KubeConfig, tls.CAFile, tls.CertFile, tls.KeyFile, k.NamespaceDiscovery.Names))
	}
	return s
}

func group(source string, labels model.LabelSet, addrs ...string) *targetgroup.Group {
	g := &targetgroup.Group{Source: source, Labels: labels, Targets: []model.LabelSet{}}
	for _, a := range addrs {
		g.Targets = append(g.Targets, model.LabelSet{model.AddressLabel: model.LabelValue(a)})
	}
	return g
}

func TestLoadRealistic(t *testing.T) {
	t.Parallel()
	const dir = "testdata/realistic"
	c, err := promconfig.Load(dir + "/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	fp := func(name string) model.LabelSet {
		return model.LabelSet{"__meta_filepath": model.LabelValue(name)}
	}
	with := func(ls model.LabelSet, name, value string) model.LabelSet {
		ls[model.LabelName(name)] = model.LabelValue(value)
		return ls
	}
	want := []jobSummary{
		{
			Name: "kubernetes-pods", Interval: 30 * time.Second, Timeout: 10 * time.Second, Path: "/metrics",
			Kubernetes: []string{
				"role=pod api_server= kubeconfig= ca= cert= key= namespaces=[shop]",
				// Relative TLS files resolve against the config file's directory.
				"role=endpoints api_server=https://10.0.0.1:6443 kubeconfig= ca=" + dir + "/certs/ca.pem cert=" + dir + "/certs/client.pem key=" + dir + "/certs/client-key.pem namespaces=[]",
			},
		},
		{
			Name: "node-exporter", Interval: 15 * time.Second, Timeout: 10 * time.Second, Path: "/metrics",
			// file_sd_configs in order, each glob's files sorted, then all
			// static_configs, as Prometheus orders its SD configs.
			Groups: []*targetgroup.Group{
				group(dir+"/targets/cache.json:0", with(fp(dir+"/targets/cache.json"), "role", "cache"), "cache-1:9100"),
				group(dir+"/targets/web.json:0", with(fp(dir+"/targets/web.json"), "env", "prod"), "web-1:9100", "web-2:9100"),
				group(dir+"/targets/web.json:1", fp(dir+"/targets/web.json"), "web-3:9100"),
				group(dir+"/targets/db.yml:0", with(fp(dir+"/targets/db.yml"), "role", "db"), "db-3:9100"),
				group("0", model.LabelSet{"role": "bastion"}, "bastion:9100"),
				group("1", nil, "db-1:9100", "db-2:9100"),
			},
			NotRun: []string{"consul_sd_configs (1 section, not validated)", "ec2_sd_configs (2 sections, not validated)"},
		},
		{
			Name: "blackbox", Interval: 30 * time.Second, Timeout: 10 * time.Second, Path: "/probe",
			Groups: []*targetgroup.Group{group("0", nil, "https://shop.example.com")},
		},
		// scrape_config_files, in glob order; their relative paths resolve
		// against their own directory.
		{
			Name: "kubernetes-ingresses", Interval: 30 * time.Second, Timeout: 10 * time.Second, Path: "/metrics",
			Kubernetes: []string{"role=ingress api_server= kubeconfig= ca= cert= key= namespaces=[]"},
		},
		{
			Name: "kubernetes-services", Interval: 30 * time.Second, Timeout: 10 * time.Second, Path: "/metrics",
			Kubernetes: []string{"role=service api_server= kubeconfig=" + dir + "/jobs/kube/config ca= cert= key= namespaces=[]"},
			Groups: []*targetgroup.Group{
				group(dir+"/jobs/sd/api.yaml:0", with(fp(dir+"/jobs/sd/api.yaml"), "team", "payments"), "api-1:8080", "api-2:8080"),
				group(dir+"/jobs/sd/api.yaml:1", fp(dir+"/jobs/sd/api.yaml"), "api-canary:8080"),
			},
			NotRun: []string{"gce_sd_configs (1 section, not validated)"},
		},
	}
	var got []jobSummary
	for _, j := range c.Jobs {
		got = append(got, summarize(j))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("jobs (-want +got):\n%s", diff)
	}
	if c.Path != dir+"/prometheus.yml" || c.Prom.GlobalConfig.ExternalLabels.Get("cluster") != "prod-eu1" {
		t.Errorf("Path %q, external labels %v: not the loaded file", c.Path, c.Prom.GlobalConfig.ExternalLabels)
	}
}

var (
	jobMarker  = regexp.MustCompile(`# job:(.+)$`)
	ruleMarker = regexp.MustCompile(`rule:(.+?):(\d+)`)
)

// markedPositions reads the markers of every YAML file under dir: where the
// fixture's author says each job and each rule is written.
func markedPositions(t *testing.T, dir string) (jobs map[string]promconfig.Position, rules map[string][]promconfig.Position) {
	t.Helper()
	jobs, rules = map[string]promconfig.Position{}, map[string][]promconfig.Position{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".yml" {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for line := 1; sc.Scan(); line++ {
			text := sc.Text()
			if m := jobMarker.FindStringSubmatch(text); m != nil {
				jobs[m[1]] = promconfig.Position{File: path, Line: line}
				continue
			}
			_, comment, _ := strings.Cut(text, "# ")
			for _, m := range ruleMarker.FindAllStringSubmatch(comment, -1) {
				i, _ := strconv.Atoi(m[2])
				for len(rules[m[1]]) <= i {
					rules[m[1]] = append(rules[m[1]], promconfig.Position{})
				}
				rules[m[1]][i] = promconfig.Position{File: path, Line: line}
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return jobs, rules
}

func TestLoadPositions(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{"testdata/realistic", "testdata/positions"} {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			c, err := promconfig.Load(dir + "/prometheus.yml")
			if err != nil {
				t.Fatal(err)
			}
			wantJobs, wantRules := markedPositions(t, dir)
			if len(c.Jobs) != len(wantJobs) {
				t.Errorf("loaded %d jobs, the fixture marks %d", len(c.Jobs), len(wantJobs))
			}
			for _, j := range c.Jobs {
				name := j.Scrape.JobName
				if j.Pos != wantJobs[name] {
					t.Errorf("job %q at %s, want %s", name, j.Pos, wantJobs[name])
				}
				if len(j.Rules) != len(j.Scrape.RelabelConfigs) {
					t.Errorf("job %q: %d positions for %d rules", name, len(j.Rules), len(j.Scrape.RelabelConfigs))
				}
				if diff := cmp.Diff(wantRules[name], j.Rules); diff != "" {
					t.Errorf("job %q rule positions (-want +got):\n%s", name, diff)
				}
			}
		})
	}
}

// prometheusLoad loads a config as Prometheus does, for its error.
func prometheusLoad(path string) error {
	c, err := config.LoadFile(path, false, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	_, err = c.GetScrapeConfigs()
	return err
}

// oneLine folds yaml's "unmarshal errors:" list the way Load does.
func oneLine(s string) string {
	s = strings.ReplaceAll(s, ":\n  ", ": ")
	return strings.ReplaceAll(s, "\n  ", "; ")
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	abs, err := filepath.Abs("testdata/errors")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		want string
		// prometheus marks a file Prometheus itself rejects with this
		// message: the test also checks it against Prometheus's loader.
		prometheus bool
		// at is the position put before Prometheus's message, if any; the
		// message must then end Prometheus's own.
		at string
	}{
		{name: "syntax", prometheus: true,
			want: `parsing YAML file testdata/errors/syntax.yml: yaml: line 5: did not find expected node content`},
		{name: "unknown-field", prometheus: true,
			want: `parsing YAML file testdata/errors/unknown-field.yml: yaml: unmarshal errors: line 3: field scrape_intervall not found in type config.ScrapeConfig`},
		// Prometheus names neither the job nor the line of a bad rule; the
		// error says where it is, then gives Prometheus's message.
		{name: "bad-regex", prometheus: true, at: `testdata/errors/bad-regex.yml:5: job "a": relabel_configs[0]: `,
			want: "error parsing regexp: missing closing ): `^(?s:(unclosed)$`"},
		{name: "unknown-action", prometheus: true, at: `testdata/errors/unknown-action.yml:6: job "a": relabel_configs[1]: `,
			want: `unknown relabel action "keeep"`},
		{name: "null-rule", prometheus: true,
			want: `parsing YAML file testdata/errors/null-rule.yml: empty or null target relabeling rule in scrape config`},
		{name: "legacy", prometheus: true,
			want: `parsing YAML file testdata/errors/legacy.yml: "foo.bar" is invalid 'target_label' for replace action`},
		{name: "timeout", prometheus: true,
			want: `parsing YAML file testdata/errors/timeout.yml: scrape timeout greater than scrape interval for scrape config with job name "a"`},
		{name: "bad-role", prometheus: true,
			want: `parsing YAML file testdata/errors/bad-role.yml: unknown Kubernetes SD role "pods"`},
		{name: "unknown-sd", prometheus: true,
			want: `parsing YAML file testdata/errors/unknown-sd.yml: yaml: unmarshal errors: line 3: field bogus_sd_configs not found in type config.ScrapeConfig`},
		{name: "duplicate-job", prometheus: true,
			want: `"` + abs + `/dup/jobs.yml": found multiple scrape configs with job name "a", first found in main config file`},
		{name: "bad-scrape-file", prometheus: true,
			want: `"` + abs + `/badfiles/b.yml": yaml: unmarshal errors: line 3: field scrape_intervall not found in type config.ScrapeConfig`},
		{name: "bad-glob", prometheus: true,
			want: `error retrieving scrape config files for "testdata/errors/[x": syntax error in pattern`},
		// With an ec2 section set aside, Prometheus's messages still point
		// at the lines of the file as written.
		{name: "line-after-aside",
			want: `parsing YAML file testdata/errors/line-after-aside.yml: yaml: unmarshal errors: line 10: field scrape_intervall not found in type config.ScrapeConfig`},
		{name: "bad-scrape-file-aside",
			want: `"` + abs + `/badfiles-aside/b.yml": yaml: unmarshal errors: line 5: field scrape_intervall not found in type config.ScrapeConfig`},
		{name: "flow-aside",
			want: `testdata/errors/flow-aside.yml:2: cannot set aside ec2_sd_configs from a flow-style ({...}) job; write the job in block style`},
		{name: "missing-file-sd",
			want: `job "a" (testdata/errors/missing-file-sd.yml:2): file_sd_configs: reading "testdata/errors/missing.json": open testdata/errors/missing.json: no such file or directory`},
		{name: "bad-file-sd",
			want: `job "a" (testdata/errors/bad-file-sd.yml:2): file_sd_configs: reading "testdata/errors/bad-targets.json": json: unknown field "extra"`},
		{name: "no-such-file",
			want: `open testdata/errors/no-such-file.yml: no such file or directory`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := "testdata/errors/" + tt.name + ".yml"
			_, err := promconfig.Load(path)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			want := fmt.Sprintf("loading config %q: %s%s", path, tt.at, tt.want)
			if err.Error() != want {
				t.Errorf("error\n got: %s\nwant: %s", err, want)
			}
			if tt.prometheus {
				perr := prometheusLoad(path)
				if perr == nil {
					t.Fatal("Prometheus loads the file")
				}
				p := oneLine(perr.Error())
				if tt.at != "" && !strings.HasSuffix(p, ": "+tt.want) {
					t.Errorf("Prometheus's message %q does not end with %q", p, tt.want)
				}
				if p := fmt.Sprintf("loading config %q: %s", path, p); tt.at == "" && err.Error() != p {
					t.Errorf("error\n got: %s\nPrometheus: %s", err, p)
				}
			}
		})
	}
}

func TestLoadErrorUnwraps(t *testing.T) {
	t.Parallel()
	_, err := promconfig.Load("testdata/errors/no-such-file.yml")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v does not unwrap to fs.ErrNotExist", err)
	}
}

func TestLoadEmpty(t *testing.T) {
	t.Parallel()
	c, err := promconfig.Load("testdata/empty.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Jobs) != 0 {
		t.Errorf("an empty file has %d jobs", len(c.Jobs))
	}
	_, err = c.Job("x")
	if want := `job "x" not found: testdata/empty.yml has no scrape configs`; err == nil || err.Error() != want {
		t.Errorf("Job(x) error %v, want %s", err, want)
	}
}

func TestConfigJob(t *testing.T) {
	t.Parallel()
	c, err := promconfig.Load("testdata/realistic/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, job, wantErr string
	}{
		{name: "main file", job: "blackbox"},
		{name: "scrape config file", job: "kubernetes-services"},
		{name: "unknown", job: "kubernetes-pod",
			wantErr: `job "kubernetes-pod" not found in testdata/realistic/prometheus.yml; its jobs are "kubernetes-pods", "node-exporter", "blackbox", "kubernetes-ingresses", "kubernetes-services"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			j, err := c.Job(tt.job)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("error %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if j.Scrape.JobName != tt.job {
				t.Errorf("got job %q", j.Scrape.JobName)
			}
		})
	}
}

// TestLoadSetAsideUnvalidated pins down the price of not linking every SD
// package: what is inside a set-aside section is not checked.
func TestLoadSetAsideUnvalidated(t *testing.T) {
	t.Parallel()
	c, err := promconfig.Load("testdata/unvalidated.yml")
	if err != nil {
		t.Fatal(err)
	}
	j, err := c.Job("a")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"ec2_sd_configs (1 section, not validated)"}, j.NotRun); diff != "" {
		t.Errorf("NotRun (-want +got):\n%s", diff)
	}
	if prometheusLoad("testdata/unvalidated.yml") == nil {
		t.Error("this build's Prometheus loader accepts ec2_sd_configs; the test no longer tests setting aside")
	}
}
