package promconfig_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/common/model"

	"github.com/sdinspect/sdinspect/promconfig"
)

// TestLoadExplains checks what Load adds to Prometheus's message where it
// does not say enough: the line of a byte that is not text, and what a
// file that is no Prometheus config holds.
func TestLoadExplains(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text, want string
	}{
		{
			name: "a list",
			text: "- job_name: a\n",
			want: "yaml: unmarshal errors: line 1: cannot unmarshal !!seq into config.plain; " +
				"the file is a YAML list, and a Prometheus config is a mapping (global:, scrape_configs:, ...)",
		},
		{
			name: "a single value",
			text: "prometheus\n",
			want: "yaml: unmarshal errors: line 1: cannot unmarshal !!str `prometheus` into config.plain; " +
				"the file is a single value, and a Prometheus config is a mapping (global:, scrape_configs:, ...)",
		},
		{
			name: "Kubernetes objects",
			text: "apiVersion: v1\nkind: List\nitems: []\n",
			want: "yaml: unmarshal errors: line 1: field apiVersion not found in type config.plain; line 2: field kind not found in type config.plain; " +
				"line 3: field items not found in type config.plain; the file holds Kubernetes objects (kind: List), not a Prometheus config: give it to --from",
		},
		{
			name: "invalid UTF-8",
			text: "scrape_configs:\n- job_name: a\n  relabel_configs:\n  - target_label: \"x\xffy\"\n",
			want: "yaml: invalid leading UTF-8 octet at line 4, column 21",
		},
		{
			name: "a control character",
			text: "global:\n  scrape_interval: 1m\x01\n",
			want: "yaml: control characters are not allowed at line 2, column 22",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "prometheus.yml")
			if err := os.WriteFile(path, []byte(tt.text), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := promconfig.Load(path)
			want := `loading config "` + path + `": parsing YAML file ` + path + ": " + tt.want
			if err == nil || err.Error() != want {
				t.Errorf("error\n got: %v\nwant: %s", err, want)
			}
		})
	}
}

func TestLoadRulesExplainsInvalidUTF8(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(path, []byte("- action: keep\n  regex: \"a\xc3\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := promconfig.LoadRules(path, model.UTF8Validation)
	if want := path + ": yaml: invalid trailing UTF-8 octet at line 2, column 12"; err == nil || err.Error() != want {
		t.Errorf("error\n got: %v\nwant: %s", err, want)
	}
}
