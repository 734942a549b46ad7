package promconfig_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/sdinspect/sdinspect/promconfig"
)

// scrapeConfigNode returns the node under the key scrape_config of a test
// file's text, as a test file parser hands it over.
func scrapeConfigNode(t *testing.T, text string) *yaml.Node {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(text), &root); err != nil {
		t.Fatal(err)
	}
	top := root.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "scrape_config" {
			return top.Content[i+1]
		}
	}
	t.Fatal("no scrape_config")
	return nil
}

func TestLoadScrapeConfig(t *testing.T) {
	t.Parallel()
	const file = "testdata/inline/pods.test.yml"
	text := `rules:
  - &phase
    source_labels: [__meta_kubernetes_pod_phase]
    action: drop
    regex: Pending
name: pods
scrape_config:
  job_name: pods
  scrape_interval: 15s
  kubernetes_sd_configs:
    - role: pod
  file_sd_configs:
    - files: [targets.yml]
  consul_sd_configs:
    - server: consul:8500
  relabel_configs:
    - *phase
    - {target_label: team, replacement: web}
    - source_labels: [__meta_kubernetes_pod_name]
      target_label: pod
`
	j, err := promconfig.LoadScrapeConfig(file, scrapeConfigNode(t, text))
	if err != nil {
		t.Fatal(err)
	}
	got := []any{
		j.Scrape.JobName, time.Duration(j.Scrape.ScrapeInterval), time.Duration(j.Scrape.ScrapeTimeout),
		len(j.Kubernetes), j.NotRun, j.Pos.String(), len(j.Scrape.RelabelConfigs),
	}
	want := []any{"pods", 15 * time.Second, 10 * time.Second, 1, []string{"consul_sd_configs (1 section, not validated)"}, file + ":8", 3}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("name, interval, timeout, kubernetes SD configs, not run, position, rules (-want +got):\n%s", diff)
	}
	var rules []string
	for _, p := range j.Rules {
		rules = append(rules, p.String())
	}
	// The aliased rule is where its anchor is written.
	if diff := cmp.Diff([]string{file + ":2", file + ":18", file + ":19"}, rules); diff != "" {
		t.Errorf("rule positions (-want +got):\n%s", diff)
	}
	// file_sd_configs files are relative to the test file.
	if len(j.Groups) != 1 || len(j.Groups[0].Targets) != 1 || j.Groups[0].Labels["env"] != "prod" {
		t.Errorf("groups = %v, want the target of testdata/inline/targets.yml", j.Groups)
	}
}

func TestLoadScrapeConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text, want string
	}{
		{
			name: "unknown field, on its line in the file",
			text: "name: x\n\n# a comment\nscrape_config:\n  job_name: x\n\n  scrape_intervall: 1m\n",
			want: "t.yml:5: scrape_config: yaml: unmarshal errors: line 7: field scrape_intervall not found in type config.ScrapeConfig",
		},
		{
			name: "bad rule, at the rule",
			text: "scrape_config:\n  job_name: x\n  relabel_configs:\n    - target_label: a\n    - action: keep\n      regex: '('\n",
			want: "t.yml:5: job \"x\": relabel_configs[1]: error parsing regexp: missing closing ): `^(?s:()$`",
		},
		{
			name: "Prometheus's validation",
			text: "scrape_config: {job_name: x, scrape_interval: 5s, scrape_timeout: 10s}\n",
			want: `t.yml:1: scrape_config: scrape timeout greater than scrape interval for scrape config with job name "x"`,
		},
		{
			name: "no job name",
			text: "scrape_config:\n  scrape_interval: 5s\n",
			want: "t.yml:2: scrape_config: job_name is empty",
		},
		{
			name: "a billion nodes",
			text: aliasBomb() + "scrape_config:\n  job_name: x\n  params: {a: *i}\n",
			want: "t.yml:11: scrape_config: more than 200000 YAML nodes once its aliases are expanded",
		},
		{
			name: "not a mapping",
			text: "scrape_config: [a]\n",
			want: "t.yml:1: scrape_config: want a mapping",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := promconfig.LoadScrapeConfig("t.yml", scrapeConfigNode(t, tt.text))
			if err == nil {
				t.Fatal("no error")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

// aliasBomb defines the anchor i, a list of 10^9 strings written in nine
// lines.
func aliasBomb() string {
	text := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for c := 'b'; c <= 'i'; c++ {
		p := string(c - 1)
		text += fmt.Sprintf("%c: &%c [%s]\n", c, c, strings.TrimSuffix(strings.Repeat("*"+p+", ", 10), ", "))
	}
	return text
}
