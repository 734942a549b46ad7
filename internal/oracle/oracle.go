// Package oracle runs the pinned Prometheus version's own code, so that
// tests can hold sdinspect to it: Discover runs Prometheus's Kubernetes
// service discovery against an API server and returns the target groups it
// settles on; Populate turns target groups into scrape targets the way
// Prometheus's scrape pool and promtool do; Compare diffs two sets of target
// groups as Prometheus's consumers see them.
//
// It is meant for tests only: it compiles all of Prometheus's Kubernetes
// discovery, scrape and config code.
package oracle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	promcommon "github.com/prometheus/common/config"

	promdiscovery "github.com/prometheus/prometheus/discovery"
	"github.com/prometheus/prometheus/discovery/kubernetes"
	"github.com/prometheus/prometheus/discovery/targetgroup"
)

// Options says how to reach the API server and when a run has settled.
//
// Prometheus gives no "initial sync done" signal, so a run is over when all
// of these hold: it has lasted MinWait; Ready (if set) reports true; the
// role's informer has delivered as many objects as Listed (if set) says the
// API server returned; Prometheus has sent a group (or, for a node without
// address, nothing but a warning) for every object its informer delivered;
// and nothing of the above has changed for Quiet. A run that has not settled
// after MaxWait fails.
type Options struct {
	// HTTPClientConfig authenticates to the API server (TLS client
	// certificate, bearer token). Nil means no authentication.
	HTTPClientConfig *promcommon.HTTPClientConfig
	// Ready, if set, must report true before a run can settle, e.g.
	// fakeapi.Server.Synced: every informer has listed and is watching.
	Ready func() bool
	// Listed, if set, returns how many objects of a resource (plural, as in
	// the URL: "pods", "endpointslices") the API server has returned in
	// LIST responses so far, e.g. fakeapi.Server.Listed.
	Listed func(resource string) int
	// Logger receives Prometheus's discovery logs. Nil discards them.
	Logger *slog.Logger

	// MinWait, Quiet and MaxWait bound a run as described above; zero
	// values take defaults, shorter when Ready is set.
	MinWait, Quiet, MaxWait time.Duration
}

// Default settle times. Without a readiness check only quiescence tells
// that informers are done, so the waits are longer: client-go's rate limiter
// (5 requests/s after a burst of 10) alone can delay informers by seconds.
const (
	defaultMinWait      = 2 * time.Second
	defaultQuiet        = time.Second
	defaultReadyMinWait = 100 * time.Millisecond
	defaultReadyQuiet   = 300 * time.Millisecond
	defaultMaxWait      = 30 * time.Second
)

// Discover runs Prometheus's Kubernetes discovery for sd against apiServer
// without authentication and returns the groups it settled on, as
// DiscoverWithOptions does with zero Options.
func Discover(ctx context.Context, apiServer string, sd *kubernetes.SDConfig) ([]*targetgroup.Group, error) {
	return DiscoverWithOptions(ctx, apiServer, sd, Options{})
}

// DiscoverWithOptions runs Prometheus's Kubernetes discovery for a copy of sd
// pointed at apiServer (role, namespaces, selectors and attach_metadata are
// kept; kubeconfig_file and HTTP client settings are replaced by opts) until
// it settles. It returns the latest group per Source, leaving out groups
// without targets as Prometheus's discovery manager does, sorted by Source.
//
// namespaces.own_namespace is refused: Prometheus resolves it only inside a
// pod, from the service account's namespace file.
func DiscoverWithOptions(ctx context.Context, apiServer string, sd *kubernetes.SDConfig, opts Options) ([]*targetgroup.Group, error) {
	if sd.NamespaceDiscovery.IncludeOwnNamespace {
		return nil, errors.New("namespaces.own_namespace cannot be resolved outside a pod")
	}
	u, err := url.Parse(apiServer)
	if err != nil {
		return nil, fmt.Errorf("parsing API server URL %q: %w", apiServer, err)
	}
	cfg := *sd
	cfg.APIServer = promcommon.URL{URL: u}
	cfg.KubeConfig = ""
	cfg.HTTPClientConfig = promcommon.DefaultHTTPClientConfig
	if opts.HTTPClientConfig != nil {
		cfg.HTTPClientConfig = *opts.HTTPClientConfig
	}
	opts = withDefaults(opts)
	warnings := newCountingHandler(opts.Logger.Handler(), noNodeAddress)

	reg := prometheus.NewRegistry()
	refresh := promdiscovery.NewRefreshMetrics(reg)
	metrics := cfg.NewDiscovererMetrics(reg, refresh)
	if err := metrics.Register(); err != nil {
		return nil, fmt.Errorf("registering discovery metrics: %w", err)
	}
	defer metrics.Unregister()
	d, err := cfg.NewDiscoverer(promdiscovery.DiscovererOptions{Logger: slog.New(warnings), Metrics: metrics})
	if err != nil {
		return nil, fmt.Errorf("creating %s discoverer: %w", cfg.Role, err)
	}

	runCtx, cancel := context.WithCancel(ctx)
	ch := make(chan []*targetgroup.Group)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		d.Run(runCtx, ch)
	}()
	// Run returns only once its context is canceled, and needs ch drained
	// until then.
	defer func() {
		cancel()
		wg.Wait()
	}()

	p := &progress{opts: opts, reg: reg, role: string(cfg.Role), skipped: warnings.count}
	groups, err := p.collect(runCtx, ch)
	if err != nil {
		return nil, fmt.Errorf("running %s discovery: %w", cfg.Role, err)
	}
	out := make([]*targetgroup.Group, 0, len(groups))
	for _, g := range groups {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Source < out[j].Source })
	return out, nil
}

func withDefaults(opts Options) Options {
	minWait, quiet := defaultMinWait, defaultQuiet
	if opts.Ready != nil {
		minWait, quiet = defaultReadyMinWait, defaultReadyQuiet
	}
	if opts.MinWait == 0 {
		opts.MinWait = minWait
	}
	if opts.Quiet == 0 {
		opts.Quiet = quiet
	}
	if opts.MaxWait == 0 {
		opts.MaxWait = defaultMaxWait
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return opts
}
