package diff_test

import (
	"fmt"
	"maps"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sdinspect/sdinspect/diff"
	"github.com/sdinspect/sdinspect/report"
)

// endpoint is the discovered labels of one endpoint of Service shop/web
// backed by pod shop/NAME, as the endpoints role (slice false) or the
// endpointslice role (slice true) names them.
func endpoint(slice bool, addr, pod, node string) map[string]string {
	l := map[string]string{
		"__address__":                     addr,
		"__meta_kubernetes_namespace":     "shop",
		"__meta_kubernetes_service_name":  "web",
		"__meta_kubernetes_pod_name":      pod,
		"__meta_kubernetes_pod_node_name": node,
		"job":                             "web",
	}
	if slice {
		l["__meta_kubernetes_endpointslice_name"] = "web-x7k2p"
		l["__meta_kubernetes_endpointslice_port_name"] = "metrics"
		l["__meta_kubernetes_endpointslice_port_protocol"] = "TCP"
		l["__meta_kubernetes_endpointslice_endpoint_node_name"] = node
	} else {
		l["__meta_kubernetes_endpoints_name"] = "web"
		l["__meta_kubernetes_endpoint_port_name"] = "metrics"
		l["__meta_kubernetes_endpoint_port_protocol"] = "TCP"
		l["__meta_kubernetes_endpoint_node_name"] = node
	}
	return l
}

// withPort returns l with its endpoint port's name and protocol set.
func withPort(l map[string]string, slice bool, name, protocol string) map[string]string {
	out := maps.Clone(l)
	prefix := "__meta_kubernetes_endpoint_port_"
	if slice {
		prefix = "__meta_kubernetes_endpointslice_port_"
	}
	out[prefix+"name"], out[prefix+"protocol"] = name, protocol
	return out
}

// kept is a kept target scraped with the public labels extra plus
// instance and job.
func kept(source string, index int, disc map[string]string, extra map[string]string) report.Target {
	l := map[string]string{
		"__address__":      disc["__address__"],
		"__scheme__":       "http",
		"__metrics_path__": "/metrics",
		"instance":         disc["__address__"],
		"job":              disc["job"],
		// Not part of the scrape: ignored.
		"__tmp_port": "1",
	}
	maps.Copy(l, extra)
	return report.Target{Source: source, Index: index, State: "kept", DiscoveredLabels: disc, Labels: l,
		ScrapeURL: "http://" + disc["__address__"] + "/metrics"}
}

func dropped(source string, index int, disc map[string]string, rule int) report.Target {
	return report.Target{Source: source, Index: index, State: "dropped", DiscoveredLabels: disc, Labels: map[string]string{},
		DroppedBy: &report.Rule{Index: rule, Action: "drop", File: "head.yml", Line: 10 + rule}}
}

func job(name string, targets ...report.Target) report.Job {
	return report.Job{Job: name, File: "x.yml", Line: 1, Targets: targets}
}

func side(jobs ...report.Job) diff.Side {
	return diff.Side{Path: "x.yml", Report: &report.Report{APIVersion: report.APIVersion, Jobs: jobs}}
}

// brief renders r's differences one per line, so a test can state them.
func brief(r *report.DiffReport) []string {
	var out []string
	for _, j := range r.Jobs {
		out = append(out, fmt.Sprintf("job %s %s %+v", j.Job, j.Status, j.Summary))
		for _, t := range j.Added {
			out = append(out, fmt.Sprintf("+ %s (base %s)", t.Name(), t.Base.Why()))
		}
		for _, t := range j.Removed {
			out = append(out, fmt.Sprintf("- %s (head %s)", t.Name(), t.Head.Why()))
		}
		for _, t := range j.Relabelled {
			out = append(out, fmt.Sprintf("~ %s %v", t.Name(), t.Changes))
		}
	}
	return out
}

func TestCompare(t *testing.T) {
	web0, web1 := endpoint(false, "10.0.0.1:8080", "web-0", "n1"), endpoint(false, "10.0.0.2:8080", "web-1", "n2")
	web0s, web1s := endpoint(true, "10.0.0.1:8080", "web-0", "n1"), endpoint(true, "10.0.0.2:8080", "web-1", "n2")
	tests := []struct {
		name       string
		base, head diff.Side
		opts       diff.Options
		want       []string
		summary    report.DiffSummary
	}{
		{
			name:    "unchanged",
			base:    side(job("web", kept("endpoints/shop/web", 0, web0, nil))),
			head:    side(job("web", kept("endpoints/shop/web", 0, web0, map[string]string{"__tmp_port": "2"}))),
			want:    []string{"job web unchanged {Added:0 Removed:0 Relabelled:0 Unchanged:1}"},
			summary: report.DiffSummary{JobsUnchanged: 1, Unchanged: 1},
		},
		{
			name: "added: not discovered in base, and dropped in base",
			base: side(job("web", dropped("endpoints/shop/web", 0, web0, 2))),
			head: side(job("web", kept("endpoints/shop/web", 0, web0, nil), kept("endpoints/shop/web", 1, web1, nil))),
			want: []string{
				"job web changed {Added:2 Removed:0 Relabelled:0 Unchanged:0}",
				"+ 10.0.0.1:8080 pod/shop/web-0 (base dropped by rule 2 (drop, head.yml:12))",
				"+ 10.0.0.2:8080 pod/shop/web-1 (base not discovered)",
			},
			summary: report.DiffSummary{JobsChanged: 1, TargetsAdded: 2},
		},
		{
			name: "removed: dropped in head, and invalid in head",
			base: side(job("web", kept("endpoints/shop/web", 0, web0, nil), kept("endpoints/shop/web", 1, web1, nil))),
			head: side(job("web", dropped("endpoints/shop/web", 0, web0, 1),
				report.Target{Source: "endpoints/shop/web", Index: 1, State: "invalid", DiscoveredLabels: web1, Error: "no address"})),
			want: []string{
				"job web changed {Added:0 Removed:2 Relabelled:0 Unchanged:0}",
				"- 10.0.0.1:8080 pod/shop/web-0 (head dropped by rule 1 (drop, head.yml:11))",
				"- 10.0.0.2:8080 pod/shop/web-1 (head invalid: no address)",
			},
			summary: report.DiffSummary{JobsChanged: 1, TargetsRemoved: 2},
		},
		{
			name: "relabelled: a label added, one changed, one removed",
			base: side(job("web", kept("endpoints/shop/web", 0, web0, map[string]string{"pod": "web-0", "team": "a"}))),
			head: side(job("web", kept("endpoints/shop/web", 0, web0, map[string]string{"node": "n1", "team": "b", "__param_x": "y"}))),
			want: []string{
				"job web changed {Added:0 Removed:0 Relabelled:1 Unchanged:0}",
				`~ 10.0.0.1:8080 pod/shop/web-0 [{__param_x  y} {node  n1} {pod web-0 } {team a b}]`,
			},
			summary: report.DiffSummary{JobsChanged: 1, TargetsRelabelled: 1},
		},
		{
			name: "a duplicate is not scraped on its own",
			base: side(job("web", kept("endpoints/shop/web", 0, web0, nil), func() report.Target {
				t := kept("endpoints/shop/web", 1, web1, nil)
				t.DuplicateOf = &report.TargetRef{Source: "endpoints/shop/web", Index: 0}
				return t
			}())),
			head: side(job("web", kept("endpoints/shop/web", 0, web0, nil), kept("endpoints/shop/web", 1, web1, nil))),
			want: []string{
				"job web changed {Added:1 Removed:0 Relabelled:0 Unchanged:1}",
				"+ 10.0.0.2:8080 pod/shop/web-1 (base merged into endpoints/shop/web #0 (same labels))",
			},
			summary: report.DiffSummary{JobsChanged: 1, TargetsAdded: 1, Unchanged: 1},
		},
		{
			// Two targets of one identity (the same port number twice,
			// say): identical scrapes pair first, whatever their order.
			name: "duplicate keys pair identical scrapes first",
			base: side(job("web",
				kept("endpoints/shop/web", 0, web0, map[string]string{"port": "a"}),
				kept("endpoints/shop/web", 1, web0, map[string]string{"port": "b"}))),
			head: side(job("web",
				kept("endpoints/shop/web", 0, web0, map[string]string{"port": "b"}),
				kept("endpoints/shop/web", 1, web0, map[string]string{"port": "c"}))),
			want: []string{
				"job web changed {Added:0 Removed:0 Relabelled:1 Unchanged:1}",
				"~ 10.0.0.1:8080 pod/shop/web-0 [{port a c}]",
			},
			summary: report.DiffSummary{JobsChanged: 1, TargetsRelabelled: 1, Unchanged: 1},
		},
		{
			name: "duplicate keys: scraped pairs with scraped, the rest in order",
			base: side(job("web",
				dropped("endpoints/shop/web", 0, web0, 0),
				kept("endpoints/shop/web", 1, web0, map[string]string{"port": "a"}))),
			head: side(job("web",
				kept("endpoints/shop/web", 0, web0, map[string]string{"port": "b"}),
				kept("endpoints/shop/web", 1, web0, map[string]string{"port": "c"}))),
			want: []string{
				"job web changed {Added:1 Removed:0 Relabelled:1 Unchanged:0}",
				"+ 10.0.0.1:8080 pod/shop/web-0 (base dropped by rule 0 (drop, head.yml:10))",
				"~ 10.0.0.1:8080 pod/shop/web-0 [{port a b}]",
			},
			summary: report.DiffSummary{JobsChanged: 1, TargetsAdded: 1, TargetsRelabelled: 1},
		},
		{
			// 53/UDP and 53/TCP of one pod share a key; base lists them
			// port by port, head (endpointslice) endpoint by endpoint.
			name: "duplicate keys: the same port pairs first",
			base: side(job("dns",
				kept("endpoints/kube-system/kube-dns", 0, withPort(web0, false, "dns", "UDP"), map[string]string{"port": "dns", "v": "1"}),
				kept("endpoints/kube-system/kube-dns", 1, withPort(web0, false, "dns-tcp", "TCP"), map[string]string{"port": "dns-tcp", "v": "1"}))),
			head: side(job("dns",
				kept("endpointslice/kube-system/kube-dns-x", 0, withPort(web0s, true, "dns-tcp", "TCP"), map[string]string{"port": "dns-tcp", "v": "2"}),
				kept("endpointslice/kube-system/kube-dns-x", 1, withPort(web0s, true, "dns", "UDP"), map[string]string{"port": "dns", "v": "2"}))),
			want: []string{
				"job dns changed {Added:0 Removed:0 Relabelled:2 Unchanged:0}",
				"~ 10.0.0.1:8080 pod/shop/web-0 [{v 1 2}]",
				"~ 10.0.0.1:8080 pod/shop/web-0 [{v 1 2}]",
			},
			summary: report.DiffSummary{JobsChanged: 1, TargetsRelabelled: 2},
		},
		{
			name: "role change pairs each endpoint with its slice endpoint",
			base: side(job("web", kept("endpoints/shop/web", 0, web0, nil), kept("endpoints/shop/web", 1, web1, nil))),
			head: side(job("web",
				kept("endpointslice/shop/web-x7k2p", 0, web1s, nil),
				kept("endpointslice/shop/web-x7k2p", 1, web0s, map[string]string{"zone": "a"}))),
			want: []string{
				"job web changed {Added:0 Removed:0 Relabelled:1 Unchanged:1}",
				"~ 10.0.0.1:8080 pod/shop/web-0 [{zone  a}]",
			},
			summary: report.DiffSummary{JobsChanged: 1, TargetsRelabelled: 1, Unchanged: 1},
		},
		{
			name: "jobs only on one side",
			base: side(job("old", kept("endpoints/shop/web", 0, web0, nil)), job("web")),
			head: side(job("new", kept("endpoints/shop/web", 0, web0, nil), kept("endpoints/shop/web", 1, web1, nil)), job("web")),
			want: []string{
				"job new added {Added:2 Removed:0 Relabelled:0 Unchanged:0}",
				"+ 10.0.0.1:8080 pod/shop/web-0 (base not discovered)",
				"+ 10.0.0.2:8080 pod/shop/web-1 (base not discovered)",
				"job old removed {Added:0 Removed:1 Relabelled:0 Unchanged:0}",
				"- 10.0.0.1:8080 pod/shop/web-0 (head not discovered)",
				"job web unchanged {Added:0 Removed:0 Relabelled:0 Unchanged:0}",
			},
			summary: report.DiffSummary{JobsAdded: 1, JobsRemoved: 1, JobsUnchanged: 1, TargetsAdded: 2, TargetsRemoved: 1},
		},
		{
			// The job label is part of the scrape: renaming a job
			// relabels every target.
			name: "rename pairs a job with its new name",
			base: side(job("kubernetes-endpoints", kept("endpoints/shop/web", 0, web0, nil)), job("kubernetes-endpointslices")),
			head: side(job("kubernetes-endpointslices", kept("endpointslice/shop/web-x7k2p", 0, web0s, map[string]string{"job": "kubernetes-endpointslices"}))),
			opts: diff.Options{Renames: map[string]string{"kubernetes-endpoints": "kubernetes-endpointslices"}},
			want: []string{
				"job kubernetes-endpointslices changed {Added:0 Removed:0 Relabelled:1 Unchanged:0}",
				"~ 10.0.0.1:8080 pod/shop/web-0 [{job web kubernetes-endpointslices}]",
				"job kubernetes-endpointslices removed {Added:0 Removed:0 Relabelled:0 Unchanged:0}",
			},
			summary: report.DiffSummary{JobsChanged: 1, JobsRemoved: 1, TargetsRelabelled: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := diff.Compare(tt.base, tt.head, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, brief(r)); d != "" {
				t.Errorf("differences (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.summary, r.Summary); d != "" {
				t.Errorf("summary (-want +got):\n%s", d)
			}
		})
	}
}

func TestCompareRenameErrors(t *testing.T) {
	base := side(job("a"), job("b"))
	head := side(job("c"), job("d"))
	tests := []struct {
		name    string
		renames map[string]string
		want    string
	}{
		{name: "no such base job", renames: map[string]string{"x": "c"}, want: `rename x=c: base has no job "x"`},
		{name: "no such head job", renames: map[string]string{"a": "x"}, want: `rename a=x: head has no job "x"`},
		{name: "two renames to one job", renames: map[string]string{"a": "c", "b": "c"}, want: `rename b=c: job "c" is already paired with "a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := diff.Compare(base, head, diff.Options{Renames: tt.renames})
			if err == nil || err.Error() != tt.want {
				t.Errorf("error = %v, want %s", err, tt.want)
			}
		})
	}
}
