package testcluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

const (
	// adminUser is the CN of the admin client certificate.
	adminUser = "kube-admin"
	// serviceCIDRs are the cluster's service IP ranges: kubeadm's, so that
	// the ClusterIPs of snapshots taken from real clusters are accepted.
	serviceCIDRs = "10.96.0.0/12,fd00:10:96::/108"
	// kubernetesServiceIP is the first address of the IPv4 range, which the
	// API server gives to the default/kubernetes Service.
	kubernetesServiceIP = "10.96.0.1"

	etcdTimeout      = 30 * time.Second
	apiserverTimeout = 2 * time.Minute
)

// Cluster is an etcd and a kube-apiserver running on loopback ports, with
// x509 client-certificate authentication and RBAC authorization, and no
// controllers: nothing creates Endpoints, EndpointSlices or ServiceAccounts,
// nothing schedules or runs pods. Objects are what a test stores.
type Cluster struct {
	// URL is the API server's address, https://127.0.0.1:PORT.
	URL string
	// CAFile is the path of the cluster CA certificate (PEM), which signed
	// the serving certificate and every client certificate.
	CAFile string
	// CAPEM is the content of CAFile.
	CAPEM []byte
	// Admin authenticates as user kube-admin in group system:masters, which
	// RBAC never restricts. Client-side rate limiting is off (QPS -1) and
	// API warnings are dropped. Copy it with rest.CopyConfig before changing
	// it.
	Admin *rest.Config

	ca     *authority
	client kubernetes.Interface
	dir    string
	etcd   *process

	// shared marks the cluster of a Shared, whose API server no test may
	// stop.
	shared bool
	// apiserverBin and apiserverArgs start kube-apiserver again (see
	// RestartAPIServer); adminClient polls its /readyz.
	apiserverBin  string
	apiserverArgs []string
	adminClient   *http.Client
	state         string

	mu        sync.Mutex // guards apiserver and restarts
	apiserver *process
	restarts  int
}

// Start starts a new cluster and registers its stop, kube-apiserver first,
// with t.Cleanup. Its state (PKI, etcd data, the servers' logs) lives in a
// temporary directory of t. Starting costs about three to four seconds
// (plus, once per machine, building the binaries: see Binaries); test
// packages that need a cluster in many tests share one with Shared. Any
// failure is fatal to t, with the tail of the failing server's log.
func Start(t testing.TB) *Cluster {
	t.Helper()
	bin := Binaries(t)
	began := time.Now()
	c, err := start(t.Context(), bin, t.TempDir())
	if err != nil {
		t.Fatalf("starting etcd and kube-apiserver: %v", err)
	}
	t.Logf("testcluster: kube-apiserver %s ready at %s in %v", KubernetesVersion, c.URL, time.Since(began).Round(time.Millisecond))
	t.Cleanup(func() {
		if err := c.stop(); err != nil {
			t.Error(err)
		}
	})
	return c
}

// start generates the PKI in dir and starts etcd, then kube-apiserver, on
// free loopback ports, trying new ports when another process took one first.
func start(ctx context.Context, bin, dir string) (*Cluster, error) {
	p, err := newPKI()
	if err != nil {
		return nil, err
	}
	files, err := writePKI(filepath.Join(dir, "pki"), p)
	if err != nil {
		return nil, err
	}
	c := &Cluster{CAFile: files.ca, CAPEM: p.ca.certPEM, ca: p.ca, dir: dir}
	for attempt := 1; ; attempt++ {
		err = c.startServers(ctx, bin, files, attempt)
		if err == nil || !errors.Is(err, errPortTaken) || attempt == 3 {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	c.Admin = &rest.Config{
		Host: c.URL,
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   p.ca.certPEM,
			CertData: p.admin.certPEM,
			KeyData:  p.admin.keyPEM,
		},
		QPS:            -1,
		WarningHandler: rest.NoWarnings{},
	}
	if c.client, err = kubernetes.NewForConfig(c.Admin); err != nil {
		c.stop()
		return nil, fmt.Errorf("creating the admin client: %w", err)
	}
	if err := c.waitBootstrap(ctx); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// pkiFiles are the paths of what the servers read.
type pkiFiles struct {
	ca, servingCert, servingKey, saKey string
}

func writePKI(dir string, p *pki) (pkiFiles, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return pkiFiles{}, fmt.Errorf("creating %q: %w", dir, err)
	}
	f := pkiFiles{ca: filepath.Join(dir, "ca.crt"), saKey: filepath.Join(dir, "sa.key")}
	if err := os.WriteFile(f.ca, p.ca.certPEM, 0o644); err != nil {
		return pkiFiles{}, fmt.Errorf("writing %q: %w", f.ca, err)
	}
	if err := os.WriteFile(f.saKey, p.saKeyPEM, 0o600); err != nil {
		return pkiFiles{}, fmt.Errorf("writing %q: %w", f.saKey, err)
	}
	var err error
	if f.servingCert, f.servingKey, err = writeKeyPair(dir, "apiserver", p.serving); err != nil {
		return pkiFiles{}, err
	}
	// The admin pair is only kept on disk for a person debugging with curl.
	if _, _, err := writeKeyPair(dir, "admin", p.admin); err != nil {
		return pkiFiles{}, err
	}
	return f, nil
}

// startServers starts etcd and kube-apiserver and waits until both serve.
func (c *Cluster) startServers(ctx context.Context, bin string, files pkiFiles, attempt int) error {
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	state := filepath.Join(c.dir, fmt.Sprintf("run-%d", attempt))
	if err := os.MkdirAll(filepath.Join(state, "etcd"), 0o700); err != nil {
		return fmt.Errorf("creating the etcd data directory: %w", err)
	}
	c.etcd, err = startProcess(filepath.Join(bin, "etcd"), filepath.Join(state, "etcd.log"),
		"--name=test",
		"--data-dir="+filepath.Join(state, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		// Without all three peer flags etcd takes localhost:2380, and two
		// clusters on one machine collide.
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=test="+peerURL,
		"--unsafe-no-fsync",
		"--log-level=warn",
	)
	if err != nil {
		return err
	}
	if err := c.etcd.waitHTTP(ctx, etcdTimeout, http.DefaultClient, etcdURL+"/health"); err != nil {
		c.stop()
		return err
	}

	c.URL = fmt.Sprintf("https://127.0.0.1:%d", ports[2])
	c.state = state
	c.apiserverBin = filepath.Join(bin, "kube-apiserver")
	c.apiserverArgs = []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", ports[2]),
		"--tls-cert-file=" + files.servingCert,
		"--tls-private-key-file=" + files.servingKey,
		"--client-ca-file=" + files.ca,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file=" + files.saKey,
		"--service-account-signing-key-file=" + files.saKey,
		"--service-cluster-ip-range=" + serviceCIDRs,
		"--allow-privileged=true",
		// No controller-manager creates the default ServiceAccount each pod
		// would otherwise need.
		"--disable-admission-plugins=ServiceAccount",
		// Without these the machine's first address lands in the endpoints
		// of default/kubernetes, and results would differ per machine.
		"--advertise-address=127.0.0.1",
		"--endpoint-reconciler-type=none",
	}
	if c.adminClient, err = adminHTTPClient(c.CAPEM, files); err != nil {
		c.stop()
		return err
	}
	if err := c.startAPIServer(ctx, filepath.Join(state, "kube-apiserver.log")); err != nil {
		c.stop()
		return err
	}
	return nil
}

// startAPIServer starts kube-apiserver with the flags startServers chose
// and waits until it reports ready.
func (c *Cluster) startAPIServer(ctx context.Context, logFile string) error {
	p, err := startProcess(c.apiserverBin, logFile, c.apiserverArgs...)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.apiserver = p
	c.mu.Unlock()
	return p.waitHTTP(ctx, apiserverTimeout, c.adminClient, c.URL+"/readyz")
}

// adminHTTPClient is a plain HTTP client with the admin certificate, for
// polling /readyz without client-go's retries.
func adminHTTPClient(caPEM []byte, files pkiFiles) (*http.Client, error) {
	dir := filepath.Dir(files.ca)
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "admin.crt"), filepath.Join(dir, "admin.key"))
	if err != nil {
		return nil, fmt.Errorf("loading the admin certificate: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{
			RootCAs:      pool,
			Certificates: []tls.Certificate{cert},
		}},
	}, nil
}

// waitBootstrap waits for the objects the API server makes itself after it
// reports ready, so that a test listing the cluster sees them every time.
func (c *Cluster) waitBootstrap(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		missing, err := c.missingBootstrap(ctx)
		if err == nil && missing == "" {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("%s not found", missing)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the API server to create its own objects: %w", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (c *Cluster) missingBootstrap(ctx context.Context) (string, error) {
	for _, ns := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
		if _, err := c.client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); apierrors.IsNotFound(err) {
			return "namespace " + ns, nil
		} else if err != nil {
			return "", err
		}
	}
	if _, err := c.client.CoreV1().Services("default").Get(ctx, "kubernetes", metav1.GetOptions{}); apierrors.IsNotFound(err) {
		return "service default/kubernetes", nil
	} else if err != nil {
		return "", err
	}
	return "", nil
}

// stop stops kube-apiserver, then etcd: an API server whose etcd is gone
// hangs in its graceful shutdown.
func (c *Cluster) stop() error {
	var errs []error
	c.mu.Lock()
	apiserver := c.apiserver
	c.apiserver = nil
	c.mu.Unlock()
	if apiserver != nil {
		errs = append(errs, apiserver.stop(15*time.Second))
	}
	if c.etcd != nil {
		errs = append(errs, c.etcd.stop(10*time.Second))
		c.etcd = nil
	}
	return errors.Join(errs...)
}

// logNoise marks kube-apiserver log lines left out of failure messages.
func logNoise(line string) bool {
	return strings.Contains(line, "Skipping API") || strings.Contains(line, "The manifest file is empty")
}
