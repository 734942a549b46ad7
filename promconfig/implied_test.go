package promconfig_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/discovery/kubernetes"
	"github.com/prometheus/prometheus/model/relabel"

	"github.com/sdinspect/sdinspect/promconfig"
)

func TestImpliedJob(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		job     string
		role    kubernetes.Role
		rules   string
		scheme  model.ValidationScheme
		want    model.ValidationScheme // the job's name validation
		wantErr string
	}{
		{name: "pod role", job: "rules", role: kubernetes.RolePod, rules: "list.yml", scheme: model.UTF8Validation, want: model.UTF8Validation},
		{name: "a job name YAML would misread", job: "a: [b] # c", role: kubernetes.RoleEndpointSlice, rules: "mapping.yml", scheme: model.UTF8Validation, want: model.UTF8Validation},
		{name: "legacy rules make a legacy job", job: "legacy", role: kubernetes.RoleNode, rules: "mapping.yml", scheme: model.LegacyValidation, want: model.LegacyValidation},
		{name: "unknown role", job: "rules", role: "pods", rules: "list.yml", scheme: model.UTF8Validation,
			wantErr: `building job "rules" for role "pods": unknown Kubernetes SD role "pods"`},
		{name: "no role", job: "rules", role: "", rules: "list.yml", scheme: model.UTF8Validation,
			wantErr: `building job "rules" for role "": role missing (one of: pod, service, endpoints, endpointslice, node, ingress)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rules, pos, err := promconfig.LoadRules("testdata/rules/"+tt.rules, tt.scheme)
			if err != nil {
				t.Fatal(err)
			}
			j, err := promconfig.ImpliedJob(tt.job, tt.role, rules, pos)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sc := j.Scrape
			got := []any{sc.JobName, time.Duration(sc.ScrapeInterval), time.Duration(sc.ScrapeTimeout), sc.MetricsPath, sc.Scheme, sc.MetricNameValidationScheme, len(j.Kubernetes)}
			want := []any{tt.job, time.Minute, 10 * time.Second, "/metrics", "http", tt.want, 1}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("name, interval, timeout, path, scheme, validation, kubernetes SD configs (-want +got):\n%s", diff)
			}
			if j.Kubernetes[0].Role != tt.role {
				t.Errorf("role %q, want %q", j.Kubernetes[0].Role, tt.role)
			}
			if len(sc.RelabelConfigs) != len(rules) || len(j.Rules) != len(pos) || j.Pos != (promconfig.Position{}) {
				t.Errorf("%d rules at %v, job at %v; want the %d given rules and no job position", len(sc.RelabelConfigs), j.Rules, j.Pos, len(rules))
			}
			if len(j.Groups) != 0 || len(j.NotRun) != 0 {
				t.Errorf("groups %v, not run %v; want only kubernetes SD", j.Groups, j.NotRun)
			}
		})
	}
}

func TestImpliedJobMismatchedPositions(t *testing.T) {
	t.Parallel()
	rules, pos, err := promconfig.LoadRules("testdata/rules/list.yml", model.UTF8Validation)
	if err != nil {
		t.Fatal(err)
	}
	_, err = promconfig.ImpliedJob("rules", kubernetes.RolePod, rules, pos[1:])
	if want := `building job "rules": 3 rule positions for 4 rules`; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

func TestPositionString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		pos  promconfig.Position
		want string
	}{
		{name: "file and line", pos: promconfig.Position{File: "p.yml", Line: 12}, want: "p.yml:12"},
		{name: "file only", pos: promconfig.Position{File: "p.yml"}, want: "p.yml"},
		{name: "nowhere", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.pos.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestImpliedJobValidatesRules covers rules that did not come from
// LoadRules: they are validated as a loaded job's, so applying them cannot
// panic on an unset name validation scheme.
func TestImpliedJobValidatesRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		rule    relabel.Config
		wantErr string
	}{
		{name: "valid", rule: relabel.Config{Action: relabel.Replace, Regex: relabel.MustNewRegexp("(.*)"), Separator: ";", Replacement: "$1", TargetLabel: "x"}},
		{name: "invalid", rule: relabel.Config{Action: relabel.Replace},
			wantErr: `building job "j": r.yml:3: rule 0: relabel configuration for replace action requires 'target_label' value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := tt.rule
			j, err := promconfig.ImpliedJob("j", kubernetes.RolePod, []*relabel.Config{&r}, []promconfig.Position{{File: "r.yml", Line: 3}})
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := j.Scrape.RelabelConfigs[0].NameValidationScheme; got != model.UTF8Validation {
				t.Errorf("rule validated as %v, want utf8", got)
			}
		})
	}
}
