package cluster

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// BindCSRFlags is BindFlags for a command whose own --user names the user
// a certificate is for: kubectl's --user, the kubeconfig user to connect
// as, is left out (--context still picks one). The other connection flags
// are BindFlags's.
func BindCSRFlags(fs *pflag.FlagSet) *ConnFlags {
	names := clientcmd.RecommendedConfigOverrideFlags("")
	names.ContextOverrideFlags.Namespace = clientcmd.FlagInfo{}
	names.ContextOverrideFlags.AuthInfoName = clientcmd.FlagInfo{}
	return bindConnFlags(fs, names)
}

// errNoKubeconfig says why there is no connection without flags.
var errNoKubeconfig = errors.New("there is no kubeconfig ($KUBECONFIG or ~/.kube/config) and sdinspect does not run in a pod: give --kubeconfig or --server")

// ConnectFlags returns the connection the connection flags describe, as
// kubectl makes it: without any flag, the kubeconfig of $KUBECONFIG or
// ~/.kube/config, or the service account of the pod sdinspect runs in. It
// is for commands that talk to one API server whatever the scrape configs
// say. The client certificate is checked as Connect checks it.
func ConnectFlags(flags *ConnFlags) (*Conn, error) {
	if flags.Given() {
		return flagsConn(flags)
	}
	cfg, source, err := defaultConfig()
	if errors.Is(err, errNoConfig) {
		return nil, errNoKubeconfig
	}
	if err != nil {
		return nil, err
	}
	return finish(&Conn{Config: cfg, Source: source, Credentials: defaultCredentials(cfg)}, "insecure-skip-tls-verify in the kubeconfig")
}

// CSRKubeconfig returns a kubeconfig for the API server of c in which user
// authenticates with the client certificate and key in certFile and
// keyFile, named by absolute path so that the kubeconfig works from any
// directory. The CA c trusts is embedded, so that the kubeconfig does not
// depend on a file it did not ask for; when c does not verify the server,
// neither does the kubeconfig. Its one context, user@server, is current.
func CSRKubeconfig(c *Conn, user, certFile, keyFile string) (*clientcmdapi.Config, error) {
	cfg := c.Config
	ca := cfg.CAData
	if len(ca) == 0 && cfg.CAFile != "" {
		var err error
		if ca, err = os.ReadFile(cfg.CAFile); err != nil {
			return nil, fmt.Errorf("reading CA file %q: %w", cfg.CAFile, pathErr(err))
		}
	}
	if cfg.Insecure {
		// clientcmd refuses a CA together with insecure-skip-tls-verify.
		ca = nil
	}
	certAbs, err := filepath.Abs(certFile)
	if err != nil {
		return nil, fmt.Errorf("locating %q: %w", certFile, err)
	}
	keyAbs, err := filepath.Abs(keyFile)
	if err != nil {
		return nil, fmt.Errorf("locating %q: %w", keyFile, err)
	}
	cluster := cfg.Host
	if u, err := url.Parse(cfg.Host); err == nil && u.Host != "" {
		cluster = u.Host
	}
	context := user + "@" + cluster
	kc := clientcmdapi.NewConfig()
	kc.Clusters[cluster] = &clientcmdapi.Cluster{
		Server:                   cfg.Host,
		CertificateAuthorityData: ca,
		InsecureSkipTLSVerify:    cfg.Insecure,
		TLSServerName:            cfg.ServerName,
	}
	kc.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificate: certAbs, ClientKey: keyAbs}
	kc.Contexts[context] = &clientcmdapi.Context{Cluster: cluster, AuthInfo: user}
	kc.CurrentContext = context
	return kc, nil
}
