package oracle

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/prometheus/prometheus/discovery/targetgroup"
)

// noNodeAddress is the warning Prometheus logs instead of sending a group
// for a node without a usable address; counting it tells that the node was
// processed.
const noNodeAddress = "No node address found"

// eventsMetric counts informer events per role and event type; its "add"
// count for the configured role is the number of objects of the role's
// kind the discoverer has been handed.
const eventsMetric = "prometheus_sd_kubernetes_events_total"

// progress tracks one run towards settling.
type progress struct {
	opts    Options
	reg     *prometheus.Registry
	role    string
	skipped func() int // objects processed without a group being sent

	sent    int       // groups received, counting repeats
	adds    int       // primary objects handed to the discoverer
	ready   bool      // opts.Ready's last answer
	last    time.Time // when any of the above last changed
	started time.Time
}

// collect keeps the latest group per Source until the run settles. A group
// without targets deletes its Source, as discovery.Manager does.
func (p *progress) collect(ctx context.Context, ch <-chan []*targetgroup.Group) (map[string]*targetgroup.Group, error) {
	groups := map[string]*targetgroup.Group{}
	p.started = time.Now()
	p.last = p.started
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case tgs := <-ch:
			for _, tg := range tgs {
				if tg == nil {
					continue
				}
				p.sent++
				if len(tg.Targets) == 0 {
					delete(groups, tg.Source)
				} else {
					groups[tg.Source] = tg
				}
			}
			p.last = time.Now()
		case now := <-tick.C:
			settled, why, err := p.check(now)
			if err != nil {
				return nil, err
			}
			if settled {
				return groups, nil
			}
			if now.Sub(p.started) >= p.opts.MaxWait {
				return nil, fmt.Errorf("not settled after %v: %s", p.opts.MaxWait, why)
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// check reports whether the run has settled at now, and if not, why not.
func (p *progress) check(now time.Time) (bool, string, error) {
	if p.opts.Ready != nil {
		r := p.opts.Ready()
		if r != p.ready {
			p.ready, p.last = r, now
		}
	}
	adds, err := p.primaryAdds()
	if err != nil {
		return false, "", err
	}
	if adds != p.adds {
		p.adds, p.last = adds, now
	}
	switch {
	case p.opts.Ready != nil && !p.ready:
		return false, "informers not synced", nil
	case p.opts.Listed != nil && adds < p.opts.Listed(resourceOf(p.role)):
		return false, fmt.Sprintf("informer delivered %d of %d listed %s", adds, p.opts.Listed(resourceOf(p.role)), resourceOf(p.role)), nil
	case p.sent+p.skipped() < adds:
		return false, fmt.Sprintf("%d groups for %d objects", p.sent+p.skipped(), adds), nil
	case now.Sub(p.started) < p.opts.MinWait:
		return false, "minimum wait", nil
	case now.Sub(p.last) < p.opts.Quiet:
		return false, "still changing", nil
	}
	return true, "", nil
}

// primaryAdds reads how many objects of the role's own kind the role's
// informer has handed to Prometheus's event handlers.
func (p *progress) primaryAdds() (int, error) {
	mfs, err := p.reg.Gather()
	if err != nil {
		return 0, fmt.Errorf("gathering discovery metrics: %w", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != eventsMetric {
			continue
		}
		for _, m := range mf.GetMetric() {
			var role, event string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "role":
					role = l.GetValue()
				case "event":
					event = l.GetValue()
				}
			}
			if role == p.role && event == "add" {
				return int(m.GetCounter().GetValue()), nil
			}
		}
	}
	return 0, nil
}

// resourceOf returns the API resource a role discovers.
func resourceOf(role string) string {
	switch role {
	case "endpoints":
		return "endpoints"
	case "ingress":
		return "ingresses"
	default:
		return role + "s"
	}
}

// countingHandler counts log records with one message and passes every
// record on.
type countingHandler struct {
	next    slog.Handler
	message string
	n       *atomic.Int64
}

func newCountingHandler(next slog.Handler, message string) *countingHandler {
	return &countingHandler{next: next, message: message, n: &atomic.Int64{}}
}

func (h *countingHandler) count() int { return int(h.n.Load()) }

func (h *countingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn || h.next.Enabled(ctx, l)
}

func (h *countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == h.message {
		h.n.Add(1)
	}
	if !h.next.Enabled(ctx, r.Level) {
		return nil
	}
	return h.next.Handle(ctx, r)
}

func (h *countingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &countingHandler{next: h.next.WithAttrs(attrs), message: h.message, n: h.n}
}

func (h *countingHandler) WithGroup(name string) slog.Handler {
	return &countingHandler{next: h.next.WithGroup(name), message: h.message, n: h.n}
}
