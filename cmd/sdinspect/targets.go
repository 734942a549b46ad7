package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/prometheus/prometheus/discovery/kubernetes"
	"github.com/prometheus/prometheus/model/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/sdinspect/sdinspect/cluster"
	"github.com/sdinspect/sdinspect/discovery"
	"github.com/sdinspect/sdinspect/promconfig"
	"github.com/sdinspect/sdinspect/relabel"
	"github.com/sdinspect/sdinspect/report"
)

// inputOptions are the flags that say what to evaluate: the scrape configs
// and the Kubernetes objects.
type inputOptions struct {
	configPath   string
	rulesPath    string
	role         string
	jobs         []string
	from         []string
	ownNamespace string
	legacyNames  bool

	conn         *cluster.ConnFlags
	timeout      time.Duration
	chunkSize    int64
	allowPartial bool

	// refusedPointer ends the error of a partial result: the auth rbac
	// command for the refused identity, if any.
	refusedPointer string
	// progress shows evaluate's jobs; set by listLive, since only live
	// runs are long enough to want it.
	progress *progressLine
	listing  *listingProgress
	// beforeList, if set, is called with the jobs before a live run lists
	// what they need; page, if set, with every page listed (see
	// cluster.ListOptions.Page).
	beforeList func(jobs []*promconfig.Job)
	page       func(r cluster.Request, objs []runtime.Object, first, last bool)
}

func (o *inputOptions) bind(fs *pflag.FlagSet) {
	fs.StringVar(&o.configPath, "config", "", "Prometheus configuration file (prometheus.yml)")
	fs.StringVar(&o.rulesPath, "rules", "", "standalone relabel rules file, instead of --config (needs --role)")
	fs.StringVar(&o.role, "role", "", "Kubernetes SD role for --rules: node, service, pod, endpoints, endpointslice or ingress")
	fs.StringArrayVar(&o.jobs, "job", nil, "job_name to evaluate (repeatable; default: every job); with --rules, the implied job's name")
	fs.StringArrayVar(&o.from, "from", nil, "snapshot or manifest file or directory of Kubernetes objects (repeatable)")
	fs.StringVar(&o.ownNamespace, "own-namespace", "", "namespace that namespaces.own_namespace stands for")
	fs.BoolVar(&o.legacyNames, "legacy-names", false, "validate --rules with the legacy label name scheme instead of UTF-8")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "give up listing from the API server after this long")
	fs.Int64Var(&o.chunkSize, "chunk-size", 500, "objects per page when listing from the API server")
	fs.BoolVar(&o.allowPartial, "allow-partial", false, "exit 0 when some lists were refused (the output is still marked partial)")
	o.conn = cluster.BindFlags(fs)
}

func (o *inputOptions) validate() error {
	switch {
	case o.configPath == "" && o.rulesPath == "":
		return usagef("one of --config or --rules is required")
	case o.configPath != "" && o.rulesPath != "":
		return usagef("--config and --rules cannot be used together")
	case o.rulesPath != "" && o.role == "":
		return usagef("--rules needs --role")
	case o.rulesPath == "" && o.role != "":
		return usagef("--role only applies with --rules")
	case o.rulesPath != "" && len(o.jobs) > 1:
		return usagef("--rules takes at most one --job (the implied job's name)")
	case len(o.from) > 0 && o.conn.Given():
		return usagef("--from and connection flags (--server, --kubeconfig, ...) cannot be used together: read files or a live API server")
	case o.chunkSize <= 0:
		return usagef("--chunk-size must be positive")
	case o.timeout <= 0:
		return usagef("--timeout must be positive")
	}
	return checkImpersonation(o.conn)
}

// loadJobs returns the jobs to evaluate, in the order asked for or, by
// default, sorted by name.
func (o *inputOptions) loadJobs() ([]*promconfig.Job, error) {
	if o.rulesPath != "" {
		return o.impliedJob()
	}
	cfg, err := promconfig.Load(o.configPath)
	if err != nil {
		return nil, err
	}
	if len(o.jobs) == 0 {
		jobs := slices.Clone(cfg.Jobs)
		slices.SortFunc(jobs, func(a, b *promconfig.Job) int { return strings.Compare(a.Scrape.JobName, b.Scrape.JobName) })
		return jobs, nil
	}
	var jobs []*promconfig.Job
	for _, name := range o.jobs {
		j, err := cfg.Job(name)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, j)
	}
	return jobs, nil
}

func (o *inputOptions) impliedJob() ([]*promconfig.Job, error) {
	role, err := parseRole(o.role)
	if err != nil {
		return nil, usageError{fmt.Errorf("--role: %w", err)}
	}
	scheme := model.UTF8Validation
	if o.legacyNames {
		scheme = model.LegacyValidation
	}
	rules, pos, err := promconfig.LoadRules(o.rulesPath, scheme)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSuffix(filepath.Base(o.rulesPath), filepath.Ext(o.rulesPath))
	if len(o.jobs) == 1 {
		name = o.jobs[0]
	}
	j, err := promconfig.ImpliedJob(name, role, rules, pos)
	if err != nil {
		return nil, err
	}
	return []*promconfig.Job{j}, nil
}

// parseRole accepts what kubernetes_sd_configs accepts as a role; Role's own
// YAML unmarshaler holds the valid names and Prometheus's message.
func parseRole(s string) (kubernetes.Role, error) {
	var r kubernetes.Role
	err := r.UnmarshalYAML(func(v any) error { *v.(*string) = s; return nil })
	return r, err
}

// evaluate discovers and relabels every job's targets over objs. warn
// receives notes about what cannot be evaluated offline.
func evaluate(jobs []*promconfig.Job, objs *objects, o *inputOptions, trace bool, warn func(string)) (*report.Report, error) {
	rep := reportHeader(objs)
	partial := objs.partialJobs()
	err := eachJob(jobs, o, func(job *promconfig.Job, progress func(int)) error {
		if err := checkJob(job, o, warn); err != nil {
			return err
		}
		j := jobHeader(job)
		j.Partial = partial[j.Job]
		j.Targets = []report.Target{}
		err := eachBatch(job, groupsOf(job, objs, o), relabel.Options{Trace: trace}, batchTargets, nil,
			func() *built { return &built{} },
			func(out *built, r *relabel.Target, discovered []labels.Label) {
				out.targets = append(out.targets, buildTarget(job, r, discovered))
			},
			func(out *built, results []relabel.Target) error {
				for i := range results {
					count(&j.Summary, &results[i])
					out.targets[i].DuplicateOf = duplicateOf(&results[i])
				}
				j.Targets = append(j.Targets, out.targets...)
				progress(len(results))
				return nil
			})
		rep.Jobs = append(rep.Jobs, j)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// built is a batch of targets' reports.
type built struct{ targets []report.Target }

func (b *built) reset() { b.targets = b.targets[:0] }

// reportHeader is the report of a run over objs without its jobs.
func reportHeader(objs *objects) *report.Report {
	rep := &report.Report{APIVersion: report.APIVersion, Jobs: []report.Job{}}
	if reasons := objs.partialReasons(); len(reasons) > 0 {
		rep.Partial, rep.PartialReasons = true, reasons
	}
	return rep
}

// eachJob calls fn with every job, showing on the progress line which job
// and how many targets fn has built, as it counts them by calling progress
// with each number of targets more.
func eachJob(jobs []*promconfig.Job, o *inputOptions, fn func(job *promconfig.Job, progress func(int)) error) error {
	defer o.progress.clear()
	total := 0
	for n, job := range jobs {
		show := func() {
			o.progress.update(func() string {
				return fmt.Sprintf("building targets: job %d/%d %s · %s targets", n+1, len(jobs), job.Scrape.JobName, thousands(total))
			})
		}
		show()
		if err := fn(job, func(n int) { total += n; show() }); err != nil {
			return err
		}
	}
	return nil
}

// checkJob returns the error eachBatch would return for job whatever the
// objects (it returns no other), and sends warn what cannot be evaluated
// offline.
func checkJob(job *promconfig.Job, o *inputOptions, warn func(string)) error {
	for i, sd := range job.Kubernetes {
		if sd.NamespaceDiscovery.IncludeOwnNamespace && o.ownNamespace == "" {
			warn(fmt.Sprintf("job %q: kubernetes_sd_configs[%d] sets namespaces.own_namespace, which only a pod can resolve; its own namespace is left out (give --own-namespace)", job.Scrape.JobName, i))
		}
		if err := discovery.Validate(sd); err != nil {
			return sdError(job, i, err)
		}
	}
	return nil
}

func sdError(job *promconfig.Job, i int, err error) error {
	return fmt.Errorf("job %q: kubernetes_sd_configs[%d] (role %s): %w", job.Scrape.JobName, i, job.Kubernetes[i].Role, err)
}

// load reads the jobs, and the objects from files (--from) or from the
// API servers the jobs use.
func (o *inputOptions) load(ctx context.Context, s streams) ([]*promconfig.Job, *objects, error) {
	if err := o.validate(); err != nil {
		return nil, nil, err
	}
	jobs, err := o.loadJobs()
	if err != nil {
		return nil, nil, err
	}
	if len(o.from) == 0 {
		if o.beforeList != nil {
			o.beforeList(jobs)
		}
		objs, err := o.listLive(ctx, s, jobs)
		return jobs, objs, err
	}
	snap, err := readFiles(o.from, s.note)
	if err != nil {
		return nil, nil, err
	}
	return jobs, &objects{all: snap}, nil
}

// partialError is what a run that printed a partial result ends with,
// unless --allow-partial.
func (o *inputOptions) partialError(rep *report.Report) error {
	if !rep.Partial || o.allowPartial {
		return nil
	}
	return fmt.Errorf("partial result: %s (--allow-partial accepts it)%s", strings.Join(rep.PartialReasons, "; "), o.refusedPointer)
}

type targetsOptions struct {
	input  inputOptions
	output formatFlag
	show   showFlag
	trace  bool
}

func newTargetsCommand(s streams) *cobra.Command {
	o := &targetsOptions{output: newFormatFlag(report.Table, report.TargetFormats), show: showAll}
	cmd := &cobra.Command{
		Use:   "targets --config prometheus.yml | --rules rules.yml --role ROLE  [--from FILE... | connection flags]",
		Short: "List every discovered target of the jobs: kept, dropped (by which rule) or invalid",
		Example: `  sdinspect targets --config prometheus.yml --from cluster.yaml
  sdinspect targets --config prometheus.yml --job kubernetes-pods --from cluster.yaml -o json
  sdinspect targets --config prometheus.yml --server https://10.0.0.1:6443 \
      --client-certificate me.crt --client-key me.key --certificate-authority ca.crt
  sdinspect targets --rules rules.yml --role pod --from manifests/ --show dropped`,
		Args: positionalArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), s) },
	}
	o.input.bind(cmd.Flags())
	cmd.Flags().VarP(&o.output, "output", "o", "output format: table, json or yaml")
	cmd.Flags().Var(&o.show, "show", "which targets to list: kept, dropped (dropped or invalid) or all")
	cmd.Flags().BoolVar(&o.trace, "trace", false, "include the step-by-step relabel trace of every target (json and yaml)")
	return cmd
}

func (o *targetsOptions) run(ctx context.Context, s streams) error {
	if o.output.Format == report.JSON {
		return o.runJSON(ctx, s)
	}
	jobs, objs, err := o.input.load(ctx, s)
	if err != nil {
		return err
	}
	rep, err := evaluate(jobs, objs, &o.input, o.trace, s.note)
	if err != nil {
		return err
	}
	for i := range rep.Jobs {
		j := &rep.Jobs[i]
		j.Targets = slices.DeleteFunc(j.Targets, func(t report.Target) bool { return !o.show.keeps(t.State) })
	}
	if err := report.Write(s.out, o.output.Format, rep); err != nil {
		return err
	}
	return o.input.partialError(rep)
}

// runJSON lists or reads the objects and streams the report. A live run
// may relabel one job while listing: see early.go.
func (o *targetsOptions) runJSON(ctx context.Context, s streams) error {
	var e *early
	o.input.beforeList = func(jobs []*promconfig.Job) {
		for _, j := range jobs {
			if e = o.newEarly(j); e != nil {
				o.input.page = e.page
				return
			}
		}
	}
	jobs, objs, err := o.input.load(ctx, s)
	if e != nil {
		e.listed()
		defer e.abandon()
	}
	if err != nil {
		return err
	}
	rep, err := o.streamJSON(s.out, jobs, objs, s.note, e)
	if err != nil {
		return err
	}
	if e != nil {
		s.log.Debug("relabeled while listing", "job", e.job.Scrape.JobName, "used", e.used())
	}
	return o.input.partialError(rep)
}

// streamJSON writes the report as JSON one batch of targets at a time, so
// that a run over a large cluster never holds every target's report: each
// job's targets are encoded as they are relabeled, on every processor, and
// written in order; the job's summary follows them. Every error discovery
// can meet is found by checkJob before anything is written. The targets
// of e's job come from e, if it is not nil and could make them.
func (o *targetsOptions) streamJSON(w io.Writer, jobs []*promconfig.Job, objs *objects, warn func(string), e *early) (*report.Report, error) {
	for _, job := range jobs {
		if err := checkJob(job, &o.input, warn); err != nil {
			return nil, err
		}
	}
	partial := objs.partialJobs()
	rep := reportHeader(objs)
	out := report.NewJSONStream(w, rep)
	err := eachJob(jobs, &o.input, func(job *promconfig.Job, progress func(int)) error {
		j := jobHeader(job)
		j.Partial = partial[j.Job]
		if e != nil && e.job == job {
			if done, err := e.finish(out, j, progress, objs.of(e.sd)); done {
				return err
			}
		}
		if err := out.BeginJob(&j); err != nil {
			return err
		}
		err := eachBatch(job, groupsOf(job, objs, &o.input), relabel.Options{Trace: o.trace}, batchTargets, nil,
			newEncoded, o.encodeTarget(job),
			func(enc *encoded, results []relabel.Target) error {
				for i := range results {
					count(&j.Summary, &results[i])
				}
				progress(len(results))
				return out.Targets(enc.n, enc.withDuplicates(results)...)
			})
		if err != nil {
			return err
		}
		return out.EndJob(&j)
	})
	if err != nil {
		return nil, err
	}
	return rep, out.Close()
}

// encodeTarget returns eachBatch's build for streamJSON: it appends the
// target to the batch's JSON, if it is shown.
func (o *targetsOptions) encodeTarget(job *promconfig.Job) func(enc *encoded, r *relabel.Target, discovered []labels.Label) {
	return func(enc *encoded, r *relabel.Target, discovered []labels.Label) {
		at := -1
		if o.show.keeps(string(r.State)) {
			t := targetWithoutLabels(job, r, discovered)
			sortLabels(&enc.sorted, r, discovered)
			enc.b, at = report.AppendTargetAt(enc.b, &t, &enc.sorted)
			enc.n++
		}
		enc.at = append(enc.at, at)
	}
}

// encoded is a batch of targets in JSON, written by report.AppendTargetAt.
type encoded struct {
	b     []byte
	n     int   // targets in b
	at    []int // for each result, where its duplicateOf goes in b, or -1 if not in b
	dups  []byte
	parts [][]byte
	// sorted is scratch space.
	sorted report.SortedLabels
	// seen remembers the labels of the target written last, within the
	// batch: discovery's and relabeling's label strings are never
	// memory reused for other text, and b is only appended to until
	// reset.
	seen report.Seen
}

func newEncoded() *encoded {
	e := &encoded{}
	e.sorted.Seen = &e.seen
	return e
}

func (e *encoded) reset() {
	e.b, e.n, e.at, e.dups = e.b[:0], 0, e.at[:0], e.dups[:0]
	clear(e.parts)
	e.parts = e.parts[:0]
	e.seen.Forget()
}

// withDuplicates returns the batch's bytes, in parts, with the duplicateOf
// members of results, which are marked, between them.
func (e *encoded) withDuplicates(results []relabel.Target) [][]byte {
	done := 0 // e.b[:done] is in e.parts
	for i := range results {
		if d := duplicateOf(&results[i]); d != nil && e.at[i] >= 0 {
			from := len(e.dups)
			e.dups = report.AppendDuplicateOf(e.dups, d)
			e.parts = append(e.parts, e.b[done:e.at[i]], e.dups[from:])
			done = e.at[i]
		}
	}
	return append(e.parts, e.b[done:])
}
