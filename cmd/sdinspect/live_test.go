package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	promcommon "github.com/prometheus/common/config"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/prometheus/prometheus/discovery/targetgroup"

	"github.com/sdinspect/sdinspect/cluster"
	"github.com/sdinspect/sdinspect/internal/oracle"
	"github.com/sdinspect/sdinspect/internal/testcluster"
	"github.com/sdinspect/sdinspect/promconfig"
	"github.com/sdinspect/sdinspect/report"
)

// readRules is what Kubernetes service discovery needs, for every role and
// attach_metadata option.
var readRules = []rbacv1.PolicyRule{
	{APIGroups: []string{""}, Resources: []string{"pods", "services", "endpoints", "nodes", "namespaces"}, Verbs: []string{"get", "list", "watch"}},
	{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"get", "list", "watch"}},
	{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingresses"}, Verbs: []string{"get", "list", "watch"}},
	{APIGroups: []string{"apps"}, Resources: []string{"replicasets"}, Verbs: []string{"get", "list", "watch"}},
	{APIGroups: []string{"batch"}, Resources: []string{"jobs"}, Verbs: []string{"get", "list", "watch"}},
}

// runCLI runs sdinspect in process.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestLive runs the bundled example against a real kube-apiserver holding
// the example's objects, authenticating with a client certificate as a user
// does: refused before RBAC allows it, then equal to Prometheus's own
// discovery on the same server, equal to a snapshot of itself, the same
// with one object per page, and marked partial when only one namespace is
// allowed.
func TestLive(t *testing.T) {
	c := testcluster.Start(t)
	objs, err := cluster.Read([]string{"../../testdata/examples/cluster.yaml"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Load(t, objs)
	const configPath = "../../testdata/examples/prometheus.yml"
	cert, key := c.ClientCert(t, "sdinspect-ci", "system:sdinspect")
	conn := []string{"--server", c.URL, "--client-certificate", cert, "--client-key", key, "--certificate-authority", c.CAFile}
	targets := func(extra ...string) []string {
		return append(append([]string{"targets", "--config", configPath, "-o", "json"}, conn...), extra...)
	}

	t.Run("forbidden before RBAC", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, targets()...)
		t.Logf("refused run: exit %d, stderr:\n%s", code, stderr)
		if code != exitFailed {
			t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitFailed, stderr)
		}
		for _, want := range []string{`User "sdinspect-ci"`, "system:sdinspect", "cannot list", `needed by job "`} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr)
			}
		}
		// Every list is refused: a failure, not a partial result.
		if stdout != "" {
			t.Errorf("a refused run printed a result:\n%s", stdout)
		}
		if n := strings.Count(strings.TrimSpace(stderr), "\n"); n != 0 {
			t.Errorf("want a one-line error, got %d lines:\n%s", n+1, stderr)
		}
	})

	c.Grant(t, "system:sdinspect", readRules...)
	var live report.Report
	t.Run("equals Prometheus on the same server", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, targets()...)
		if code != exitOK {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr)
		}
		if err := json.Unmarshal([]byte(stdout), &live); err != nil {
			t.Fatal(err)
		}
		cfg, err := promconfig.Load(configPath)
		if err != nil {
			t.Fatal(err)
		}
		tls := promcommon.TLSConfig{CAFile: c.CAFile, CertFile: cert, KeyFile: key}
		for i, job := range cfg.Jobs {
			groups := append([]*targetgroup.Group(nil), job.Groups...)
			for _, sd := range job.Kubernetes {
				gs, err := oracle.DiscoverWithOptions(t.Context(), c.URL, sd, oracle.Options{HTTPClientConfig: &promcommon.HTTPClientConfig{TLSConfig: tls}})
				if err != nil {
					t.Fatal(err)
				}
				groups = append(groups, gs...)
			}
			theirs := fromOracle(oracle.Populate(job.Scrape, groups))
			if len(theirs) == 0 {
				t.Fatalf("job %q: Prometheus found no targets", job.Scrape.JobName)
			}
			ours := fromReport(jobNamed(t, &live, cfg.Jobs[i].Scrape.JobName).Targets)
			if diff := cmp.Diff(theirs, ours); diff != "" {
				t.Errorf("job %q (-prometheus +sdinspect):\n%s", job.Scrape.JobName, diff)
			}
		}
	})

	t.Run("the job's own api_server and tls_config", func(t *testing.T) {
		dir := t.TempDir()
		kubeconfig := filepath.Join(dir, "kubeconfig")
		writeFile(t, kubeconfig, fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: %q, certificate-authority: %q}}]
users: [{name: u, user: {client-certificate: %q, client-key: %q}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`, c.URL, c.CAFile, cert, key))
		config := filepath.Join(dir, "prometheus.yml")
		writeFile(t, config, fmt.Sprintf(`scrape_configs:
- job_name: kubernetes-nodes
  kubernetes_sd_configs:
  - role: node
    api_server: %q
    tls_config: {ca_file: %q, cert_file: %q, key_file: %q}
- job_name: nodes-by-kubeconfig
  kubernetes_sd_configs:
  - role: node
    kubeconfig_file: %q
`, c.URL, c.CAFile, cert, key, kubeconfig))
		code, stdout, stderr := runCLI(t, "targets", "--config", config, "-o", "json")
		if code != exitOK {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr)
		}
		var rep report.Report
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatal(err)
		}
		nodes := jobNamed(t, &live, "kubernetes-nodes").Summary.Discovered
		for _, j := range rep.Jobs {
			if j.Summary.Discovered != nodes || nodes == 0 {
				t.Errorf("job %q discovered %d targets, want the %d nodes", j.Job, j.Summary.Discovered, nodes)
			}
		}
	})

	t.Run("TLS", func(t *testing.T) {
		noCA := []string{"targets", "--config", configPath, "--job", "kubernetes-nodes", "-o", "json",
			"--server", c.URL, "--client-certificate", cert, "--client-key", key}
		code, _, stderr := runCLI(t, append(noCA, "--insecure-skip-tls-verify")...)
		if code != exitOK || !strings.Contains(stderr, "insecure") {
			t.Errorf("--insecure-skip-tls-verify: exit %d, want 0 and a warning; stderr:\n%s", code, stderr)
		}
		// The client certificate is no CA of the server's certificate.
		code, stdout, stderr := runCLI(t, append(noCA, "--certificate-authority", cert)...)
		if code != exitFailed || stdout != "" || !strings.Contains(stderr, cert) {
			t.Errorf("wrong CA: exit %d, want 1, no output and an error naming the CA file; stderr:\n%s", code, stderr)
		}
		t.Logf("wrong CA: %s", stderr)
	})

	t.Run("snapshot round trip", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "cluster.yaml")
		if code, _, stderr := runCLI(t, append([]string{"snapshot", "--config", configPath, "-o", file}, conn...)...); code != exitOK {
			t.Fatalf("snapshot: exit %d; stderr:\n%s", code, stderr)
		}
		code, stdout, stderr := runCLI(t, "targets", "--config", configPath, "-o", "json", "--from", file)
		if code != exitOK {
			t.Fatalf("targets --from: exit %d; stderr:\n%s", code, stderr)
		}
		var offline report.Report
		if err := json.Unmarshal([]byte(stdout), &offline); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(live, offline); diff != "" {
			t.Errorf("live and --from snapshot differ (-live +snapshot):\n%s", diff)
		}
		again := filepath.Join(t.TempDir(), "again.yaml")
		if code, _, stderr := runCLI(t, append([]string{"snapshot", "--config", configPath, "-o", again}, conn...)...); code != exitOK {
			t.Fatalf("second snapshot: exit %d; stderr:\n%s", code, stderr)
		}
		a, _ := os.ReadFile(file)
		b, _ := os.ReadFile(again)
		if !bytes.Equal(a, b) {
			t.Error("two snapshots of the same cluster differ")
		}
	})

	t.Run("one object per page", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, targets("--chunk-size", "1")...)
		if code != exitOK {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr)
		}
		var paged report.Report
		if err := json.Unmarshal([]byte(stdout), &paged); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(live, paged); diff != "" {
			t.Errorf("one page and pages of one differ (-one page +paged):\n%s", diff)
		}
	})

	t.Run("jobs relabeled while listing", func(t *testing.T) {
		slicesConfig := filepath.Join(t.TempDir(), "prometheus.yml")
		writeFile(t, slicesConfig, "scrape_configs:\n- job_name: slices\n  kubernetes_sd_configs: [{role: endpointslice}]\n")
		for _, j := range []struct{ config, job string }{{configPath, "kubernetes-pods"}, {slicesConfig, "slices"}} {
			file := filepath.Join(t.TempDir(), "cluster.yaml")
			if code, _, stderr := runCLI(t, append([]string{"snapshot", "--config", j.config, "--job", j.job, "-o", file}, conn...)...); code != exitOK {
				t.Fatalf("snapshot: exit %d; stderr:\n%s", code, stderr)
			}
			code, want, stderr := runCLI(t, "targets", "--config", j.config, "--job", j.job, "-o", "json", "--from", file)
			if code != exitOK || !strings.Contains(want, `"targets": [`) {
				t.Fatalf("targets --from: exit %d, no targets; stderr:\n%s", code, stderr)
			}
			for _, chunk := range []string{"500", "2"} {
				args := append([]string{"targets", "--config", j.config, "--job", j.job, "-o", "json", "--chunk-size", chunk, "-v"}, conn...)
				code, got, stderr := runCLI(t, args...)
				if code != exitOK {
					t.Fatalf("%s --chunk-size %s: exit %d; stderr:\n%s", j.job, chunk, code, stderr)
				}
				if !strings.Contains(stderr, `msg="relabeled while listing" job=`+j.job+` used=true`) {
					t.Errorf("%s --chunk-size %s: not relabeled while listing; stderr:\n%s", j.job, chunk, stderr)
				}
				if got != want {
					t.Errorf("%s --chunk-size %s: live and --from snapshot differ (-snapshot +live):\n%s", j.job, chunk, cmp.Diff(want, got))
				}
			}
		}
	})

	t.Run("check live equals check on a snapshot", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "cluster.yaml")
		if code, _, stderr := runCLI(t, append([]string{"snapshot", "--config", configPath, "-o", file}, conn...)...); code != exitOK {
			t.Fatalf("snapshot: exit %d; stderr:\n%s", code, stderr)
		}
		check := func(args ...string) report.CheckReport {
			t.Helper()
			code, stdout, stderr := runCLI(t, append([]string{"check", "--config", configPath, "-o", "json", "--fail-on", "error"}, args...)...)
			if code != exitOK {
				t.Fatalf("check %v: exit %d; stderr:\n%s", args, code, stderr)
			}
			var r report.CheckReport
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatal(err)
			}
			return r
		}
		live, offline := check(append([]string{"--live"}, conn...)...), check("--from", file)
		if live.Objects != "live" || offline.Objects != "files" {
			t.Errorf("objects: live %q, offline %q", live.Objects, offline.Objects)
		}
		live.Objects = offline.Objects
		if diff := cmp.Diff(offline, live); diff != "" {
			t.Errorf("check over the snapshot and live differ (-snapshot +live):\n%s", diff)
		}
		if live.Jobs[0].Cost == nil || len(live.Jobs[0].Cost.Listed) == 0 {
			t.Errorf("live check reports no cost: %+v", live.Jobs[0])
		}
	})

	t.Run("diff live equals diff on a snapshot", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "cluster.yaml")
		if code, _, stderr := runCLI(t, append([]string{"snapshot", "--config", configPath, "-o", file}, conn...)...); code != exitOK {
			t.Fatalf("snapshot: exit %d; stderr:\n%s", code, stderr)
		}
		// The head config inverts the pod job's keep on prometheus.io/scrape.
		base, err := os.ReadFile(configPath)
		if err != nil {
			t.Fatal(err)
		}
		head := filepath.Join(dir, "head.yml")
		writeFile(t, head, strings.Replace(string(base), "regex: true\n", "regex: \"false\"\n", 1))
		diffRun := func(args ...string) report.DiffReport {
			t.Helper()
			code, stdout, stderr := runCLI(t, append([]string{"diff", "--base", configPath, "--head", head, "-o", "json", "--exit-code"}, args...)...)
			if code != exitFindings {
				t.Fatalf("diff %v: exit %d, want %d; stderr:\n%s", args, code, exitFindings, stderr)
			}
			var r report.DiffReport
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatal(err)
			}
			return r
		}
		live, offline := diffRun(conn...), diffRun("--from", file)
		if diff := cmp.Diff(offline, live); diff != "" {
			t.Errorf("diff over the snapshot and live differ (-snapshot +live):\n%s", diff)
		}
		if live.Summary.TargetsRemoved == 0 {
			t.Errorf("inverting the pod job's keep removed no target: %+v", live.Summary)
		}
	})

	t.Run("-v logs the connection but never the token", func(t *testing.T) {
		for name, token := range map[string]string{
			"service account token": c.ServiceAccountToken(t, "monitoring", "verbose-check"),
			"rejected token":        "sdinspect-test-token-that-no-server-knows",
		} {
			t.Run(name, func(t *testing.T) {
				code, stdout, stderr := runCLI(t, "targets", "--config", configPath, "-v",
					"--server", c.URL, "--certificate-authority", c.CAFile, "--token", token)
				if code != exitFailed || stdout != "" {
					t.Errorf("exit %d, stdout %q: want a refused run", code, stdout)
				}
				if !strings.Contains(stderr, "bearer token (redacted)") {
					t.Errorf("-v does not say what the connection authenticates with:\n%s", stderr)
				}
				if strings.Contains(stderr, token) || strings.Contains(stderr, token[len(token)-12:]) {
					t.Errorf("the token is on stderr:\n%s", stderr)
				}
			})
		}
	})

	t.Run("one namespace allowed is partial", func(t *testing.T) {
		cert, key := c.ClientCert(t, "shop-only", "shop-readers")
		c.GrantInNamespace(t, "shop", "shop-readers", readRules...)
		// A job that names its namespaces lists each on its own; only
		// "monitoring" is refused.
		config := filepath.Join(t.TempDir(), "prometheus.yml")
		err := os.WriteFile(config, []byte(`scrape_configs:
- job_name: two-namespaces
  kubernetes_sd_configs:
  - role: pod
    namespaces: {names: [shop, monitoring]}
`), 0o644)
		if err != nil {
			t.Fatal(err)
		}
		args := []string{"targets", "--config", config, "-o", "json",
			"--server", c.URL, "--client-certificate", cert, "--client-key", key, "--certificate-authority", c.CAFile}
		code, stdout, stderr := runCLI(t, args...)
		t.Logf("partial run: exit %d, stderr:\n%s", code, stderr)
		if code != exitFailed {
			t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitFailed, stderr)
		}
		if !strings.Contains(stderr, "partial result") || !strings.Contains(stderr, `User "shop-only"`) {
			t.Errorf("stderr does not explain the partial result:\n%s", stderr)
		}
		var rep report.Report
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("partial output is not the JSON contract: %v\n%s", err, stdout)
		}
		if !rep.Partial || len(rep.PartialReasons) == 0 || !rep.Jobs[0].Partial {
			t.Errorf("output not marked partial: partial=%v reasons=%v job partial=%v", rep.Partial, rep.PartialReasons, rep.Jobs[0].Partial)
		}
		if len(rep.Jobs) == 1 && rep.Jobs[0].Summary.Discovered == 0 {
			t.Error("the allowed namespace's targets are missing from the partial result")
		}
		code, _, stderr = runCLI(t, append(args, "--allow-partial")...)
		if code != exitOK {
			t.Errorf("--allow-partial: exit %d; stderr:\n%s", code, stderr)
		}
	})

	t.Run("a secondary resource refused is partial", func(t *testing.T) {
		// Endpoint slices and services may be listed, pods may not: the
		// endpointslice job's targets lack their pod labels, the node job
		// is whole.
		cert, key := c.ClientCert(t, "no-pods", "no-pod-readers")
		c.Grant(t, "no-pod-readers",
			rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"services", "nodes"}, Verbs: []string{"list", "watch"}},
			rbacv1.PolicyRule{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"list", "watch"}})
		config := filepath.Join(t.TempDir(), "prometheus.yml")
		writeFile(t, config, `scrape_configs:
- job_name: slices
  kubernetes_sd_configs: [{role: endpointslice}]
- job_name: nodes
  kubernetes_sd_configs: [{role: node}]
`)
		args := []string{"targets", "--config", config, "-o", "json",
			"--server", c.URL, "--client-certificate", cert, "--client-key", key, "--certificate-authority", c.CAFile}
		code, stdout, stderr := runCLI(t, args...)
		if code != exitFailed {
			t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitFailed, stderr)
		}
		want := `User "no-pods" (groups no-pod-readers) cannot list pods in all namespaces: needed by job "slices" (role endpointslice)`
		if !strings.Contains(stderr, want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("stderr is not one line naming the refused list and the job:\n%s", stderr)
		}
		var rep report.Report
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("partial output is not the JSON contract: %v\n%s", err, stdout)
		}
		partial := map[string]bool{}
		for _, j := range rep.Jobs {
			partial[j.Job] = j.Partial
		}
		if !rep.Partial || !slices.Contains(rep.PartialReasons, want) || !partial["slices"] || partial["nodes"] {
			t.Errorf("want the report and job slices marked partial (reason %q), job nodes not: partial=%v reasons=%q jobs=%v", want, rep.Partial, rep.PartialReasons, partial)
		}
		code, stdout2, _ := runCLI(t, append(args, "--allow-partial")...)
		if code != exitOK || stdout2 != stdout {
			t.Errorf("--allow-partial: exit %d, or output differs from the marked partial output", code)
		}
	})
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func jobNamed(t *testing.T, r *report.Report, name string) report.Job {
	t.Helper()
	for _, j := range r.Jobs {
		if j.Job == name {
			return j
		}
	}
	t.Fatalf("no job %q in the output", name)
	return report.Job{}
}
