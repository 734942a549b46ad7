package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sdinspect/sdinspect/cluster"
	"github.com/sdinspect/sdinspect/report"
)

// whoamiKind is the kind of the JSON document auth whoami writes.
const whoamiKind = "Whoami"

// whoamiDocument is what auth whoami -o json writes: one entry per
// connection, in the order of the first job using each.
type whoamiDocument struct {
	APIVersion  string                  `json:"apiVersion"`
	Kind        string                  `json:"kind"`
	Connections []*cluster.WhoamiReport `json:"connections"`
}

// authWhoamiOptions are the flags of auth whoami. Of inputOptions, only
// the config, jobs, timeout and connection flags are bound.
type authWhoamiOptions struct {
	input  inputOptions
	output formatFlag
}

func newAuthWhoamiCommand(s streams) *cobra.Command {
	o := &authWhoamiOptions{output: newFormatFlag(report.Text, []report.Format{report.Text, report.JSON})}
	cmd := &cobra.Command{
		Use:   "whoami [connection flags] [--config prometheus.yml [--job NAME]...]",
		Short: "Show who the API server says you are, and what you authenticate with",
		Long: `whoami asks the API server who the connection authenticates as (a SelfSubjectReview): the
user name, UID, groups and extra attributes that RBAC decides on. With --as and --as-group it
shows the impersonated identity and, apart, the one behind it.

It also says what the connection authenticates with, never showing a token or key: the client
certificate and key files, where a bearer token comes from (a flag, a file, a kubeconfig user,
the pod's service account), the kubeconfig context, the CA. A client certificate is described
as the API server reads it (CN is the user, each O a group) with its issuer, serial and
validity, whether the CA given for the server verifies it for client authentication, and a
warning when it expires within 30 days.

The connection is the one targets would use: the connection flags; without them, with
--config, the connection of each job's kubernetes_sd_configs (one block per connection);
otherwise $KUBECONFIG or ~/.kube/config, else the service account of the pod sdinspect runs in.`,
		Example: `  sdinspect auth whoami
  sdinspect auth whoami --server https://10.0.0.1:6443 --certificate-authority ca.crt \
      --client-certificate me.crt --client-key me.key
  sdinspect auth whoami --config prometheus.yml --job kubernetes-pods -o json
  sdinspect auth whoami --as system:serviceaccount:monitoring:prometheus`,
		Args: positionalArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), s) },
	}
	fs := cmd.Flags()
	fs.StringVar(&o.input.configPath, "config", "", "Prometheus configuration file: show the connections of its jobs")
	fs.StringArrayVar(&o.input.jobs, "job", nil, "with --config, only the connections of these jobs (repeatable)")
	fs.DurationVar(&o.input.timeout, "timeout", 30*time.Second, "give up waiting for the API server after this long")
	fs.VarP(&o.output, "output", "o", "output format: text or json")
	o.input.conn = cluster.BindFlags(fs)
	return cmd
}

func (o *authWhoamiOptions) run(ctx context.Context, s streams) error {
	switch {
	case len(o.input.jobs) > 0 && o.input.configPath == "":
		return usagef("--job needs --config")
	case o.input.timeout <= 0:
		return usagef("--timeout must be positive")
	}
	if err := checkImpersonation(o.input.conn); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.input.timeout)
	defer cancel()
	conns, err := o.connections(ctx, s)
	if err != nil {
		return err
	}
	doc := whoamiDocument{APIVersion: report.APIVersion, Kind: whoamiKind}
	for _, c := range conns {
		r, err := cluster.Whoami(ctx, c)
		if err != nil {
			return err
		}
		doc.Connections = append(doc.Connections, r)
	}
	if o.output.Format == report.JSON {
		enc := json.NewEncoder(s.out)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	}
	return writeWhoamiText(s.out, doc.Connections)
}

// connections returns the connections to ask about: those of the jobs
// with --config, else the one the flags or kubeconfig describe.
func (o *authWhoamiOptions) connections(ctx context.Context, s streams) ([]*cluster.Conn, error) {
	if o.input.configPath != "" {
		jobs, err := o.input.loadJobs()
		if err != nil {
			return nil, err
		}
		conns, err := o.input.connect(ctx, s, jobs)
		if err != nil {
			return nil, err
		}
		if len(conns) == 0 {
			return nil, fmt.Errorf("no job in %q uses kubernetes_sd_configs, so none connects to an API server; leave out --config to use the kubeconfig", o.input.configPath)
		}
		return conns, nil
	}
	c, err := cluster.ConnectFlags(o.input.conn)
	if err != nil {
		return nil, err
	}
	for _, n := range c.Notes {
		s.note(n)
	}
	s.log.Debug("connecting", "to", c.Source, "credentials", credentialsLog(c.Credentials))
	return []*cluster.Conn{c}, nil
}

// writeWhoamiText writes one block per connection, blank lines between.
func writeWhoamiText(w io.Writer, reports []*cluster.WhoamiReport) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for i, r := range reports {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		writeWhoamiBlock(tw, r)
	}
	return tw.Flush()
}

func writeWhoamiBlock(w io.Writer, r *cluster.WhoamiReport) {
	row := func(key, value string) { fmt.Fprintf(w, "%s\t%s\n", key, value) }
	row("Connection", r.Source)
	row("Server", r.Server)
	if len(r.Jobs) > 0 {
		row("Jobs", strings.Join(r.Jobs, ", "))
	}
	writeWhoamiCredentials(row, r.Credentials)
	if r.Impersonate != nil {
		row("Impersonating", describeWhoamiUser(r.Impersonate))
	}
	user := r.User.Username
	if r.Impersonate != nil {
		user += " (impersonated)"
	}
	row("Username", user)
	if r.User.UID != "" {
		row("UID", r.User.UID)
	}
	row("Groups", strings.Join(r.User.Groups, ", "))
	for _, k := range slices.Sorted(maps.Keys(r.User.Extra)) {
		row("Extra", k+": "+strings.Join(r.User.Extra[k], ", "))
	}
	if a := r.AuthenticatedAs; a != nil {
		row("Authenticated as", describeWhoamiUser(a))
	}
	if cert := r.ClientCertificate; cert != nil {
		writeClientCert(row, cert)
	}
	for _, warning := range r.Warnings {
		fmt.Fprintf(w, "Warning: %s\n", warning)
	}
}

// whoamiKindName spells a WhoamiCredentials.Kind out for people.
func whoamiKindName(kind string) string {
	switch kind {
	case "client-certificate":
		return "client certificate"
	case "token":
		return "bearer token"
	case "exec":
		return "exec plugin"
	case "auth-provider":
		return "auth provider"
	case "basic":
		return "user name and password"
	case "none":
		return "nothing (anonymous)"
	}
	return kind
}

func writeWhoamiCredentials(row func(key, value string), c cluster.WhoamiCredentials) {
	kinds := strings.Split(c.Kind, "+")
	for i, k := range kinds {
		kinds[i] = whoamiKindName(k)
	}
	row("Authenticates with", strings.Join(kinds, " and "))
	if c.ClientCertificate != "" {
		row("Client certificate", quoteUnlessInline(c.ClientCertificate))
		row("Client key", quoteUnlessInline(c.ClientKey))
	}
	if c.Token != "" {
		row("Token", "from "+c.Token+" (not shown)")
	}
	if c.KubeconfigUser != "" {
		row("Kubeconfig user", fmt.Sprintf("%q in %q", c.KubeconfigUser, c.Kubeconfig))
	}
	if c.Context != "" {
		row("Kubeconfig context", c.Context)
	}
	switch {
	case c.InsecureSkipTLSVerify:
		row("Server CA", "none: TLS verification is off, the server's identity is not checked")
	case c.CA == "":
		row("Server CA", "the system's trusted roots")
	default:
		row("Server CA", quoteUnlessInline(c.CA))
	}
}

// certTimeLayout is how certificate dates are printed: UTC to the
// second, as openssl prints them and as error messages name them.
const certTimeLayout = "2006-01-02 15:04:05 MST"

func writeClientCert(row func(key, value string), c *cluster.ClientCertInfo) {
	row("Certificate subject", c.Subject)
	row("Certificate issuer", c.Issuer)
	row("Certificate serial", c.Serial)
	row("Certificate not before", c.NotBefore.UTC().Format(certTimeLayout))
	row("Certificate not after", c.NotAfter.UTC().Format(certTimeLayout))
	if c.Verified {
		row("Certificate verified", "yes, by the server CA, for client authentication")
	} else {
		row("Certificate verified", "no: "+c.Reason)
	}
}

// describeWhoamiUser formats a user on one line: `alice (groups a, b)`.
func describeWhoamiUser(u *cluster.WhoamiUser) string {
	s := u.Username
	if s == "" {
		s = "(user unchanged)"
	}
	var more []string
	if u.UID != "" {
		more = append(more, "uid "+u.UID)
	}
	if len(u.Groups) > 0 {
		more = append(more, "groups "+strings.Join(u.Groups, ", "))
	}
	if len(more) > 0 {
		s += " (" + strings.Join(more, "; ") + ")"
	}
	return s
}

func quoteUnlessInline(s string) string {
	if s == "inline" {
		return "inline data"
	}
	return fmt.Sprintf("%q", s)
}
