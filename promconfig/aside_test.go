package promconfig

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

func TestSetAside(t *testing.T) {
	t.Parallel()
	// "·" in want stands for a space, to make blanked text visible.
	tests := []struct {
		name    string
		in      string
		want    string // empty: in comes back unchanged
		aside   map[string][]asideSection
		wantErr string
	}{
		{
			name:  "between two keys",
			in:    "scrape_configs:\n- job_name: a\n  ec2_sd_configs:\n  - region: x\n  static_configs: []\n",
			want:  "scrape_configs:\n- job_name: a\n·················\n·············\n··static_configs: []\n",
			aside: map[string][]asideSection{"a": {{key: "ec2_sd_configs", count: 1}}},
		},
		{
			name:  "last key of a job followed by a job",
			in:    "scrape_configs:\n- job_name: a\n  gce_sd_configs:\n  - project: p\n    zone: z\n  # the next job\n- job_name: b\n",
			want:  "scrape_configs:\n- job_name: a\n·················\n··············\n···········\n················\n- job_name: b\n",
			aside: map[string][]asideSection{"a": {{key: "gce_sd_configs", count: 1}}},
		},
		{
			name:  "next job's dash on a line of its own",
			in:    "scrape_configs:\n  - job_name: a\n    consul_sd_configs: [{server: s}]\n  -\n    job_name: b\n",
			want:  "scrape_configs:\n  - job_name: a\n····································\n  -\n    job_name: b\n",
			aside: map[string][]asideSection{"a": {{key: "consul_sd_configs", count: 1}}},
		},
		{
			name:  "last job followed by a top-level key",
			in:    "scrape_configs:\n- job_name: a\n  dns_sd_configs:\n  - names: [x]\nscrape_config_files: []\n",
			want:  "scrape_configs:\n- job_name: a\n·················\n··············\nscrape_config_files: []\n",
			aside: map[string][]asideSection{"a": {{key: "dns_sd_configs", count: 1}}},
		},
		{
			name:  "at the end of the file without a line break",
			in:    "scrape_configs:\n- job_name: a\n  dns_sd_configs: [{names: [x]}, {names: [y]}]",
			want:  "scrape_configs:\n- job_name: a\n··············································",
			aside: map[string][]asideSection{"a": {{key: "dns_sd_configs", count: 2}}},
		},
		{
			name:  "first key of a job, on the dash's line",
			in:    "scrape_configs:\n- ec2_sd_configs:\n  - region: x\n  job_name: a\n",
			want:  "scrape_configs:\n-················\n·············\n  job_name: a\n",
			aside: map[string][]asideSection{"a": {{key: "ec2_sd_configs", count: 1}}},
		},
		{
			name: "two kinds in two jobs",
			in:   "scrape_configs:\n- job_name: a\n  ec2_sd_configs: []\n  azure_sd_configs: []\n- job_name: b\n  kubernetes_sd_configs: [{role: pod}]\n  http_sd_configs: [{url: 'http://x'}]\n",
			want: "scrape_configs:\n- job_name: a\n····················\n······················\n- job_name: b\n  kubernetes_sd_configs: [{role: pod}]\n······································\n",
			aside: map[string][]asideSection{
				"a": {{key: "ec2_sd_configs"}, {key: "azure_sd_configs"}},
				"b": {{key: "http_sd_configs", count: 1}},
			},
		},
		{
			name: "a key no Prometheus knows stays, for Prometheus to reject",
			in:   "scrape_configs:\n- job_name: a\n  bogus_sd_configs: []\n  file_sd_configs: []\n",
		},
		{
			name: "duplicate keys: unchanged, for Prometheus to reject",
			in:   "scrape_configs:\n- job_name: a\n  job_name: b\n  gce_sd_configs: []\n",
		},
		{
			name: "not a mapping",
			in:   "- 1\n",
		},
		{
			name:    "flow-style job",
			in:      "scrape_configs:\n- {job_name: a, ec2_sd_configs: []}\n",
			wantErr: "p.yml:2: cannot set aside ec2_sd_configs from a flow-style ({...}) job; write the job in block style",
		},
		{
			name:    "explicit key after the section",
			in:      "scrape_configs:\n- job_name: a\n  ec2_sd_configs: []\n  ? static_configs\n  : []\n",
			wantErr: "p.yml:3: cannot set aside ec2_sd_configs: unsupported YAML layout",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root, err := parseNodes("p.yml", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			got, aside, err := setAside("p.yml", []byte(tt.in), root)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tt.in
			if tt.want != "" {
				want = strings.ReplaceAll(tt.want, "·", " ")
			}
			if diff := cmp.Diff(want, string(got)); diff != "" {
				t.Errorf("text (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.aside, aside, cmp.AllowUnexported(asideSection{})); diff != "" {
				t.Errorf("set aside (-want +got):\n%s", diff)
			}
		})
	}
}

// yamlLines is the number of lines of in as yaml.v3, whose positions give
// every file:line, counts them: a line ends at CR LF, CR, LF, NEL, LS or PS.
func yamlLines(in string) int {
	in = strings.ReplaceAll(in, "\r\n", "\n")
	n := 1
	for _, brk := range []string{"\r", "\n", "\u0085", "\u2028", "\u2029"} {
		n += strings.Count(in, brk)
	}
	return n
}

// FuzzSetAside checks that whatever setAside accepts keeps every line break
// where it was and only turns bytes into spaces, and means the original minus
// the set-aside sections (setAside checks that itself, so a failure of that
// check shows up here as an error, which is allowed; a wrong text is not).
// An error is one line that starts with the file and a line of it.
func FuzzSetAside(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*", "*.yml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	f.Add("scrape_configs:\n- job_name: a\n  ec2_sd_configs:\n  - region: x\n  static_configs: []\n")
	f.Add("scrape_configs:\n- ec2_sd_configs: []\n  job_name: a\n-\n  job_name: b\n  gce_sd_configs: [{}]\nglobal: {}\n")
	f.Add("scrape_configs: [{job_name: a, ec2_sd_configs: []}]")
	f.Add("scrape_configs:\n  - &j\n    job_name: a\n    ec2_sd_configs: []\n  - <<: *j\n    job_name: b\n")
	f.Fuzz(func(t *testing.T, in string) {
		var root yaml.Node
		if yaml.Unmarshal([]byte(in), &root) != nil {
			return
		}
		out, _, err := setAside("f.yml", []byte(in), &root)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error on more than one line: %q", err)
			}
			var line int
			if _, serr := fmt.Sscanf(err.Error(), "f.yml:%d:", &line); serr != nil || line < 1 || line > yamlLines(in) {
				t.Fatalf("error does not start with f.yml and a line of the file: %q", err)
			}
			return
		}
		if len(out) != len(in) {
			t.Fatalf("length %d, was %d", len(out), len(in))
		}
		for i := range len(in) {
			if out[i] != in[i] && out[i] != ' ' {
				t.Fatalf("byte %d: %q became %q, not a space", i, in[i], out[i])
			}
			if (in[i] == '\n') != (out[i] == '\n') {
				t.Fatalf("byte %d: line break moved", i)
			}
		}
		if !bytes.Equal(out, []byte(in)) {
			var back yaml.Node
			if err := yaml.Unmarshal(out, &back); err != nil {
				t.Fatalf("blanked text does not parse: %v", err)
			}
		}
	})
}
