package main

import (
	"cmp"
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	certificatesv1 "k8s.io/api/certificates/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/sdinspect/sdinspect/certreq"
	"github.com/sdinspect/sdinspect/cluster"
)

// authCSROptions are the flags of auth csr.
type authCSROptions struct {
	user     string
	groups   []string
	out      string
	keyType  certreq.KeyType
	force    bool
	name     string
	duration time.Duration
	submit   bool
	approve  bool
	timeout  time.Duration
	conn     *cluster.ConnFlags
}

// csrPaths are the files auth csr writes, all in --out.
type csrPaths struct {
	key, csr, crt, kubeconfig string
}

func newAuthCSRCommand(s streams) *cobra.Command {
	o := &authCSROptions{keyType: certreq.ECDSA}
	cmd := &cobra.Command{
		Use:   "csr --user NAME [--group NAME]... --out DIR [--submit [--approve] [connection flags]]",
		Short: "Make a key and certificate signing request for a user and groups; with --submit, get the certificate and a kubeconfig",
		Long: `csr makes what "openssl genrsa" and "openssl req -new -subj /CN=USER/O=GROUP" make: a new
private key in DIR/USER.key (ECDSA P-256, or RSA 2048 with --key-type rsa; readable by its owner
only, never printed) and a certificate signing request for CN=USER and one O= per --group in
DIR/USER.csr. The API server authenticates a certificate for it as user USER in those groups.

Without --submit, it prints the CertificateSigningRequest to submit (kubectl apply -f - accepts
the output) and the kubectl commands that follow. With --submit, it creates that request for
the signer kubernetes.io/kube-apiserver-client (usage client auth, a lifetime of --duration),
approves it with --approve when you may, waits up to --timeout for the certificate, checks it
against the key, user and groups, and writes DIR/USER.crt and DIR/USER.kubeconfig.

Existing files are never replaced without --force. Every file is written through a temporary
file in DIR, so none is ever half written.`,
		Example: `  sdinspect auth csr --user prometheus --group monitoring --out ./certs
  sdinspect auth csr --user prometheus --group monitoring --out ./certs | kubectl apply -f -
  sdinspect auth csr --user prometheus --group monitoring --out ./certs --submit --approve
  sdinspect auth whoami --kubeconfig ./certs/prometheus.kubeconfig`,
		Args: positionalArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), s) },
	}
	fs := cmd.Flags()
	fs.StringVar(&o.user, "user", "", "user name: the certificate's CN")
	fs.StringArrayVar(&o.groups, "group", nil, "group: one O= each, in order (repeatable)")
	fs.StringVar(&o.out, "out", "", "directory for USER.key, USER.csr, USER.crt and USER.kubeconfig (created if missing)")
	fs.Var(&o.keyType, "key-type", "private key type: ecdsa (P-256) or rsa (2048 bits)")
	fs.BoolVar(&o.force, "force", false, "replace existing files")
	fs.StringVar(&o.name, "name", "", "name of the CertificateSigningRequest (default USER-<hash of the request>)")
	fs.DurationVar(&o.duration, "duration", 24*time.Hour, "certificate lifetime to ask for (spec.expirationSeconds; at least 10m)")
	fs.BoolVar(&o.submit, "submit", false, "create the CertificateSigningRequest, wait for the certificate and write a kubeconfig")
	fs.BoolVar(&o.approve, "approve", false, "with --submit: approve the request yourself (needs approve on the signer)")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "with --submit: how long to wait for approval and the certificate")
	o.conn = cluster.BindCSRFlags(fs)
	return cmd
}

func (o *authCSROptions) validate() error {
	switch {
	case o.user == "":
		return usagef("--user is required")
	case o.out == "":
		return usagef("--out DIR is required: where the key and request go")
	case o.duration < cluster.CSRMinDuration:
		return usagef("--duration %v is too short: the API accepts no less than %v", o.duration, cluster.CSRMinDuration)
	case o.duration > cluster.CSRMaxDuration:
		return usagef("--duration %v is too long: the API accepts at most %v", o.duration, cluster.CSRMaxDuration)
	case o.timeout <= 0:
		return usagef("--timeout must be positive")
	case o.approve && !o.submit:
		return usagef("--approve needs --submit")
	case o.conn.Given() && !o.submit:
		return usagef("connection flags (--server, --kubeconfig, ...) need --submit")
	}
	if o.name != "" {
		if errs := validation.IsDNS1123Subdomain(o.name); len(errs) > 0 {
			return usagef("--name %q is no valid CertificateSigningRequest name: %s", o.name, strings.Join(errs, "; "))
		}
	}
	return checkGroups(o.groups)
}

// checkGroups refuses an empty group, which no certificate can carry, and
// a repeated one, which would be a typo: the API server would only see
// the group twice.
func checkGroups(groups []string) error {
	seen := map[string]bool{}
	for _, g := range groups {
		switch {
		case g == "":
			return usagef("--group must not be empty")
		case seen[g]:
			return usagef("--group %q is given twice", g)
		}
		seen[g] = true
	}
	return nil
}

// paths returns the files for the user, named after it with characters
// that are unsafe in file names replaced.
func (o *authCSROptions) paths() csrPaths {
	base := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._@+=-", r) {
			return r
		}
		return '_'
	}, o.user)
	if strings.HasPrefix(base, ".") {
		base = "_" + base[1:]
	}
	path := func(ext string) string { return filepath.Join(o.out, base+ext) }
	return csrPaths{key: path(".key"), csr: path(".csr"), crt: path(".crt"), kubeconfig: path(".kubeconfig")}
}

func (o *authCSROptions) run(ctx context.Context, s streams) error {
	if err := o.validate(); err != nil {
		return err
	}
	p := o.paths()
	files := []string{p.key, p.csr}
	var conn *cluster.Conn
	if o.submit {
		// Connect, which only reads configuration, before writing
		// anything: a wrong flag leaves no key behind.
		var err error
		if conn, err = cluster.ConnectFlags(o.conn); err != nil {
			return err
		}
		for _, n := range conn.Notes {
			s.note(n)
		}
		s.log.Debug("connecting", "to", conn.Source)
		files = append(files, p.crt, p.kubeconfig)
	}
	if !o.force {
		if err := certreq.Absent(files...); err != nil {
			return csrWriteError(err)
		}
	}
	key, request, err := o.generate(p)
	if err != nil {
		return err
	}
	csr := cluster.NewCSR(cmp.Or(o.name, cluster.CSRName(o.user, request)), request, o.duration)
	if !o.submit {
		return csrPrintNext(s.out, p, key, o.user, o.groups, csr)
	}
	fmt.Fprintf(s.errOut, "wrote %s: %s\n", p.key, csrKeyNote(key))
	fmt.Fprintf(s.errOut, "wrote %s: %s\n", p.csr, csrRequestNote(o.user, o.groups))
	return o.obtain(ctx, s, conn, p, key, csr)
}

// generate makes the key and the request and writes both; when the
// request cannot be written, the key goes too.
func (o *authCSROptions) generate(p csrPaths) (crypto.Signer, []byte, error) {
	key, err := certreq.NewKey(o.keyType)
	if err != nil {
		return nil, nil, err
	}
	request, err := certreq.New(key, o.user, o.groups)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := certreq.KeyPEM(key)
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(o.out, 0o700); err != nil {
		return nil, nil, fmt.Errorf("creating directory %q: %w", o.out, err)
	}
	if err := certreq.WriteFile(p.key, keyPEM, 0o600, o.force); err != nil {
		return nil, nil, csrWriteError(err)
	}
	if err := certreq.WriteFile(p.csr, request, 0o600, o.force); err != nil {
		os.Remove(p.key)
		return nil, nil, csrWriteError(err)
	}
	return key, request, nil
}

// csrWriteError adds the way out to a refusal to replace a file.
func csrWriteError(err error) error {
	var exists *certreq.ExistsError
	if errors.As(err, &exists) {
		return fmt.Errorf("%w; pass --force to replace it", err)
	}
	return err
}

// obtain submits csr, approves it if asked, waits for the certificate,
// checks it and writes it with a kubeconfig that uses it.
func (o *authCSROptions) obtain(ctx context.Context, s streams, conn *cluster.Conn, p csrPaths, key crypto.Signer, csr *certificatesv1.CertificateSigningRequest) error {
	client, err := cluster.NewCSRClient(conn)
	if err != nil {
		return err
	}
	created, err := client.Submit(ctx, csr)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.errOut, "submitted CertificateSigningRequest %q to %s: signer %s, client auth, valid for %v\n",
		csr.Name, conn.Config.Host, csr.Spec.SignerName, o.duration.Truncate(time.Second))
	if o.approve {
		if err := client.Approve(ctx, created); err != nil {
			return err
		}
		fmt.Fprintf(s.errOut, "approved CertificateSigningRequest %q\n", csr.Name)
	}
	certPEM, err := client.Wait(ctx, csr.Name, o.timeout, s.note)
	if err != nil {
		return err
	}
	cert, err := certreq.Check(certPEM, key, o.user, o.groups)
	if err != nil {
		return fmt.Errorf("checking the certificate of CertificateSigningRequest %q: %w; it was not written", csr.Name, err)
	}
	if err := certreq.WriteFile(p.crt, certPEM, 0o600, o.force); err != nil {
		return csrWriteError(err)
	}
	fmt.Fprintf(s.out, "wrote %s: certificate for %s, issued by %q, valid until %s\n",
		p.crt, csrSubject(cert.Subject.CommonName, cert.Subject.Organization), cert.Issuer.String(), cert.NotAfter.UTC().Format(certTimeLayout))
	// Signers backdate long lifetimes by a few minutes; more is a cut.
	if granted := time.Until(cert.NotAfter); granted < o.duration-10*time.Minute {
		s.note(fmt.Sprintf("the signer granted %v of the %v asked for", granted.Round(time.Minute), o.duration))
	}
	kc, err := cluster.CSRKubeconfig(conn, o.user, p.crt, p.key)
	if err != nil {
		return err
	}
	data, err := clientcmd.Write(*kc)
	if err != nil {
		return fmt.Errorf("encoding the kubeconfig: %w", err)
	}
	if err := certreq.WriteFile(p.kubeconfig, data, 0o600, o.force); err != nil {
		return csrWriteError(err)
	}
	fmt.Fprintf(s.out, "wrote %s: context %q for %s\n", p.kubeconfig, kc.CurrentContext, conn.Config.Host)
	fmt.Fprintf(s.out, "next: sdinspect auth whoami --kubeconfig %s\n", shellQuote(p.kubeconfig))
	return nil
}

// csrPrintNext prints, after generating without --submit, what was
// written and the request to submit: YAML that kubectl apply -f - takes,
// the rest as comments.
func csrPrintNext(w io.Writer, p csrPaths, key crypto.Signer, user string, groups []string, csr *certificatesv1.CertificateSigningRequest) error {
	manifest, err := csrManifest(csr)
	if err != nil {
		return err
	}
	name := csr.Name
	_, err = fmt.Fprintf(w, `# Wrote %s: %s.
# Wrote %s: %s.
# Next, submit this CertificateSigningRequest (kubectl apply -f FILE, or pipe this output into
# kubectl apply -f -), have it approved, and fetch the certificate:
#   kubectl certificate approve %s
#   kubectl get csr %s -o jsonpath='{.status.certificate}' | base64 -d > %s
# (sdinspect auth csr --submit does all of this, and writes a kubeconfig.)
%s`, p.key, csrKeyNote(key), p.csr, csrRequestNote(user, groups), name, name, shellQuote(p.crt), manifest)
	return err
}

// csrManifest is csr as YAML, without the empty status.
func csrManifest(csr *certificatesv1.CertificateSigningRequest) ([]byte, error) {
	data, err := json.Marshal(csr)
	if err != nil {
		return nil, fmt.Errorf("encoding the CertificateSigningRequest: %w", err)
	}
	var obj map[string]any
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, fmt.Errorf("encoding the CertificateSigningRequest: %w", err)
	}
	delete(obj, "status")
	return yaml.Marshal(obj)
}

func csrKeyNote(key crypto.Signer) string {
	return certreq.Describe(key.Public()) + " private key, readable by its owner only"
}

func csrRequestNote(user string, groups []string) string {
	return "certificate signing request for " + csrSubject(user, groups)
}

// csrSubject names the identity a certificate carries.
func csrSubject(user string, groups []string) string {
	if len(groups) == 0 {
		return fmt.Sprintf("user %q, no groups", user)
	}
	q := make([]string, len(groups))
	for i, g := range groups {
		q[i] = fmt.Sprintf("%q", g)
	}
	return fmt.Sprintf("user %q in groups %s", user, strings.Join(q, ", "))
}
