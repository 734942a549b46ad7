package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sdinspect/sdinspect/diff"
	"github.com/sdinspect/sdinspect/promconfig"
	"github.com/sdinspect/sdinspect/report"
)

type diffOptions struct {
	base, head string
	renames    []string
	exitCode   bool
	// input holds --job, --from, the connection flags and the listing
	// flags, as targets has them; its config fields stay unused.
	input  inputOptions
	output formatFlag
}

func newDiffCommand(s streams) *cobra.Command {
	o := &diffOptions{output: newFormatFlag(report.Text, report.CIFormats)}
	cmd := &cobra.Command{
		Use:   "diff --base OLD.yml --head NEW.yml [--job NAME]... [--from FILE... | connection flags]",
		Short: "Show which targets a config change adds, removes or relabels, over the same objects",
		Long: `diff runs both configs over the same objects (files with --from, else the live API
servers the jobs use) and reports, per job, the targets only head scrapes (added), those
only base scrapes (removed, with the head rule that drops them), and those both scrape
with other labels (relabelled, label by label). Jobs pair by job_name, or by --rename.

A target is what Prometheus scrapes: its labels after relabeling, without __meta_* and
__tmp* labels. Targets pair by the endpoint, pod, service, node or ingress they stand
for, so a job moved from role endpoints to role endpointslice pairs each endpoint with
itself; terminating endpoints, which only EndpointSlices list, show up as added.

With --exit-code, any difference exits 3 after the result is printed.`,
		Example: `  sdinspect diff --base old.yml --head prometheus.yml --from cluster.yaml
  git show main:prometheus.yml > prometheus.base.yml
  sdinspect diff --base prometheus.base.yml --head prometheus.yml --from cluster.yaml -o markdown
  sdinspect diff --base old.yml --head new.yml --rename kubernetes-endpoints=kubernetes-endpointslices \
      --from cluster.yaml --exit-code`,
		Args: positionalArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), s) },
	}
	fs := cmd.Flags()
	fs.StringVar(&o.base, "base", "", "the Prometheus configuration before the change (required)")
	fs.StringVar(&o.head, "head", "", "the Prometheus configuration after the change (required)")
	fs.StringArrayVar(&o.renames, "rename", nil, "OLD=NEW: pair base job OLD with head job NEW (repeatable)")
	fs.BoolVar(&o.exitCode, "exit-code", false, "exit 3 when anything differs")
	fs.VarP(&o.output, "output", "o", "output format: text, json, junit, sarif, github or markdown")
	bindObjectFlags(fs, &o.input)
	return cmd
}

// bindObjectFlags binds the flags of targets that say which jobs and which
// objects: --job, --from, the connection and listing flags. The flags that
// name one config or a rules file do not apply to diff.
func bindObjectFlags(fs *pflag.FlagSet, o *inputOptions) {
	all := pflag.NewFlagSet("targets", pflag.ContinueOnError)
	o.bind(all)
	all.VisitAll(func(f *pflag.Flag) {
		switch f.Name {
		case "config", "rules", "role", "legacy-names":
			return
		case "job":
			f.Usage = "job_name to compare, in base or head (repeatable; default: every job of both)"
		}
		fs.AddFlag(f)
	})
}

func (o *diffOptions) validate() error {
	switch {
	case o.base == "" || o.head == "":
		return usagef("--base and --head are required")
	case len(o.input.from) > 0 && o.input.conn.Given():
		return usagef("--from and connection flags (--server, --kubeconfig, ...) cannot be used together: read files or a live API server")
	case o.input.chunkSize <= 0:
		return usagef("--chunk-size must be positive")
	case o.input.timeout <= 0:
		return usagef("--timeout must be positive")
	}
	return nil
}

// renameMap parses --rename OLD=NEW into base name → head name.
func (o *diffOptions) renameMap() (map[string]string, error) {
	out, to := map[string]string{}, map[string]bool{}
	for _, r := range o.renames {
		old, nu, ok := strings.Cut(r, "=")
		switch {
		case !ok || old == "" || nu == "":
			return nil, usagef("--rename %q: want OLD=NEW", r)
		case out[old] != "":
			return nil, usagef("--rename %q: job %q is renamed twice", r, old)
		case to[nu]:
			return nil, usagef("--rename %q: two jobs are renamed to %q", r, nu)
		}
		out[old], to[nu] = nu, true
	}
	return out, nil
}

func (o *diffOptions) run(ctx context.Context, s streams) error {
	if err := o.validate(); err != nil {
		return err
	}
	renames, err := o.renameMap()
	if err != nil {
		return err
	}
	base, head, err := o.loadConfigs(renames)
	if err != nil {
		return err
	}
	objs, err := o.objects(ctx, s, append(slices.Clone(base.jobs), head.jobs...))
	if err != nil {
		return err
	}
	// Both sides mostly warn alike (own_namespace in a job kept as is):
	// say it once.
	said := map[string]bool{}
	warn := func(msg string) {
		if !said[msg] {
			said[msg] = true
			s.note(msg)
		}
	}
	sides := make([]diff.Side, 2)
	for i, c := range []*diffConfig{base, head} {
		rep, err := evaluate(c.jobs, objs, &o.input, false, warn)
		if err != nil {
			return fmt.Errorf("%s: %w", c.path, err)
		}
		sides[i] = diff.Side{Path: c.path, Report: rep, Roles: roles(c.jobs)}
	}
	rep, err := diff.Compare(sides[0], sides[1], diff.Options{Renames: renames})
	if err != nil {
		return err
	}
	if err := o.write(s, rep); err != nil {
		return err
	}
	if err := o.input.partialError(sides[1].Report); err != nil {
		return err
	}
	if n := rep.Summary.Differences(); o.exitCode && n > 0 {
		return findingsError{fmt.Sprintf("%s and %s differ: %s", o.base, o.head, rep.Summary)}
	}
	return nil
}

func (o *diffOptions) write(s streams, rep *report.DiffReport) error {
	switch o.output.Format {
	case report.JUnit, report.SARIF, report.GitHub:
		return report.WriteCI(s.out, o.output.Format, rep.CI(o.exitCode, ownVersion()))
	}
	return report.WriteDiff(s.out, o.output.Format, rep, s.style)
}

// objects reads the objects both sides run over: the files once, or from
// the API servers, what each side's kubernetes_sd_configs need.
func (o *diffOptions) objects(ctx context.Context, s streams, jobs []*promconfig.Job) (*objects, error) {
	if len(o.input.from) == 0 {
		return o.input.listLive(ctx, s, jobs)
	}
	snap, err := readFiles(o.input.from, s.note)
	if err != nil {
		return nil, err
	}
	return &objects{all: snap}, nil
}

// roles lists each job's kubernetes_sd_configs roles, by job name.
func roles(jobs []*promconfig.Job) map[string][]string {
	out := map[string][]string{}
	for _, j := range jobs {
		for _, sd := range j.Kubernetes {
			out[j.Scrape.JobName] = append(out[j.Scrape.JobName], string(sd.Role))
		}
	}
	return out
}

// diffConfig is one side's config and the jobs of it to compare.
type diffConfig struct {
	path string
	cfg  *promconfig.Config
	jobs []*promconfig.Job
}

// loadConfigs loads both configs and picks the jobs --job names: a name
// picks the job of that name on either side, and with a rename, its partner
// on the other side. It deletes from renames those of jobs not picked.
func (o *diffOptions) loadConfigs(renames map[string]string) (base, head *diffConfig, err error) {
	base, head = &diffConfig{path: o.base}, &diffConfig{path: o.head}
	for _, c := range []*diffConfig{base, head} {
		if c.cfg, err = promconfig.Load(c.path); err != nil {
			return nil, nil, err
		}
	}
	for _, old := range slices.Sorted(maps.Keys(renames)) {
		nu := renames[old]
		if _, err := base.cfg.Job(old); err != nil {
			return nil, nil, fmt.Errorf("--rename %s=%s: %w", old, nu, err)
		}
		if _, err := head.cfg.Job(nu); err != nil {
			return nil, nil, fmt.Errorf("--rename %s=%s: %w", old, nu, err)
		}
	}
	wanted := map[string]bool{}
	for _, name := range o.input.jobs {
		_, errB := base.cfg.Job(name)
		_, errH := head.cfg.Job(name)
		if errB != nil && errH != nil {
			return nil, nil, fmt.Errorf("job %q not found in %s or %s", name, o.base, o.head)
		}
		wanted[name] = true
	}
	if len(wanted) > 0 {
		pickPartners(wanted, renames)
	}
	for _, c := range []*diffConfig{base, head} {
		for _, j := range c.cfg.Jobs {
			if len(wanted) == 0 || wanted[j.Scrape.JobName] {
				c.jobs = append(c.jobs, j)
			}
		}
		slices.SortFunc(c.jobs, func(a, b *promconfig.Job) int { return strings.Compare(a.Scrape.JobName, b.Scrape.JobName) })
	}
	return base, head, nil
}

// pickPartners adds to wanted the partner of each job in it, and the
// partners of those, and deletes from renames those of jobs not wanted.
// Renames can chain (a=b, c=a: head's a is base's c), so one pass over
// them, in whatever order, would not do.
func pickPartners(wanted map[string]bool, renames map[string]string) {
	for grown := true; grown; {
		grown = false
		for old, nu := range renames {
			if wanted[old] != wanted[nu] {
				wanted[old], wanted[nu] = true, true
				grown = true
			}
		}
	}
	for old, nu := range renames {
		if !wanted[old] && !wanted[nu] {
			delete(renames, old)
		}
	}
}
