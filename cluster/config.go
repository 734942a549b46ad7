package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	promcommon "github.com/prometheus/common/config"
	"github.com/prometheus/prometheus/discovery/kubernetes"
)

// Client settings every connection gets. Protobuf is what Prometheus asks
// for too, and is several times faster to decode than JSON; JSON stays
// acceptable for servers and proxies that do not speak protobuf. The rate
// limit is far above what a few concurrent paged lists send, so client-go
// never throttles them.
const (
	contentTypeProtobuf = "application/vnd.kubernetes.protobuf"
	acceptContentTypes  = contentTypeProtobuf + ",application/json"
	clientQPS           = 50
	clientBurst         = 100
	userAgent           = "sdinspect"
)

// ConnFlags holds the kubectl-style connection flags (--kubeconfig,
// --context, --server, --client-certificate, --token, --as, ...). When any
// of them is given, it decides the connection for every job, as kubectl
// would; otherwise each kubernetes_sd_config's own settings do.
type ConnFlags struct {
	// Kubeconfig is the --kubeconfig flag.
	Kubeconfig string
	// Overrides holds the other flags, bound by client-go's clientcmd.
	Overrides clientcmd.ConfigOverrides

	fs    *pflag.FlagSet
	names []string
}

// BindFlags adds the connection flags to fs, with kubectl's names and help
// texts. The --namespace flag is left out: which namespaces are listed
// comes from the scrape configuration.
func BindFlags(fs *pflag.FlagSet) *ConnFlags {
	names := clientcmd.RecommendedConfigOverrideFlags("")
	names.ContextOverrideFlags.Namespace = clientcmd.FlagInfo{}
	return bindConnFlags(fs, names)
}

// bindConnFlags binds --kubeconfig and the override flags names has a
// long name for, and remembers which flags it added, for Given.
func bindConnFlags(fs *pflag.FlagSet, names clientcmd.ConfigOverrideFlags) *ConnFlags {
	f := &ConnFlags{fs: fs}
	before := map[string]bool{}
	fs.VisitAll(func(fl *pflag.Flag) { before[fl.Name] = true })
	fs.StringVar(&f.Kubeconfig, clientcmd.RecommendedConfigPathFlag, "", "Path to the kubeconfig file to use")
	clientcmd.BindOverrideFlags(&f.Overrides, fs, names)
	fs.VisitAll(func(fl *pflag.Flag) {
		if !before[fl.Name] {
			f.names = append(f.names, fl.Name)
		}
	})
	return f
}

// Given reports whether any connection flag was set on the command line.
func (f *ConnFlags) Given() bool {
	if f == nil || f.fs == nil {
		return false
	}
	return slices.ContainsFunc(f.names, f.fs.Changed)
}

// Conn is a connection to one API server and the jobs that use it.
type Conn struct {
	// Config is the client configuration, ready for List.
	Config *rest.Config
	// Source says where the configuration came from, for messages, such
	// as `api_server "https://10.0.0.1:6443" of job "pods"`.
	Source string
	// Credentials describes what Config authenticates with, for
	// diagnosing errors; pass it in ListOptions.
	Credentials *Credentials
	// Notes are warnings to show the user, such as TLS verification
	// being off.
	Notes []string
	// Jobs are the kubernetes_sd_configs that use this connection, in
	// the order given to Connect.
	Jobs []JobSD
}

// Connect returns the connections jobs need, in the order of the first job
// using each. The configuration of a job comes from, in this order:
//
//   - the connection flags, when any is given (one connection for all
//     jobs; kubeconfig files are loaded as kubectl loads them);
//   - the job's kubeconfig_file, or its api_server with its HTTP client
//     settings (tls_config, authorization, ...), as Prometheus uses them;
//   - the kubeconfig of $KUBECONFIG or ~/.kube/config;
//   - the service account of the pod sdinspect runs in.
//
// A client certificate is checked before anything connects: it must be
// readable, match its key, and be valid now. TLS verification is never
// turned off unless asked for, and then a note says so.
func Connect(ctx context.Context, flags *ConnFlags, jobs []JobSD) ([]*Conn, error) {
	if flags.Given() {
		c, err := flagsConn(flags)
		if err != nil {
			return nil, err
		}
		c.Jobs = slices.Clone(jobs)
		return []*Conn{c}, nil
	}
	var conns []*Conn
	var sds []*kubernetes.SDConfig // the SD config each of conns was made for
	for _, j := range jobs {
		if j.SD == nil {
			continue
		}
		i := slices.IndexFunc(sds, func(sd *kubernetes.SDConfig) bool { return sameConnection(sd, j.SD) })
		if i < 0 {
			c, err := sdConn(ctx, j)
			if err != nil {
				return nil, err
			}
			conns, sds = append(conns, c), append(sds, j.SD)
			i = len(conns) - 1
		}
		conns[i].Jobs = append(conns[i].Jobs, j)
	}
	return conns, nil
}

// sameConnection reports whether Prometheus would connect the same way for
// both SD configs.
func sameConnection(a, b *kubernetes.SDConfig) bool {
	return apiServer(a) == apiServer(b) && a.KubeConfig == b.KubeConfig &&
		reflect.DeepEqual(a.HTTPClientConfig, b.HTTPClientConfig)
}

// apiServer returns the api_server of sd, "" if it has none.
func apiServer(sd *kubernetes.SDConfig) string {
	if sd.APIServer.URL == nil {
		return ""
	}
	return sd.APIServer.String()
}

// flagsConn builds the connection the command-line flags describe.
func flagsConn(flags *ConnFlags) (*Conn, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = flags.Kubeconfig
	source := "the connection flags"
	if flags.Kubeconfig != "" {
		source = fmt.Sprintf("kubeconfig %q and the connection flags", flags.Kubeconfig)
	}
	loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &flags.Overrides)
	cfg, err := loader.ClientConfig()
	if err != nil {
		given := &Credentials{
			CAFile:    flags.Overrides.ClusterInfo.CertificateAuthority,
			CertFile:  flags.Overrides.AuthInfo.ClientCertificate,
			KeyFile:   flags.Overrides.AuthInfo.ClientKey,
			TokenFile: flags.Overrides.AuthInfo.TokenFile,
		}
		return nil, fmt.Errorf("configuring the API client from %s: %w", source, Diagnose(err, given))
	}
	insecureBy := "insecure-skip-tls-verify in the kubeconfig"
	if flags.Overrides.ClusterInfo.InsecureSkipTLSVerify {
		insecureBy = "--insecure-skip-tls-verify"
	}
	return finish(&Conn{Config: cfg, Source: source, Credentials: kubeconfigCredentials(cfg, loader, &flags.Overrides)}, insecureBy)
}

// sdConn builds the connection of one kubernetes_sd_config.
func sdConn(ctx context.Context, j JobSD) (*Conn, error) {
	sd := j.SD
	switch {
	case sd.KubeConfig != "":
		source := fmt.Sprintf("kubeconfig_file %q of job %q", sd.KubeConfig, j.Job)
		cfg, err := clientcmd.BuildConfigFromFlags("", sd.KubeConfig)
		if err != nil {
			return nil, fmt.Errorf("configuring the API client from %s: %w", source, oneLine(err))
		}
		return finish(&Conn{Config: cfg, Source: source, Credentials: kubeconfigFileCredentials(cfg, sd.KubeConfig)}, "insecure-skip-tls-verify in the kubeconfig")
	case sd.APIServer.URL != nil:
		source := fmt.Sprintf("api_server %q of job %q", sd.APIServer.Redacted(), j.Job)
		creds := sdCredentials(sd)
		// Check the files first, for a clearer message than the one the
		// round tripper would give while reading them.
		if err := creds.check(); err != nil {
			return nil, fmt.Errorf("configuring the API client from %s: %w", source, err)
		}
		rt, err := promcommon.NewRoundTripperFromConfigWithContext(ctx, sd.HTTPClientConfig, "kubernetes_sd")
		if err != nil {
			return nil, fmt.Errorf("configuring the API client from %s: %w", source, Diagnose(err, creds))
		}
		cfg := &rest.Config{Host: sd.APIServer.String(), Transport: rt}
		return finish(&Conn{Config: cfg, Source: source, Credentials: creds}, "tls_config.insecure_skip_verify")
	}
	cfg, source, err := defaultConfig()
	if err != nil {
		return nil, fmt.Errorf("configuring the API client for job %q: %w", j.Job, err)
	}
	return finish(&Conn{Config: cfg, Source: source, Credentials: defaultCredentials(cfg)}, "insecure-skip-tls-verify in the kubeconfig")
}

// errNoConfig says why a job without api_server or kubeconfig_file cannot
// be connected outside a pod.
var errNoConfig = errors.New("the kubernetes_sd_config has neither api_server nor kubeconfig_file " +
	"(Prometheus would use its pod's service account), there is no kubeconfig ($KUBECONFIG or ~/.kube/config) " +
	"and sdinspect does not run in a pod: give --kubeconfig or --server")

// defaultConfig loads $KUBECONFIG or ~/.kube/config, or the in-cluster
// configuration when there is no kubeconfig.
func defaultConfig() (*rest.Config, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	raw, err := rules.Load()
	if err != nil {
		return nil, "", fmt.Errorf("loading kubeconfig: %w", oneLine(err))
	}
	if !clientcmdapi.IsConfigEmpty(raw) {
		source := "kubeconfig " + quoteAll(existing(rules.GetLoadingPrecedence()))
		cfg, err := clientcmd.NewDefaultClientConfig(*raw, &clientcmd.ConfigOverrides{}).ClientConfig()
		if err != nil {
			return nil, "", fmt.Errorf("using %s: %w", source, oneLine(err))
		}
		return cfg, source, nil
	}
	cfg, err := rest.InClusterConfig()
	if errors.Is(err, rest.ErrNotInCluster) {
		return nil, "", errNoConfig
	}
	if err != nil {
		return nil, "", fmt.Errorf("using the pod's service account: %w", oneLine(err))
	}
	return cfg, "the pod's service account", nil
}

// finish applies the settings every connection gets, checks the client
// certificate and notes disabled TLS verification; insecureBy names the
// setting that disables it.
func finish(c *Conn, insecureBy string) (*Conn, error) {
	cfg := c.Config
	cfg.ContentType = contentTypeProtobuf
	cfg.AcceptContentTypes = acceptContentTypes
	cfg.QPS, cfg.Burst = clientQPS, clientBurst
	cfg.UserAgent = userAgent
	// The API server warns that v1 Endpoints are deprecated on every list
	// of the endpoints role; client-go would log each to stderr.
	cfg.WarningHandler = rest.NoWarnings{}
	if err := c.Credentials.check(); err != nil {
		return nil, fmt.Errorf("configuring the API client from %s: %w", c.Source, err)
	}
	if c.Credentials.Insecure {
		c.Notes = append(c.Notes, fmt.Sprintf("TLS verification is off for %s (%s): the API server's identity is not checked", c.Credentials.Server, insecureBy))
	}
	return c, nil
}

// existing returns the files of paths that exist.
func existing(paths []string) []string {
	var out []string
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// quoteAll formats names as "a", "b".
func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
