package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sdinspect/sdinspect/report"
)

type explainOptions struct {
	input  inputOptions
	output formatFlag
}

func newExplainCommand(s streams) *cobra.Command {
	o := &explainOptions{output: newFormatFlag(report.Table, report.TargetFormats)}
	cmd := &cobra.Command{
		Use:   "explain --config prometheus.yml --job JOB --from FILE... TARGET",
		Short: "Print the step-by-step relabel trace of the targets matching TARGET",
		Long: `explain prints, for every target of the job that matches TARGET, its discovered labels,
what each relabel rule changed, and how it ended: kept (with its scrape URL and labels),
dropped (by which rule, with file:line) or invalid (why).

TARGET is a discovered address (10.1.2.3:8080), an object as NAMESPACE/NAME or NAME,
or a target group source as Prometheus names it (pod/shop/web-0).`,
		Example: `  sdinspect explain --config prometheus.yml --job kubernetes-pods --from cluster.yaml shop/web-0`,
		Args:    positionalArgs(cobra.ExactArgs(1)),
		RunE:    func(cmd *cobra.Command, args []string) error { return o.run(cmd.Context(), s, args[0]) },
	}
	o.input.bind(cmd.Flags())
	cmd.Flags().VarP(&o.output, "output", "o", "output format: table (a readable trace), json or yaml")
	return cmd
}

func (o *explainOptions) run(ctx context.Context, s streams, target string) error {
	jobs, objs, err := o.input.load(ctx, s)
	if err != nil {
		return err
	}
	if len(jobs) > 1 {
		return usagef("explain needs --job: the config has %d jobs", len(jobs))
	}
	rep, err := evaluate(jobs, objs, &o.input, true, s.note)
	if err != nil {
		return err
	}
	job := &rep.Jobs[0]
	var matched []report.Target
	for _, t := range job.Targets {
		if matches(t, target) {
			matched = append(matched, t)
		}
	}
	if len(matched) == 0 {
		return fmt.Errorf("job %q: %w %q among its %d targets", job.Job, errNoMatch, target, len(job.Targets))
	}
	job.Targets = matched
	if o.output.Format != report.Table {
		if err := report.Write(s.out, o.output.Format, rep); err != nil {
			return err
		}
		return o.input.partialError(rep)
	}
	for _, reason := range rep.PartialReasons {
		fmt.Fprintf(s.out, "PARTIAL RESULT: %s\n", reason)
	}
	for i, t := range matched {
		if i > 0 {
			fmt.Fprintln(s.out)
		}
		if err := report.WriteExplain(s.out, job.Job, t); err != nil {
			return err
		}
	}
	return o.input.partialError(rep)
}

var errNoMatch = errors.New("no target matches")

// matches reports whether target names t: by source, by the object's
// NAMESPACE/NAME or NAME at the end of the source, or by discovered address.
func matches(t report.Target, target string) bool {
	return t.Source == target ||
		strings.HasSuffix(t.Source, "/"+target) ||
		t.DiscoveredLabels["__address__"] == target
}
