package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/sdinspect/sdinspect/cluster"
	"github.com/sdinspect/sdinspect/promconfig"
)

// rbacNamePrefix starts the default name of the RBAC objects auth rbac
// prints; the subject completes it, so that RBAC printed for two subjects
// does not replace one binding with the other when both are applied.
const rbacNamePrefix = "prometheus-kubernetes-sd-"

// defaultRBACName is rbacNamePrefix and the subject, as a valid object
// name: "prometheus-kubernetes-sd-group-observers",
// "prometheus-kubernetes-sd-serviceaccount-monitoring-prometheus".
func defaultRBACName(s rbacv1.Subject) string {
	raw := strings.ToLower(s.Kind + "-" + s.Namespace + "-" + s.Name)
	var b strings.Builder
	for _, r := range raw {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	name := rbacNamePrefix + strings.Trim(strings.Join(strings.FieldsFunc(b.String(), func(r rune) bool { return r == '-' }), "-"), "-")
	if len(name) > 253 {
		name = strings.TrimRight(name[:253], "-")
	}
	return name
}

type authRBACOptions struct {
	input          inputOptions
	group          string
	user           string
	serviceAccount string
	name           string
}

func newAuthRBACCommand(s streams) *cobra.Command {
	o := &authRBACOptions{}
	cmd := &cobra.Command{
		Use:   "rbac --config prometheus.yml [--job NAME]... (--group G | --user U | --serviceaccount NS/NAME) [--name NAME]",
		Short: "Print the least-privilege RBAC that lets an identity list and watch what the jobs need",
		Long: `rbac prints the RBAC that allows exactly what auth can-i checks: list and watch on each
resource the jobs' informers list, in the namespaces they list it in, for one group, user
or service account. What is needed across all namespaces, and cluster-scoped resources
(nodes, namespaces), go to a ClusterRole and a ClusterRoleBinding; what only some
namespaces need goes to a Role and a RoleBinding in each of them. Rules hold one API group
each; there are no wildcards, no secrets and no verbs but list and watch.

The output is YAML documents for kubectl apply -f -. It needs no cluster.`,
		Example: `  sdinspect auth rbac --config prometheus.yml --group system:monitoring | kubectl apply -f -
  sdinspect auth rbac --config prometheus.yml --serviceaccount monitoring/prometheus
  sdinspect auth rbac --config prometheus.yml --job kubernetes-pods --user ci --name ci-pods`,
		Args: positionalArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := refuseEmpty(cmd.Flags(), "group", "user", "serviceaccount"); err != nil {
				return err
			}
			return o.run(s)
		},
	}
	fs := cmd.Flags()
	bindAuthJobFlags(fs, &o.input)
	fs.StringVar(&o.group, "group", "", "grant to this group (a client certificate's O)")
	fs.StringVar(&o.user, "user", "", "grant to this user (a client certificate's CN)")
	fs.StringVar(&o.serviceAccount, "serviceaccount", "", "grant to this service account, NAMESPACE/NAME")
	fs.StringVar(&o.name, "name", "", "name of the roles and bindings (default prometheus-kubernetes-sd-KIND-NAME of the subject)")
	return cmd
}

// refuseEmpty refuses any of the flags names given as "": `--group
// "$GROUP"` with GROUP unset would otherwise count as no flag at all, and
// another subject flag would win unnoticed.
func refuseEmpty(fs *pflag.FlagSet, names ...string) error {
	for _, n := range names {
		if f := fs.Lookup(n); f != nil && f.Changed && f.Value.String() == "" {
			return usagef("--%s must not be empty", n)
		}
	}
	return nil
}

// subject returns whom to grant, from exactly one of the subject flags.
func (o *authRBACOptions) subject() (rbacv1.Subject, error) {
	given := 0
	for _, v := range []string{o.group, o.user, o.serviceAccount} {
		if v != "" {
			given++
		}
	}
	switch {
	case given != 1:
		return rbacv1.Subject{}, usagef("give exactly one of --group, --user or --serviceaccount")
	case o.group != "":
		return cluster.GroupSubject(o.group), nil
	case o.user != "":
		return cluster.UserSubject(o.user), nil
	}
	sa, err := cluster.ServiceAccountSubject(o.serviceAccount)
	if err != nil {
		return rbacv1.Subject{}, usageError{fmt.Errorf("--serviceaccount: %w", err)}
	}
	return sa, nil
}

func (o *authRBACOptions) run(s streams) error {
	subject, err := o.subject()
	if err != nil {
		return err
	}
	if o.name != "" {
		if errs := validation.IsDNS1123Subdomain(o.name); len(errs) > 0 {
			return usagef("--name %q is no valid object name: %s", o.name, strings.Join(errs, "; "))
		}
	}
	jobs, sds, err := o.input.authJobs(s)
	if err != nil {
		return err
	}
	perms := cluster.Permissions(cluster.Requests(sds))
	if len(perms) == 0 {
		return fmt.Errorf("the jobs list nothing from the API server, so there is nothing to grant")
	}
	name := o.name
	if name == "" {
		name = defaultRBACName(subject)
	}
	objs, err := cluster.RBAC(perms, name, subject)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprint(s.out, rbacHeader(o.input.configPath, jobs, subject, objs)); err != nil {
		return err
	}
	return cluster.WriteRBAC(s.out, objs)
}

// rbacHeader is the comment that says what the RBAC is for.
func rbacHeader(config string, jobs []*promconfig.Job, subject rbacv1.Subject, objs []runtime.Object) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Least-privilege RBAC for Prometheus Kubernetes service discovery, printed by\n")
	fmt.Fprintf(&b, "# sdinspect auth rbac. It lets %s\n", describeSubject(subject))
	fmt.Fprintf(&b, "# list and watch exactly what the informers of these jobs of %s list:\n", config)
	for _, j := range jobs {
		if len(j.Kubernetes) == 0 {
			continue
		}
		var roles []string
		for _, sd := range j.Kubernetes {
			roles = append(roles, string(sd.Role))
		}
		fmt.Fprintf(&b, "#   %s (role %s)\n", j.Scrape.JobName, strings.Join(roles, ", "))
	}
	// A Role can only be created in a namespace that exists, and Prometheus
	// needs it in every namespace a job names, existing or not.
	var namespaces []string
	for _, o := range objs {
		if r, ok := o.(*rbacv1.Role); ok {
			namespaces = append(namespaces, r.Namespace)
		}
	}
	if len(namespaces) > 0 {
		fmt.Fprintf(&b, "# The Roles go into namespaces the jobs name (%s): create any that do not\n", strings.Join(namespaces, ", "))
		fmt.Fprintf(&b, "# exist yet first (kubectl create namespace NAME), or kubectl apply refuses them.\n")
	}
	b.WriteString("# Apply with: kubectl apply -f FILE\n")
	return b.String()
}

// describeSubject names a subject for people: Group "g",
// ServiceAccount "monitoring/prometheus".
func describeSubject(s rbacv1.Subject) string {
	if s.Namespace != "" {
		return fmt.Sprintf("%s %q", s.Kind, s.Namespace+"/"+s.Name)
	}
	return fmt.Sprintf("%s %q", s.Kind, s.Name)
}

// subjectFlag is the auth rbac flag that names s.
func subjectFlag(s rbacv1.Subject) string {
	switch s.Kind {
	case rbacv1.ServiceAccountKind:
		return "--serviceaccount " + shellQuote(s.Namespace+"/"+s.Name)
	case rbacv1.UserKind:
		return "--user " + shellQuote(s.Name)
	}
	return "--group " + shellQuote(s.Name)
}

// rbacPointer is what ends a refusal: the auth rbac command that prints
// the RBAC granting user and groups what the jobs of o need, such as
// ` (sdinspect auth rbac --config prometheus.yml --group system:ci prints
// the RBAC that grants it)`. It is "" when the identity is unknown or the
// jobs come from --rules, which auth rbac does not read.
func (o *inputOptions) rbacPointer(user string, groups []string) string {
	subject, ok := cluster.IdentitySubject(user, groups)
	if !ok || o.configPath == "" {
		return ""
	}
	cmd := "sdinspect auth rbac --config " + shellQuote(o.configPath)
	for _, j := range o.jobs {
		cmd += " --job " + shellQuote(j)
	}
	if o.ownNamespace != "" {
		cmd += " --own-namespace " + shellQuote(o.ownNamespace)
	}
	return fmt.Sprintf(" (%s %s prints the RBAC that grants it)", cmd, subjectFlag(subject))
}

// partialPointer is rbacPointer for the identity refused in partial
// results.
func (o *inputOptions) partialPointer(partials []*cluster.Partial) string {
	for _, p := range partials {
		if user, groups := p.Identity(); user != "" {
			return o.rbacPointer(user, groups)
		}
	}
	return ""
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
