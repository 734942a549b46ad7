package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/sdinspect/sdinspect/cluster"
)

func TestAuthRBACPointer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opts   inputOptions
		user   string
		groups []string
		want   string
	}{
		{
			name: "certificate group",
			opts: inputOptions{configPath: "prometheus.yml"}, user: "ci", groups: []string{"system:authenticated", "system:ci"},
			want: " (sdinspect auth rbac --config prometheus.yml --group system:ci prints the RBAC that grants it)",
		},
		{
			name: "jobs, own namespace and quoting",
			opts: inputOptions{configPath: "my dir/prometheus.yml", jobs: []string{"pods", "it's"}, ownNamespace: "mon"}, user: "ci",
			want: ` (sdinspect auth rbac --config 'my dir/prometheus.yml' --job pods --job 'it'\''s' --own-namespace mon --user ci prints the RBAC that grants it)`,
		},
		{
			name: "service account",
			opts: inputOptions{configPath: "p.yml"}, user: "system:serviceaccount:monitoring:prometheus",
			groups: []string{"system:serviceaccounts", "system:serviceaccounts:monitoring", "system:authenticated"},
			want:   " (sdinspect auth rbac --config p.yml --serviceaccount monitoring/prometheus prints the RBAC that grants it)",
		},
		{name: "unknown identity", opts: inputOptions{configPath: "p.yml"}},
		{name: "rules file", opts: inputOptions{rulesPath: "rules.yml"}, user: "ci"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.opts.rbacPointer(tt.user, tt.groups); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestAuthRBACReadme holds the README's auth rbac example to what the
// command prints for the bundled example.
func TestAuthRBACReadme(t *testing.T) {
	t.Parallel()
	const config = "../../testdata/examples/prometheus.yml"
	code, stdout, stderr := runCLI(t, "auth", "rbac", "--config", config, "--group", "system:monitoring")
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	got := strings.Replace(stdout, config, "prometheus.yml", 1)
	if diff := cmp.Diff(readmeBlock(t, "#### `auth rbac`", "yaml"), got); diff != "" {
		t.Errorf("README's auth rbac example (-readme +printed):\n%s", diff)
	}
}

// RBAC printed for two subjects must not overwrite each other's bindings
// when both are applied, so the default name carries the subject.
func TestAuthRBACDefaultName(t *testing.T) {
	sa, err := cluster.ServiceAccountSubject("monitoring/prometheus")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		subject rbacv1.Subject
		want    string
	}{
		{"group", cluster.GroupSubject("observers"), "prometheus-kubernetes-sd-group-observers"},
		{"service account", sa, "prometheus-kubernetes-sd-serviceaccount-monitoring-prometheus"},
		{"user with colons", cluster.UserSubject("system:node:worker-1"), "prometheus-kubernetes-sd-user-system-node-worker-1"},
		{"upper case and dots", cluster.GroupSubject("Team.SRE"), "prometheus-kubernetes-sd-group-team-sre"},
		{"long", cluster.GroupSubject(strings.Repeat("a", 300)), "prometheus-kubernetes-sd-group-" + strings.Repeat("a", 253-len("prometheus-kubernetes-sd-group-"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := defaultRBACName(tt.subject); got != tt.want {
				t.Errorf("defaultRBACName = %q, want %q", got, tt.want)
			}
		})
	}
}

// An empty subject flag, as from an unset shell variable, must not be
// ignored in favour of another subject flag.
func TestAuthRBACEmptySubject(t *testing.T) {
	t.Parallel()
	const config = "../../testdata/examples/prometheus.yml"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "empty group beside a user", args: []string{"--group", "", "--user", "bob"}, want: "sdinspect: --group must not be empty\n"},
		{name: "empty user alone", args: []string{"--user="}, want: "sdinspect: --user must not be empty\n"},
		{name: "empty service account", args: []string{"--serviceaccount", "", "--group", "ops"}, want: "sdinspect: --serviceaccount must not be empty\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCLI(t, append([]string{"auth", "rbac", "--config", config}, tt.args...)...)
			if code != exitUsage || stdout != "" || stderr != tt.want {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, stdout, stderr, exitUsage, tt.want)
			}
		})
	}
}
