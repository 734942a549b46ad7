package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/lint"
	"github.com/sdinspect/sdinspect/promconfig"
	"github.com/sdinspect/sdinspect/report"
)

type checkOptions struct {
	input  inputOptions
	output formatFlag
	failOn report.Severity
	live   bool
}

func newCheckCommand(s streams) *cobra.Command {
	o := &checkOptions{output: newFormatFlag(report.Text, report.CIFormats), failOn: report.Warning}
	cmd := &cobra.Command{
		Use:   "check --config prometheus.yml [--from FILE... | --live | connection flags]",
		Short: "Lint the jobs' relabel rules, from the config alone or against the targets of a snapshot or cluster",
		Long: `check loads the config as Prometheus does and reports findings, each with a severity,
a stable ID, the job and the file:line of the rule at fault.

From the config alone: source labels the job's roles can never produce (with a "did you
mean"), rules after one that drops everything, labels overwritten before anything reads
them, __name__ in relabel_configs, hashmod without a keep, redundant anchors, rules with
no effect.

With objects (--from, or --live / connection flags for a live cluster): rules whose
regex matches no target, a keep or drop that keeps nothing, jobs that keep nothing or
find nothing, colliding targets, addresses without a port, and what each job lists
against what it keeps.

Findings at or above --fail-on exit 3.`,
		Example: `  sdinspect check --config prometheus.yml
  sdinspect check --config prometheus.yml --from cluster.yaml -o sarif > check.sarif
  sdinspect check --config prometheus.yml --live --fail-on error`,
		Args: positionalArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), s) },
	}
	o.input.bind(cmd.Flags())
	cmd.Flags().VarP(&o.output, "output", "o", "output format: text, json, junit, sarif, github or markdown")
	cmd.Flags().Var(severityFlag{&o.failOn}, "fail-on", "least severity that exits 3: info, warning or error")
	cmd.Flags().BoolVar(&o.live, "live", false, "list the objects from the API servers the jobs use (as targets does without --from)")
	return cmd
}

func (o *checkOptions) run(ctx context.Context, s streams) error {
	if err := o.input.validate(); err != nil {
		return err
	}
	if o.live && len(o.input.from) > 0 {
		return usagef("--live and --from cannot be used together")
	}
	jobs, err := o.input.loadJobs()
	if err != nil {
		return err
	}
	objs, source, err := o.objects(ctx, s, jobs)
	if err != nil {
		return err
	}
	rep := &report.CheckReport{APIVersion: report.APIVersion, Kind: report.CheckKind, FailOn: o.failOn, Objects: source, Jobs: []report.CheckJob{}}
	in := make([]lint.Job, len(jobs))
	for i, j := range jobs {
		in[i].Config = j
		rep.Jobs = append(rep.Jobs, report.CheckJob{Job: j.Scrape.JobName, File: j.Pos.File, Line: j.Pos.Line, NotRun: j.NotRun})
	}
	if objs != nil {
		res, err := evaluate(jobs, objs, &o.input, true, s.note)
		if err != nil {
			return err
		}
		rep.Partial, rep.PartialReasons = res.Partial, res.PartialReasons
		for i := range res.Jobs {
			r := &res.Jobs[i]
			in[i].Result = r
			in[i].Listed = listed(jobs[i], objs, o.input.ownNamespace)
			rep.Jobs[i].Partial = r.Partial
			rep.Jobs[i].Cost = &report.Cost{Listed: in[i].Listed, Discovered: r.Summary.Discovered, Kept: r.Summary.Kept}
		}
	}
	rep.Findings = lint.Check(in)
	if rep.Findings == nil {
		rep.Findings = []report.Finding{}
	}
	rep.Summary = report.NewCheckSummary(rep.Findings, o.failOn)
	if err := o.write(s, rep); err != nil {
		return err
	}
	if err := o.input.partialError(&report.Report{Partial: rep.Partial, PartialReasons: rep.PartialReasons}); err != nil {
		return err
	}
	if n := rep.Summary.Failing; n > 0 {
		return findingsError{fmt.Sprintf("%d finding(s) at or above %s", n, o.failOn)}
	}
	return nil
}

// objects reads the objects to check the targets against: from files, from
// the API servers, or none, and says which.
func (o *checkOptions) objects(ctx context.Context, s streams, jobs []*promconfig.Job) (*objects, string, error) {
	switch {
	case len(o.input.from) > 0:
		snap, err := readFiles(o.input.from, s.note)
		if err != nil {
			return nil, "", err
		}
		return &objects{all: snap}, "files", nil
	case o.live || o.input.conn.Given():
		objs, err := o.input.listLive(ctx, s, jobs)
		return objs, "live", err
	}
	return nil, "none", nil
}

func (o *checkOptions) write(s streams, rep *report.CheckReport) error {
	switch o.output.Format {
	case report.JUnit, report.SARIF, report.GitHub:
		return report.WriteCI(s.out, o.output.Format, rep.CI(lint.Rules, ownVersion()))
	}
	return report.WriteCheck(s.out, o.output.Format, rep, s.style)
}

// listed sums, per resource, what the job's kubernetes_sd_configs list.
func listed(job *promconfig.Job, objs *objects, ownNamespace string) map[string]int {
	out := map[string]int{}
	for _, sd := range job.Kubernetes {
		for res, n := range discovery.Listed(objs.of(sd), sd, discovery.Options{OwnNamespace: ownNamespace}) {
			out[res] += n
		}
	}
	return out
}

// severityFlag is --fail-on.
type severityFlag struct{ s *report.Severity }

func (f severityFlag) String() string     { return string(*f.s) }
func (f severityFlag) Type() string       { return "info|warning|error" }
func (f severityFlag) Set(v string) error { return f.s.UnmarshalText([]byte(v)) }
