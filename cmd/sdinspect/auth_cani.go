package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sdinspect/sdinspect/cluster"
	"github.com/sdinspect/sdinspect/promconfig"
	"github.com/sdinspect/sdinspect/report"
)

// bindAuthJobFlags binds the flags that say which jobs auth can-i and auth
// rbac are about.
func bindAuthJobFlags(fs *pflag.FlagSet, o *inputOptions) {
	fs.StringVar(&o.configPath, "config", "", "Prometheus configuration file (prometheus.yml)")
	fs.StringArrayVar(&o.jobs, "job", nil, "job_name to check (repeatable; default: every job)")
	fs.StringVar(&o.ownNamespace, "own-namespace", "", "namespace that namespaces.own_namespace stands for")
}

// authJobs loads the jobs auth can-i and auth rbac are about and their
// kubernetes_sd_configs.
func (o *inputOptions) authJobs(s streams) ([]*promconfig.Job, []cluster.JobSD, error) {
	if o.configPath == "" {
		return nil, nil, usagef("--config is required")
	}
	jobs, err := o.loadJobs()
	if err != nil {
		return nil, nil, err
	}
	sds := o.jobSDs(jobs)
	if len(sds) == 0 {
		return nil, nil, fmt.Errorf("no job of %q uses kubernetes_sd_configs: the jobs need nothing from the API server", o.configPath)
	}
	for _, j := range sds {
		if j.SD.NamespaceDiscovery.IncludeOwnNamespace && o.ownNamespace == "" {
			s.note(fmt.Sprintf("job %q sets namespaces.own_namespace, which only a pod can resolve; its own namespace is left out (give --own-namespace)", j.Job))
		}
	}
	return jobs, sds, nil
}

type authCanIOptions struct {
	input  inputOptions
	output formatFlag
}

func newAuthCanICommand(s streams) *cobra.Command {
	o := &authCanIOptions{output: newFormatFlag(report.Text, []report.Format{report.Text, report.JSON})}
	cmd := &cobra.Command{
		Use:   "can-i --config prometheus.yml [--job NAME]... [connection flags] [-o text|json]",
		Short: "Check that the API server allows every list and watch the jobs' discovery needs",
		Long: `can-i asks the API server, with one SelfSubjectAccessReview each, whether the identity of
the connection may list and watch every resource the jobs' informers use, in each namespace
they use it in (or in all namespaces): the role's own resource and the secondary ones
Prometheus waits for (services and pods for endpoints and endpointslice, nodes for
attach_metadata.node, namespaces for attach_metadata.namespace, replicasets and jobs for
attach_metadata.deployment, job and cronjob).

It prints one row per verb, resource and namespace, and for each denied row the jobs and
roles it blocks and what Prometheus does then. With --as (and --as-group) the client
impersonates that identity, so the review is of it, such as Prometheus's service account
(--as system:serviceaccount:monitoring:prometheus); the caller needs the verb impersonate
on it. The connection is chosen as for targets.

Exit status 3 when anything needed is denied; auth rbac prints the RBAC that grants it.`,
		Example: `  sdinspect auth can-i --config prometheus.yml --server https://10.0.0.1:6443 \
      --client-certificate me.crt --client-key me.key --certificate-authority ca.crt
  sdinspect auth can-i --config prometheus.yml --as system:serviceaccount:monitoring:prometheus
  sdinspect auth can-i --config prometheus.yml --job kubernetes-pods -o json`,
		Args: positionalArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), s) },
	}
	fs := cmd.Flags()
	bindAuthJobFlags(fs, &o.input)
	fs.DurationVar(&o.input.timeout, "timeout", 30*time.Second, "give up asking the API server after this long")
	fs.VarP(&o.output, "output", "o", "output format: text or json")
	o.input.conn = cluster.BindFlags(fs)
	return cmd
}

// accessReport is the JSON of auth can-i; see the README.
type accessReport struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Allowed    bool           `json:"allowed"`
	Reviews    []accessServer `json:"reviews"`
}

// accessServer is the review on one API server.
type accessServer struct {
	Server      string             `json:"server"`
	Source      string             `json:"source"`
	User        string             `json:"user,omitempty"`
	Groups      []string           `json:"groups,omitempty"`
	Permissions []accessPermission `json:"permissions"`
}

type accessPermission struct {
	Verb      string        `json:"verb"`
	Group     string        `json:"group"`
	Resource  string        `json:"resource"`
	Namespace string        `json:"namespace,omitempty"`
	Scope     string        `json:"scope"`
	Allowed   bool          `json:"allowed"`
	Reason    string        `json:"reason,omitempty"`
	NeededBy  []accessNeed  `json:"neededBy"`
	Blocks    []accessBlock `json:"blocks,omitempty"`
}

type accessNeed struct {
	Job  string `json:"job"`
	Role string `json:"role"`
}

type accessBlock struct {
	Job    string `json:"job"`
	Role   string `json:"role"`
	Effect string `json:"effect"`
}

func (o *authCanIOptions) run(ctx context.Context, s streams) error {
	if o.input.timeout <= 0 {
		return usagef("--timeout must be positive")
	}
	if err := checkImpersonation(o.input.conn); err != nil {
		return err
	}
	jobs, _, err := o.input.authJobs(s)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.input.timeout)
	defer cancel()
	conns, err := o.input.connect(ctx, s, jobs)
	if err != nil {
		return err
	}
	rep := accessReport{APIVersion: report.APIVersion, Kind: "CanI", Allowed: true, Reviews: []accessServer{}}
	var reviews []*cluster.AccessReview
	for _, c := range conns {
		perms := cluster.Permissions(cluster.Requests(c.Jobs))
		review, err := cluster.ReviewAccess(ctx, c.Config, perms, c.Credentials)
		if err != nil {
			return fmt.Errorf("reviewing access with %s: %w", c.Source, err)
		}
		reviews = append(reviews, review)
		rep.Reviews = append(rep.Reviews, accessServerOf(c, review))
		rep.Allowed = rep.Allowed && len(review.Denied()) == 0
	}
	if o.output.Format == report.JSON {
		enc := json.NewEncoder(s.out)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = writeAccessText(s.out, &rep, s.style)
	}
	if err != nil {
		return err
	}
	return o.deniedError(reviews)
}

// deniedError is the error that ends a review with denied permissions,
// with the auth rbac command that grants them.
func (o *authCanIOptions) deniedError(reviews []*cluster.AccessReview) error {
	denied, total := 0, 0
	var who *cluster.AccessReview
	for _, r := range reviews {
		total += len(r.Access)
		if n := len(r.Denied()); n > 0 {
			denied += n
			if who == nil {
				who = r
			}
		}
	}
	if denied == 0 {
		return nil
	}
	verb := "are"
	if denied == 1 {
		verb = "is"
	}
	return findingsError{fmt.Sprintf("%d of the %d permissions the jobs need %s denied to %s%s",
		denied, total, verb, identityName(who.User, who.Groups), o.input.rbacPointer(who.User, who.Groups))}
}

// accessServerOf converts the review on c to its JSON form.
func accessServerOf(c *cluster.Conn, r *cluster.AccessReview) accessServer {
	out := accessServer{Source: c.Source, User: r.User, Groups: r.Groups, Permissions: []accessPermission{}}
	if c.Credentials != nil {
		out.Server = c.Credentials.Server
	}
	for _, a := range r.Access {
		p := accessPermission{
			Verb: a.Verb, Group: a.Group, Resource: a.Resource, Namespace: a.Namespace,
			Scope: accessScope(a.Permission), Allowed: a.Allowed, Reason: a.Reason, NeededBy: []accessNeed{},
		}
		for _, n := range a.NeededBy {
			p.NeededBy = append(p.NeededBy, accessNeed{Job: n.Job, Role: string(n.Role)})
		}
		for _, b := range a.Blocks {
			p.Blocks = append(p.Blocks, accessBlock{Job: b.Need.Job, Role: string(b.Need.Role), Effect: b.Effect})
		}
		out.Permissions = append(out.Permissions, p)
	}
	return out
}

// accessScope is the JSON scope of p: namespace, all-namespaces or
// cluster.
func accessScope(p cluster.Permission) string {
	switch {
	case !p.Namespaced():
		return "cluster"
	case p.Namespace == "":
		return "all-namespaces"
	}
	return "namespace"
}

// identityName names the reviewed identity: User "ci" (groups system:ci).
func identityName(user string, groups []string) string {
	if user == "" {
		return "the client (the API server did not say who it is)"
	}
	return cluster.DescribeUser(user, groups)
}

// writeAccessText writes the reviews as a table, then what each denied
// permission blocks.
func writeAccessText(w io.Writer, rep *accessReport, st report.Style) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for i, r := range rep.Reviews {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		fmt.Fprintf(tw, "%s on %s (%s):\n", identityName(r.User, r.Groups), r.Server, r.Source)
		fmt.Fprintln(tw, "VERB\tRESOURCE\tNAMESPACE\tALLOWED\tNEEDED-BY")
		for _, p := range r.Permissions {
			allowed := st.Good("yes")
			if !p.Allowed {
				allowed = st.Bad("no")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Verb, p.permission().GroupResource(), namespaceColumn(p), allowed, neededByColumn(p.NeededBy))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rep.Reviews {
		ps := r.Permissions
		for i := 0; i < len(ps); i++ {
			p := ps[i]
			if p.Allowed {
				continue
			}
			phrase := p.permission().String()
			// A denied list and watch that block the same make one
			// paragraph.
			if i+1 < len(ps) && sameDenial(p, ps[i+1]) {
				phrase = "list and watch" + strings.TrimPrefix(phrase, p.Verb)
				i++
			}
			fmt.Fprintf(w, "\n%s %s blocks:\n", st.Bad("DENIED:"), phrase)
			for _, b := range p.Blocks {
				fmt.Fprintf(w, "  job %q (role %s): %s\n", b.Job, b.Role, b.Effect)
			}
		}
	}
	return nil
}

// sameDenial reports whether list and watch, in that order, are both
// denied on the same resource and namespace with the same effects.
func sameDenial(list, watch accessPermission) bool {
	return list.Verb == cluster.VerbList && watch.Verb == cluster.VerbWatch && !list.Allowed && !watch.Allowed &&
		list.Group == watch.Group && list.Resource == watch.Resource && list.Namespace == watch.Namespace &&
		slices.Equal(list.Blocks, watch.Blocks)
}

// permission is p as the cluster package describes it.
func (p accessPermission) permission() cluster.Permission {
	return cluster.Permission{Verb: p.Verb, Group: p.Group, Resource: p.Resource, Namespace: p.Namespace}
}

// namespaceColumn is the NAMESPACE cell: the namespace, (all) or
// (cluster) for a cluster-scoped resource.
func namespaceColumn(p accessPermission) string {
	switch p.Scope {
	case "cluster":
		return "(cluster)"
	case "all-namespaces":
		return "(all)"
	}
	return p.Namespace
}

func neededByColumn(needs []accessNeed) string {
	s := make([]string, len(needs))
	for i, n := range needs {
		s[i] = fmt.Sprintf("%s (%s)", n.Job, n.Role)
	}
	return strings.Join(s, ", ")
}
