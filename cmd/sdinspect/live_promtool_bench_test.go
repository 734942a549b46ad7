package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sdinspect/sdinspect/internal/testcluster"
	"github.com/sdinspect/sdinspect/report"
)

// promtoolEnv names the promtool binary the promtool sub-benchmarks of
// BenchmarkLiveTargets run.
const promtoolEnv = "SDINSPECT_PROMTOOL"

// Timeouts of `promtool check service-discovery`: its default, and the
// resolution of the search for the smallest one that returns every target.
const (
	promtoolDefaultTimeout = 30 * time.Second
	promtoolTimeoutStep    = 100 * time.Millisecond
	promtoolConfirmRuns    = 2
)

// benchPromtool runs, for job of benchConfig, `promtool check
// service-discovery` against the API server of c, as sdinspect's sibling
// sub-benchmarks of BenchmarkLiveTargets:
//
//   - impl=promtool-30s at the default timeout, 30 s. promtool always waits
//     for the whole timeout, then prints what discovery sent so far; the
//     sub-benchmark fails if that is not every target sdinspect found
//     (want), kept and dropped alike.
//   - impl=promtool-min at the smallest timeout, to 100 ms, that still
//     returns every target. It is found first, untimed, by bisection over
//     the multiples of 100 ms in (0, 30 s], one promtool run per probe
//     (nine probes), assuming that a longer timeout never returns fewer
//     targets; as that only holds on average, the timeout found must then
//     return every target twice more in a row, or it is raised by 100 ms
//     until it does (see smallestTimeout). That timeout is then timed, and
//     timed runs that still came back short are counted as
//     incomplete-runs.
//
// Both report ns/op as promtool's wall time, process start to exit, and
// the targets it printed; promtool-min reports its timeout as timeout-ms.
// Each logs its runs on one line, `live: job=SHORT impl=… runs=` then
// TIMEOUT:TARGETS/WALL for each, the search's probes included. Both are
// skipped, saying why, when $SDINSPECT_PROMTOOL is unset.
func benchPromtool(b *testing.B, c *testcluster.Cluster, cert, key, short, job string, want report.Summary) {
	p := promtool{bin: os.Getenv(promtoolEnv), job: job}
	if p.bin != "" {
		dir := b.TempDir()
		p.config = filepath.Join(dir, "prometheus.yml")
		p.out = filepath.Join(dir, "sd.json")
		writePromtoolConfig(b, p.config, job, c, cert, key)
	}
	complete := false // whether promtool returned every target at 30 s
	b.Run("impl=promtool-30s", func(b *testing.B) {
		p.skipUnset(b)
		var rs sdRuns
		for b.Loop() {
			rs = append(rs, p.run(b, promtoolDefaultTimeout))
		}
		b.Logf("live: job=%s impl=promtool-30s runs=%v", short, rs)
		last := rs[len(rs)-1]
		b.ReportMetric(float64(last.targets), "targets")
		if last.targets != want.Discovered || last.kept != want.Kept {
			b.Errorf("promtool printed %d targets (%d kept) at %v, sdinspect found %d (%d kept)",
				last.targets, last.kept, promtoolDefaultTimeout, want.Discovered, want.Kept)
			return
		}
		complete = true
	})
	b.Run("impl=promtool-min", func(b *testing.B) {
		p.skipUnset(b)
		var probes sdRuns
		if !complete {
			if r := p.run(b, promtoolDefaultTimeout); r.targets < want.Discovered {
				b.Fatalf("promtool printed %d targets at %v, fewer than the %d sdinspect found", r.targets, r.timeout, want.Discovered)
			}
		}
		timeout := p.smallestTimeout(b, want.Discovered, &probes)
		b.Logf("live: job=%s impl=promtool-min search runs=%v", short, probes)
		var rs sdRuns
		incomplete := 0
		for b.Loop() {
			if rs = append(rs, p.run(b, timeout)); rs[len(rs)-1].targets < want.Discovered {
				incomplete++
			}
		}
		b.Logf("live: job=%s impl=promtool-min runs=%v", short, rs)
		b.ReportMetric(float64(timeout.Milliseconds()), "timeout-ms")
		b.ReportMetric(float64(rs[len(rs)-1].targets), "targets")
		b.ReportMetric(float64(incomplete), "incomplete-runs")
	})
}

// promtool runs `promtool check service-discovery` for one job.
type promtool struct {
	bin, job string
	config   string // the prometheus.yml it reads
	out      string // the file its stdout goes to
}

// sdRun is what one promtool run gave.
type sdRun struct {
	timeout       time.Duration
	targets, kept int
	wall          time.Duration
}

// sdRuns formats runs for a log line: TIMEOUT:TARGETS/WALL, space-separated.
type sdRuns []sdRun

func (rs sdRuns) String() string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("%v:%d/%v", r.timeout, r.targets, r.wall.Round(time.Millisecond))
	}
	return strings.Join(parts, " ")
}

func (p promtool) skipUnset(b *testing.B) {
	if p.bin == "" {
		b.Skipf("$%s is unset: set it to a promtool binary to compare `promtool check service-discovery` on the same job", promtoolEnv)
	}
}

// run runs promtool once with timeout and fails b if it fails.
func (p promtool) run(b *testing.B, timeout time.Duration) sdRun {
	b.Helper()
	out, err := os.Create(p.out)
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(b.Context(), p.bin, "check", "service-discovery", "--timeout="+timeout.String(), p.config, p.job)
	cmd.Stdout, cmd.Stderr = out, &stderr
	start := time.Now()
	err = cmd.Run()
	r := sdRun{timeout: timeout, wall: time.Since(start)}
	if err != nil {
		b.Fatalf("%s: %v: %s", strings.Join(cmd.Args, " "), err, strings.TrimSpace(stderr.String()))
	}
	if _, err := out.Seek(0, 0); err != nil {
		b.Fatal(err)
	}
	if r.targets, r.kept, err = countSDResults(out); err != nil {
		b.Fatalf("reading the output of %s: %v", strings.Join(cmd.Args, " "), err)
	}
	return r
}

// smallestTimeout returns the smallest multiple of promtoolTimeoutStep up
// to promtoolDefaultTimeout at which promtool prints at least want
// targets, found by bisection (lo is a timeout seen to fall short, none at
// first, hi one seen to suffice), then confirmed: hi must suffice
// promtoolConfirmRuns more times in a row, or it goes up a step and is
// tried again. Near the minimum, how long the informers take to sync
// varies from run to run, more so on a busy machine. Every run is
// appended to probes.
func (p promtool) smallestTimeout(b *testing.B, want int, probes *sdRuns) time.Duration {
	step := func(n int) time.Duration { return time.Duration(n) * promtoolTimeoutStep }
	enough := func(timeout time.Duration) bool {
		r := p.run(b, timeout)
		*probes = append(*probes, r)
		return r.targets >= want
	}
	lo, hi := 0, int(promtoolDefaultTimeout/promtoolTimeoutStep)
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if enough(step(mid)) {
			hi = mid
		} else {
			lo = mid
		}
	}
	for confirmed := 0; confirmed < promtoolConfirmRuns && step(hi) < promtoolDefaultTimeout; {
		if enough(step(hi)) {
			confirmed++
		} else {
			hi, confirmed = hi+1, 0
		}
	}
	return step(hi)
}

// countSDResults counts the results promtool check service-discovery
// printed, a JSON array of {discoveredLabels, labels, error}, and those
// kept (with labels), without holding them all.
func countSDResults(r io.Reader) (targets, kept int, err error) {
	dec := json.NewDecoder(bufio.NewReader(r))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return 0, 0, fmt.Errorf("want a JSON array, got %v (%v)", tok, err)
	}
	for dec.More() {
		var res struct {
			Labels map[string]string `json:"labels"`
		}
		if err := dec.Decode(&res); err != nil {
			return 0, 0, err
		}
		targets++
		if len(res.Labels) > 0 {
			kept++
		}
	}
	return targets, kept, nil
}

// writePromtoolConfig writes to path the global section of benchConfig and
// its job, whose kubernetes_sd_configs are pointed at c with a client
// certificate, as a Prometheus outside the cluster would be.
func writePromtoolConfig(b *testing.B, path, job string, c *testcluster.Cluster, cert, key string) {
	b.Helper()
	data, err := os.ReadFile(filepath.FromSlash(benchConfig))
	if err != nil {
		b.Fatal(err)
	}
	var doc struct {
		Global        map[string]any   `yaml:"global"`
		ScrapeConfigs []map[string]any `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		b.Fatalf("%s: %v", benchConfig, err)
	}
	for _, sc := range doc.ScrapeConfigs {
		if sc["job_name"] != job {
			continue
		}
		sds, _ := sc["kubernetes_sd_configs"].([]any)
		for _, sd := range sds {
			m, ok := sd.(map[string]any)
			if !ok {
				b.Fatalf("%s: job %q: a kubernetes_sd_config is not a mapping", benchConfig, job)
			}
			m["api_server"] = c.URL
			m["tls_config"] = map[string]any{"ca_file": c.CAFile, "cert_file": cert, "key_file": key}
		}
		out, err := yaml.Marshal(map[string]any{"global": doc.Global, "scrape_configs": []any{sc}})
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path, out, 0o644); err != nil {
			b.Fatal(err)
		}
		return
	}
	b.Fatalf("%s: no job %q", benchConfig, job)
}
