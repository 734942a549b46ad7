package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/prometheus/discovery/kubernetes"

	"github.com/sdinspect/sdinspect/cluster"
	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/promconfig"
)

// objects are the Kubernetes objects each kubernetes_sd_config sees: one
// snapshot for all of them when read from files, one per API server when
// listed live.
type objects struct {
	all   *discovery.Snapshot
	perSD map[*kubernetes.SDConfig]*discovery.Snapshot
	// partial collects the lists the API server refused.
	partial []*cluster.Partial
}

func (o *objects) of(sd *kubernetes.SDConfig) *discovery.Snapshot {
	if s, ok := o.perSD[sd]; ok {
		return s
	}
	if o.all != nil {
		return o.all
	}
	return &discovery.Snapshot{}
}

// partialReasons and partialJobs describe what could not be listed.
func (o *objects) partialReasons() []string {
	var out []string
	for _, p := range o.partial {
		out = append(out, p.Reasons...)
	}
	return out
}

func (o *objects) partialJobs() map[string]bool {
	out := map[string]bool{}
	for _, p := range o.partial {
		for _, j := range p.Jobs() {
			out[j] = true
		}
	}
	return out
}

// jobSDs lists every kubernetes_sd_config of jobs.
func (o *inputOptions) jobSDs(jobs []*promconfig.Job) []cluster.JobSD {
	var out []cluster.JobSD
	for _, j := range jobs {
		for _, sd := range j.Kubernetes {
			out = append(out, cluster.JobSD{Job: j.Scrape.JobName, SD: sd, OwnNamespace: o.ownNamespace})
		}
	}
	return out
}

// listLive lists, from each API server the jobs use, exactly what their
// kubernetes_sd_configs need. Refused lists are collected, not fatal: the
// caller prints the result marked partial and decides the exit code.
func (o *inputOptions) listLive(ctx context.Context, s streams, jobs []*promconfig.Job) (*objects, error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	conns, err := o.connect(ctx, s, jobs)
	if err != nil {
		return nil, err
	}
	// Each listing counts from zero (diff lists twice); building
	// targets goes on where it ends, on the same line.
	o.listing, o.progress = nil, s.progress
	objs := &objects{perSD: map[*kubernetes.SDConfig]*discovery.Snapshot{}}
	for _, c := range conns {
		snap, partial, err := o.list(ctx, s, c)
		if err != nil {
			return nil, err
		}
		for _, j := range c.Jobs {
			objs.perSD[j.SD] = snap
		}
		if partial != nil {
			objs.partial = append(objs.partial, partial)
		}
	}
	o.refusedPointer = o.partialPointer(objs.partial)
	return objs, nil
}

// connect returns the connections the jobs use, telling the user what they
// should know about them (TLS verification off, say).
func (o *inputOptions) connect(ctx context.Context, s streams, jobs []*promconfig.Job) ([]*cluster.Conn, error) {
	conns, err := cluster.Connect(ctx, o.conn, o.jobSDs(jobs))
	if err != nil {
		return nil, err
	}
	for _, c := range conns {
		for _, n := range c.Notes {
			s.note(n)
		}
		s.log.Debug("connecting", "to", c.Source, "credentials", credentialsLog(c.Credentials))
	}
	return conns, nil
}

// list lists what the jobs of c need. Refused lists come back in the
// Partial; when every list is refused, that is no partial result but a
// failure. The progress line counts every page.
func (o *inputOptions) list(ctx context.Context, s streams, c *cluster.Conn) (*discovery.Snapshot, *cluster.Partial, error) {
	if o.listing == nil {
		o.listing = newListingProgress(s.progress)
	}
	start := time.Now()
	reqs := cluster.Requests(c.Jobs)
	snap, partial, err := cluster.List(ctx, c.Config, reqs, cluster.ListOptions{
		ChunkSize:    o.chunkSize,
		AllowPartial: true,
		Credentials:  c.Credentials,
		Progress:     o.listing.callback(c),
		Page:         o.page,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("listing from %s: %w", c.Source, err)
	}
	if partial != nil && len(partial.Refused) >= len(reqs) {
		return nil, nil, allRefused(partial, o.partialPointer([]*cluster.Partial{partial}))
	}
	s.log.Debug("listed", "from", c.Source, "took", time.Since(start))
	return snap, partial, nil
}

// credentialsLog describes what a connection authenticates with, for -v:
// file names and kinds only, never a token or key.
func credentialsLog(c *cluster.Credentials) string {
	if c == nil {
		return "none"
	}
	var parts []string
	if c.CertFile != "" {
		parts = append(parts, "client certificate "+c.CertFile+" key "+c.KeyFile)
	}
	switch {
	case c.TokenFile != "":
		parts = append(parts, "bearer token from "+c.TokenFile)
	case c.Token:
		parts = append(parts, "bearer token (redacted)")
	}
	if c.CAFile != "" {
		parts = append(parts, "CA "+c.CAFile)
	}
	if c.Insecure {
		parts = append(parts, "TLS verification off")
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// allRefused is the error for a connection that may list nothing at all;
// pointer ends it (see rbacPointer).
func allRefused(p *cluster.Partial, pointer string) error {
	if len(p.Reasons) == 1 {
		return errors.New(p.Reasons[0] + pointer)
	}
	return fmt.Errorf("%s (and %d more lists refused)%s", p.Reasons[0], len(p.Reasons)-1, pointer)
}
